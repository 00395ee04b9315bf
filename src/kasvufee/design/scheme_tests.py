"""Scheme test files: worked examples that travel with a scheme.

A buyer attaches worked examples to a tender so that bidders see exactly how
they will be paid: for a few small sets of events, the payouts the scheme
must produce.  They live next to the scheme as ``tests.yaml`` (for
``scheme.yaml`` in the same folder) or ``NAME.test.yaml`` (for ``NAME.yaml``)::

    scheme: scheme.yaml            # optional; the default is given above
    cases:
      - name: lasting placement, high risk
        as_of: 2018-12-31          # evaluate with what was known on this date
        events:                    # rows with the columns of an events file
          - {event_id: e1, type: enrolled, provider_id: P1, client_id: A1,
             occurred_on: 2018-01-02, risk_class: high}
          - {event_id: e2, type: employment_started, provider_id: P1, client_id: A1,
             occurred_on: 2018-01-31, employment_id: A1-1}
        expect:
          entries:                 # every entry the run must produce, and no other
            - {component: placement, provider_id: P1, client_id: A1,
               earned_on: 2018-04-30, amount: 900.00}
          held: []                 # optional: items that must be held, and why
          total: 900.00            # optional: the ledger total

Rules:

- ``events``: each row is a mapping with the columns of an events file
  (``type``, ``provider_id``, ``client_id``, ``occurred_on``, attributes …);
  a row without ``event_id`` gets ``e1``, ``e2`` … by its place in the list.
  Lists (``answers: [4, 4, 3]``) and numbers are written as YAML values.
- ``expect.entries``: when given, the entries are compared as a whole: each
  expected entry (component, provider_id, client_id — left out for a
  contract-level entry —, earned_on, amount and, optionally, ``capped_from``
  and ``cap``) must be produced, and every entry produced must be expected.
  When left out, entries are not compared (only ``held`` and ``total``).
- ``expect.held``: each listed item must be among the held items: the
  component, and the provider, client and a part of the ``reason`` when
  given.  Held items not listed are not differences.
- ``expect.total``: the sum of the entries.

``run_scheme_tests`` evaluates every case and reports each difference as one
line, e.g. ``case 'lasting placement': expected placement P1 A1 2018-04-30
900.00, got nothing``.  A tests file is read with the library's safe YAML
loader (exact decimals, no code); a problem in it is a ``SchemeTestError``
naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, Field, PlainValidator, model_validator

from kasvufee.engine.evaluate import evaluate
from kasvufee.errors import EventsError, InputError, Problem
from kasvufee.events import events_from_records
from kasvufee.ledger import Ledger
from kasvufee.money import format_cents
from kasvufee.scheme.load import load_scheme, located, parse_yaml_model, read_text_file
from kasvufee.scheme.model import Cents, Model, Scheme

__all__ = [
    "CaseResult",
    "SchemeTestError",
    "SchemeTests",
    "all_passed",
    "find_scheme_tests",
    "format_test_report",
    "load_scheme_tests",
    "run_scheme_tests",
    "run_tests_file",
]

TESTS_NAME = "tests.yaml"
TESTS_SUFFIX = ".test.yaml"


class SchemeTestError(InputError):
    """A scheme tests file is missing or invalid (every problem with its line)."""


def _id_text(value: Any) -> Any:
    # ids written as bare numbers in YAML (client_id: 17) are still ids
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _event_value(value: Any) -> EventValue:
    if value is None or isinstance(value, bool | int | Decimal | str):
        return value
    if isinstance(value, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    raise ValueError("a text, a number, true/false or a list of integers, got "
                     f"{value!r}")


Id = Annotated[str, BeforeValidator(_id_text)]
EventValue = bool | int | Decimal | str | tuple[int, ...] | None
Value = Annotated[EventValue, PlainValidator(_event_value)]


class ExpectedEntry(Model):
    """A ledger entry the case must produce."""

    component: str
    provider_id: Id
    client_id: Id | None = None
    earned_on: dt.date
    amount: Cents
    capped_from: Cents | None = None
    cap: str | None = None


class ExpectedHeld(Model):
    """A held item the case must produce: the component, and the provider, the client
    and a part of the reason when given."""

    component: str
    provider_id: Id | None = None
    client_id: Id | None = None
    reason: str | None = None


class Expect(Model):
    """What a case must produce."""

    entries: tuple[ExpectedEntry, ...] | None = None
    held: tuple[ExpectedHeld, ...] = ()
    total: Cents | None = None

    @model_validator(mode="after")
    def _something(self) -> Expect:
        if self.entries is None and not self.held and self.total is None:
            raise ValueError("at least one of entries, held or total, got none")
        return self


class Case(Model):
    """One worked example: events, a date, and what they must be paid."""

    name: str = Field(min_length=1)
    description: str | None = None
    as_of: dt.date
    events: tuple[dict[str, Value], ...] = ()
    expect: Expect


class SchemeTests(Model):
    """A scheme tests file: the scheme it belongs to and its cases."""

    scheme: str | None = Field(default=None, description="the scheme file, relative to this "
                               "file; default scheme.yaml (tests.yaml) or NAME.yaml "
                               "(NAME.test.yaml)")
    title: str | None = None
    cases: tuple[Case, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SchemeTests:
        names = [c.name for c in self.cases]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError("a different name for each case, got " + ", ".join(
                repr(n) for n in twice) + " more than once")
        return self


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case.

    Attributes:
        file: the tests file.
        line: the case's line in it.
        scheme: the scheme id.
        name: the case's name.
        differences: one line per difference, empty when the case passed.
        entries: how many entries the run produced.
    """

    file: str
    line: int | None
    scheme: str
    name: str
    differences: tuple[str, ...] = field(default=())
    entries: int = 0

    @property
    def passed(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "scheme": self.scheme, "name": self.name,
                "passed": self.passed, "differences": list(self.differences),
                "entries": self.entries}


