"""The assurance part of provider statements: the walkthrough's audit of
satakunta-kokosata (a draw, its validation results, the recovery confirmed,
two disputes; then their decisions and a second draw) built through the
library on SQLite, and the providers' statements in four formats and two
languages, compared whole; and the Finnish reasons of the assurance cycle.

Money worked by hand (SATA-1, posted in 2018-12 for the whole year): start
fee 30 000.00, 16 recruitments of 28 800.00 (15 x 2 000.00 and R15's
800.00), 3 training referrals of 1 200.00: 60 000.00 to date.  Draw
audit-2019 (share 0.5) sampled 8 of the 16 recruitments, 7 x 2 000.00 and
800.00 = 14 800.00, and e0010 (R08) and e0014 (R12) failed: 4 000.00.

The recovery of SATA-1's recruitments (docs/assurance.md's estimator): R =
4 000 / 14 800 = 0.270270…; unsampled X = 28 800 - 14 800 = 14 000.00; the
residuals y - R·x are 2 000·27/37 = 1 459.46 (twice, failed), -2 000·10/37 =
-540.54 (five times) and -800·10/37 = -216.22, so s² = (2·1 459.46² + 5·540.54²
+ 216.22²) / 7 = 823 959.09; x̄ = 14 800 / 8 = 1 850; V = (1 - 8/16) / (8 ·
1 850²) · s² = 0.01504673; 1.96·√V = 0.24042365; the interval is 14 000 ·
(0.27027027 ∓ 0.24042365) = 417.85 to 7 149.71, and the lower bound 417.85 is
recovered.  January: -2 000.00 - 2 000.00 - 417.85 = -4 417.85; to date
60 000.00 - 4 417.85 = 55 582.15; the result budget (recruitment and
training referral) used 28 800.00 + 1 200.00 - 4 417.85 = 25 582.15 of
30 000.00, 4 417.85 left.

dispute-1 overturns e0010's failure: R = 2 000 / 14 800 = 0.1351; s² = (1 729.73²
+ 6·270.27² + 108.11²) / 7 = 491 704.06, V = 0.00897926, 1.96·√V = 0.18573 > R,
so the lower bound is below 0 and nothing is recovered any more: February
pays e0010 again (2 000.00) and reverses the recovery (+417.85): 2 417.85, to
date 58 000.00 (60 000.00 less R12's 2 000.00).  The second draw adds e0010's
new entry (2 000.00, no result yet): failed 2 000 of 16 800 sampled = 0.1190.

SATA-2: start fee 30 000.00 and 2 recruitments of 2 000.00: 34 000.00; its
dispute-2 is accepted with 2 000.00, posted in February: 36 000.00."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from openpyxl import load_workbook

import kasvufee
from kasvufee.assurance.results_file import read_results
from kasvufee.report.reasons import finnish_reason
from kasvufee.report.statement import Statement, build_statement, pseudonym, write_statement
from kasvufee.store import PostedLedger
from tests.conftest import EXAMPLES

EX = EXAMPLES / "satakunta-kokosata"
SCHEME = "satakunta-kokosata"
NBSP = "\u00a0"
KEY = b"0123456789abcdef-statement-test-key"
E0010 = "satakunta-kokosata:1:recruitment:e0010:20180208"
E0014 = "satakunta-kokosata:1:recruitment:e0014:20180212"
RECOVERY = "recovery-audit-2019-SATA-1-recruitment"


def noon(day: str) -> dt.datetime:
    """A day at noon, as the commands' ``--on DAY`` record it."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12))


def walkthrough(store: PostedLedger) -> None:
    """The walkthrough: post 2018-12, draw, results, recovery, post 2019-01, two disputes."""
    scheme = kasvufee.load_scheme(EX / "scheme.yaml")
    events = kasvufee.read_events(EX / "events.csv")
    store.post(scheme, events, "2018-12", posted_at=noon("2019-01-02"))
    store.draw(SCHEME, "audit-2019", "lotto 2019-01-05", first="2018-01", last="2018-12",
               share=Decimal("0.5"), drawn_at=noon("2019-01-10"))
    store.record_results("audit-2019", read_results(EX / "validation-audit-2019.csv"),
                         recorded_at=noon("2019-01-20"))
    store.confirm_recovery("audit-2019", confirmed_at=noon("2019-01-21"))
    store.post(scheme, events, "2019-01", posted_at=noon("2019-02-01"))
    store.open_dispute("R08 works for a subsidiary", entry_id=f"{E0010}-rev",
                       opened_at=noon("2019-02-04"))
    store.open_dispute("Q3 started work on 2018-12-17", scheme_id=SCHEME, provider_id="SATA-2",
                       component="recruitment", client_id="Q3", opened_at=noon("2019-02-04"))


