"""Provider star ratings (engine/rating.py), one rule at a time: each client's
score is the mean of the answers of its first counted rating event with the
provider, a provider's rating the mean of its clients' scores, rounded half up
to two decimals once; the means worked out by hand as fractions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

import kasvufee
from kasvufee.engine.rating import provider_ratings
from tests.conftest import scheme_yaml

FEE = "- {id: fee, on: enrolled, amount: 1.00}\n"
RATED = scheme_yaml(FEE).replace(
    "versions:", "rating: {on: survey_answered, answers: answers, scale: {min: 1, max: 5}}\n"
    "versions:", 1)


def _answer(eid: str, provider: str, client: str, day: str, answers: str | None,
            **kw: object) -> dict[str, object]:
    return {"event_id": eid, "type": "survey_answered", "provider_id": provider,
            "client_id": client, "occurred_on": day, "answers": answers, **kw}


def _ratings(text: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    scheme = kasvufee.parse_scheme(text)
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    return provider_ratings(scheme, events, dt.date(2018, 12, 31)).to_dicts()


def test_a_rating_is_the_mean_of_the_clients_first_means_rounded_half_up() -> None:
    rows = [
        # Q: A's first answers 1 (x7) and 2 are 9/8 = 1.125: half up 1.13 (half even
        # would say 1.12); A's later 5;5 is not its first and does not count
        _answer("q1", "Q", "A", "2018-01-02", "1;1;1;1;1;1;1;2"),
        _answer("q2", "Q", "A", "2018-01-03", "5;5"),
        # P: A 5;1 = 3 (both ends of the scale count); B 4;5;5 = 14/3; C's first
        # answers are off the scale (6): not counted, its next, 2, is C's score;
        # D answered nothing: no score.  (3 + 14/3 + 2) / 3 = 29/9 = 3.222.. = 3.22
        # (the mean of all six answers, 22/6 = 3.67, is not the rating)
        _answer("p1", "P", "A", "2018-01-02", "5;1"),
        _answer("p2", "P", "B", "2018-01-02", "4;5;5"),
        _answer("p3", "P", "C", "2018-01-02", "5;6"),
        _answer("p4", "P", "C", "2018-01-05", "2"),
        _answer("p5", "P", "D", "2018-01-02", None),
        # R: 4 (x19) and 5 are 81/20 = 4.05
        _answer("r1", "R", "E", "2018-01-02", ";".join(["4"] * 19 + ["5"])),
    ]
    assert _ratings(RATED, rows) == [
        {"provider_id": "P", "mean": "3.22", "answers": 3},
        {"provider_id": "Q", "mean": "1.13", "answers": 1},
        {"provider_id": "R", "mean": "4.05", "answers": 1}]


def test_a_mean_rounds_down_below_the_half() -> None:
    # A 2;2;3 = 7/3 = 2.333..: 2.33; with B 5;4 = 4.5 the mean is 41/12 = 3.4166..: 3.42
    rows = [_answer("e1", "P", "A", "2018-01-02", "2;2;3")]
    assert _ratings(RATED, rows) == [{"provider_id": "P", "mean": "2.33", "answers": 1}]
    rows.append(_answer("e2", "P", "B", "2018-01-02", "5;4"))
    assert _ratings(RATED, rows) == [{"provider_id": "P", "mean": "3.42", "answers": 2}]


def test_without_a_scale_every_answer_counts() -> None:
    # 5;6 = 5.5 and 0 = 0: (5.5 + 0) / 2 = 2.75
    rows = [_answer("e1", "P", "A", "2018-01-02", "5;6"),
            _answer("e2", "P", "B", "2018-01-02", "0")]
    assert _ratings(RATED.replace(", scale: {min: 1, max: 5}", ""), rows) == [
        {"provider_id": "P", "mean": "2.75", "answers": 2}]


def test_voided_and_not_yet_recorded_answers_do_not_count() -> None:
    # A's first answers (1) are voided: its next, 4, counts; B's 1 was recorded
    # after as_of; the void by another provider (Q) does not count (trust: own)
    rows = [_answer("e1", "P", "A", "2018-01-02", "1"),
            _answer("e2", "P", "A", "2018-01-03", "4"),
            {"event_id": "v1", "type": "event_voided", "provider_id": "P", "client_id": "A",
             "occurred_on": "2018-01-04", "voids": "e1"},
            _answer("e3", "P", "B", "2018-01-02", "1", recorded_at="2019-01-01T08:00:00"),
            _answer("e4", "P", "C", "2018-01-02", "2"),
            {"event_id": "v2", "type": "event_voided", "provider_id": "Q", "client_id": "C",
             "occurred_on": "2018-01-04", "voids": "e4"}]
    # A 4, C 2: 3.00
    assert _ratings(RATED, rows) == [{"provider_id": "P", "mean": "3.00", "answers": 2}]
    # with trust voids: any, Q's void of e4 counts too: A alone, 4.00
    trusting = RATED.replace("versions:", "trust: {voids: any}\nversions:", 1)
    assert _ratings(trusting, rows) == [{"provider_id": "P", "mean": "4.00", "answers": 1}]


def test_a_rating_is_read_from_its_own_event_type_and_column() -> None:
    rows = [_answer("e1", "P", "A", "2018-01-02", "4"),
            {"event_id": "e2", "type": "exit_survey", "provider_id": "P", "client_id": "A",
             "occurred_on": "2018-01-02", "marks": "2"}]
    text = RATED.replace("on: survey_answered, answers: answers", "on: exit_survey, answers: marks")
    text = text.replace("versions:", "attributes: {marks: integer_list}\nversions:", 1)
    assert _ratings(text, rows) == [{"provider_id": "P", "mean": "2.00", "answers": 1}]


def test_no_rating_without_a_rating_or_its_column() -> None:
    rows = [_answer("e1", "P", "A", "2018-01-02", "4")]
    schema = {"provider_id": "String", "mean": "String", "answers": "Int64"}
    for text, events in ((scheme_yaml(FEE), rows),
                         (RATED, [{k: v for k, v in rows[0].items() if k != "answers"}])):
        table = provider_ratings(kasvufee.parse_scheme(text),
                                 kasvufee.events_from_records(events), dt.date(2018, 12, 31))
        assert table.height == 0
        assert {c: str(t) for c, t in table.schema.items()} == schema


def test_an_empty_answer_list_is_no_answer(tmp_path: Path) -> None:
    # a Parquet events file can hold an empty list of answers (a CSV cell cannot: an
    # empty cell is no answers): A's first survey, empty, does not count (it has no
    # mean); A's next, 3, does; B 5: (3 + 5) / 2 = 4.00
    rows = [_answer("e1", "P", "A", "2018-01-02", "1"), _answer("e2", "P", "A", "2018-01-03", "3"),
            _answer("e3", "P", "B", "2018-01-02", "5")]
    table = kasvufee.events_from_records(rows).with_columns(
        pl.when(pl.col("event_id") == "e1").then(pl.lit([], dtype=pl.List(pl.Int64)))
        .otherwise(pl.col("answers")).alias("answers"))
    table.write_parquet(tmp_path / "events.parquet")
    events = kasvufee.read_events(tmp_path / "events.parquet")
    assert events["answers"].to_list() == [[], [3], [5]]
    scheme = kasvufee.parse_scheme(RATED)
    assert provider_ratings(scheme, events, dt.date(2018, 12, 31)).to_dicts() == [
        {"provider_id": "P", "mean": "4.00", "answers": 2}]
    # with only the empty answers there is no rating: an empty table of the three columns
    table = provider_ratings(scheme, events.filter(pl.col("event_id") == "e1"),
                             dt.date(2018, 12, 31))
    assert (table.height, table.schema) == (0, pl.Schema(
        {"provider_id": pl.String, "mean": pl.String, "answers": pl.Int64}))
