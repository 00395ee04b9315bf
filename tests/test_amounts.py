"""The amount forms (engine/amounts.py), one rule at a time: a table by
attribute, a sum per answer, bands of a mean, a formula; what each pays, the
words of its explanation, the reason and amount of each held row; the euros
worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

import kasvufee
from tests.conftest import scheme_yaml


def _ledger(component: str, rows: list[dict[str, object]], attributes: str = "",
            events: pl.DataFrame | None = None) -> kasvufee.Ledger:
    text = scheme_yaml(component)
    if attributes:
        text = text.replace("versions:", f"attributes: {attributes}\nversions:", 1)
    scheme = kasvufee.parse_scheme(text)
    if events is None:
        events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    return kasvufee.evaluate(scheme, events, dt.date(2018, 12, 31))


def _outcome(ledger: kasvufee.Ledger) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(client, amount, the explanation after the event) of each entry, and
    (client, reason, amount) of each held row."""
    return ([(e.client_id, f"{e.amount:.2f}", e.explanation.split("; ", 1)[1])
             for e in ledger.entries],
            ledger.held_frame.select("client_id", "reason", "amount").rows())


def _done(eid: str, client: str, **attrs: object) -> dict[str, object]:
    return {"event_id": eid, "type": "task_done", "provider_id": "P", "client_id": client,
            "occurred_on": "2018-02-01", **attrs}


def _enrolled(eid: str, client: str, **attrs: object) -> dict[str, object]:
    return {"event_id": eid, "type": "enrolled", "provider_id": "P", "client_id": client,
            "occurred_on": "2018-01-01", **attrs}


# --------------------------------------------------------------------------- table


def test_a_table_pays_the_row_of_the_clients_class() -> None:
    rows = [_enrolled("n1", "A", risk_class="high"), _enrolled("n2", "B", risk_class="mid"),
            _enrolled("n3", "C"), _done("e1", "A"), _done("e2", "B"), _done("e3", "C")]
    ledger = _ledger("- {id: t, on: task_done, amount: {by: client.risk_class, "
                     "table: {high: 300.00, low: 100.00}}}\n", rows)
    assert _outcome(ledger) == (
        [("A", "300.00", "client.risk_class high → 300.00 €. Scheme t version 1.")],
        [("B", "client.risk_class 'mid' is not in the table (high, low)", None),
         ("C", "missing client.risk_class (needs one of high, low)", None)])


# --------------------------------------------------------------------------- per answer


PER_ANSWER = ("- {id: p, on: task_done, amount: {per_answer: {4: 50.00, 5: 100.00}, "
              "scale: {min: 1, max: 5}}}\n")


def test_per_answer_sums_the_answers_rates() -> None:
    # A: 5, 4, 3, 5 pay 100 + 50 + 0 + 100 = 250.00; D's one answer 4 pays 50.00;
    # E's 1;2 pay nothing (0.00); B answered nothing; C's 6 is off the scale
    rows = [_done("e1", "A", answers="5;4;3;5"), _done("e2", "B", answers=None),
            _done("e3", "C", answers="6"), _done("e4", "D", answers="4"),
            _done("e5", "E", answers="1;2")]
    assert _outcome(_ledger(PER_ANSWER, rows)) == (
        [("A", "250.00", "answers 5;4;3;5 at 5 → 100.00 €, 4 → 50.00 € each (others 0) = "
          "250.00 €. Scheme t version 1."),
         ("D", "50.00", "answers 4 at 5 → 100.00 €, 4 → 50.00 € each (others 0) = 50.00 €. "
          "Scheme t version 1."),
         ("E", "0.00", "answers 1;2 at 5 → 100.00 €, 4 → 50.00 € each (others 0) = 0.00 €. "
          "Scheme t version 1.")],
        [("B", "no answers on the event", None),
         ("C", "answers 6 outside the scale 1 to 5", "0.00")])


