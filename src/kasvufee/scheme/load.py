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
from kasvufee.events.types import EVENT_TYPE_PATTERN
from kasvufee.plural import count
from kasvufee.scheme.check import check_scheme
from kasvufee.scheme.model import Scheme
from kasvufee.scheme.prices import unknown_types

MAX_SCHEME_BYTES = 2_000_000
MAX_NODES = 50_000
"""At most this many YAML values in a file, counting each alias (``*name``) as
the values it repeats: a "billion laughs" of a few hundred bytes ends here."""
MAX_DEPTH = 50
"""At most this many levels of nested mappings and lists."""
MAX_NUMBER_CHARS = 40
"""At most this many characters in a number."""
MAX_PROBLEMS = 100
"""At most this many problems are listed; one more says how many were left out."""
_MAX_FOUND_CHARS = 80


class _Refused(yaml.MarkedYAMLError):
    """A YAML value that reads as something other than it looks: refused with its place."""

    def __init__(self, expected: str, found: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=found, problem_mark=mark)
        self.expected = expected


class _ExactLoader(yaml.SafeLoader):
    """SafeLoader with exact decimals, YAML 1.2 booleans and dates as text, that
    refuses what a reader would misread: a key given twice (the last would win),
    YAML 1.1 number forms (``0700`` is 448, ``0x384`` and ``0b1110000100`` are
    900, ``15:00`` is 900), ``.nan``/``.inf``, control characters and unpaired
    surrogates in text; and bounds the cost of a file (:data:`MAX_NODES`,
    :data:`MAX_DEPTH`).

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans, which would
    turn the key ``on:`` into ``True``; here only ``true``/``false`` are.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._values = 0
        self._depth = 0
        self._sizes: dict[str, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if self._depth >= MAX_DEPTH:
            raise _Refused(f"at most {MAX_DEPTH} levels of nesting", "more",
                           event.start_mark)
        before = self._values
        if isinstance(event, yaml.AliasEvent):
            # an alias repeats its anchor's values: counted as often as it is used
            self._values += self._sizes.get(str(event.anchor), 1)
        else:
            self._values += 1
        if self._values > MAX_NODES:
            raise _Refused(f"at most {MAX_NODES} values in the file (an alias *name counts "
                           "as the values it repeats)", "more", event.start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self._sizes[str(anchor)] = self._values - before
        return node

    def compose_mapping_node(self, anchor: dict[Any, yaml.Node]) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        first: dict[str, yaml.Node] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                continue
            if key.value in first:
                raise _Refused(f"each key once in a mapping ({key.value!s} is also on line "
                               f"{first[key.value].start_mark.line + 1}; the last would win)",
                               _short(repr(key.value)), key.start_mark)
            first[key.value] = key
        return node


# Dates stay text too: pydantic parses them and reports a bad one with its line.
_DROPPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_ExactLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ExactLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))

_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_NUMBER_HINT = ("a number written plainly, like 900 or 900.00 (YAML 1.1 reads 0700 as 448, "
                "0x384 and 15:00 as 900; quote it if it is text)")


def _number_text(loader: yaml.SafeLoader, node: yaml.Node, form: re.Pattern[str]) -> str:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number of at most {MAX_NUMBER_CHARS} characters",
                       f"{len(text)} characters", node.start_mark)
    if not form.fullmatch(text):
        raise _Refused(_NUMBER_HINT, _short(repr(node.value)), node.start_mark)
    return text


def _integer(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    return int(_number_text(loader, node, _PLAIN_INT))


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    return Decimal(_number_text(loader, node, _PLAIN_DECIMAL))


def _text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    bad = _UNSAFE_TEXT.search(text)
    if bad is not None:
        raise _Refused("text without control characters or unpaired surrogates",
                       f"{bad.group()!r} at character {bad.start() + 1}", node.start_mark)
    return text


# C0/C1 controls but tab and line breaks, and lone surrogates (from "\ud800" escapes)
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

_ExactLoader.add_constructor("tag:yaml.org,2002:int", _integer)
_ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
_ExactLoader.add_constructor("tag:yaml.org,2002:str", _text)


def _short(text: str) -> str:
    """A value as shown after ``got``: never the whole of a long input."""
    return text if len(text) <= _MAX_FOUND_CHARS else text[:_MAX_FOUND_CHARS - 3] + "..."


M = TypeVar("M", bound=BaseModel)


def read_text_file(path: str | os.PathLike[str], what: str, error: type[InputError], *,
                   max_bytes: int | None = MAX_SCHEME_BYTES) -> str:
    """A UTF-8 text file (a scheme or programme: at most 2 MB; a receipts file
    grows with the ledger, ``max_bytes=None``), or ``error`` saying why not."""
    name = str(path)
    p = Path(path)
    try:
        if max_bytes is not None and p.stat().st_size > max_bytes:
            raise error([Problem(name, None, None, f"a {what} file under 2 MB",
                                 f"{p.stat().st_size} bytes")])
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([Problem(name, None, None, f"an existing {what} file",
                             "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise error([Problem(name, None, None, "a UTF-8 text file",
                             f"the byte 0x{exc.object[exc.start:exc.start + 1].hex()} at "
                             f"byte {exc.start}")]) from None
    except OSError as exc:
        raise error([Problem(name, None, None, f"a readable {what} file",
                             (exc.strerror or "an unreadable file").lower())]) from None


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
        expected = getattr(exc, "expected", "valid YAML")
        raise error([Problem(source, line, None, expected, _short(str(problem)))]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise error([Problem(source, 1, None, f"a mapping with {top}", _yaml_kind(data))])
    try:
        return model.model_validate(data, context=context), node
    except ValidationError as exc:
        raise error(_problems(exc, node, source)) from None


def _yaml_kind(data: object) -> str:
    """What a YAML document is, in a person's words."""
    if data is None:
        return "an empty document"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, int | Decimal):
        return "a number"
    return "a text" if isinstance(data, str) else "a single value"