def settle(store: PostedLedger) -> None:
    """Then both disputes accepted (dispute-2 with 2 000.00), February posted, and
    a second draw of February's entries, its result not in yet."""
    scheme = kasvufee.load_scheme(EX / "scheme.yaml")
    events = kasvufee.read_events(EX / "events.csv")
    store.decide_dispute("dispute-1", accept=True,
                         reason="the subsidiary's contract is the group's own",
                         decided_at=noon("2019-02-10"))
    store.decide_dispute("dispute-2", accept=True, reason="payslip of 2018-12 received",
                         amount_cents=2000_00, decided_at=noon("2019-02-11"))
    store.post(scheme, events, "2019-02", posted_at=noon("2019-03-01"))
    store.draw(SCHEME, "audit-2019b", "lotto 2019-03-02", first="2019-02", last="2019-02",
               count=1, drawn_at=noon("2019-03-05"))


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """``walked``: the ledger after the walkthrough; ``settled``: after ``settle``."""
    where = tmp_path_factory.mktemp("assured")
    walked, settled = where / "walked.sqlite", where / "settled.sqlite"
    with PostedLedger.open(walked) as store:
        walkthrough(store)
    shutil.copy(walked, settled)
    with PostedLedger.open(settled) as store:
        settle(store)
    yield {"walked": walked, "settled": settled}


def statement(ledger: Path, provider: str, period: str, **options: Any) -> Statement:
    with PostedLedger.open(ledger, create=False) as store:
        return build_statement(store, provider, period, **options)


def head(ledger: Path) -> tuple[int, str]:
    with PostedLedger.open(ledger, create=False) as store:
        return store.head()


def render(st: Statement, fmt: str, lang: str) -> bytes:
    out = io.BytesIO()
    write_statement(st, fmt, lang, out)  # type: ignore[arg-type]
    return out.getvalue()


def csv_text(lines: list[str]) -> bytes:
    """The csv a statement writes: a byte order mark, CRLF line ends; ``~`` in
    ``lines`` stands for a no-break space (Babel's, in the money texts)."""
    return ("\ufeff" + "".join(line.replace("~", NBSP) + "\r\n" for line in lines)
            ).encode("utf-8")


def sheet_rows(data: bytes, first: str, count: int) -> list[list[Any]]:
    """``count`` rows of a worksheet from the one whose column A is ``first``."""
    ws = load_workbook(io.BytesIO(data)).active
    (start,) = [c.row for c in ws["A"] if c.value == first]
    return [[ws.cell(row=r, column=c).value for c in range(1, 10)]
            for r in range(start, start + count)]


# --------------------------------------------------------------------------- csv, whole

FI_HEADER = ("Palveluntuottaja;Kausi;Palkkiomalli;Rivi;Palkkioperuste;Kirjaus;Asiakas;Ansaittu;"
             "Laji;Summa;Ennen kattoa;Katto;Peruste")
EN_HEADER = ("Provider,Period,Scheme,Row,Component,Entry,Client,Earned on,Kind,Amount,Before cap,"
             "Cap,Reason")


