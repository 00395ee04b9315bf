"""Reading only some event types (``read_events(event_types=...)``): the rows of
the other types are checked for their id and left out, and counted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.cli import main
from kasvufee.errors import EventsError
from kasvufee.events import read_events
from kasvufee.report.coverage import coverage
from kasvufee.scheme.prices import event_columns, event_types
from tests.conftest import EXAMPLES, examples
from tests.test_events_columns import _files
from tests.test_events_read import problems

HEADER = "event_id,type,provider_id,client_id,occurred_on,recorded_at,fte_years"
KEEP = ("enrolled", "event_voided")
BENCH_SCHEMES = ["varsinais-suomi", "yrittajasta-tyonantajaksi", "satakunta-kokosata"]
# the unread types' rows hold bad cells but for their ids
UNREAD_BAD = (
    f"{HEADER}\n"
    "e1,enrolled,P1,C1,2018-01-31,,0.5\n"
    "e2,guidance_completed,,C1,2018-02-30,yesterday,x\n"
    "e3, enrolled ,P1,C2,2018-02-01,,\n"
    "e4,plan_completed,P1,C1,1.2.2018,,\n"
)

pytestmark = pytest.mark.usefixtures("in_tmp")


def _three(text: str) -> list[Path]:
    """The events as CSV, JSON Lines and text-typed Parquet."""
    csv, jsonl = _files(text)
    rows = [line.split(",") for line in text.splitlines()]
    pl.DataFrame([[v or None for v in row] for row in rows[1:]], schema=rows[0],
                 orient="row").write_parquet("events.parquet")
    return [csv, jsonl, Path("events.parquet")]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["csv", "jsonl", "parquet"])
def test_other_types_are_left_out_unchecked_and_counted(index: int) -> None:
    path = _three(UNREAD_BAD)[index]
    first = 2 if index == 0 else 1  # JSON Lines have no header, Parquet numbers rows
    # everything read: the unread rows' bad cells are errors
    assert sorted(tuple(p.split(": ")[:2]) for p in problems(path)) == [
        (f"{path.name}:{first + 1}", field)
        for field in ("fte_years", "occurred_on", "provider_id", "recorded_at")] + [
        (f"{path.name}:{first + 3}", "occurred_on")]
    left_out: dict[str, int] = {}
    table = read_events(path, event_types=KEEP, left_out=left_out)
    assert table.select("event_id", "type", "provider_id", "line").rows() == [
        ("e1", "enrolled", "P1", first), ("e3", "enrolled", "P1", first + 2)]
    assert left_out == {"guidance_completed": 1, "plan_completed": 1}


@pytest.mark.parametrize("index", [0, 1, 2], ids=["csv", "jsonl", "parquet"])
def test_the_ids_of_left_out_rows_are_still_checked(index: int) -> None:
    text = (f"{HEADER}\n"
            "e1,enrolled,P1,C1,2018-01-31,,\n"
            "e1,guidance_completed,P1,C1,2018-02-01,,\n"
            ",plan_completed,P1,C1,2018-02-01,,\n"
            "e\u200b2,plan_completed,P1,C1,2018-02-01,,\n"
            " e5 ,plan_completed,P1,C1,2018-02-01,,\n"
            "e5,enrolled,P1,C2,2018-02-01,,\n")
    path = _three(text)[index]
    name, a = path.name, 2 - (index > 0)
    empty = "no value" if index == 1 else "an empty cell"
    assert problems(path, event_types=KEEP) == [
        f"{name}:{a + 1}: event_id: expected a unique id, got 'e1' (also on line {a})",
        f"{name}:{a + 2}: event_id: expected a value, got {empty}",
        f"{name}:{a + 3}: event_id: expected an id without spaces, control, format (zero-width) "
        "or combining characters, got 'e\\u200b2'",
        f"{name}:{a + 5}: event_id: expected a unique id, got 'e5' (also on line {a + 4})",
    ]


def test_a_misspelt_or_unplain_type_is_kept_and_checked() -> None:
    text = (f"{HEADER}\n"
            "e1,enrolled,P1,C1,2018-01-31,,\n"
            "e2,Guidance Completed,P1,C1,2018-02-01,,\n")
    path = _three(text)[0]
    assert problems(path, event_types=KEEP) == [
        "events.csv:3: type: expected an event type in lowercase letters, digits and _ like "
        "employment_started, got 'Guidance Completed' (did you mean guidance_completed?)"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The benchmark's events of 1 000 clients: most of their types each scheme ignores."""
    from bench.generate import generate, write

    return write(generate(1_000, seed=11), tmp_path_factory.mktemp("generated"))