def located(findings: Iterable[tuple[tuple[str | int, ...], str, str]], node: yaml.Node | None,
            source: str) -> list[Problem]:
    """Findings of cross-field checks as problems with their YAML lines."""
    problems = []
    for loc, expected, found in findings:
        line, path = _locate(node, loc)
        problems.append(Problem(source, line, path or None, expected, _short(found)))
    return capped(problems, source)


def load_scheme(path: str | os.PathLike[str]) -> Scheme:
    """Read and validate a scheme file; raise ``SchemeError`` listing every problem."""
    return parse_scheme(read_text_file(path, "scheme", SchemeError), source=str(path))


def parse_scheme(text: str, *, source: str = "<scheme>") -> Scheme:
    """Validate scheme YAML given as text."""
    return _parse(text, source)[0]


def load_scheme_warned(path: str | os.PathLike[str]) -> tuple[Scheme, list[Problem]]:
    """``load_scheme``, and the warnings on what is valid but suspect, each with
    its line: event types outside the core vocabulary and the scheme's
    ``event_types`` (a misspelt ``on:`` that no event will reach)."""
    source = str(path)
    scheme, node = _parse(read_text_file(path, "scheme", SchemeError), source)
    findings = [(loc, "an event type of the core vocabulary or of the scheme's event_types"
                 + (f" (did you mean {nearest}?)" if nearest else ""), repr(name))
                for loc, name, nearest in unknown_types(scheme)]
    return scheme, located(findings, node, source)


def _parse(text: str, source: str) -> tuple[Scheme, yaml.Node | None]:
    scheme, node = parse_yaml_model(text, Scheme, source=source, error=SchemeError,
                                    top="scheme, title and versions",
                                    context={"located": True})
    findings = check_scheme(scheme)
    if findings:
        raise SchemeError(located(findings, node, source))
    return scheme, node


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
    return capped(list(dict.fromkeys(problems)), source)


def capped(problems: list[Problem], source: str) -> list[Problem]:
    """At most :data:`MAX_PROBLEMS` problems, then one saying how many more."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS],
            Problem(source, None, None, f"at most {MAX_PROBLEMS} problems listed",
                    f"{len(problems) - MAX_PROBLEMS} more")]


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
        return expected, _short(found)
    if err["type"] == "missing":
        return f"a field {err['loc'][-1]!s}", "nothing"
    if err["type"].startswith(("date_", "datetime_")):
        return "a date YYYY-MM-DD", _short(repr(err.get("input")))
    if err["type"] == "string_pattern_mismatch" and ctx.get("pattern") == EVENT_TYPE_PATTERN:
        return ("an event type in lowercase letters, digits and _ like employment_started",
                _short(repr(err.get("input"))))
    if err["type"] == "string_pattern_mismatch" and "a-z0-9" in str(ctx.get("pattern", "")):
        return ("a lowercase id of letters a-z, digits, '-' and '_' (like varsinais-suomi)",
                _short(repr(err.get("input"))))
    if err["type"] == "too_short":
        return (f"at least {count(int(ctx.get('min_length', 1)), 'item')}",
                f"{ctx.get('actual_length')}")
    if err["type"] == "too_long":  # pydantic's text would show the items
        return f"at most {ctx.get('max_length')} items", f"{ctx.get('actual_length')}"
    if err["type"] == "union_tag_invalid":
        return (f"{ctx.get('discriminator', 'kind')} one of {ctx.get('expected_tags')}",
                _short(repr(ctx.get("tag"))))
    if err["type"] == "extra_forbidden":
        return "no such field here (check the spelling)", _short(repr(err.get("input")))
    expected = msg[len("Input should be "):] if msg.startswith("Input should be ") else msg
    return _short(expected), _short(repr(err.get("input")))


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
