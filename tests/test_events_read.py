"""The events reader: CSV, JSON Lines and Parquet into the canonical events table."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kasvufee.errors import EventsError, UsageError
from kasvufee.events import (
    ATTRIBUTE_DTYPES,
    ATTRIBUTE_TYPES,
    CORE_COLUMNS,
    MAX_PROBLEMS,
    empty_events,
    events_from_records,
    read_events,
)
from tests.conftest import examples

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "scenarios"
GOLDEN = SHARED if SHARED.is_dir() else ROOT / "tests" / "golden"
SCENARIOS = sorted(GOLDEN.glob("*/events.csv")) or sorted((ROOT / "examples").glob("*/events.csv"))

CORE_DTYPES = {
    "event_id": pl.String,
    "type": pl.String,
    "provider_id": pl.String,
    "client_id": pl.String,
    "occurred_on": pl.Date,
    "recorded_at": pl.Datetime("us"),
    "line": pl.UInt32,
}
HEADER = "event_id,type,provider_id,client_id,occurred_on,recorded_at"

# A small file using every attribute type, and the same data as a Finnish export.
PLAIN = (
    "event_id,type,provider_id,client_id,occurred_on,recorded_at,fte_years,answers,"
    "cross_border,unemployed_months,note\n"
    'e1,enrolled,P1,C1,2018-01-31,,0.5,,true,12,"hello, world"\n'
    "e2,survey_answered,P1,C1,2018-02-01,2018-02-03T12:30:00,,4;4;3,,,\n"
    "e3,recruitment_made,P1,C1,2018-03-01,2018-03-02,1.25,,false,,\n"
    "e4,milestone_reached,P1,,2018-12-31,,,,,,\n"
)
FINNISH = (
    "\ufeffevent_id;type;provider_id;client_id;occurred_on;recorded_at;fte_years;answers;"
    "cross_border;unemployed_months;note\r\n"
    "e1;enrolled;P1;C1;31.1.2018;;0,5;;TOSI;12;hello, world\r\n"
    'e2;survey_answered;P1;C1;1.2.2018;3.2.2018 12.30;;"4;4;3";;;\r\n'
    "e3;recruitment_made;P1;C1;1.3.2018;2.3.2018;1,25;;epätosi;;\r\n"
    "e4;milestone_reached;P1;;31.12.2018;;;;;;\r\n"
)


# messages name plain file names like events.csv
pytestmark = pytest.mark.usefixtures("in_tmp")


def write(content: str | bytes, name: str = "events.csv") -> Path:
    path = Path(name)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def problems(path: Path | str, **options: object) -> list[str]:
    with pytest.raises(EventsError) as info:
        read_events(path, **options)  # type: ignore[arg-type]
    return [str(problem) for problem in info.value.problems]


def csv_problems(body: str, header: str = HEADER, **options: object) -> list[str]:
    return problems(write(f"{header}\n{body}"), **options)


def assert_core_dtypes(table: pl.DataFrame) -> None:
    assert table.columns[: len(CORE_COLUMNS)] == list(CORE_COLUMNS)
    for name, dtype in CORE_DTYPES.items():
        assert table.schema[name] == dtype, name


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.parent.name)
def test_golden_scenario_reads_with_the_right_dtypes(path: Path) -> None:
    table = read_events(path)
    assert_core_dtypes(table)
    with path.open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    attributes = [c for c in header if c not in CORE_COLUMNS]
    assert table.columns == [*CORE_COLUMNS, *attributes]
    for name in attributes:
        assert table.schema[name] == ATTRIBUTE_DTYPES[ATTRIBUTE_TYPES.get(name, "string")]
    assert table["line"].to_list() == list(range(2, table.height + 2))
    assert table["event_id"].is_unique().all()
    assert table.select(pl.col("event_id", "type", "provider_id", "occurred_on").null_count()).row(
        0
    ) == (0, 0, 0, 0)


def test_golden_values_are_typed_exactly() -> None:
    path = GOLDEN / "lappi-matkailu" / "events.csv"
    if not path.exists():
        pytest.skip("no lappi-matkailu scenario")
    table = read_events(path)
    row = table.filter(pl.col("event_id") == "e0002").row(0, named=True)
    assert row["answers"] == [4, 4, 3, 4]
    assert row["occurred_on"] == dt.date(2018, 9, 1)
    assert row["recorded_at"] == dt.datetime(2018, 9, 1)
    assert row["client_id"] == "T1"
    fte = table.filter(pl.col("event_id") == "e0004")["fte_years"].item()
    assert fte == Decimal("0.5")


def _typed_json_value(name: str, text: str) -> object:
    kind = ATTRIBUTE_TYPES.get(name, "string")
    if kind == "integer":
        return int(text)
    if kind == "decimal":
        return float(text)  # a JSON number; read back exactly via its literal
    if kind == "boolean":
        return text == "true"
    if kind == "integer_list":
        return [int(item) for item in text.split(";")]
    return text


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.parent.name)
def test_jsonl_and_parquet_give_the_same_table(path: Path) -> None:
    expected = read_events(path)
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    lines = [
        json.dumps({k: _typed_json_value(k, v) for k, v in row.items() if v != ""}) for row in rows
    ]
    jsonl = read_events(write("\n".join(lines) + "\n", "events.jsonl"))
    # attributes come in first-seen order: empty cells were left out of the objects
    assert sorted(jsonl.columns) == sorted(expected.columns)
    assert jsonl.select(expected.columns).drop("line").equals(expected.drop("line"))
    assert jsonl["line"].to_list() == list(range(1, len(rows) + 1))

    expected.drop("line").write_parquet("typed.parquet")
    typed = read_events("typed.parquet")
    assert typed.drop("line").equals(expected.drop("line"))
    assert typed["line"].to_list() == list(range(1, len(rows) + 1))

    pl.read_csv(path, infer_schema=False).write_parquet("text.parquet")
    assert read_events("text.parquet").equals(typed)


# --------------------------------------------------------------------------- formats and options


def test_finnish_export_gives_the_same_table_as_the_plain_file() -> None:
    plain = read_events(write(PLAIN))
    finnish = read_events(write(FINNISH, "finnish.csv"), finnish=True)
    assert finnish.equals(plain)
    assert plain["note"][0] == "hello, world"
    assert plain["answers"][1].to_list() == [4, 4, 3]
    assert plain["recorded_at"].to_list()[:3] == [
        dt.datetime(2018, 1, 31),
        dt.datetime(2018, 2, 3, 12, 30),
        dt.datetime(2018, 3, 2),
    ]


def test_finnish_export_in_cp1252() -> None:
    path = write(FINNISH.removeprefix("\ufeff").encode("cp1252"), "finnish.csv")
    table = read_events(path, finnish=True, encoding="cp1252")
    assert table.equals(read_events(write(PLAIN)))


def test_finnish_decimal_comma_is_an_error_without_the_option() -> None:
    body = 'e1,recruitment_made,P1,C1,2018-03-01,,"0,5"'
    assert csv_problems(body, HEADER + ",fte_years") == [
        "events.csv:2: fte_years: expected a decimal number like 0.5 (a Finnish spreadsheet "
        "export is read with --finnish), got '0,5'"
    ]


def test_finnish_problems_say_what_the_option_accepts() -> None:
    path = write("event_id;type;provider_id;occurred_on;fte\ne1;t;P1;31.2.2018;0.5.1\n")
    assert problems(path, finnish=True, attribute_types={"fte": "decimal"}) == [
        "events.csv:2: occurred_on: expected a date YYYY-MM-DD or d.m.yyyy, got '31.2.2018'",
        "events.csv:2: fte: expected a decimal number like 0,5, got '0.5.1'",
    ]


def test_bom_and_windows_line_endings_in_the_plain_format() -> None:
    path = write(("\ufeff" + PLAIN).replace("\n", "\r\n"))
    assert read_events(path).equals(read_events(write(PLAIN, "plain.csv")))


def test_wrong_separator_gets_a_hint() -> None:
    assert problems(write(FINNISH)) == [
        "events.csv:1: header: expected columns separated by ',' (a file separated by ';' is "
        "read with --finnish), got 'event_id;type;provider_id;client_id;occurred_on;"
        "recorded_...'"
    ]


def test_decimals_are_exact() -> None:
    body = "".join(
        f"e{i},recruitment_made,P1,C1,2018-03-01,,{fte}\n"
        for i, fte in enumerate(["0.1", "0.2", "0.2"])
    )
    table = read_events(write(f"{HEADER},fte_years\n{body}"))
    assert table["fte_years"].dtype == pl.Decimal(38, 10)
    assert table["fte_years"].sum() == Decimal("0.5")
    assert sum(table["fte_years"].to_list(), Decimal(0)) == Decimal("0.5")


def test_decimal_limits() -> None:
    body = (
        "e1,t,P1,,2018-01-01,,0.1234567890\n"  # 10 decimals: fine
        "e2,t,P1,,2018-01-01,,0.50000000000000\n"  # more, but only zeros: fine
        "e3,t,P1,,2018-01-01,,999999999999999.5\n"  # 15 digits: fine
        "e4,t,P1,,2018-01-01,,-.5\n"
    )
    table = read_events(write(f"{HEADER},value\n{body}"))
    assert table["value"].to_list() == [
        Decimal("0.1234567890"),
        Decimal("0.5"),
        Decimal("999999999999999.5"),
        Decimal("-0.5"),
    ]
    bad = (
        "e1,t,P1,,2018-01-01,,0.12345678901\n"
        "e2,t,P1,,2018-01-01,,99999999999999999999999999999\n"
        "e3,t,P1,,2018-01-01,,1e3\n"
        "e4,t,P1,,2018-01-01,,1 000\n"
        "e5,t,P1,,2018-01-01,,-1000000000000000\n"  # 16 digits: beyond the range
    )
    assert csv_problems(bad, f"{HEADER},value") == [
        "events.csv:2: value: expected a decimal number with at most 10 decimals, "
        "got '0.12345678901'",
        "events.csv:3: value: expected a number with at most 15 digits before the point, "
        "got '99999999999999999999999999999'",
        "events.csv:4: value: expected a decimal number like 0.5, written without an exponent, "
        "got '1e3'",
        "events.csv:5: value: expected a decimal number like 0.5, got '1 000'",
        "events.csv:6: value: expected a number with at most 15 digits before the point, "
        "got '-1000000000000000'",
    ]


@settings(max_examples=examples(40), deadline=None)
@given(
    st.decimals(  # the number range: at most 15 digits before the point, 10 after
        min_value=Decimal("-999999999999999.9999999999"),
        max_value=Decimal("999999999999999.9999999999"), places=10, allow_nan=False
    ).map(lambda d: format(d, "f"))
)
def test_any_decimal_text_reads_exactly(text: str) -> None:
    table = events_from_records(
        [
            {
                "event_id": "e1",
                "type": "t",
                "provider_id": "P",
                "occurred_on": "2018-01-01",
                "value": text,
            }
        ]
    )
    assert table["value"].item() == Decimal(text)


def test_recorded_at_forms() -> None:
    body = (
        "e1,t,P1,,2018-03-01,\n"
        "e2,t,P1,,2018-03-01,2018-03-02\n"
        "e3,t,P1,,2018-03-01,2018-03-01T12:30:00\n"
        "e4,t,P1,,2018-03-01,2018-03-01 12:30\n"
        "e5,t,P1,,2018-03-01,2018-03-01T12:30:15.25\n"
    )
    table = read_events(write(f"{HEADER}\n{body}"))
    assert table["recorded_at"].to_list() == [
        dt.datetime(2018, 3, 1),
        dt.datetime(2018, 3, 2),
        dt.datetime(2018, 3, 1, 12, 30),
        dt.datetime(2018, 3, 1, 12, 30),
        dt.datetime(2018, 3, 1, 12, 30, 15, 250000),
    ]
    bad = "e1,t,P1,,2018-03-01,2018-03-01T24:00\ne2,t,P1,,2018-03-01,2018-03-01T12:30Z\n"
    assert csv_problems(bad) == [
        "events.csv:2: recorded_at: expected a date or date-time like 2018-03-01 or "
        "2018-03-01T12:30:00, got '2018-03-01T24:00'",
        "events.csv:3: recorded_at: expected a date or date-time like 2018-03-01 or "
        "2018-03-01T12:30:00, without a time zone, got '2018-03-01T12:30Z'",
    ]


def test_spaces_blank_lines_and_multiline_cells() -> None:
    text = (
        f"{HEADER},note,answers\n"
        " e1 , enrolled ,P1, C1 , 2018-01-02 ,, a note ,4; 4 ;3\n"
        "\n"
        ",,,,,,,\n"
        "   \n"
        'e2,t,P1,,2018-01-03,,"two\nlines, with a comma",\n'
        "e3,t,P1,,2018-01-04,,,\n"
    )
    table = read_events(write(text))
    assert table["event_id"].to_list() == ["e1", "e2", "e3"]
    assert table["line"].to_list() == [2, 6, 8]
    assert table.row(0, named=True) | {"recorded_at": None} == {
        "event_id": "e1",
        "type": "enrolled",
        "provider_id": "P1",
        "client_id": "C1",
        "occurred_on": dt.date(2018, 1, 2),
        "recorded_at": None,
        "line": 2,
        "note": "a note",
        "answers": [4, 4, 3],
    }
    assert table["note"][1] == "two\nlines, with a comma"
    text_after = text + "e4,t,P1,,2018-02-30,,,\n"
    assert problems(write(text_after)) == [
        "events.csv:9: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'"
    ]


def test_header_only_gives_an_empty_typed_table() -> None:
    table = read_events(write(f"{HEADER},fte,note\n"))
    assert table.height == 0
    assert_core_dtypes(table)
    assert table.schema["fte"] == pl.Decimal(38, 10)
    assert table.schema["note"] == pl.String


def test_attribute_types_from_the_caller() -> None:
    text = f"{HEADER},birthday,fte\ne1,t,P1,,2018-01-01,,2000-02-29,3\n"
    table = read_events(write(text), attribute_types={"birthday": "date", "fte": "integer"})
    assert table.schema["birthday"] == pl.Date
    assert table.schema["fte"] == pl.Int64
    assert table.row(0, named=True)["birthday"] == dt.date(2000, 2, 29)


def test_a_line_column_is_ignored() -> None:
    table = read_events(write(f"{HEADER},line\ne1,t,P1,,2018-01-01,,99\n"))
    assert table.columns == list(CORE_COLUMNS)
    assert table["line"].to_list() == [2]


def _recorder(calls: list[tuple[int, int]]) -> Callable[[int, int], None]:
    def record(done: int, total: int) -> None:
        calls.append((done, total))

    return record


def test_progress_is_reported_and_ends_at_the_total() -> None:
    jsonl = '{"event_id":"e1","type":"t","provider_id":"P","occurred_on":"2018-01-01"}\n'
    for name, content in [("events.csv", PLAIN), ("events.jsonl", jsonl)]:
        calls: list[tuple[int, int]] = []
        path = write(content, name)
        table = read_events(path, progress=_recorder(calls))
        assert table.equals(read_events(path))
        size = path.stat().st_size
        assert calls[0] == (0, size)
        assert calls[-1] == (size, size)
        assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    read_events(write(PLAIN)).drop("line").write_parquet("events.parquet")
    calls = []
    read_events("events.parquet", progress=_recorder(calls))
    assert calls == [(0, 4), (4, 4)]


def test_progress_batches_on_a_larger_file() -> None:
    body = "".join(f"e{i},t,P1,,2018-01-01,\n" for i in range(120_000))
    path = write(f"{HEADER}\n{body}")
    calls: list[tuple[int, int]] = []
    table = read_events(path, progress=_recorder(calls))
    assert table.height == 120_000
    assert table["line"][-1] == 120_001
    assert 3 <= len(calls) <= 30
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)


# --------------------------------------------------------------------------- bad input


def test_missing_columns() -> None:
    assert problems(write("event_id,type,client_id\ne1,t,C1\n")) == [
        "events.csv:1: header: expected a column 'provider_id', got columns event_id, type, "
        "client_id",
        "events.csv:1: header: expected a column 'occurred_on', got columns event_id, type, "
        "client_id",
    ]


def test_header_problems() -> None:
    assert problems(write(f"{HEADER},x,x,\ne1,t,P1,,2018-01-01,,1,2,3\n")) == [
        "events.csv:1: header: expected unique column names, got 'x' in columns 7 and 8",
        "events.csv:1: header: expected a name for column 9, got an empty cell",
    ]
    # an unnamed column with nothing in it (trailing separators) is fine
    assert read_events(write(f"{HEADER},\ne1,t,P1,,2018-01-01,,\n")).height == 1


def test_empty_required_cells() -> None:
    assert csv_problems(",t,P1,,2018-01-01,\ne2,t,,,,\n") == [
        "events.csv:2: event_id: expected a value, got an empty cell",
        "events.csv:3: provider_id: expected a value, got an empty cell",
        "events.csv:3: occurred_on: expected a value, got an empty cell",
    ]


def test_impossible_dates_and_leap_days() -> None:
    assert csv_problems("e1,t,P1,,2018-02-30,\n") == [
        "events.csv:2: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'"
    ]
    table = read_events(write(f"{HEADER}\ne1,t,P1,,2020-02-29,\n"))
    assert table["occurred_on"].to_list() == [dt.date(2020, 2, 29)]
    assert csv_problems("e1,t,P1,,2019-02-29,\ne2,t,P1,,2018-1-5,\n") == [
        "events.csv:2: occurred_on: expected a date YYYY-MM-DD, got '2019-02-29'",
        "events.csv:3: occurred_on: expected a date YYYY-MM-DD, got '2018-1-5'",
    ]


def test_bad_typed_values() -> None:
    header = f"{HEADER},fte_years,cross_border,answers,unemployed_months"
    body = (
        'e1,t,P1,,2018-01-01,,"0,5",,,\n'
        "e2,t,P1,,2018-01-01,,,yes,,\n"
        "e3,t,P1,,2018-01-01,,,,4;x,\n"
        "e4,t,P1,,2018-01-01,,,,4;;3,1.5\n"
        "e5,t,P1,,2018-01-01,,,1,,99999999999999999999\n"
    )
    assert csv_problems(body, header) == [
        "events.csv:2: fte_years: expected a decimal number like 0.5 (a Finnish spreadsheet "
        "export is read with --finnish), got '0,5'",
        "events.csv:3: cross_border: expected true or false, got 'yes'",
        "events.csv:4: answers: expected integers separated by ';' like 4;4;3, got '4;x'",
        "events.csv:5: answers: expected integers separated by ';' like 4;4;3, got '4;;3'",
        "events.csv:5: unemployed_months: expected a whole number like 12, got '1.5'",
        "events.csv:6: cross_border: expected true or false, got '1'",
        "events.csv:6: unemployed_months: expected a number with at most 15 digits before the "
        "point, got '99999999999999999999'",
    ]
    ok = read_events(
        write(f"{header}\ne1,t,P1,,2018-01-01,,,TRUE,,\ne2,t,P1,,2018-01-01,,,False,,\n")
    )
    assert ok["cross_border"].to_list() == [True, False]


def test_duplicate_event_ids() -> None:
    body = "".join(f"e000{i},t,P1,,2018-01-01,\n" for i in (1, 2, 1, 3, 3, 1))
    assert csv_problems(body) == [
        "events.csv:4: event_id: expected a unique id, got 'e0001' (also on line 2)",
        "events.csv:6: event_id: expected a unique id, got 'e0003' (also on line 5)",
        "events.csv:7: event_id: expected a unique id, got 'e0001' (also on line 2)",
    ]


def test_every_bad_row_is_reported_at_once() -> None:
    body = (
        "e1,t,P1,,2018-01-01,\n"
        "e2,t,P1,,2018-13-01,\n"
        "e3,,P1,,2018-01-01,\n"
        "e4,t,P1,,2018-01-01,yesterday\n"
        "e1,t,P1,,2018-01-01,\n"
    )
    assert csv_problems(body) == [
        "events.csv:3: occurred_on: expected a date YYYY-MM-DD, got '2018-13-01'",
        "events.csv:4: type: expected a value, got an empty cell",
        "events.csv:5: recorded_at: expected a date or date-time like 2018-03-01 or "
        "2018-03-01T12:30:00, got 'yesterday'",
        "events.csv:6: event_id: expected a unique id, got 'e1' (also on line 2)",
    ]


def test_problems_are_capped() -> None:
    body = "".join(f"e{i},t,P1,,2018-02-30,\n" for i in range(MAX_PROBLEMS + 500))
    found = csv_problems(body)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[0] == "events.csv:2: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'"
    assert found[-1] == (
        "events.csv: expected at most 1000 problems (only the first 1000 are listed), got 500 more"
    )


def test_ragged_rows_and_broken_quotes() -> None:
    assert csv_problems("e1,t,P1,,2018-01-01\ne2,t,P1,,2018-01-01,,extra\n") == [
        "events.csv:2: expected 6 fields like the header, got 5",
        "events.csv:3: expected 6 fields like the header, got 7",
    ]
    assert csv_problems('e1,t,P1,,2018-01-01,"2018-01-01\ne2,t,P1,,2018-01-01,\n') == [
        'events.csv:2: expected a closing quote " for the cell opened on this line, got none'
    ]


def test_unknown_extension() -> None:
    assert problems(write("x", "events.xlsx")) == [
        "events.xlsx: expected a file name ending in one of .csv, .txt, .jsonl, .ndjson, .json, "
        ".parquet, .pq (or the format given explicitly), got '.xlsx'"
    ]
    table = read_events(write(PLAIN, "events.dat"), format="csv")
    assert table.height == 4


def test_missing_file_and_directory() -> None:
    assert problems("nowhere.csv") == [
        "nowhere.csv: expected an events file, got nothing at this path"
    ]
    Path("folder.csv").mkdir()
    assert problems("folder.csv") == ["folder.csv: expected an events file, got a directory"]


def test_empty_file() -> None:
    assert problems(write("")) == [
        "events.csv:1: header: expected a header row naming the columns, got an empty file"
    ]


def test_corrupt_parquet() -> None:
    path = write(b"PAR1 this is not parquet PAR1", "events.parquet")
    assert problems(path) == [
        "events.parquet: expected a readable Parquet file, got a damaged or non-Parquet file"
    ]


def test_undecodable_bytes() -> None:
    path = write(
        f"{HEADER},note\ne1,t,P1,,2018-01-01,,ok\ne2,t,P1,,2018-01-01,,".encode() + b"\xe4\n"
    )
    assert problems(path) == [
        "events.csv:3: expected text in utf-8 (a Finnish Excel export is usually cp1252: "
        "--encoding cp1252), got the byte 0xe4"
    ]
    assert read_events(path, encoding="latin-1")["note"].to_list() == ["ok", "ä"]
    assert problems(write(b"\x81" + f"{HEADER}\n".encode()), encoding="cp1252") == [
        "events.csv:1: expected text in cp1252, got the byte 0x81"
    ]


def test_usage_errors() -> None:
    path = write(PLAIN)
    with pytest.raises(UsageError):
        read_events(path, encoding="no-such-codec")
    with pytest.raises(UsageError):
        read_events(path, format="xlsx")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        read_events(path, attribute_types={"occurred_on": "string"})
    with pytest.raises(UsageError):
        read_events(path, attribute_types={"fte": "float"})  # type: ignore[dict-item]


# --------------------------------------------------------------------------- JSON Lines, Parquet


def test_jsonl_problems_name_their_lines() -> None:
    good = '{"event_id":"e1","type":"t","provider_id":"P","occurred_on":"2018-01-01"}'
    text = "\n".join(
        [
            good,
            "",
            '{"event_id":"e2","type":"t","provider_id":"P","occurred_on":"2018-01-01",'
            '"region":[1],"answers":[4,"x"],"fte":"1e3"}',
            "{bad",
            "[1]",
            '{"event_id":"e3","event_id":"e4"}',
            '{"event_id":"e5","type":"t","occurred_on":"2018-02-30"}',
        ]
    )
    assert problems(write(text, "events.jsonl")) == [
        "events.jsonl:3: region: expected a single value, got a list [1]",
        "events.jsonl:3: answers: expected integers separated by ';' like 4;4;3, got '4;x'",
        "events.jsonl:3: fte: expected a decimal number like 0.5, written without an exponent, "
        "got '1e3'",
        "events.jsonl:4: expected a JSON object on one line, got invalid JSON "
        "(Expecting property name enclosed in double quotes at column 2)",
        "events.jsonl:5: expected a JSON object on one line, got a list [1]",
        "events.jsonl:6: event_id: expected each key once per record, got it twice",
        "events.jsonl:7: provider_id: expected a value, got no value",
        "events.jsonl:7: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'",
    ]


def test_jsonl_numbers_are_exact_and_blank_lines_count() -> None:
    rows = [
        '{"event_id":"e1","type":"t","provider_id":"P","occurred_on":"2018-01-01","fte":0.1}',
        "",
        '{"event_id":"e2","type":"t","provider_id":"P","occurred_on":"2018-01-01","fte":0.2}',
        '{"event_id":"e3","type":"t","provider_id":"P","occurred_on":"2018-01-01","fte":2E-1,'
        '"answers":[]}',
    ]
    table = read_events(write("\ufeff" + "\r\n".join(rows), "events.jsonl"))
    assert table["line"].to_list() == [1, 3, 4]
    assert table["fte"].sum() == Decimal("0.5")
    assert table["answers"].to_list() == [None, None, None]


def test_jsonl_missing_key() -> None:
    text = '{"event_id":"e1","type":"t","provider_id":"P"}\n'
    assert problems(write(text, "events.jsonl")) == [
        "events.jsonl: occurred_on: expected a key 'occurred_on' in every record, got it in none"
    ]
    assert read_events(write("\n\n", "empty.jsonl")).equals(empty_events())


def test_parquet_columns_of_other_types() -> None:
    pl.DataFrame(
        {
            "event_id": [1, 2],
            "type": ["a", "b"],
            "provider_id": ["P", "P"],
            "occurred_on": [dt.datetime(2018, 1, 1), dt.datetime(2018, 1, 2)],
            "fte": [0.5, 0.25],
            "period_no": pl.Series([1, 2], dtype=pl.Int32),
            "answers": pl.Series([[1, 2], None], dtype=pl.List(pl.Int16)),
        }
    ).write_parquet("events.parquet")
    table = read_events("events.parquet")
    assert table["event_id"].to_list() == ["1", "2"]
    assert table["occurred_on"].to_list() == [dt.date(2018, 1, 1), dt.date(2018, 1, 2)]
    assert table["fte"].to_list() == [Decimal("0.5"), Decimal("0.25")]
    assert table.schema["period_no"] == pl.Int64
    assert table["answers"].to_list() == [[1, 2], None]

    pl.DataFrame(
        {
            "event_id": ["e1", "e2"],
            "type": ["a", "b"],
            "provider_id": ["P", "P"],
            "occurred_on": [dt.datetime(2018, 1, 1), dt.datetime(2018, 1, 2, 5)],
            "period_no": [1.0, 2.5],
            "region": [{"a": 1}, None],
        }
    ).write_parquet("bad.parquet")
    assert problems("bad.parquet") == [
        "bad.parquet: region: expected a column of single values, got a column of "
        "Struct({'a': Int64})"
    ]


# --------------------------------------------------------------------------- records


def test_events_from_records() -> None:
    table = events_from_records(
        [
            {
                "event_id": "e1",
                "type": "enrolled",
                "provider_id": "P1",
                "client_id": "C1",
                "occurred_on": dt.date(2018, 1, 31),
                "recorded_at": dt.datetime(2018, 2, 1, 12, 30),
                "fte_years": Decimal("0.1"),
                "answers": [4, 4, 3],
                "cross_border": True,
                "unemployed_months": 7,
            },
            {
                "event_id": "e2",
                "type": "t",
                "provider_id": "P1",
                "occurred_on": "2018-02-01",
                "fte_years": "0.4",
            },
        ]
    )
    assert_core_dtypes(table)
    assert table["line"].to_list() == [1, 2]
    assert table["fte_years"].sum() == Decimal("0.5")
    assert table["recorded_at"].to_list() == [
        dt.datetime(2018, 2, 1, 12, 30),
        dt.datetime(2018, 2, 1),
    ]
    assert events_from_records(table.to_dicts()).equals(table)


def test_events_from_records_problems() -> None:
    rows: list[object] = [
        {
            "event_id": "e1",
            "type": "t",
            "provider_id": "P",
            "occurred_on": dt.datetime(2018, 1, 1, 8),
            "recorded_at": dt.datetime(2018, 1, 1, tzinfo=dt.UTC),
            "answers": [1, "x"],
            "region": {"a": 1},
        },
        5,
    ]
    with pytest.raises(EventsError) as info:
        events_from_records(rows, source="mine")  # type: ignore[arg-type]
    assert [str(p) for p in info.value.problems] == [
        "mine:1: occurred_on: expected a date YYYY-MM-DD, got '2018-01-01T08:00:00'",
        "mine:1: recorded_at: expected a date or date-time like 2018-03-01 or "
        "2018-03-01T12:30:00, without a time zone, got '2018-01-01T00:00:00+00:00'",
        "mine:1: answers: expected integers separated by ';' like 4;4;3, got '1;x'",
        'mine:1: region: expected text, a number, a date or a list, got an object {"a": 1}',
        "mine:2: expected a mapping of column names to values, got a value of type int",
    ]


def test_empty_events() -> None:
    table = empty_events({"fte": "decimal", "answers": "integer_list"})
    assert table.height == 0
    assert_core_dtypes(table)
    assert table.columns == [*CORE_COLUMNS, "fte", "answers"]
    assert table.schema["answers"] == pl.List(pl.Int64)
    assert events_from_records([]).equals(empty_events())
