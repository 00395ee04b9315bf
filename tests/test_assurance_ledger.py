"""The assurance cycle in the posted ledger, on SQLite and PostgreSQL: a draw
recorded and shown again, results all or nothing, failures reversed by the next
post and never paid again until a dispute overturns them, the recovery posted
to the cent of the hand-worked figure (docs/assurance.md) and recomputed when a
failure is overturned, disputes holding a period's close, and every record
sealed: tampering with one is TAMPERED, cutting one off fails the receipts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import kasvufee
from kasvufee.assurance.cycle import ValidationResult
from kasvufee.errors import InputError, LedgerError, LedgerStateError, UsageError
from kasvufee.store import PostedLedger
from kasvufee.store.receipts import read_receipts
from tests.test_store import _tamper

# One component, 100.00 per client: 100 clients of P1 and 10 of P2 placed in January 2019.
SCHEME = kasvufee.parse_scheme("""
scheme: audit-demo
title: Placement fee, for the assurance tests
versions:
  - version: "1"
    valid_from: 2019-01-01
    components:
      - id: placement
        on: employment_started
        once_per: client
        amount: 100.00
""")
CLIENTS = [("P1", f"C{n:03d}") for n in range(1, 101)] + [("P2", f"D{n:02d}") for n in range(1, 11)]
EVENTS = kasvufee.events_from_records([
    {"event_id": f"e-{c}", "type": "employment_started", "provider_id": p, "client_id": c,
     "occurred_on": dt.date(2019, 1, 2 + n % 28)} for n, (p, c) in enumerate(CLIENTS)])


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12))


def _posted_and_drawn(store: PostedLedger) -> pl.DataFrame:
    first = store.post(SCHEME, EVENTS, "2019-01", posted_at=at("2019-02-01"))
    assert (first.earned, first.net_cents) == (110, 11_000_00)
    drawn = store.draw("audit-demo", "audit-1", "seed 7", first="2019-01", last="2019-01",
                       count=20, drawn_at=at("2019-02-05"))
    return drawn.sample


def _fail(sample: pl.DataFrame, n: int) -> list[ValidationResult]:
    """The first ``n`` sampled entries of P1 fail, every other sampled entry passes."""
    p1 = sample.filter(pl.col("provider_id") == "P1")["entry_id"].to_list()
    rest = sample.filter(pl.col("provider_id") == "P2")["entry_id"].to_list()
    return ([ValidationResult(e, "failed", "no payslip", f"case {i}")
             for i, e in enumerate(p1[:n])]
            + [ValidationResult(e, "passed", "payslip matches", "case ok")
               for e in p1[n:] + rest])


def test_a_draw_is_recorded_and_shown_again_the_same(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        sample = _posted_and_drawn(store)
        # 20 of P1's 100 entries, all of P2's 10 (a count above a stratum's size takes it all)
        assert sample.group_by("provider_id").len().sort("provider_id").rows() == [
            ("P1", 20), ("P2", 10)]
        again = store.draw("audit-demo", "audit-1", "seed 7", first="2019-01", last="2019-01",
                           count=20)
        assert again.written.records == () and not again.frame_changed
        assert again.sample.equals(sample)
        with pytest.raises(LedgerStateError, match="a draw is never redrawn otherwise"):
            store.draw("audit-demo", "audit-1", "seed 8", first="2019-01", last="2019-01",
                       count=20)
        with pytest.raises(LedgerError, match="no posting of scheme 'audit-dem'"):
            store.draw("audit-dem", "audit-2", "seed 7", first="2019-01", last="2019-01", count=1)
        with pytest.raises(LedgerStateError, match="nothing to sample"):
            store.draw("audit-demo", "audit-2", "seed 7", first="2019-02", last="2019-03",
                       count=1)
        with pytest.raises(UsageError, match="give the earlier first"):
            store.draw("audit-demo", "audit-2", "s", first="2019-03", last="2019-01", count=1)
        assert [r["kind"] for r in store.assurance()] == ["draw"]
        assert store.verify().ok


def test_results_are_all_or_nothing_and_final(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        sample = _posted_and_drawn(store)
        first = sample["entry_id"][0]
        bad = [ValidationResult(first, "fail", "x", "y", "r.csv", 2),
               ValidationResult("nope", "passed", "x", "y", "r.csv", 3),
               ValidationResult(sample["entry_id"][1], "passed", " ", "", "r.csv", 4),
               ValidationResult(first, "passed", "x", "y", "r.csv", 5)]
        with pytest.raises(InputError) as info:
            store.record_results("audit-1", bad, recorded_at=at("2019-02-10"))
        assert [str(p) for p in info.value.problems] == [
            "r.csv:2: outcome: expected passed or failed, got 'fail'",
            "r.csv:3: entry_id: expected an entry of draw audit-1's sample, got 'nope'",
            "r.csv:4: reason: expected the reason for the finding, got nothing",
            "r.csv:4: evidence: expected a reference to the evidence examined, got nothing",
            f"r.csv:5: entry_id: expected each entry once, got {first} again"]
        assert [r["kind"] for r in store.assurance()] == ["draw"]  # nothing was recorded
        one = [ValidationResult(first, "failed", "no payslip", "case 1")]
        assert len(store.record_results("audit-1", one, recorded_at=at("2019-02-10")).records) == 1
        assert store.record_results("audit-1", one).records == ()  # the same again: no change
        with pytest.raises(InputError, match="a result is final"):
            store.record_results("audit-1", [ValidationResult(first, "passed", "found", "c")])
        with pytest.raises(LedgerError, match=r"no draw 'audit-2' in .* \(audit-1\)"):
            store.record_results("audit-2", one)


def test_the_cycle_recovers_the_hand_worked_figure_and_corrects_it(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        sample = _posted_and_drawn(store)
        results = _fail(sample, 5)
        with pytest.raises(LedgerStateError, match="30 sampled entries without a validation"):
            store.recoveries("audit-1")
        store.record_results("audit-1", results, recorded_at=at("2019-02-10"))
        # docs/assurance.md, by hand: P1 has 100 entries of 100.00, 20 sampled, 5 failed:
        # R = 0.25, X = 80 x 100.00 = 8 000.00, point 2 000.00, 95 % interval 606.80 to
        # 3 393.20; P2 was sampled whole, so nothing of it is unsampled.
        p1, p2 = store.recoveries("audit-1")
        assert (p1.provider_id, p1.size, p1.sampled, p1.failed, p1.unsampled_cents) == (
            "P1", 100, 20, 5, 8000_00)
        assert (p1.recovery.point_cents, p1.recovery.lower_cents, p1.recovery.upper_cents,
                p1.recovery.amount_cents) == (2000_00, 606_80, 3393_20, 606_80)
        assert (p2.size, p2.sampled, p2.recovery.amount_cents) == (10, 10, 0)
        store.confirm_recovery("audit-1", confirmed_at=at("2019-02-11"))
        with pytest.raises(LedgerStateError, match="was confirmed on 2019-02-11"):
            store.confirm_recovery("audit-1")
        # the next post: 5 reversals of 100.00 and the recovery of 606.80
        feb = store.post(SCHEME, EVENTS, "2019-02", posted_at=at("2019-03-01"))
        assert (feb.earned, feb.reversals, feb.corrections, feb.net_cents) == (0, 5, 1, -1106_80)
        made = store.entries().filter(pl.col("period") == "2019-02")
        failed = [r.entry_id for r in results[:5]]
        assert sorted(made["entry_id"].to_list()) == sorted(
            [f"{e}-rev" for e in failed] + ["recovery-audit-1-P1-placement"])
        recovery = store.entry("recovery-audit-1-P1-placement")
        assert (recovery["kind"], recovery["amount_cents"], recovery["client_id"]) == (
            "recovery", -606_80, None)
        assert recovery["derivation"]["reason"] == (
            "confirmed on 2019-02-11 from draw audit-1: 5 of 20 sampled entries failed "
            "(500.00 of 2000.00, error rate 0.2500), extrapolated to the 8000.00 of the 80 "
            "unsampled entries: lower 606.80 (95 % interval 606.80 to 3393.20)")
        reversal = store.entry(f"{failed[0]}-rev")
        assert reversal["derivation"]["reason"] == (
            "failed validation in draw audit-1 on 2019-02-10: no payslip (evidence case 0)")
        # posting again adds nothing: a failure is not paid again, a recovery not recovered twice
        assert store.post(SCHEME, EVENTS, "2019-02", posted_at=at("2019-03-01")).added == 0

        # the provider disputes one failure; the buyer accepts: the entry is paid again
        # and the recovery is recomputed on 4 failures of 20: R = 0.2, s² = (4 x 80² + 16 x
        # 20²) / 19 = 1 684.21…, V = 0.8 / (20 x 100²) x s² = 0.0067368…, 1.96 √V =
        # 0.1608734…, lower bound 8 000 x (0.2 - 0.1608734) = 313.01
        opened = store.open_dispute("the payslip was sent in time", entry_id=f"{failed[0]}-rev",
                                    opened_at=at("2019-03-02"))
        assert opened.records == ("dispute-1",)
        with pytest.raises(LedgerStateError, match="dispute-1 over the same entry is open"):
            store.open_dispute("again", entry_id=f"{failed[0]}-rev")
        with pytest.raises(LedgerStateError, match=r"has 1 open dispute \(dispute-1\)"):
            store.close_period("audit-demo", "2019-02", closed_at=at("2019-03-03"))
        store.decide_dispute("dispute-1", accept=True, reason="found in the archive",
                             decided_at=at("2019-03-04"))
        with pytest.raises(LedgerStateError, match="dispute-1 was accepted on 2019-03-04"):
            store.decide_dispute("dispute-1", accept=False, reason="no")
        assert store.recoveries("audit-1")[0].recovery.amount_cents == 313_01
        mar = store.post(SCHEME, EVENTS, "2019-03", posted_at=at("2019-04-01"))
        # +100.00 paid again, +606.80 the old recovery reversed, -313.01 the new one
        assert (mar.earned, mar.reversals, mar.corrections, mar.net_cents) == (1, 1, 1, 393_79)
        table = store.entries().filter(pl.col("period") == "2019-03")
        assert sorted(zip(table["entry_id"].to_list(), table["amount"].to_list(),
                          strict=True)) == [
            (f"{failed[0]}.2", Decimal("100.00")),
            ("recovery-audit-1-P1-placement-rev", Decimal("606.80")),
            ("recovery-audit-1-P1-placement.2", Decimal("-313.01"))]
        assert store.entry("recovery-audit-1-P1-placement-rev")["derivation"]["reason"] == (
            "the amount is now -313.01 as the validation results stand")
        store.close_period("audit-demo", "2019-02", closed_at=at("2019-04-02"))
        assert store.verify().ok


def test_disputes_over_a_claimed_payment(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        _posted_and_drawn(store)
        claim = store.open_dispute("C999 was placed on 2019-01-30", scheme_id="audit-demo",
                                   provider_id="P1", component="placement", client_id="C999",
                                   opened_at=at("2019-02-06"))
        assert claim.records == ("dispute-1",) and claim.period == "2019-01"
        with pytest.raises(UsageError, match="needs the amount of the correction"):
            store.decide_dispute("dispute-1", accept=True, reason="yes")
        with pytest.raises(UsageError, match="a rejected dispute posts nothing"):
            store.decide_dispute("dispute-1", accept=False, reason="no", amount_cents=100)
        with pytest.raises(LedgerError, match=r"no dispute 'dispute-9' in .* \(dispute-1\)"):
            store.decide_dispute("dispute-9", accept=False, reason="no")
        store.decide_dispute("dispute-1", accept=True, reason="the employer confirmed it",
                             amount_cents=100_00, decided_at=at("2019-02-07"))
        feb = store.post(SCHEME, EVENTS, "2019-02", posted_at=at("2019-03-01"))
        assert (feb.corrections, feb.net_cents) == (1, 100_00)
        adjustment = store.entry("dispute-1-adjustment")
        assert (adjustment["kind"], adjustment["client_id"], adjustment["component"]) == (
            "adjustment", "C999", "placement")
        assert adjustment["explanation"] == (
            "Adjustment: dispute-1 accepted on 2019-02-07: the employer confirmed it (the "
            "provider's claim: C999 was placed on 2019-01-30).")
        # a rejected dispute posts nothing, and its period can then be closed
        store.open_dispute("C998 too", scheme_id="audit-demo", provider_id="P1",
                           component="placement", client_id="C998", opened_at=at("2019-03-02"))
        store.decide_dispute("dispute-2", accept=False, reason="no evidence",
                             decided_at=at("2019-03-03"))
        assert store.post(SCHEME, EVENTS, "2019-02", posted_at=at("2019-03-04")).added == 0
        # a dispute left open holds its period unless the buyer says so
        store.open_dispute("C997", scheme_id="audit-demo", provider_id="P1",
                           component="placement", period="2019-01", opened_at=at("2019-03-05"))
        with pytest.raises(LedgerStateError, match="close despite them"):
            store.close_period("audit-demo", "2019-01", closed_at=at("2019-03-06"))
        store.close_period("audit-demo", "2019-01", closed_at=at("2019-03-06"),
                           despite_disputes=True)


def test_recording_times_run_forward_and_never_in_the_future(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        _posted_and_drawn(store)
        with pytest.raises(LedgerStateError, match="before the ledger's last record"):
            store.open_dispute("late", scheme_id="audit-demo", provider_id="P1",
                               component="placement", opened_at=at("2019-02-04"))
        tomorrow = dt.date.today() + dt.timedelta(days=2)
        with pytest.raises(UsageError, match="is in the future"):
            store.open_dispute("soon", scheme_id="audit-demo", provider_id="P1",
                               component="placement", opened_at=tomorrow)


@pytest.mark.parametrize(("sql", "problem"), [
    ("UPDATE kasvufee_assurance SET body = replace(body, 'no payslip', 'payslip ok') "
     "WHERE kind = 'result'",
     "kasvufee_assurance row record_no=2 was changed after seal #3 sealed it"),
    ("DELETE FROM kasvufee_assurance WHERE kind = 'draw'",
     "kasvufee_assurance row record_no=1, sealed by seal #2, was deleted"),
    ("UPDATE kasvufee_assurance SET recorded_at = '2019-01-01 12:00:00' WHERE record_no = 1",
     "kasvufee_assurance row record_no=1 was changed after seal #2 sealed it"),
])
def test_tampering_with_an_assurance_record_is_detected(ledger_url: str, sql: str,
                                                        problem: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        sample = _posted_and_drawn(store)
        store.record_results("audit-1", _fail(sample, 1)[:1], recorded_at=at("2019-02-10"))
        assert store.verify().ok
    _tamper(ledger_url, sql)
    with PostedLedger.open(ledger_url) as store:
        report = store.verify()
    assert report.problem == problem


def test_cutting_off_the_last_assurance_step_fails_its_receipt(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    with PostedLedger.open(ledger) as store:
        sample = _posted_and_drawn(store)
        store.record_results("audit-1", _fail(sample, 1)[:1], recorded_at=at("2019-02-10"))
    receipts = read_receipts(f"{ledger}.receipts.jsonl")
    assert [(r.fields["posting_id"], r.seal_no) for r in receipts] == [(1, 1), (None, 2),
                                                                       (None, 3)]
    # whoever can write to the database removes the failure and its seal
    _tamper(ledger, "DELETE FROM kasvufee_assurance WHERE kind = 'result'")
    _tamper(ledger, "DELETE FROM kasvufee_seals WHERE seal_no = 3")
    with PostedLedger.open(ledger) as store:
        assert store.verify().ok  # consistent with itself
        report = store.verify(receipts)
    assert report.problem == (
        f"the ledger no longer extends receipt {ledger}.receipts.jsonl:3 (an assurance record "
        "of audit-demo, 110 entries): seal #3 is missing: postings or closings up to it were "
        "removed or rewritten")


@pytest.mark.parametrize(("recovery", "recovered"), [("point", -2000_00), ("none", None)])
def test_the_scheme_says_whether_and_how_failures_are_extrapolated(
        tmp_path: Path, recovery: str, recovered: int | None) -> None:
    scheme = SCHEME.model_copy(update={"assurance": kasvufee.scheme.model.Assurance(
        recovery=recovery)})
    with PostedLedger.open(tmp_path / "ledger.sqlite") as store:
        store.post(scheme, EVENTS, "2019-01", posted_at=at("2019-02-01"))
        sample = store.draw("audit-demo", "audit-1", "seed 7", first="2019-01", last="2019-01",
                            count=20, drawn_at=at("2019-02-05")).sample
        store.record_results("audit-1", _fail(sample, 5), recorded_at=at("2019-02-10"))
        assert store.recovery_basis("audit-1") == recovery
        if recovered is None:
            with pytest.raises(LedgerStateError, match=r"recovers no extrapolated amount"):
                store.confirm_recovery("audit-1", confirmed_at=at("2019-02-11"))
        else:  # the point estimate of the hand-worked example: 0.25 x 8 000.00
            store.confirm_recovery("audit-1", confirmed_at=at("2019-02-11"))
        feb = store.post(scheme, EVENTS, "2019-02", posted_at=at("2019-03-01"))
        assert feb.net_cents == -500_00 + (recovered or 0)


def test_a_partial_failure_is_paid_again_less_its_part(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        sample = _posted_and_drawn(store)
        first = sample.filter(pl.col("provider_id") == "P1")["entry_id"][0]
        rest = [ValidationResult(e, "passed", "payslip matches", "ok")
                for e in sample["entry_id"].to_list() if e != first]
        with pytest.raises(InputError, match=r"at most the entry's 100\.00, got 150\.00"):
            store.record_results("audit-1", [ValidationResult(
                first, "failed", "part-time", "case 1", failed_cents=150_00)])
        store.record_results("audit-1", [ValidationResult(
            first, "failed", "only part-time", "case 1", failed_cents=40_00), *rest],
            recorded_at=at("2019-02-10"))
        # P1's stratum: one entry of 20 fails by 40.00: R = 40 / 2 000 = 0.02, the point
        # estimate 0.02 x 8 000.00 = 160.00
        p1 = store.recoveries("audit-1", basis="point")[0]
        assert (p1.failed, p1.failed_cents, p1.recovery.amount_cents) == (1, 40_00, 160_00)
        feb = store.post(SCHEME, EVENTS, "2019-02", posted_at=at("2019-03-01"))
        # the entry is reversed (-100.00) and paid again less the 40.00: +60.00
        assert (feb.earned, feb.reversals, feb.net_cents) == (1, 1, -40_00)
        again = store.entry(f"{first}.2")
        assert again["amount_cents"] == 60_00
        assert again["explanation"].endswith(
            " Less 40.00 €, not supported: failed validation in draw audit-1 on 2019-02-10: "
            "only part-time (evidence case 1); 40.00 of 100.00 not supported.")
        assert store.post(SCHEME, EVENTS, "2019-02", posted_at=at("2019-03-01")).added == 0