def test_the_walkthrough_statement_in_finnish_csv(ledgers: dict[str, Path]) -> None:
    st = statement(ledgers["walked"], "SATA-1", "2019-01")
    entries, last = head(ledgers["walked"])
    s = "SATA-1;2019-01;satakunta-kokosata"
    assert render(st, "csv", "fi") == csv_text([
        FI_HEADER,
        f"{s};kirjaus;recruitment;{E0010}-rev;R08;8.2.2018;oikaisu;-2000,00;;;Oikaisee "
        f"kirjauksen {E0010} (kausi 2018-12): hylätty tarkastuksessa 20.1.2019 (otanta "
        "audit-2019): the contract names another employer (aineisto case 2019-010)",
        f"{s};kirjaus;recruitment;{E0014}-rev;R12;12.2.2018;oikaisu;-2000,00;;;Oikaisee "
        f"kirjauksen {E0014} (kausi 2018-12): hylätty tarkastuksessa 20.1.2019 (otanta "
        "audit-2019): no employment contract or payslip for R12 (aineisto case 2019-014)",
        f"{s};kirjaus;recruitment;{RECOVERY};;21.1.2019;takaisinperintä;-417,85;;;vahvistettu "
        "21.1.2019 otannan audit-2019 perusteella: otoksen 8 kirjauksesta 2 hylättiin "
        "tarkastuksessa (4~000,00~€ / 14~800,00~€, virheosuus 0,2703), yleistetty otoksen "
        "ulkopuolisiin 8 kirjaukseen (14~000,00~€): alaraja 417,85~€ (95 %:n luottamusväli "
        "417,85\u20137~149,71~€)",
        f"{s};välisumma;recruitment;;;;;-4417,85;;;",
        f"{s};yhteensä;;;;;;-4417,85;;;",
        f"{s};kertymä;;;;;;55582,15;;;",
        f"{s};katto;recruitment, training_referral;;;;;25582,15;;result_budget;\"30~000,00~€ "
        "palveluntuottajaa kohden; käytetty 25~582,15~€, jäljellä 4~417,85~€\"",
        f"{s};tarkastus;start_fee;;;;;0,00;;;\"otoksessa 1: hyväksytty 1, hylätty 0, hylkäys "
        "kumottu 0, tarkastamatta 0; virheosuus 0,0000 (hylätyt 0,00~€ / otos 30~000,00~€); "
        "takaisinperitty 0,00~€\"",
        f"{s};tarkastus;recruitment;;;;;417,85;;;\"otoksessa 8: hyväksytty 6, hylätty 2, "
        "hylkäys kumottu 0, tarkastamatta 0; virheosuus 0,2703 (hylätyt 4~000,00~€ / otos "
        "14~800,00~€); takaisinperitty 417,85~€\"",
        f"{s};tarkastus;training_referral;;;;;0,00;;;\"otoksessa 2: hyväksytty 2, hylätty 0, "
        "hylkäys kumottu 0, tarkastamatta 0; virheosuus 0,0000 (hylätyt 0,00~€ / otos "
        "800,00~€); takaisinperitty 0,00~€\"",
        f"{s};erimielisyys;recruitment;{E0010}-rev;R08;;;;;;\"dispute-1 (kausi 2019-01), kohde "
        f"{E0010}-rev, avattu 4.2.2019; palveluntuottajan perustelu: R08 works for a "
        "subsidiary; avoin\"",
        f"SATA-1;2019-01;;kirjanpito;;;;;;;;;Kirjanpidon tila: {entries} kirjausta, viimeisen "
        f"tiiviste {last}",
    ])


