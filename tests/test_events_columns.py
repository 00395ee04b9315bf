"""Reading only some columns (``read_events(columns=...)``): the same table for
the columns read, and every bad cell in them still reported with its line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

import kasvufee
from kasvufee.events import CORE_COLUMNS, read_events
from kasvufee.scheme.prices import event_columns
from tests.conftest import EXAMPLE_SCHEMES, EXAMPLES
from tests.test_events_read import problems

HEADER = "event_id,type,provider_id,client_id,occurred_on,recorded_at,fte_years,note,answers"
GOOD = (
    f"{HEADER}\n"
    "e1,enrolled,P1,C1,2018-01-31,,0.5, a note ,4;4;3\n"
    "e2,recruitment_made,P1,C1,2018-03-01,2018-03-02,1.25,,\n"
    ",,,,,,,,\n"
    "e3,milestone_reached,P1,,2018-12-31,,,other,\n"
)
# the unread columns hold bad cells; the read ones hold others
BAD = (
    f"{HEADER}\n"
    "e1,enrolled,P1,C1,2018-01-31,,x,,4;x\n"
    "e2,recruitment_made,P1,C1,2018-02-30,,0.5,,\n"
    "e1,t,P1,,2018-01-01,,oops,,\n"
)


# messages name plain file names like events.csv
pytestmark = pytest.mark.usefixtures("in_tmp")


def _files(text: str) -> list[Path]:
    """The same events as CSV and JSON Lines (a blank row as a blank line)."""
    csv = Path("events.csv")
    csv.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    names = lines[0].split(",")
    jsonl = Path("events.jsonl")
    jsonl.write_text("".join(
        (json.dumps({n: v for n, v in zip(names, line.split(","), strict=True) if v})
         if line.strip(",") else "") + "\n" for line in lines[1:]))
    return [csv, jsonl]


@pytest.mark.parametrize("name", ["events.csv", "events.jsonl", "events.parquet"])
def test_the_columns_read_are_those_of_the_full_table(name: str) -> None:
    full = read_events(_files(GOOD)[0])
    full.drop("line").write_parquet("events.parquet")
    wanted = ["fte_years", "answers", "absent"]
    table = read_events(name, columns=wanted)
    assert table.columns == [*CORE_COLUMNS, "fte_years", "answers"]
    assert table.drop("line").equals(full.select(table.columns).drop("line"))
    lines = {"events.csv": [2, 3, 5], "events.jsonl": [1, 2, 4], "events.parquet": [1, 2, 3]}
    assert table["line"].to_list() == lines[name]


@pytest.mark.parametrize("index", [0, 1], ids=["csv", "jsonl"])
def test_bad_cells_in_the_columns_read_are_reported_and_the_others_not_checked(index: int
                                                                             ) -> None:
    path = _files(BAD)[index]
    everything = problems(path)
    assert any("fte_years" in p for p in everything)
    assert any("answers" in p for p in everything)
    name, a, b, c = path.name, 2 - index, 3 - index, 4 - index  # JSON Lines have no header
    assert problems(path, columns=["fte_years"]) == [
        f"{name}:{a}: fte_years: expected a decimal number like 0.5, got 'x'",
        f"{name}:{b}: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'",
        f"{name}:{c}: event_id: expected a unique id, got 'e1' (also on line {a})",
        f"{name}:{c}: fte_years: expected a decimal number like 0.5, got 'oops'",
    ]
    assert problems(path, columns=[]) == [
        f"{name}:{b}: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'",
        f"{name}:{c}: event_id: expected a unique id, got 'e1' (also on line {a})",
    ]


def test_parquet_reads_and_checks_only_the_columns_asked_for() -> None:
    pl.DataFrame({
        "event_id": ["e1", "e2"], "type": ["t", "t"], "provider_id": ["P", "P"],
        "occurred_on": ["2018-01-01", "2018-01-02"], "fte_years": ["0.5", "x"],
        "note": [{"a": 1}, None],  # a column of structs: never readable
    }).write_parquet("events.parquet")
    assert problems(Path("events.parquet")) == [
        "events.parquet: note: expected a column of single values, got a column of "
        "Struct({'a': Int64})"]
    assert problems(Path("events.parquet"), columns=["fte_years"]) == [
        "events.parquet:2: fte_years: expected a decimal number like 0.5, got 'x'"]
    table = read_events("events.parquet", columns=["other"])
    assert table.columns == list(CORE_COLUMNS)
    assert table["line"].to_list() == [1, 2]


def test_voids_are_read_whatever_columns_are_asked_for() -> None:
    Path("events.csv").write_text(
        "event_id,type,provider_id,client_id,occurred_on,voids\n"
        "e1,training_referred,P1,C1,2018-01-10,\n"
        "e2,event_voided,P1,C1,2018-01-11,e1\n")
    table = read_events("events.csv", columns=["note"])
    assert table["voids"].to_list() == [None, "e1"]
    scheme = kasvufee.load_scheme(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    assert kasvufee.evaluate(scheme, table, dt.date(2018, 12, 31)).voided == {"e1": "e2"}


def test_a_required_column_missing_is_still_reported() -> None:
    Path("events.csv").write_text("event_id,type,client_id\ne1,t,C1\n")
    assert problems(Path("events.csv"), columns=["note"]) == [
        "events.csv:1: header: expected a column 'provider_id', got columns event_id, type, "
        "client_id",
        "events.csv:1: header: expected a column 'occurred_on', got columns event_id, type, "
        "client_id",
    ]


def test_csv_with_quotes_keeps_the_line_numbers_of_multiline_cells() -> None:
    text = (f"{HEADER}\n"
            'e1,t,P1,,2018-01-01,,,"two\nlines",\n'
            "e2,t,P1,,2018-01-02,,0.5,,\n")
    Path("events.csv").write_text(text)
    table = read_events("events.csv", columns=["fte_years"])
    assert table.columns == [*CORE_COLUMNS, "fte_years"]
    assert table["line"].to_list() == [2, 4]
    Path("events.csv").write_text(text + "e3,t,P1,,2018-02-30,,,,\n")
    assert problems(Path("events.csv"), columns=["fte_years"]) == [
        "events.csv:5: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'"]


def _unread_columns(slug: str) -> set[str]:
    scheme = kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")
    header = (EXAMPLES / slug / "events.csv").read_text().splitlines()[0].split(",")
    return set(header) - event_columns(scheme)


# the examples whose events file has columns their scheme does not read
NARROWED = [slug for slug in EXAMPLE_SCHEMES if _unread_columns(slug)]


def test_most_examples_have_columns_their_scheme_does_not_read() -> None:
    assert len(NARROWED) >= 8


@pytest.mark.parametrize("slug", NARROWED)
def test_a_scheme_priced_on_its_columns_gives_the_same_ledger(slug: str) -> None:
    scheme = kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")
    path = EXAMPLES / slug / "events.csv"
    types = dict(scheme.attributes)
    full = read_events(path, attribute_types=types)
    narrow = read_events(path, attribute_types=types, columns=event_columns(scheme))
    assert narrow.width < full.width
    as_of = full["occurred_on"].max() or dt.date(2018, 12, 31)
    a, b = kasvufee.evaluate(scheme, full, as_of), kasvufee.evaluate(scheme, narrow, as_of)
    assert a.frame.equals(b.frame)
    assert a.held_frame.equals(b.held_frame)