# --------------------------------------------------------------------------- finding files


def _is_tests_file(p: Path) -> bool:
    return p.name == TESTS_NAME or p.name.endswith(TESTS_SUFFIX)


def default_scheme_path(tests: Path) -> Path:
    """The scheme a tests file belongs to when it names none."""
    if tests.name.endswith(TESTS_SUFFIX):
        return tests.with_name(tests.name[: -len(TESTS_SUFFIX)] + ".yaml")
    return tests.with_name("scheme.yaml")


def find_scheme_tests(path: str | os.PathLike[str]) -> list[Path]:
    """The tests files for ``path``: a tests file itself; a scheme file's sibling
    ``NAME.test.yaml`` and the ``tests.yaml`` that belongs to it; or every
    ``tests.yaml`` and ``*.test.yaml`` under a folder (hidden folders skipped).

    Raises:
        SchemeTestError: nothing at ``path``, or no tests file found.
    """
    p = Path(path)
    if p.is_dir():
        found = sorted(f for f in p.rglob("*.yaml") if _is_tests_file(f) and not any(
            part.startswith(".") for part in f.relative_to(p).parts[:-1]))
        if not found:
            raise SchemeTestError([Problem(str(p), None, None,
                                           f"a folder with scheme tests ({TESTS_NAME} or "
                                           f"NAME{TESTS_SUFFIX} files)", "none")])
        return found
    if not p.exists():
        raise SchemeTestError([Problem(str(p), None, None,
                                       "a scheme, a scheme tests file or a folder",
                                       "no such file")])
    if _is_tests_file(p):
        return [p]
    found = []
    named = p.with_name(p.stem + TESTS_SUFFIX)
    if named.is_file():
        found.append(named)
    tests = p.with_name(TESTS_NAME)
    if tests.is_file() and _scheme_path(tests, load_scheme_tests(tests)[0]).resolve() \
            == p.resolve():
        found.append(tests)
    if not found:
        raise SchemeTestError([Problem(str(p), None, None,
                                       f"a tests file next to the scheme ({TESTS_NAME} or "
                                       f"{named.name})", "none")])
    return found


def _scheme_path(tests: Path, doc: SchemeTests) -> Path:
    return tests.parent / doc.scheme if doc.scheme else default_scheme_path(tests)


# --------------------------------------------------------------------------- loading


def load_scheme_tests(path: str | os.PathLike[str]) -> tuple[SchemeTests, yaml.Node | None]:
    """Read and validate a tests file; the model and its YAML node tree (for lines)."""
    source = str(path)
    text = read_text_file(path, "scheme tests", SchemeTestError)
    return parse_yaml_model(text, SchemeTests, source=source, error=SchemeTestError,
                            top="cases (and optionally scheme)")