@pytest.mark.parametrize("slug", BENCH_SCHEMES)
def test_a_scheme_priced_on_its_types_and_columns_gives_the_same_ledger(
        slug: str, generated: tuple[Path, Path]) -> None:
    scheme = kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")
    types = dict(scheme.attributes)
    as_of = dt.date(2018, 12, 31)
    for path in generated:
        full = read_events(path, attribute_types=types)
        left_out: dict[str, int] = {}
        narrow = read_events(path, attribute_types=types, columns=event_columns(scheme),
                             event_types=event_types(scheme), left_out=left_out)
        assert narrow.height + sum(left_out.values()) == full.height
        assert narrow.height < full.height / 2 + 1000
        a, b = kasvufee.evaluate(scheme, full, as_of), kasvufee.evaluate(scheme, narrow, as_of)
        assert len(a) > 100
        assert a.frame.equals(b.frame)
        assert a.held_frame.equals(b.held_frame)
        assert coverage(scheme, narrow, left_out) == coverage(scheme, full)


def test_run_leaves_unread_types_unchecked_and_check_all_columns_checks_them() -> None:
    Path("events.csv").write_text(
        "event_id,type,provider_id,client_id,occurred_on,risk_class\n"
        "e1,enrolled,P1,C1,2018-01-02,A\n"
        "e2,guidance_completed,P1,C1,2018-02-30,\n")
    scheme = str(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    runner = CliRunner()
    result = runner.invoke(main, ["run", scheme, "events.csv", "--as-of", "2018-12-31",
                                  "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout == ("entry_id,scheme_id,scheme_version,component,provider_id,client_id,"
                             "earned_on,period,amount,kind,event_ids,explanation,capped_from,"
                             "cap,currency\n")
    assert result.stderr == (
        "warning: no event has employment_id, which placement reads: check the events "
        "file's columns\n"
        "varsinais-suomi: 0 entries, total 0.00 EUR as of 2018-12-31\n"
        "1 event type no component reads:\n"
        "  guidance_completed: 1 event\n"
        "2 components no event reaches:\n"
        "  placement (version 1, on employment_started)\n"
        "  training_referral (version 1, on training_referred)\n")
    result = runner.invoke(main, ["run", scheme, "events.csv", "--as-of", "2018-12-31",
                                  "--format", "csv", "--check-all-columns"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "events.csv:3: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'\n"
        "kasvufee: 1 problem; nothing was written\n")


_TYPES = ["enrolled", "employment_started", "employment_ended", "training_referred",
          "guidance_completed", "plan_completed", " employment_started ", "Plan Completed"]
_ROW = st.tuples(st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", ""]),
                 st.sampled_from(_TYPES), st.sampled_from(["P1", "P2", ""]),
                 st.sampled_from(["C1", "C2", "C3"]),
                 st.sampled_from(["2018-01-05", "2018-02-01", "2018-06-30", "2018-02-30"]),
                 st.sampled_from(["high", "low", "", "x"]), st.sampled_from(["j1", "j2", ""]))


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=10))
def test_leaving_out_unread_types_never_changes_a_ledger_or_hides_a_read_problem(
        rows: list[tuple[str, ...]], tmp_path: Path) -> None:
    """Whatever the rows: a narrow read reports only what the full read reports,
    and every id and misspelt type among them; where both succeed the ledgers,
    the held items and the coverage are the same."""
    scheme = kasvufee.load_scheme(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    path = tmp_path / "events.csv"
    path.write_text("event_id,type,provider_id,client_id,occurred_on,risk_class,"
                    "employment_id\n" + "".join(",".join(r) + "\n" for r in rows))
    types = dict(scheme.attributes)

    def read(**narrow: object) -> tuple[pl.DataFrame | None, list[str]]:
        try:
            return read_events(path, attribute_types=types, **narrow), []  # type: ignore[arg-type]
        except EventsError as exc:
            return None, [str(p) for p in exc.problems]

    full, full_problems = read()
    left_out: dict[str, int] = {}
    narrow, narrow_problems = read(columns=event_columns(scheme),
                                   event_types=event_types(scheme), left_out=left_out)
    assert set(narrow_problems) <= set(full_problems)
    # ids are checked on every row, types on every row the reader keeps
    assert {p for p in full_problems if ": event_id: " in p} <= set(narrow_problems)
    assert {p for p in full_problems if ": type: " in p} <= set(narrow_problems)
    if full is None:
        return
    assert narrow is not None
    as_of = dt.date(2018, 12, 31)
    a, b = kasvufee.evaluate(scheme, full, as_of), kasvufee.evaluate(scheme, narrow, as_of)
    assert a.frame.equals(b.frame)
    assert a.held_frame.equals(b.held_frame)
    assert coverage(scheme, narrow, left_out) == coverage(scheme, full)
