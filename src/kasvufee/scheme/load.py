"""Loading scheme files: safe YAML, exact decimals, errors with line numbers.

YAML is read with a ``SafeLoader`` subclass (no Python tags, no objects) that
keeps decimal numbers as ``Decimal`` instead of float, so ``0.1`` in a scheme
is exactly one tenth.  Validation errors from the pydantic models are mapped
back to the YAML line they came from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kasvufee.errors import ExpressionError, InputError, Problem, SchemeError
from kasvufee.scheme.check import check_scheme
from kasvufee.scheme.model import Scheme

MAX_SCHEME_BYTES = 2_000_000


class _ExactLoader(yaml.SafeLoader):
    """SafeLoader with exact decimals, YAML 1.2 booleans and dates as text.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans, which would
    turn the key ``on:`` into ``True``; here only ``true``/``false`` are.
    """


# Dates stay text too: pydantic parses them and reports a bad one with its line.
_DROPPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_ExactLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ExactLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    return Decimal(text)


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


M = TypeVar("M", bound=BaseModel)


def read_text_file(path: str | os.PathLike[str], what: str, error: type[InputError]) -> str:
    """A small UTF-8 text file (a scheme or programme), or ``error`` saying why not."""
    name = str(path)
    p = Path(path)
    try:
        if p.stat().st_size > MAX_SCHEME_BYTES:
            raise error([Problem(name, None, None, f"a {what} file under 2 MB",
                                 f"{p.stat().st_size} bytes")])
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([Problem(name, None, None, f"an existing {what} file",
                             "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error([Problem(name, None, None, "a readable UTF-8 text file",
                             type(exc).__name__)]) from None


def parse_yaml_model(text: str, model: type[M], *, source: str, error: type[InputError],
                     top: str, context: dict[str, Any] | None = None
                     ) -> tuple[M, yaml.Node | None]:
    """Safe-load YAML and validate it as ``model``; every problem with its line.

    ``top`` describes the expected top-level mapping for the message when the
    document is not a mapping at all.
    """
    loader = _ExactLoader(text)  # one parse: the node tree gives lines, the data values
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise error([Problem(source, line, None, "valid YAML", str(problem))]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise error([Problem(source, 1, None, f"a mapping with {top}", type(data).__name__)])
    try:
        return model.model_validate(data, context=context), node
    except ValidationError as exc:
        raise error(_problems(exc, node, source)) from None


def located(findings: Iterable[tuple[tuple[str | int, ...], str, str]], node: yaml.Node | None,
            source: str) -> list[Problem]:
    """Findings of cross-field checks as problems with their YAML lines."""
    problems = []
    for loc, expected, found in findings:
        line, path = _locate(node, loc)
        problems.append(Problem(source, line, path or None, expected, found))
    return problems


def load_scheme(path: str | os.PathLike[str]) -> Scheme:
    """Read and validate a scheme file; raise ``SchemeError`` listing every problem."""
    return parse_scheme(read_text_file(path, "scheme", SchemeError), source=str(path))


def parse_scheme(text: str, *, source: str = "<scheme>") -> Scheme:
    """Validate scheme YAML given as text."""
    scheme, node = parse_yaml_model(text, Scheme, source=source, error=SchemeError,
                                    top="scheme, title and versions",
                                    context={"located": True})
    findings = check_scheme(scheme)
    if findings:
        raise SchemeError(located(findings, node, source))
    return scheme


def _problems(exc: ValidationError, root: yaml.Node | None, source: str) -> list[Problem]:
    errors = exc.errors(include_url=False)
    # a container reported too short only because its items failed says nothing new
    locs = [tuple(e["loc"]) for e in errors]
    errors = [e for e in errors if not (e["type"] == "too_short" and any(
        len(other) > len(e["loc"]) and other[:len(e["loc"])] == tuple(e["loc"]) for other in locs))]
    problems = []
    for err in errors:
        line, path = _locate(root, err["loc"])
        expected, found = _message(err)
        problems.append(Problem(source, line, path or None, expected, found))
    return list(dict.fromkeys(problems))


def _message(err: Mapping[str, Any]) -> tuple[str, str]:
    msg = str(err["msg"])
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ExpressionError):
        return cause.expected + f" (column {cause.position + 1})", cause.found
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if ", got " in msg:
        expected, found = msg.rsplit(", got ", 1)
        return expected, found
    if err["type"] == "missing":
        return f"a field {err['loc'][-1]!s}", "nothing"
    if err["type"].startswith(("date_", "datetime_")):
        return "a date YYYY-MM-DD", repr(err.get("input"))
    if err["type"] == "string_pattern_mismatch" and "a-z0-9" in str(ctx.get("pattern", "")):
        return ("a lowercase id of letters a-z, digits, '-' and '_' (like varsinais-suomi)",
                repr(err.get("input")))
    if err["type"] == "too_short":
        return (f"at least {ctx.get('min_length')} item(s)",
                f"{ctx.get('actual_length')}")
    if err["type"] == "union_tag_invalid":
        return (f"{ctx.get('discriminator', 'kind')} one of {ctx.get('expected_tags')}",
                repr(ctx.get("tag")))
    if err["type"] == "extra_forbidden":
        return "no such field here (check the spelling)", repr(err.get("input"))
    expected = msg[len("Input should be "):] if msg.startswith("Input should be ") else msg
    found = repr(err.get("input"))
    if len(found) > 80:
        found = found[:77] + "..."
    return expected, found


def _locate(root: yaml.Node | None, loc: Sequence[int | str]) -> tuple[int | None, str]:
    """Follow a pydantic error location through the YAML node tree."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    parts: list[str] = []
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(key):
                    child = v
                    line = k.start_mark.line + 1
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(key, int)
              and 0 <= key < len(node.value)):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            continue  # a union tag or a validator's own name, not a place in the file
        node = child
        parts.append(str(key))
    return line, ".".join(parts)