def test_the_walkthrough_statement_in_english_csv(ledgers: dict[str, Path]) -> None:
    st = statement(ledgers["walked"], "SATA-1", "2019-01")
    entries, last = head(ledgers["walked"])
    s = "SATA-1,2019-01,satakunta-kokosata"
    assert render(st, "csv", "en") == csv_text([
        EN_HEADER,
        f"{s},entry,recruitment,{E0010}-rev,R08,8 Feb 2018,reversal,-2000.00,,,Reverses "
        f"{E0010} (period 2018-12): failed validation in draw audit-2019 on 2019-01-20: the "
        "contract names another employer (evidence case 2019-010)",
        f"{s},entry,recruitment,{E0014}-rev,R12,12 Feb 2018,reversal,-2000.00,,,Reverses "
        f"{E0014} (period 2018-12): failed validation in draw audit-2019 on 2019-01-20: no "
        "employment contract or payslip for R12 (evidence case 2019-014)",
        f"{s},entry,recruitment,{RECOVERY},,21 Jan 2019,recovery,-417.85,,,\"confirmed on "
        "2019-01-21 from draw audit-2019: 2 of 8 sampled entries failed (4000.00 of 14800.00, "
        "error rate 0.2703), extrapolated to the 14000.00 of the 8 unsampled entries: lower "
        "417.85 (95 % interval 417.85 to 7149.71)\"",
        f"{s},subtotal,recruitment,,,,,-4417.85,,,",
        f"{s},total,,,,,,-4417.85,,,",
        f"{s},to date,,,,,,55582.15,,,",
        f"{s},cap,\"recruitment, training_referral\",,,,,25582.15,,result_budget,\"€30,000.00 "
        "per provider; used €25,582.15, remaining €4,417.85\"",
        f"{s},validation,start_fee,,,,,0.00,,,\"sampled 1: passed 1, failed 0, overturned 0, "
        "pending 0; error rate 0.0000 (failed €0.00 of €30,000.00 sampled); recovered €0.00\"",
        f"{s},validation,recruitment,,,,,417.85,,,\"sampled 8: passed 6, failed 2, overturned 0, "
        "pending 0; error rate 0.2703 (failed €4,000.00 of €14,800.00 sampled); recovered "
        "€417.85\"",
        f"{s},validation,training_referral,,,,,0.00,,,\"sampled 2: passed 2, failed 0, "
        "overturned 0, pending 0; error rate 0.0000 (failed €0.00 of €800.00 sampled); "
        "recovered €0.00\"",
        f"{s},dispute,recruitment,{E0010}-rev,R08,,,,,,\"dispute-1 (period 2019-01) over "
        f"{E0010}-rev, opened on 4 Feb 2019; the provider's claim: R08 works for a subsidiary; "
        "open\"",
        f"SATA-1,2019-01,,ledger,,,,,,,,,\"Ledger: {entries} entries, the last one's hash "
        f"{last}\"",
    ])


def test_a_claimed_payment_accepted_with_an_amount(ledgers: dict[str, Path]) -> None:
    # SATA-2's claim over Q3: open in January (no line: nothing posted yet), then
    # accepted with 2 000.00 and posted in February as an adjustment.
    entries, last = head(ledgers["walked"])
    s = "SATA-2;2019-01;satakunta-kokosata"
    assert render(statement(ledgers["walked"], "SATA-2", "2019-01"), "csv", "fi") == csv_text([
        FI_HEADER,
        f"{s};yhteensä;;;;;;0,00;;;",
        f"{s};kertymä;;;;;;34000,00;;;",
        f"{s};katto;recruitment, training_referral;;;;;4000,00;;result_budget;\"30~000,00~€ "
        "palveluntuottajaa kohden; käytetty 4~000,00~€, jäljellä 26~000,00~€\"",
        f"{s};tarkastus;start_fee;;;;;0,00;;;\"otoksessa 1: hyväksytty 1, hylätty 0, hylkäys "
        "kumottu 0, tarkastamatta 0; virheosuus 0,0000 (hylätyt 0,00~€ / otos 30~000,00~€); "
        "takaisinperitty 0,00~€\"",
        f"{s};tarkastus;recruitment;;;;;0,00;;;\"otoksessa 1: hyväksytty 1, hylätty 0, hylkäys "
        "kumottu 0, tarkastamatta 0; virheosuus 0,0000 (hylätyt 0,00~€ / otos 2~000,00~€); "
        "takaisinperitty 0,00~€\"",
        f"{s};erimielisyys;recruitment;;Q3;;;;;;\"dispute-2 (kausi 2019-01), kohde maksuvaade: "
        "recruitment Q3, avattu 4.2.2019; palveluntuottajan perustelu: Q3 started work on "
        "2018-12-17; avoin\"",
        f"SATA-2;2019-01;;kirjanpito;;;;;;;;;Kirjanpidon tila: {entries} kirjausta, viimeisen "
        f"tiiviste {last}",
    ])
    entries, last = head(ledgers["settled"])
    s = "SATA-2,2019-02,satakunta-kokosata"
    assert render(statement(ledgers["settled"], "SATA-2", "2019-02"), "csv", "en") == csv_text([
        EN_HEADER,
        f"{s},entry,recruitment,dispute-2-adjustment,Q3,11 Feb 2019,adjustment,2000.00,,,"
        "dispute-2 accepted on 2019-02-11: payslip of 2018-12 received (the provider's claim: "
        "Q3 started work on 2018-12-17)",
        f"{s},subtotal,recruitment,,,,,2000.00,,,",
        f"{s},total,,,,,,2000.00,,,",
        f"{s},to date,,,,,,36000.00,,,",
        f"{s},cap,\"recruitment, training_referral\",,,,,6000.00,,result_budget,\"€30,000.00 "
        "per provider; used €6,000.00, remaining €24,000.00\"",
        f"{s},validation,start_fee,,,,,0.00,,,\"sampled 1: passed 1, failed 0, overturned 0, "
        "pending 0; error rate 0.0000 (failed €0.00 of €30,000.00 sampled); recovered €0.00\"",
        f"{s},validation,recruitment,,,,,0.00,,,\"sampled 1: passed 1, failed 0, overturned 0, "
        "pending 0; error rate 0.0000 (failed €0.00 of €2,000.00 sampled); recovered €0.00\"",
        f"{s},dispute,recruitment,,Q3,,,,,,\"dispute-2 (period 2019-01) over claim: recruitment "
        "Q3, opened on 4 Feb 2019; the provider's claim: Q3 started work on 2018-12-17; "
        "accepted on 11 Feb 2019: payslip of 2018-12 received\"",
        f"SATA-2,2019-02,,ledger,,,,,,,,,\"Ledger: {entries} entries, the last one's hash "
        f"{last}\"",
    ])