def _check_components(doc: SchemeTests, scheme: Scheme, node: yaml.Node | None,
                      source: str) -> None:
    ids = list(dict.fromkeys(c.id for v in scheme.versions for c in v.components))
    expected = f"a component of {scheme.scheme} ({', '.join(ids)})"
    findings: list[tuple[tuple[str | int, ...], str, str]] = []
    for i, case in enumerate(doc.cases):
        for j, e in enumerate(case.expect.entries or ()):
            if e.component not in ids:
                findings.append((("cases", i, "expect", "entries", j, "component"), expected,
                                 repr(e.component)))
        for j, h in enumerate(case.expect.held):
            if h.component not in ids:
                findings.append((("cases", i, "expect", "held", j, "component"), expected,
                                 repr(h.component)))
    if findings:
        raise SchemeTestError(located(findings, node, source))


def _line(node: yaml.Node | None, source: str, loc: tuple[str | int, ...]) -> int | None:
    return located([(loc, "", "")], node, source)[0].line


# --------------------------------------------------------------------------- running


def run_scheme_tests(path: str | os.PathLike[str]) -> list[CaseResult]:
    """Run the worked examples for a scheme, a tests file, or every one under a folder.

    Returns one ``CaseResult`` per case, in file order.

    Raises:
        SchemeTestError: no tests file, or an invalid one (with file:line).
        SchemeError: the scheme a tests file names is invalid.
    """
    results: list[CaseResult] = []
    for tests in find_scheme_tests(path):
        results.extend(run_tests_file(tests))
    return results


def run_tests_file(path: str | os.PathLike[str]) -> list[CaseResult]:
    """Run the cases of one tests file against its scheme."""
    source = str(path)
    doc, node = load_scheme_tests(path)
    scheme = load_scheme(_scheme_path(Path(path), doc))
    _check_components(doc, scheme, node, source)
    tables = [_events(case, i, scheme, node, source) for i, case in enumerate(doc.cases)]
    results = []
    for i, (case, table) in enumerate(zip(doc.cases, tables, strict=True)):
        ledger = evaluate(scheme, table, case.as_of)
        results.append(CaseResult(source, _line(node, source, ("cases", i)), scheme.scheme,
                                  case.name, tuple(compare(case, ledger)), len(ledger)))
    return results


def _events(case: Case, index: int, scheme: Scheme, node: yaml.Node | None,
            source: str) -> Any:
    rows = []
    for n, row in enumerate(case.events, start=1):
        record: dict[str, object] = {"event_id": f"e{n}"}
        record.update({k: list(v) if isinstance(v, tuple) else v for k, v in row.items()})
        rows.append(record)
    try:
        return events_from_records(rows, source=source,
                                   attribute_types=dict(scheme.attributes))
    except EventsError as exc:
        findings: list[tuple[tuple[str | int, ...], str, str]] = []
        for p in exc.problems:
            loc: tuple[str | int, ...] = ("cases", index, "events")
            if p.line is not None and 1 <= p.line <= len(rows):
                loc += (p.line - 1,)
                if p.field:
                    loc += (p.field,)
            findings.append((loc, p.expected, p.found))
        raise SchemeTestError(located(findings, node, source)) from None


Key = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class _Line:
    component: str
    provider_id: str
    client_id: str | None
    earned_on: dt.date
    cents: int
    capped_from: int | None = None
    cap: str | None = None

    @property
    def who(self) -> Key:
        return (self.component, self.provider_id, self.client_id)

    def __str__(self) -> str:
        client = f" {self.client_id}" if self.client_id is not None else ""
        return (f"{self.component} {self.provider_id}{client} {self.earned_on.isoformat()} "
                f"{format_cents(self.cents)}")


def compare(case: Case, ledger: Ledger) -> list[str]:
    """Every difference between what ``case`` expects and ``ledger``, one line each."""
    prefix = f"case '{case.name}': "
    out: list[tuple[tuple[Any, ...], str]] = []
    expect = case.expect
    if expect.entries is not None:
        wanted = [_Line(e.component, e.provider_id, e.client_id, e.earned_on, e.amount,
                        e.capped_from, e.cap) for e in expect.entries]
        got = [_Line(e.component, e.provider_id, e.client_id, e.earned_on, e.amount_cents,
                     e.capped_from_cents, e.cap) for e in ledger.entries]
        out.extend(_entry_differences(wanted, got))
    for h in expect.held:
        diff = _held_difference(h, ledger)
        if diff:
            out.append(((dt.date.max, 1), diff))
    if expect.total is not None:
        total = int(ledger.total() * 100)
        if total != expect.total:
            out.append(((dt.date.max, 2), f"expected total {format_cents(expect.total)}, "
                        f"got {format_cents(total)}"))
    return [prefix + text for _, text in sorted(out, key=lambda x: x[0])]