def test_an_empty_answer_list_is_no_answers(tmp_path: Path) -> None:
    # a Parquet events file can hold an empty list (a CSV cell cannot)
    table = kasvufee.events_from_records([_done("e1", "A", answers="4")]).with_columns(
        pl.lit([], dtype=pl.List(pl.Int64)).alias("answers"))
    table.write_parquet(tmp_path / "events.parquet")
    events = kasvufee.read_events(tmp_path / "events.parquet")
    assert _outcome(_ledger(PER_ANSWER, [], events=events)) == (
        [], [("A", "no answers on the event", "0.00")])


# --------------------------------------------------------------------------- bands


def test_bands_of_a_mean_name_the_answers_and_the_bands() -> None:
    # A: 5;4 = 4.5 >= 4.5 pays 500.00; B: 4;3 = 3.5 >= 3.5 pays 50 % of 1 000.00;
    # C: 1;2 = 1.5 is below every band: 0.00
    component = """\
- id: b
  on: task_done
  amount:
    bands: [{at_least: 3.5, pays: 50%}, {at_least: 4.5, pays: 500.00}]
    base: 1000.00
"""
    rows = [_done("e1", "A", answers="5;4"), _done("e2", "B", answers="4;3"),
            _done("e3", "C", answers="1;2")]
    tail = "(bands ≥ 4.5 → 500.00 €, ≥ 3.5 → 50%, else 0.00 €)"
    assert _outcome(_ledger(component, rows)) == (
        [("A", "500.00", f"mean of answers 5;4 = 4.5 {tail} → 500.00 €. Scheme t version 1."),
         ("B", "500.00", f"mean of answers 4;3 = 3.5 {tail} → 500.00 €. Scheme t version 1."),
         ("C", "0.00", f"mean of answers 1;2 = 1.5 {tail} → 0.00 €. Scheme t version 1.")],
        [])


def test_bands_of_an_attribute_the_events_do_not_have() -> None:
    # no event carries score: every row is held, none fails
    component = "- {id: b, on: task_done, amount: {mean_of: score, bands: [{at_least: 3, " \
                "pays: 100.00}]}}\n"
    assert _outcome(_ledger(component, [_done("e1", "A")])) == (
        [], [("A", "no score on the event", "0.00")])


MEAN_BANDS = """\
- id: b
  on: task_done
  amount:
    mean_of: MEAN
    bands: [{at_least: 4, pays: 300.00}]
    otherwise: 10.00
"""


def test_bands_of_an_empty_answer_list_pay_no_band(tmp_path: Path) -> None:
    # an empty list (Parquet holds one) has no mean: its sum 0 is not >= 4 x 0, it
    # is held like no answers (and it stopped the run with a division by zero);
    # B's one answer 3 < 4 pays the otherwise 10.00, D's 4;5 = 4.5 >= 4 pays 300.00
    table = kasvufee.events_from_records(
        [_done(f"e{i}", client, answers="4") for i, client in enumerate("ABCD", 1)]
    ).with_columns(pl.Series("answers", [[], [3], None, [4, 5]], dtype=pl.List(pl.Int64)))
    table.write_parquet(tmp_path / "events.parquet")
    events = kasvufee.read_events(tmp_path / "events.parquet")
    tail = "(bands ≥ 4 → 300.00 €, else 10.00 €)"
    assert _outcome(_ledger(MEAN_BANDS.replace("MEAN", "answers"), [], events=events)) == (
        [("B", "10.00", f"mean of answers 3 = 3 {tail} → 10.00 €. Scheme t version 1."),
         ("D", "300.00", f"mean of answers 4;5 = 4.5 {tail} → 300.00 €. Scheme t version 1.")],
        [("A", "no answers on the event", "10.00"), ("C", "no answers on the event", "10.00")])