def test_an_overturned_failure_and_the_recovery_recomputed(ledgers: dict[str, Path]) -> None:
    # February: e0010 paid again, the recovery reversed (nothing is recovered as
    # the results stand); the second draw (periods to 2019-02) counts in
    # February's statement, not in January's.
    entries, last = head(ledgers["settled"])
    s = "SATA-1;2019-02;satakunta-kokosata"
    assert render(statement(ledgers["settled"], "SATA-1", "2019-02"), "csv", "fi") == csv_text([
        FI_HEADER,
        f"{s};kirjaus;recruitment;{E0010}.2;R08;8.2.2018;palkkio;2000,00;;;",
        f"{s};kirjaus;recruitment;{RECOVERY}-rev;;21.1.2019;oikaisu;417,85;;;Oikaisee "
        f"kirjauksen {RECOVERY} (kausi 2019-01): ei enää aiheellinen tarkastustulosten mukaan",
        f"{s};välisumma;recruitment;;;;;2417,85;;;",
        f"{s};yhteensä;;;;;;2417,85;;;",
        f"{s};kertymä;;;;;;58000,00;;;",
        f"{s};katto;recruitment, training_referral;;;;;28000,00;;result_budget;\"30~000,00~€ "
        "palveluntuottajaa kohden; käytetty 28~000,00~€, jäljellä 2~000,00~€\"",
        f"{s};tarkastus;start_fee;;;;;0,00;;;\"otoksessa 1: hyväksytty 1, hylätty 0, hylkäys "
        "kumottu 0, tarkastamatta 0; virheosuus 0,0000 (hylätyt 0,00~€ / otos 30~000,00~€); "
        "takaisinperitty 0,00~€\"",
        f"{s};tarkastus;recruitment;;;;;0,00;;;\"otoksessa 9: hyväksytty 6, hylätty 1, hylkäys "
        "kumottu 1, tarkastamatta 1; virheosuus 0,1190 (hylätyt 2~000,00~€ / otos "
        "16~800,00~€); takaisinperitty 0,00~€\"",
        f"{s};tarkastus;training_referral;;;;;0,00;;;\"otoksessa 2: hyväksytty 2, hylätty 0, "
        "hylkäys kumottu 0, tarkastamatta 0; virheosuus 0,0000 (hylätyt 0,00~€ / otos "
        "800,00~€); takaisinperitty 0,00~€\"",
        f"{s};erimielisyys;recruitment;{E0010}-rev;R08;;;;;;\"dispute-1 (kausi 2019-01), kohde "
        f"{E0010}-rev, avattu 4.2.2019; palveluntuottajan perustelu: R08 works for a "
        "subsidiary; hyväksytty 10.2.2019: the subsidiary's contract is the group's own\"",
        f"SATA-1;2019-02;;kirjanpito;;;;;;;;;Kirjanpidon tila: {entries} kirjausta, viimeisen "
        f"tiiviste {last}",
    ])
    january = statement(ledgers["settled"], "SATA-1", "2019-01").schemes[0]
    assert [(v.component, v.sampled, v.passed, v.failed, v.overturned, v.pending,
             v.failed_cents, str(v.error_rate), v.recovered_cents) for v in january.validation] == [
        ("start_fee", 1, 1, 0, 0, 0, 0, "0.0000", 0),
        ("recruitment", 8, 6, 1, 1, 0, 2000_00, "0.1351", 0),
        ("training_referral", 2, 2, 0, 0, 0, 0, "0.0000", 0)]
    assert [(d.dispute, d.status, d.decided_on) for d in january.disputes] == [
        ("dispute-1", "accepted", dt.date(2019, 2, 10))]


