"""Messages a finance officer can act on: real flags, no Python, plurals right,
Finnish reasons on Finnish statements."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.dates import format_date
from click.testing import CliRunner

from kasvufee.cli import main
from kasvufee.plural import count
from kasvufee.report.reasons import finnish_reason
from tests.conftest import EXAMPLES

VS = EXAMPLES / "varsinais-suomi"
SATA = EXAMPLES / "satakunta-kokosata"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("n", "word", "text"), [
    (0, "entry", "0 entries"), (1, "entry", "1 entry"), (2, "entry", "2 entries"),
    (1, "reversal", "1 reversal"), (3, "reversal", "3 reversals"), (2, "day", "2 days"),
    (1, "event type", "1 event type"), (2, "event type", "2 event types"),
])
def test_count(n: int, word: str, text: str) -> None:
    assert count(n, word) == text


def test_finnish_dates_and_decimal_commas_suggest_finnish(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("event_id,type,provider_id,client_id,occurred_on,recorded_at,fte_years\n"
                      'e1,recruitment_made,P1,A1,31.1.2018,1.2.2018 12:00,"0,5"\n')
    code, out, err = invoke("run", str(SATA / "scheme.yaml"), str(events), "--check-all-columns")
    assert (code, out) == (2, "")
    hint = "(a Finnish spreadsheet export is read with --finnish)"
    assert err == (
        f"{events}:2: occurred_on: expected a date YYYY-MM-DD {hint}, got '31.1.2018'\n"
        f"{events}:2: recorded_at: expected a date or date-time like 2018-03-01 or "
        f"2018-03-01T12:30:00 {hint}, got '1.2.2018 12:00'\n"
        f"{events}:2: fte_years: expected a decimal number like 0.5 {hint}, got '0,5'\n"
        "kasvufee: 3 problems; nothing was written\n")


def test_a_semicolon_file_names_the_flag(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("event_id;type;provider_id;occurred_on\ne1;enrolled;P1;2.1.2018\n")
    code, _, err = invoke("run", str(VS / "scheme.yaml"), str(events))
    assert code == 2
    assert err == (f"{events}:1: header: expected columns separated by ',' (a file separated by "
                   "';' is read with --finnish), got 'event_id;type;provider_id;occurred_on'\n"
                   "kasvufee: 1 problem; nothing was written\n")


def test_bytes_not_utf8_name_the_encoding_flag(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_bytes(b"event_id,type,provider_id,client_id,occurred_on\n"
                       b"e1,enrolled,P1,\xe4,2018-01-02\n")
    code, _, err = invoke("run", str(VS / "scheme.yaml"), str(events))
    assert code == 2
    assert err == (f"{events}:2: expected text in utf-8 (a Finnish Excel export is usually "
                   "cp1252: --encoding cp1252), got the byte 0xe4\n"
                   "kasvufee: 1 problem; nothing was written\n")
    code, _, err = invoke("run", str(VS / "scheme.yaml"), str(events), "--encoding", "cp1252",
                          "--as-of", "2018-12-31")
    assert (code, err) == (0, (
        "warning: no event has employment_id, which placement reads: check the events file's "
        "columns\n"
        "warning: no event has risk_class, which placement reads: check the events file's "
        "columns\n"
        "varsinais-suomi: 0 entries, total 0.00 EUR as of 2018-12-31\n"
        "2 components no event reaches:\n"
        "  placement (version 1, on employment_started)\n"
        "  training_referral (version 1, on training_referred)\n"))


def test_an_unknown_encoding_is_a_usage_error() -> None:
    code, _, err = invoke("run", str(VS / "scheme.yaml"), str(VS / "events.csv"), "--encoding",
                          "latin-9x")
    assert code == 2
    assert err.splitlines()[-1] == ("Error: Invalid value for '--encoding': expected an "
                                    "encoding such as utf-8 or cp1252, got 'latin-9x'")


def test_library_errors_carry_no_class_name() -> None:
    code, _, err = invoke("simulate", str(VS / "scheme.yaml"), "--population",
                          str(EXAMPLES / "populations" / "southwest-finland.yaml"),
                          "--workers", "2")
    assert code != 0
    assert err == "kasvufee: --workers sizes the local Dask cluster: add --dask\n"


@pytest.mark.parametrize(("args", "field", "expected", "found"), [
    ((), "--paid-scheme", "what was paid: --paid-scheme A, or --ledger PATH with --scheme-id ID",
     "neither"),
    (("--paid-scheme", str(SATA / "scheme.yaml"), "--ledger", "x.sqlite"), "--paid-scheme",
     "what was paid: --paid-scheme A, or --ledger PATH with --scheme-id ID", "both"),
    (("--ledger", "x.sqlite"), "--scheme-id",
     "the posted scheme to compare with (with --ledger)", "nothing"),
])
def test_replay_without_what_was_paid_says_so(args: tuple[str, ...], field: str,
                                              expected: str, found: str) -> None:
    code, out, err = invoke("replay", str(VS / "scheme.yaml"), "--events",
                            str(SATA / "events.csv"), "--as-of", "2018-12-31", *args)
    assert (code, out) == (2, "")
    assert err == (f"<command line>: {field}: expected {expected}, got {found}\n"
                   "kasvufee: 1 problem; nothing was written\n")


def test_replay_of_a_scheme_never_posted_says_so(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    code, _, err = invoke("post", str(SATA / "scheme.yaml"), str(SATA / "events.csv"),
                          "--ledger", str(ledger), "--period", "2018-01")
    assert code == 0, err
    code, out, err = invoke("replay", str(VS / "scheme.yaml"), "--events",
                            str(SATA / "events.csv"), "--as-of", "2018-12-31", "--ledger",
                            str(ledger), "--scheme-id", "satakunta")
    assert (code, out) == (2, "")
    assert err == (f"<command line>: --scheme-id: expected a scheme with entries posted in "
                   f"{ledger} by 2018-12-31, got 'satakunta'\n"
                   "kasvufee: 1 problem; nothing was written\n")


def _fi(day: object) -> str:
    return str(format_date(day, format="d.M.yyyy", locale="fi_FI"))


@pytest.mark.parametrize(("english", "finnish"), [
    ("no longer supported: event e5 was voided by v1 (hired by the provider itself)",
     "ei enää peruste: tapahtuma e5 mitätöitiin tapahtumalla v1 (hired by the provider itself)"),
    ("no longer supported: event e5 was voided by v1",
     "ei enää peruste: tapahtuma e5 mitätöitiin tapahtumalla v1"),
    ("no longer supported by the events known on 2018-05-31 (events e5)",
     "ei enää peruste 31.5.2018 tiedossa olleiden tapahtumien mukaan (tapahtumat e5)"),
    ("no longer supported: ended on 2018-04-01 (e0006) before the 3-month mark 2018-05-10",
     "ei enää peruste: päättyi 1.4.2018 (e0006) ennen 3 kuukauden rajaa 10.5.2018"),
    ("pending: the condition becomes true on 2019-02-15, after 2018-12-31",
     "odottaa: ehto täyttyy 15.2.2019, arviointipäivän 31.12.2018 jälkeen"),
    ("already earned once for this key by e0008 on 2018-01-20",
     "ansaittu jo kerran samalla perusteella: tapahtuma e0008 20.1.2018"),
    ("missing client.risk_class (needs one of high, medium, low)",
     "puuttuu client.risk_class (jokin arvoista high, medium, low)"),
    ("requires plan_completed on or before 2018-03-01; none found",
     "edellyttää tapahtumaa plan_completed viimeistään 1.3.2018; sellaista ei löytynyt"),
    ("outside the window: 2018-09-01 is not after enrolled 2018-01-02 and on or before "
     "2018-07-02 (6 months)",
     "aikaikkunan ulkopuolella: 1.9.2018 ei ole tapahtuman enrolled (2.1.2018) jälkeen eikä "
     "viimeistään 2.7.2018 (6 kuukautta)"),
    ("outside the window: 2015-12-01 is not on or after enrolled 2015-01-05 and on or before "
     "2015-11-30 (13 weeks or contract.end, the earlier)",
     "aikaikkunan ulkopuolella: 1.12.2015 ei ole tapahtuman enrolled (5.1.2015) jälkeen tai "
     "samana päivänä eikä viimeistään 30.11.2015 (13 viikkoa tai contract.end, aiempi)"),
    ("ended on 2018-03-01 (e6) before the 13-week mark 2018-04-05",
     "päättyi 1.3.2018 (e6) ennen 13 viikon rajaa 5.4.2018"),
    ("ended on 2018-03-01 (e6) before the 1-year mark 2019-01-05",
     "päättyi 1.3.2018 (e6) ennen 1 vuoden rajaa 5.1.2019"),
    ("no proof: the event has no evidence_ref and no evidence_provided names it",
     "ei näyttöä: tapahtumalla ei ole tietoa evidence_ref, eikä mikään "
     "evidence_provided-tapahtuma viittaa siihen"),
    ("condition revenue >= 1.1 * baseline not met (revenue=100, baseline=100)",
     "ehto revenue >= 1.1 * baseline ei täyty (revenue=100, baseline=100)"),
    ("no proof: evidence_provided e2 is dated 2018-01-20, before the event",
     "ei näyttöä: evidence_provided-tapahtuma e2 on päivätty 20.1.2018, ennen tapahtumaa"),
    ("no proof: evidence_ref TS-1 already proves client A's e4",
     "ei näyttöä: evidence_ref TS-1 on jo asiakkaan A tapahtuman e4 näyttö"),
    ("no proof: evidence_provided e7 names evidence_ref TS-1, which already proves client A's e4",
     "ei näyttöä: evidence_provided-tapahtuma e7 viittaa tietoon evidence_ref TS-1, joka on jo "
     "asiakkaan A tapahtuman e4 näyttö"),
    ("ended on 2013-06-10 (e3) before payment 2 of 6 due on 2013-07-01 (and so before "
     "payments 3 to 6)",
     "päättyi 10.6.2013 (e3) ennen 1.7.2013 erääntyvää maksua 2/6 (eikä maksuja 3\u20136)"),
    ("ended on 2013-06-10 (e3) before payment 2 of 3 due on 2013-07-01 (and so before "
     "payment 3)",
     "päättyi 10.6.2013 (e3) ennen 1.7.2013 erääntyvää maksua 2/3 (eikä maksua 3)"),
    ("ended on 2013-07-15 (e3) before payment 3 of 3 due on 2013-07-29",
     "päättyi 15.7.2013 (e3) ennen 29.7.2013 erääntyvää maksua 3/3"),
    ("client not eligible: client.age < 25 or client.disabled is not true (client.age=30, "
     "client.disabled=false)",
     "asiakas ei täytä ehtoa: client.age < 25 or client.disabled ei ole tosi (client.age=30, "
     "client.disabled=false)"),
    ("no proof: evidence_provided e3 is from provider OTHER, not P",
     "ei näyttöä: evidence_provided-tapahtuma e3 on palveluntuottajan OTHER, ei "
     "palveluntuottajan P"),
    ("no proof: evidence_provided d2 is for client A, not D",
     "ei näyttöä: evidence_provided-tapahtuma d2 koskee asiakasta A, ei asiakasta D"),
    ("client C was enrolled with another provider on 2018-01-10, with P only on 2018-04-01, "
     "after the event",
     "asiakas C oli toisen palveluntuottajan asiakas 10.1.2018 alkaen, palveluntuottajan P "
     "vasta 1.4.2018, tapahtuman jälkeen"),
    ("repeat: no number of times for client.payment_group = jsa (needs one of esa_new, "
     "esa_vol)",
     "toisto: maksukertojen määrää ei ole arvolle client.payment_group = jsa (jokin arvoista "
     "esa_new, esa_vol)"),
    ("lasts: no duration for client.payment_group = missing (needs one of jsa_18_24, "
     "esa_ex_ib)",
     "kesto: kestoa ei ole arvolle client.payment_group = missing (jokin arvoista jsa_18_24, "
     "esa_ex_ib)"),
    ("181 days in work from 2019-01-01 to before 2020-04-01 (needs 182), across the spells "
     "known",
     "181 päivää työssä 1.1.2019 alkaen ennen 1.4.2020 (tarvitaan 182), tunnetut työjaksot "
     "yhteensä"),
    ("income_support_assessed c2 on 2019-06-03 gives reduction_pct 55, below 60 (the period "
     "from 2019-06-03 to before 2019-07-01)",
     "income_support_assessed-tapahtuma c2 (3.6.2019) antaa tiedolle reduction_pct arvon 55, "
     "alle rajan 60 (jakso 3.6.2019 alkaen ennen 1.7.2019)"),
    ("income_support_assessed a1 has fortnight_start 2019-13-01, not a date, so its period "
     "is unknown",
     "income_support_assessed-tapahtuman a1 tieto fortnight_start (2019-13-01) ei ole "
     "päivämäärä, joten sen jaksoa ei tiedetä"),
    ("income_support_assessed b2 has no fortnight_start, so its period is unknown",
     "income_support_assessed-tapahtumalla b2 ei ole tietoa fortnight_start, joten sen jaksoa "
     "ei tiedetä"),
    ("income_support_assessed a1 on 2019-06-10 has no reduction_pct",
     "income_support_assessed-tapahtumalla a1 (10.6.2019) ei ole tietoa reduction_pct"),
    ("answers 1;1;99 outside the scale 1 to 5", "answers 1;1;99 asteikon 1\u20135 ulkopuolella"),
    ("client not eligible: 2 < 1 is not true", "asiakas ei täytä ehtoa: 2 < 1 ei ole tosi"),
    ("condition 2 < 1 not met", "ehto 2 < 1 ei täyty"),
    ("no score on the event", "tapahtumalla ei ole tietoa score"),
    ("score abc is not a number", "score abc ei ole luku"),
    ("a reason of the scheme's own", "a reason of the scheme's own"),
])
def test_finnish_reasons(english: str, finnish: str) -> None:
    assert finnish_reason(english, _fi) == finnish