def test_bands_of_a_score_that_is_not_a_number_are_held() -> None:
    # a table built without the scheme's types can carry text: 'abc' must not
    # pay the otherwise 10.00 (it did, with no word of the score); B's 4.5 pays
    table = kasvufee.events_from_records(
        [_done(f"e{i}", client) for i, client in enumerate("ABC", 1)]
    ).with_columns(pl.Series("score", ["abc", "4.5", None]))
    assert _outcome(_ledger(MEAN_BANDS.replace("MEAN", "score"), [], events=table)) == (
        [("B", "300.00", "score = 4.5 (bands ≥ 4 → 300.00 €, else 10.00 €) → 300.00 €. "
          "Scheme t version 1.")],
        [("A", "score abc is not a number", "10.00"), ("C", "no score on the event", "10.00")])


# --------------------------------------------------------------------------- formula


FORMULA = "- {id: f, on: task_done, amount: {formula: 'hours * rate'ROUNDING}}\n"
HOURS_RATE = "{hours: decimal, rate: decimal}"


def test_a_formula_names_its_inputs_and_its_rounding() -> None:
    # 2.5 * 10.015 = 25.0375: half up 25.04, down 25.03; B has no rate
    rows = [_done("e1", "A", hours="2.5", rate="10.015"), _done("e2", "B", hours="3")]
    held = [("B", "formula hours * rate has a missing input", None)]
    assert _outcome(_ledger(FORMULA.replace("ROUNDING", ""), rows, HOURS_RATE)) == (
        [("A", "25.04", "hours * rate with hours=2.5, rate=10.015, rounded half up → 25.04 €. "
          "Scheme t version 1.")], held)
    assert _outcome(_ledger(FORMULA.replace("ROUNDING", ", rounding: down"), rows,
                            HOURS_RATE)) == (
        [("A", "25.03", "hours * rate with hours=2.5, rate=10.015, rounded down → 25.03 €. "
          "Scheme t version 1.")], held)


def test_a_formula_up_to_the_largest_amount_pays_it_and_beyond_is_held() -> None:
    # 1 000 000 000.00 is the largest amount an entry may have: paid; a cent more is held,
    # and so is -1 000 000 000.01 (negative: also never paid)
    rows = [_done("e1", "A", hours="1000000000", rate="1"),
            _done("e2", "B", hours="1000000000.01", rate="1"),
            _done("e3", "C", hours="-1000000000.01", rate="1")]
    assert _outcome(_ledger(FORMULA.replace("ROUNDING", ""), rows, HOURS_RATE)) == (
        [("A", "1000000000.00", "hours * rate with hours=1000000000, rate=1, rounded half up "
          "→ 1000000000.00 €. Scheme t version 1.")],
        [("B", "formula hours * rate came out 1000000000.01 €, above the largest amount an "
          "entry may have (1000000000.00 €)", "0.00"),
         ("C", "formula hours * rate came out -1000000000.01 €, negative", "0.00")])


def test_a_formula_too_large_to_compute_is_held_row_by_row() -> None:
    # 10^10 * 10^10 has 21 digits, more than the 18 a formula holds: polars fails on the
    # column, so the rows are worked out one by one: B's 2 * 2 = 4.00 still pays
    rows = [_done("e1", "A", hours="10000000000"), _done("e2", "B", hours="2")]
    component = "- {id: f, on: task_done, amount: {formula: 'hours * hours'}}\n"
    assert _outcome(_ledger(component, rows, "{hours: decimal}")) == (
        [("B", "4.00", "hours * hours with hours=2, rounded half up → 4.00 €. "
          "Scheme t version 1.")],
        [("A", "formula hours * hours: expected a result with at most 18 digits before the "
          "decimal point, got 100000000000000000000.00000000000000000000 from 'hours * hours'",
          None)])


def test_a_formula_of_an_attribute_no_event_has() -> None:
    component = "- {id: f, on: task_done, amount: {formula: 'bonus + 1'}}\n"
    assert _outcome(_ledger(component, [_done("e1", "A")], "{bonus: decimal}")) == (
        [], [("A", "formula bonus + 1 has a missing input", None)])