def test_disputes_of_later_periods_are_not_on_an_earlier_statement(
        ledgers: dict[str, Path]) -> None:
    # December: the draw's periods end in 2018-12, so its validation shows; the
    # disputes are of 2019-01, so they do not.
    (part,) = statement(ledgers["walked"], "SATA-1", "2018-12").schemes
    assert [(v.component, v.sampled, v.failed, v.recovered_cents) for v in part.validation] == [
        ("start_fee", 1, 0, 0), ("recruitment", 8, 2, 417_85), ("training_referral", 2, 0, 0)]
    assert part.disputes == ()


# --------------------------------------------------------------------------- json, html, xlsx


def test_json_assurance_part_whole(ledgers: dict[str, Path]) -> None:
    st = statement(ledgers["settled"], "SATA-1", "2019-02")
    data = render(st, "json", "fi")
    assert data == render(st, "json", "en")
    (part,) = json.loads(data)["schemes"]
    assert part["assurance"] == {
        "validation": [
            {"component": "start_fee", "sampled": 1, "passed": 1, "failed": 0,
             "overturned": 0, "pending": 0, "sampled_amount": "30000.00",
             "failed_amount": "0.00", "error_rate": "0.0000", "recovered": "0.00"},
            {"component": "recruitment", "sampled": 9, "passed": 6, "failed": 1,
             "overturned": 1, "pending": 1, "sampled_amount": "16800.00",
             "failed_amount": "2000.00", "error_rate": "0.1190", "recovered": "0.00"},
            {"component": "training_referral", "sampled": 2, "passed": 2, "failed": 0,
             "overturned": 0, "pending": 0, "sampled_amount": "800.00",
             "failed_amount": "0.00", "error_rate": "0.0000", "recovered": "0.00"}],
        "disputes": [
            {"dispute": "dispute-1", "subject": f"{E0010}-rev", "entry_id": f"{E0010}-rev",
             "component": "recruitment", "client": "R08", "period": "2019-01",
             "opened_on": "2019-02-04", "claim": "R08 works for a subsidiary",
             "status": "accepted", "decided_on": "2019-02-10",
             "decision": "the subsidiary's contract is the group's own"}]}
    (part,) = json.loads(render(statement(ledgers["walked"], "SATA-2", "2019-01"), "json",
                                "en"))["schemes"]
    assert part["assurance"] == {
        "validation": [
            {"component": "start_fee", "sampled": 1, "passed": 1, "failed": 0,
             "overturned": 0, "pending": 0, "sampled_amount": "30000.00",
             "failed_amount": "0.00", "error_rate": "0.0000", "recovered": "0.00"},
            {"component": "recruitment", "sampled": 1, "passed": 1, "failed": 0,
             "overturned": 0, "pending": 0, "sampled_amount": "2000.00",
             "failed_amount": "0.00", "error_rate": "0.0000", "recovered": "0.00"}],
        "disputes": [
            {"dispute": "dispute-2", "subject": "claim: recruitment Q3", "entry_id": None,
             "component": "recruitment", "client": "Q3", "period": "2019-01",
             "opened_on": "2019-02-04", "claim": "Q3 started work on 2018-12-17",
             "status": "open", "decided_on": None, "decision": None}]}