def _sort_key(line: _Line) -> tuple[Any, ...]:
    return (line.earned_on, 0, line.component, line.provider_id, line.client_id or "")


def _entry_differences(wanted: list[_Line], got: list[_Line]
                       ) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    pairs: list[tuple[_Line, _Line]] = []
    # 1. the same entry; 2. the same day, another amount; 3. another day
    for level in (3, 2, 1):
        left = []
        for w in wanted:
            match = next((g for g in got if _same(level, w, g)), None)
            if match is None:
                left.append(w)
            else:
                got.remove(match)
                pairs.append((w, match))
        wanted = left
    for w, g in pairs:
        if g.earned_on != w.earned_on:
            out.append((_sort_key(w), f"expected {w}, got {format_cents(g.cents)} on "
                        f"{g.earned_on.isoformat()}"))
        elif g.cents != w.cents:
            out.append((_sort_key(w), f"expected {w}, got {format_cents(g.cents)}"))
        elif w.capped_from is not None and (w.capped_from, w.cap or g.cap) != (g.capped_from,
                                                                               g.cap):
            out.append((_sort_key(w), f"{w}: expected {_capped(w.capped_from, w.cap)}, got "
                        + (_capped(g.capped_from, g.cap) if g.capped_from is not None
                           else "not capped")))
    out.extend((_sort_key(w), f"expected {w}, got nothing") for w in wanted)
    out.extend((_sort_key(g), f"expected nothing, got {g}") for g in got)
    return out


def _same(level: int, w: _Line, g: _Line) -> bool:
    """Level 3: the same entry; 2: the same day, maybe another amount; 1: the same
    component, provider and client, maybe another day."""
    return (w.who == g.who and (level < 2 or w.earned_on == g.earned_on)
            and (level < 3 or w.cents == g.cents))


def _capped(cents: int, cap: str | None) -> str:
    return f"capped from {format_cents(cents)}" + (f" by {cap}" if cap else "")


def _held_difference(h: ExpectedHeld, ledger: Ledger) -> str | None:
    mine = [x for x in ledger.held if x.component == h.component
            and (h.provider_id is None or x.provider_id == h.provider_id)
            and (h.client_id is None or x.client_id == h.client_id)]
    if any(h.reason is None or h.reason.lower() in x.reason.lower() for x in mine):
        return None
    who = " ".join(x for x in (h.component, h.provider_id, h.client_id) if x is not None)
    because = f" ({h.reason})" if h.reason else ""
    if mine:
        found = "held: " + "; ".join(x.reason for x in mine)
    else:
        paid = [e for e in ledger.entries if e.component == h.component
                and (h.provider_id is None or e.provider_id == h.provider_id)
                and (h.client_id is None or e.client_id == h.client_id)]
        found = ("paid " + ", ".join(f"{e.amount} on {e.earned_on.isoformat()}" for e in paid)
                 if paid else "nothing held")
    return f"expected {who} held{because}, got {found}"


# --------------------------------------------------------------------------- reporting


def all_passed(results: Iterable[CaseResult]) -> bool:
    """True when every case passed (``kasvufee test`` then exits 0)."""
    return all(r.passed for r in results)


def format_test_report(results: Sequence[CaseResult],
                       fmt: Literal["text", "json"] = "text") -> str:
    """The results for a person (text) or a tool (JSON).

    Text: per tests file a heading ``FILE (scheme ID)``, then ``ok`` or
    ``FAIL`` and the case name, each difference indented under a failed case,
    and a last line ``N cases passed, M failed``.  JSON: ``cases`` (each with
    file, line, scheme, name, passed, differences, entries) and ``passed``,
    ``failed`` counts.
    """
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    if fmt == "json":
        return json.dumps({"cases": [r.to_dict() for r in results], "passed": passed,
                           "failed": failed}, ensure_ascii=False, indent=2)
    if fmt != "text":
        raise ValueError(f"format text or json, got {fmt!r}")
    by_file: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for r in results:
        by_file[(r.file, r.scheme)].append(r)
    lines = []
    for (file, scheme), cases in by_file.items():
        lines.append(f"{file} (scheme {scheme})")
        for r in cases:
            lines.append(f"  {'ok  ' if r.passed else 'FAIL'}  {r.name}")
            lines.extend(f"        {d}" for d in r.differences)
    lines.append(f"{passed} case{'' if passed == 1 else 's'} passed, {failed} failed")
    return "\n".join(lines)