def test_bands_of_a_score_on_a_scale() -> None:
    # a score is its own mean: A 5 (the top of the scale) >= 4 pays 300.00, B 1 (the
    # bottom) pays the otherwise 10.00, C 5.5 and D 0.5 are off the scale (held),
    # E 3.995 is below 4 and shown to two decimals, 4 (rounded only in the words).
    # The off-scale reason shows the score with the ten decimals of the engine's
    # numbers (5.5000000000): words to tidy (number_text), not money, kept as they are
    component = """\
- id: b
  on: task_done
  amount:
    mean_of: score
    scale: {min: 1, max: 5}
    bands: [{at_least: 4, pays: 300.00}]
    otherwise: 10.00
"""
    rows = [_done("e1", "A", score="5"), _done("e2", "B", score="1"),
            _done("e3", "C", score="5.5"), _done("e4", "D", score="0.5"),
            _done("e5", "E", score="3.995")]
    tail = "(bands ≥ 4 → 300.00 €, else 10.00 €)"
    assert _outcome(_ledger(component, rows, "{score: decimal}")) == (
        [("A", "300.00", f"score = 5 {tail} → 300.00 €. Scheme t version 1."),
         ("B", "10.00", f"score = 1 {tail} → 10.00 €. Scheme t version 1."),
         ("E", "10.00", f"score = 4 {tail} → 10.00 €. Scheme t version 1.")],
        [("C", "score 5.5000000000 outside the scale 1 to 5", "300.00"),
         ("D", "score 0.5000000000 outside the scale 1 to 5", "10.00")])


# --------------------------------------------------------------------------- bounds


def test_an_amount_above_the_largest_an_entry_may_have_is_held() -> None:
    # one answer 5 pays 1 000 000 000.00, the largest amount an entry may have: paid;
    # two pay 2 000 000 000.00: held, never cut to the largest
    component = "- {id: p, on: task_done, amount: {per_answer: {5: 1000000000.00}}}\n"
    rows = [_done("e1", "A", answers="5"), _done("e2", "B", answers="5;5")]
    assert _outcome(_ledger(component, rows)) == (
        [("A", "1000000000.00", "answers 5 at 5 → 1000000000.00 € each (others 0) = "
          "1000000000.00 €. Scheme t version 1.")],
        [("B", "the amount came out 2000000000.00 €, above the largest amount an entry may "
          "have (1000000000.00 €)", "2000000000.00")])


def test_max_amount_cuts_and_says_so_only_above_it() -> None:
    # 3 200.00 is max_amount itself: paid without a word; 4 000.00 is cut to 3 200.00
    component = ("- {id: f, on: task_done, max_amount: 3200.00, amount: {formula: 'hours * 100'}}"
                 "\n")
    rows = [_done("e1", "A", hours="32"), _done("e2", "B", hours="40")]
    assert _outcome(_ledger(component, rows, "{hours: decimal}")) == (
        [("A", "3200.00", "hours * 100 with hours=32, rounded half up → 3200.00 €. "
          "Scheme t version 1."),
         ("B", "3200.00", "hours * 100 with hours=40, rounded half up → 4000.00 €; 4000.00 € "
          "limited to max_amount 3200.00 €. Scheme t version 1.")],
        [])


def test_a_formula_of_constants_shows_no_inputs() -> None:
    # 100 * 2.5 = 250.00; no name to show (it read "100 * 2.5 with , rounded ...")
    ledger = _ledger("- id: fee\n  on: task_done\n  once_per: client\n"
                     "  amount: {formula: \"100 * 2.5\"}\n", [_done("e1", "A")])
    assert _outcome(ledger) == (
        [("A", "250.00", "100 * 2.5, rounded half up → 250.00 €. Scheme t version 1.")], [])