def test_html_tables_of_validation_and_disputes(ledgers: dict[str, Path]) -> None:
    st = statement(ledgers["walked"], "SATA-1", "2019-01")
    fi = render(st, "html", "fi").decode()
    assert "td.count, th.count { text-align: right; }" in fi
    assert ("<h3>Tarkastus (otanta)</h3>\n<table class=\"validation\"><thead><tr>"
            "<th>Palkkioperuste</th><th class=\"count\">Otoksessa</th>"
            "<th class=\"count\">Hyväksytty</th><th class=\"count\">Hylätty</th>"
            "<th class=\"count\">Hylkäys kumottu</th><th class=\"count\">Tarkastamatta</th>"
            "<th class=\"count\">Virheosuus</th><th class=\"money\">Takaisinperitty</th>"
            "</tr></thead><tbody>") in fi
    assert ('<tr><td>recruitment</td><td class="count">8</td><td class="count">6</td>'
            '<td class="count">2</td><td class="count">0</td><td class="count">0</td>'
            f'<td class="count">0,2703</td><td class="money">417,85{NBSP}€</td></tr>') in fi
    assert ("<h3>Erimielisyydet</h3>\n<table class=\"disputes\"><thead><tr><th>Erimielisyys"
            "</th><th>Kohde</th><th>Kausi</th><th>Avattu</th><th>Tila</th><th>Ratkaistu</th>"
            "<th>Palveluntuottajan perustelu</th><th>Ratkaisun perustelu</th></tr></thead>"
            f'<tbody>\n<tr class="open"><td>dispute-1</td><td>{E0010}-rev</td><td>2019-01</td>'
            '<td class="date">4.2.2019</td><td>avoin</td><td class="date"></td>'
            "<td>R08 works for a subsidiary</td><td></td></tr>\n</tbody></table>") in fi
    en = render(statement(ledgers["settled"], "SATA-2", "2019-02"), "html", "en").decode()
    assert ('<tr class="accepted"><td>dispute-2</td><td>claim: recruitment Q3</td>'
            '<td>2019-01</td><td class="date">4 Feb 2019</td><td>accepted</td>'
            '<td class="date">11 Feb 2019</td><td>Q3 started work on 2018-12-17</td>'
            "<td>payslip of 2018-12 received</td></tr>") in en
    assert "<h3>Validation (sample)</h3>" in en and "<h3>Disputes</h3>" in en


def test_xlsx_tables_of_validation_and_disputes(ledgers: dict[str, Path]) -> None:
    data = render(statement(ledgers["settled"], "SATA-1", "2019-02"), "xlsx", "fi")
    assert sheet_rows(data, "Tarkastus (otanta)", 5) == [
        ["Tarkastus (otanta)", None, None, None, None, None, None, None, None],
        ["Palkkioperuste", "Otoksessa", "Hyväksytty", "Hylätty", "Hylkäys kumottu",
         "Tarkastamatta", "Virheosuus", "Takaisinperitty", None],
        ["start_fee", 1, 1, 0, 0, 0, 0, 0, None],
        ["recruitment", 9, 6, 1, 1, 1, 0.119, 0, None],
        ["training_referral", 2, 2, 0, 0, 0, 0, 0, None]]
    assert sheet_rows(data, "Erimielisyydet", 3) == [
        ["Erimielisyydet", None, None, None, None, None, None, None, None],
        ["Erimielisyys", "Kohde", "Kausi", "Avattu", "Tila", "Ratkaistu",
         "Palveluntuottajan perustelu", "Ratkaisun perustelu", None],
        ["dispute-1", f"{E0010}-rev", "2019-01", dt.datetime(2019, 2, 4), "hyväksytty",
         dt.datetime(2019, 2, 10), "R08 works for a subsidiary",
         "the subsidiary's contract is the group's own", None]]
    ws = load_workbook(io.BytesIO(data)).active
    rate = ws.cell(row=[c.row for c in ws["A"] if c.value == "recruitment"][-1], column=7)
    assert rate.number_format == "0.0000"
    walked = render(statement(ledgers["walked"], "SATA-1", "2019-01"), "xlsx", "en")
    ws = load_workbook(io.BytesIO(walked)).active
    (row,) = [c.row for c in ws["A"] if c.value == "Validation (sample)"]
    recovered = ws.cell(row=row + 3, column=8)
    assert (ws.cell(row=row + 3, column=1).value, recovered.value) == ("recruitment", 417.85)
    assert recovered.number_format == '"€"#,##0.00;-"€"#,##0.00'


# --------------------------------------------------------------------------- no records, pseudonyms


def test_no_assurance_section_without_records(tmp_path: Path) -> None:
    with PostedLedger.open(tmp_path / "plain.sqlite") as store:
        store.post(kasvufee.load_scheme(EX / "scheme.yaml"),
                   kasvufee.read_events(EX / "events.csv"), "2018-12",
                   posted_at=noon("2019-01-02"))
        st = build_statement(store, "SATA-1", "2018-12")
    (part,) = st.schemes
    assert (part.validation, part.disputes) == ((), ())
    assert "assurance" not in json.loads(render(st, "json", "en"))["schemes"][0]
    rows = render(st, "csv", "fi").decode("utf-8-sig").splitlines()
    assert [r.split(";")[3] for r in rows[1:]].count("tarkastus") == 0
    for lang in ("fi", "en"):
        page = render(st, "html", lang).decode()
        assert "td.count" not in page and 'class="validation"' not in page
        assert 'class="disputes"' not in page


def test_a_pseudonymised_statement_hides_the_claimed_client(ledgers: dict[str, Path]) -> None:
    # Q3 has no entry yet in January: only the dispute names it.
    st = statement(ledgers["walked"], "SATA-2", "2019-01", pseudonymize_key=KEY)
    q3 = pseudonym("Q3", KEY)
    (d,) = st.schemes[0].disputes
    assert (d.client, d.subject, d.claim) == (q3, f"claim: recruitment {q3}",
                                             f"{q3} started work on 2018-12-17")
    for fmt in ("csv", "json", "html"):
        for lang in ("fi", "en"):
            text = render(st, fmt, lang).decode("utf-8-sig")
            assert re.search(r"\bQ3\b", text) is None, (fmt, lang)


# --------------------------------------------------------------------------- Finnish reasons


def _fi(day: dt.date) -> str:
    return str(format_date(day, format="d.M.yyyy", locale="fi_FI"))


@pytest.mark.parametrize(("english", "finnish"), [
    ("failed validation in draw audit-2019 on 2019-01-20: contract signed 2018-01-01 (but "
     "not started) (evidence case 2019-010)",
     "hylätty tarkastuksessa 20.1.2019 (otanta audit-2019): contract signed 2018-01-01 (but "
     "not started) (aineisto case 2019-010)"),
    ("confirmed on 2019-01-21 from draw d1: 1 of 1 sampled entry failed (90000.00 of "
     "90000.00, error rate 1.0000), extrapolated to the 1250000.50 of the 14 unsampled "
     "entries: point 1250000.50 (95 % interval 0.00 to 1250000.50)",
     "vahvistettu 21.1.2019 otannan d1 perusteella: otoksen 1 kirjauksesta 1 hylättiin "
     f"tarkastuksessa (90{NBSP}000,00{NBSP}€ / 90{NBSP}000,00{NBSP}€, virheosuus 1,0000), "
     "yleistetty otoksen ulkopuolisiin 14 kirjaukseen "
     f"(1{NBSP}250{NBSP}000,50{NBSP}€): piste-estimaatti 1{NBSP}250{NBSP}000,50{NBSP}€ "
     f"(95 %:n luottamusväli 0,00\u20131{NBSP}250{NBSP}000,50{NBSP}€)"),
    ("dispute-12 accepted on 2019-02-11: payslip (of 2018-12) received (the provider's "
     "claim: Q3 started work on 2018-12-17)",
     "dispute-12 hyväksytty 11.2.2019: payslip (of 2018-12) received (palveluntuottajan "
     "perustelu: Q3 started work on 2018-12-17)"),
    ("no longer due as the validation results stand",
     "ei enää aiheellinen tarkastustulosten mukaan"),
    ("the amount is now -1234.50 as the validation results stand",
     f"summa on nyt -1{NBSP}234,50{NBSP}€ tarkastustulosten mukaan"),
])
def test_finnish_reasons_of_the_assurance_cycle(english: str, finnish: str) -> None:
    assert finnish_reason(english, _fi) == finnish
