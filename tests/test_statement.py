"""Provider statements from the posted ledger, on SQLite and PostgreSQL: the
pilots posted month by month, then each provider's statement in four formats
and two languages, with literal euros, dates, reasons, caps and stars."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from babel.numbers import format_currency
from openpyxl import load_workbook

import kasvufee
from kasvufee.errors import LedgerError, UsageError
from kasvufee.report.statement import (
    CapUse,
    StarRating,
    Statement,
    build_statement,
    pseudonym,
    read_pseudonymize_key,
    write_statement,
)
from kasvufee.store import PostedLedger
from tests.conftest import EXAMPLES, scheme_yaml

NBSP = "\u00a0"  # Babel's Finnish group separator, and the space before the €
LINK = '=HYPERLINK("http://x")'
KEY = b"0123456789abcdef-statement-test-key"
T1_RECRUITMENT = "lappi-matkailu:1:recruitment:e0004:20181101"  # T1's realised recruitment

# --------------------------------------------------------------------------- helpers


def events(slug: str, *extra: Mapping[str, object]) -> pl.DataFrame:
    table = kasvufee.read_events(EXAMPLES / slug / "events.csv")
    return kasvufee.events_from_records([*table.drop("line").to_dicts(), *map(dict, extra)])


def month_end(period: str) -> dt.datetime:
    year, month = map(int, period.split("-"))
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.datetime.combine(first_next - dt.timedelta(days=1), dt.time(18))


def post(store: PostedLedger, slug: str, table: pl.DataFrame, periods: list[str],
         scheme: kasvufee.Scheme | None = None) -> None:
    scheme = scheme or kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")
    for period in periods:
        store.post(scheme, table, period, posted_at=month_end(period))


def months(first: str, last: str) -> list[str]:
    out, (year, month) = [], map(int, first.split("-"))
    while f"{year}-{month:02d}" <= last:
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def render(statement: Statement, fmt: str, lang: str) -> bytes:
    out = io.BytesIO()
    write_statement(statement, fmt, lang, out)  # type: ignore[arg-type]
    return out.getvalue()


def csv_rows(data: bytes, lang: str = "fi") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a byte order mark, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")),
                           delimiter=";" if lang == "fi" else ","))


def sheet(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data)).active


def row_of(ws: Any, label: str) -> int:
    """The first row whose column A holds ``label``."""
    for cell in ws["A"]:
        if cell.value == label:
            return int(cell.row)
    raise AssertionError(f"no row {label!r}")


def ledger_sum(store: PostedLedger, provider: str, period: str) -> Decimal:
    rows = store.entries().filter((pl.col("provider_id") == provider)
                                  & (pl.col("period") == period))
    return sum((Decimal(a) for a in rows["amount"]), Decimal(0))


VOID_E0004 = {"event_id": "v1", "type": "event_voided", "provider_id": "LAPPI-REKRY",
              "client_id": "T1", "occurred_on": "2018-11-01", "recorded_at": "2019-01-10",
              "voids": "e0004", "reason": "recruitment was registered twice"}


def lappi(store: PostedLedger) -> None:
    """Lappi posted monthly from July 2018; e0004 (T1's recruitment) voided in January."""
    post(store, "lappi-matkailu", events("lappi-matkailu", VOID_E0004),
         months("2018-07", "2019-01"))


LINK_HIRED = {"event_id": "x1", "type": "employment_started", "provider_id": "SATA-2",
              "client_id": LINK, "occurred_on": "2018-03-10", "employment_id": "X-1"}
VOID_E0005 = {"event_id": "v1", "type": "event_voided", "provider_id": "SATA-1",
              "client_id": "R03", "occurred_on": "2018-05-03", "voids": "e0005"}


def satakunta(store: PostedLedger) -> None:
    """KokoSata posted January to April 2018 (SATA-2 also hired a client called
    ``=HYPERLINK(...)``), then R03's recruitment voided in May."""
    slug = "satakunta-kokosata"
    post(store, slug, events(slug, LINK_HIRED), months("2018-01", "2018-04"))
    post(store, slug, events(slug, LINK_HIRED, VOID_E0005), ["2018-05"])


# --------------------------------------------------------------------------- Babel


def test_babel_formats_that_statements_rely_on() -> None:
    # Finnish: no-break space (U+00A0) between thousands and before the sign;
    # a negative amount starts with an ASCII hyphen-minus (not U+2212).
    assert format_currency(Decimal("1234.56"), "EUR", locale="fi_FI") == f"1{NBSP}234,56{NBSP}€"
    assert format_currency(Decimal("-150.00"), "EUR", locale="fi_FI") == f"-150,00{NBSP}€"
    assert format_currency(Decimal("1234.56"), "EUR", locale="en_IE") == "€1,234.56"
    assert format_currency(Decimal("-150.00"), "EUR", locale="en_IE") == "-€150.00"


# --------------------------------------------------------------------------- lappi


def test_a_month_with_a_reversal(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        statement = build_statement(store, "LAPPI-REKRY", "2019-01")
        (part,) = statement.schemes
        assert (part.scheme_id, part.buyer) == ("lappi-matkailu", "Lapin ELY-keskus")
        assert [(x.component, x.client, x.earned_on.isoformat(), x.amount_cents, x.kind,
                 x.reason, x.reverses_period) for x in part.lines] == [
            ("fixed", None, "2019-01-01", 20_000_00, "earned", None, None),
            ("recruitment", "T1", "2018-11-01", -150_00, "reversal",
             ("no longer supported: event e0004 was voided by v1 "
             "(recruitment was registered twice)"), "2018-11")]
        assert [(c.component, c.lines, c.amount_cents) for c in part.components] == [
            ("fixed", 1, 20_000_00), ("recruitment", 1, -150_00)]
        # 3 x 20 000 fixed + 700 + 350 + 0 quality + 150 + 300 + 300 + 150 - 150 recruitment
        assert (statement.total_cents, statement.to_date_cents) == (19_850_00, 61_800_00)
        assert ledger_sum(store, "LAPPI-REKRY", "2019-01") == Decimal("19850.00")

        ws = sheet(render(statement, "xlsx", "fi"))
        total = ws.cell(row=row_of(ws, "Yhteensä"), column=6)
        assert Decimal(str(total.value)) == ledger_sum(store, "LAPPI-REKRY", "2019-01")
        assert total.number_format == '#,##0.00 "€"'
        assert ws.cell(row=row_of(ws, "Kertymä kauden loppuun"), column=6).value == 61800
        reversal = row_of(ws, "recruitment")
        assert [ws.cell(row=reversal, column=c).value for c in range(1, 10)] == [
            "recruitment", f"{T1_RECRUITMENT}-rev", "T1", dt.datetime(2018, 11, 1),
            "oikaisu", -150, None, None,
            f"Oikaisee kirjauksen {T1_RECRUITMENT} (kausi 2018-11): ei enää peruste: "
            "tapahtuma e0004 mitätöitiin tapahtumalla v1 (recruitment was registered twice)"]
        assert ws.cell(row=reversal, column=4).number_format == "d.m.yyyy"

        page = render(statement, "html", "fi").decode()
        assert '<html lang="fi">' in page
        assert f'<td class="money neg">-150,00{NBSP}€</td>' in page
        assert ("ei enää peruste: tapahtuma e0004 mitätöitiin tapahtumalla v1 "
             "(recruitment was registered twice)") in page
        assert "<td>Yhteensä</td>" not in page  # totals span the label columns
        assert f'<td colspan="4">Yhteensä</td><td class="money">19{NBSP}850,00{NBSP}€</td>' \
            in page


def test_finnish_csv_is_a_case_file(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        rows = csv_rows(render(build_statement(store, "LAPPI-REKRY", "2019-01"), "csv", "fi"))
        entries, last = store.head()
    head = ["LAPPI-REKRY", "2019-01", "lappi-matkailu"]
    assert rows == [
        ["Palveluntuottaja", "Kausi", "Palkkiomalli", "Rivi", "Palkkioperuste", "Kirjaus",
         "Asiakas", "Ansaittu", "Laji", "Summa", "Ennen kattoa", "Katto", "Peruste"],
        [*head, "kirjaus", "fixed", "lappi-matkailu:1:fixed:LAPPI-REKRY:20190101:3", "",
         "1.1.2019", "palkkio", "20000,00", "", "", ""],
        [*head, "välisumma", "fixed", "", "", "", "", "20000,00", "", "", ""],
        [*head, "kirjaus", "recruitment", f"{T1_RECRUITMENT}-rev", "T1", "1.11.2018",
         "oikaisu", "-150,00", "", "",
         f"Oikaisee kirjauksen {T1_RECRUITMENT} (kausi 2018-11): ei enää peruste: "
         "tapahtuma e0004 mitätöitiin tapahtumalla v1 (recruitment was registered twice)"],
        [*head, "välisumma", "recruitment", "", "", "", "", "-150,00", "", "", ""],
        [*head, "yhteensä", "", "", "", "", "", "19850,00", "", "", ""],
        [*head, "kertymä", "", "", "", "", "", "61800,00", "", "", ""],
        [*head, "katto", "quality, recruitment", "", "", "", "", "", "", "client_result",
         f"1{NBSP}000,00{NBSP}€ asiakasta kohden; katon saavuttaneet asiakkaat: "
         "0 / 3 asiakasta"],
        [*head, "katto", "quality, recruitment", "", "", "", "", "1800,00", "", "result_pool",
         f"20{NBSP}000,00{NBSP}€ koko sopimus; käytetty 1{NBSP}800,00{NBSP}€, "
         f"jäljellä 18{NBSP}200,00{NBSP}€"],
        ["LAPPI-REKRY", "2019-01", "", "kirjanpito", "", "", "", "", "", "", "", "",
         f"Kirjanpidon tila: {entries} kirjausta, viimeisen tiiviste {last}"],
    ]


def test_first_instalment_in_finnish_and_english(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        statement = build_statement(store, "LAPPI-REKRY", "2018-07")
    fi = render(statement, "html", "fi").decode()
    assert "<dd>heinäkuu 2018</dd>" in fi
    assert '<td class="date">1.7.2018</td>' in fi
    assert f'<td class="money">20{NBSP}000,00{NBSP}€</td>' in fi
    en = render(statement, "html", "en").decode()
    assert '<html lang="en">' in en
    assert "<dd>July 2018</dd>" in en
    assert '<td class="date">1 Jul 2018</td>' in en
    assert '<td class="money">€20,000.00</td>' in en
    rows = csv_rows(render(statement, "csv", "en"), "en")
    assert rows[0][:5] == ["Provider", "Period", "Scheme", "Row", "Component"]
    assert rows[1][3:10] == ["entry", "fixed", "lappi-matkailu:1:fixed:LAPPI-REKRY:20180701:1",
                             "", "1 Jul 2018", "earned", "20000.00"]
    ws = sheet(render(statement, "xlsx", "en"))
    assert ws.title == "Statement"
    total = ws.cell(row=row_of(ws, "Total"), column=6)
    assert (total.value, total.number_format) == (20000, '"€"#,##0.00;-"€"#,##0.00')


def test_json_is_the_same_in_both_languages(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        statement = build_statement(store, "LAPPI-REKRY", "2019-01")
    data = render(statement, "json", "fi")
    assert data == render(statement, "json", "en")
    doc = json.loads(data)
    assert (doc["provider"], doc["period"], doc["total"], doc["to_date"]) == (
        "LAPPI-REKRY", "2019-01", "19850.00", "61800.00")
    (part,) = doc["schemes"]
    assert part["lines"][1] == {
        "entry_id": f"{T1_RECRUITMENT}-rev", "component": "recruitment", "client": "T1",
        "earned_on": "2018-11-01", "amount": "-150.00", "kind": "reversal",
        "scheme_version": "1", "reason": ("no longer supported: event e0004 was voided by v1 "
             "(recruitment was registered twice)"),
        "reverses": T1_RECRUITMENT, "reverses_period": "2018-11",
        "capped_from": None, "cap": None}
    assert part["caps"][1] == {
        "cap": "result_pool", "per": "contract", "components": ["quality", "recruitment"],
        "limit": "20000.00", "used": "1800.00", "remaining": "18200.00", "clients": None,
        "clients_at_cap": None,
        "description": "at most 20000.00 € per contract over quality, recruitment"}
    assert part["rating"] is None


def test_a_month_without_entries_is_an_empty_but_valid_statement(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        august = build_statement(store, "LAPPI-REKRY", "2018-08")
        before = build_statement(store, "LAPPI-REKRY", "2018-06")
    (part,) = august.schemes
    assert (part.lines, part.components, part.total_cents, part.to_date_cents) == (
        (), (), 0, 20_000_00)
    page = render(august, "html", "fi").decode()
    assert "Ei kirjauksia tällä kaudella." in page
    assert f'<td colspan="4">Yhteensä</td><td class="money">0,00{NBSP}€</td>' in page
    ws = sheet(render(august, "xlsx", "fi"))
    assert ws.cell(row=row_of(ws, "Yhteensä"), column=6).value == 0
    # nothing posted for the provider yet: no scheme, totals zero, every format still writes
    assert (before.schemes, before.total_cents) == ((), 0)
    assert "Palveluntuottajalla ei ole kirjauksia" in render(before, "html", "fi").decode()
    assert csv_rows(render(before, "csv", "fi"))[-2][-4] == "0,00"
    assert json.loads(render(before, "json", "en"))["total"] == "0.00"
    assert sheet(render(before, "xlsx", "en"))["A1"].value == "Statement"


def test_unknown_provider_and_bad_period(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        with pytest.raises(LedgerError, match=r"no entries for provider 'NOBODY' in .*; the "
                                              r"ledger has entries for 1 provider: "
                                              r"'LAPPI-REKRY'"):
            build_statement(store, "NOBODY", "2019-01")
        with pytest.raises(UsageError, match="a period YYYY-MM, got '2019-1'"):
            build_statement(store, "LAPPI-REKRY", "2019-1")
        with pytest.raises(LedgerError, match="no posting of scheme 'pirkanmaa-kasvubuusti' "
                                              "up to 2019-01"):
            build_statement(store, "LAPPI-REKRY", "2019-01", scheme_id="pirkanmaa-kasvubuusti")
        with pytest.raises(UsageError, match="at least 16 bytes, got 5"):
            build_statement(store, "LAPPI-REKRY", "2019-01", pseudonymize_key=b"short")
        statement = build_statement(store, "LAPPI-REKRY", "2019-01")
        with pytest.raises(UsageError, match="a statement format"):
            render(statement, "pdf", "fi")
        with pytest.raises(UsageError, match="a statement language"):
            render(statement, "html", "sv")


def test_two_schemes_one_statement(ledger_url: str) -> None:
    extra = kasvufee.parse_scheme(scheme_yaml(
        "- id: guidance\n  on: guidance_completed\n  once_per: client\n  amount: 100.00\n"
    ).replace("scheme: t\n", "scheme: lappi-extra\n"))
    guided = kasvufee.events_from_records([
        {"event_id": "g1", "type": "guidance_completed", "provider_id": "LAPPI-REKRY",
         "client_id": "T9", "occurred_on": "2019-01-05"}])
    with PostedLedger.open(ledger_url) as store:
        lappi(store)
        post(store, "lappi-extra", guided, ["2019-01"], scheme=extra)
        both = build_statement(store, "LAPPI-REKRY", "2019-01")
        one = build_statement(store, "LAPPI-REKRY", "2019-01", scheme_id="lappi-extra")
    assert [s.scheme_id for s in both.schemes] == ["lappi-extra", "lappi-matkailu"]
    assert (both.total_cents, both.to_date_cents) == (19_950_00, 61_900_00)
    assert [s.scheme_id for s in one.schemes] == ["lappi-extra"]
    assert (one.total_cents, one.to_date_cents) == (100_00, 100_00)
    ws = sheet(render(both, "xlsx", "fi"))
    assert ws.cell(row=row_of(ws, "Kaikki palkkiomallit yhteensä"), column=6).value == 19950
    rows = csv_rows(render(both, "csv", "fi"))
    assert rows[-3][3:] == ["yhteensä", "", "", "", "", "", "19950,00", "", "", ""]


# --------------------------------------------------------------------------- caps


def test_caps_used_and_remaining(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        satakunta(store)
        april = build_statement(store, "SATA-1", "2018-04")
        sata2 = build_statement(store, "SATA-2", "2018-03")
    (part,) = april.schemes
    # 14 x 2 000 recruitments + 3 x 400 referrals = 29 200; R15 gets the last 800
    assert [(x.client, x.amount_cents, x.capped_from_cents, x.cap) for x in part.lines] == [
        ("R15", 800_00, 2_000_00, "result_budget"), ("R16", 0, 2_000_00, "result_budget")]
    assert part.caps == (CapUse(
        cap="result_budget", per="provider", components=("recruitment", "training_referral"),
        limit_cents=30_000_00,
        description="at most 30000.00 € per provider over recruitment, training_referral",
        used_cents=30_000_00, remaining_cents=0),)
    assert (part.total_cents, part.to_date_cents) == (800_00, 60_000_00)
    assert sata2.schemes[0].caps[0].used_cents == 6_000_00
    assert sata2.schemes[0].caps[0].remaining_cents == 24_000_00

    ws = sheet(render(april, "xlsx", "fi"))
    header = row_of(ws, "Katot") + 1
    assert [ws.cell(row=header, column=c).value for c in range(1, 8)] == [
        "Katto", "Kohde", "Palkkioperusteet", "Enimmäismäärä", "Käytetty", "Jäljellä",
        "Katon saavuttaneet asiakkaat"]
    assert [ws.cell(row=header + 1, column=c).value for c in range(1, 8)] == [
        "result_budget", "palveluntuottajaa kohden", "recruitment, training_referral",
        30000, 30000, 0, None]
    r15 = row_of(ws, "recruitment")
    assert [ws.cell(row=r15, column=c).value for c in (3, 6, 7, 8)] == [
        "R15", 800, 2000, "result_budget"]
    page = render(april, "html", "en").decode()
    assert ('<td>result_budget</td><td>per provider</td><td>recruitment, training_referral</td>'
            '<td class="money">€30,000.00</td><td class="money">€30,000.00</td>'
            '<td class="money">€0.00</td><td></td>') in page


def test_a_correction_month_shows_each_reversal_and_its_reason(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        satakunta(store)
        may = build_statement(store, "SATA-1", "2018-05")
        assert ledger_sum(store, "SATA-1", "2018-05") == Decimal("0.00")
    (part,) = may.schemes
    assert [(x.client, x.kind, x.amount_cents, x.reverses_period) for x in part.lines] == [
        ("R03", "reversal", -2_000_00, "2018-02"),
        ("R15", "reversal", -800_00, "2018-04"), ("R15", "earned", 2_000_00, None),
        ("R16", "reversal", 0, "2018-04"), ("R16", "earned", 800_00, None)]
    assert part.lines[0].reason == "no longer supported: event e0005 was voided by v1"
    assert part.lines[1].reason == ("the amount is now 2000.00 €, not 800.00 € (cap "
                                    "result_budget no longer cuts it)")
    assert (part.total_cents, part.caps[0].used_cents) == (0, 30_000_00)


def test_per_client_caps_count_the_clients_at_the_cap(ledger_url: str) -> None:
    # T4 answers well and is recruited: 700 + 300 = 1 000, exactly the client_result cap
    who = {"provider_id": "LAPPI-REKRY", "client_id": "T4"}
    t4: list[dict[str, object]] = [
        {**who, "event_id": "t41", "type": "enrolled", "occurred_on": "2018-08-01",
         "client_kind": "company"},
        {**who, "event_id": "t42", "type": "survey_answered", "occurred_on": "2018-09-05",
         "answers": [4, 4, 4, 4]},
        {**who, "event_id": "t43", "type": "recruitment_made", "occurred_on": "2018-09-20",
         "fte_years": "1"}]
    with PostedLedger.open(ledger_url) as store:
        post(store, "lappi-matkailu", events("lappi-matkailu", *t4), months("2018-07", "2018-10"))
        statement = build_statement(store, "LAPPI-REKRY", "2018-10")
    client_result = statement.schemes[0].caps[0]
    assert (client_result.cap, client_result.clients, client_result.clients_at_cap,
            client_result.used_cents) == ("client_result", 4, 1, None)
    page = render(statement, "html", "fi").decode()
    assert "<td>1 / 4 asiakasta</td>" in page


# --------------------------------------------------------------------------- rating


def test_star_rating_of_a_voucher_provider(ledger_url: str) -> None:
    slug = "pirkanmaa-kasvubuusti"
    with PostedLedger.open(ledger_url) as store:
        post(store, slug, events(slug), months("2018-01", "2018-09"))
        september = build_statement(store, "P1", "2018-09")
        july = build_statement(store, "P1", "2018-07")
    # V1 answered 5;5;4;5 (4.75) and V3 5;5;5;5 (5.00): (4.75 + 5.00) / 2 = 4.875 → 4.88
    assert september.schemes[0].rating == StarRating(Decimal("4.88"), 2)
    assert september.schemes[0].lines == ()  # P1 earned nothing in September
    assert [(x.component, x.client, x.amount_cents) for x in july.schemes[0].lines] == [
        ("base", "V5", 1_000_00)]
    assert july.schemes[0].components[0].title == "Base fee when the voucher is redeemed"
    assert "<dt>Tähtiluokitus</dt><dd>4,88 (2 vastausta)</dd>" in render(
        september, "html", "fi").decode()
    assert "<dt>Star rating</dt><dd>4.88 (2 answers)</dd>" in render(
        september, "html", "en").decode()
    ws = sheet(render(september, "xlsx", "fi"))
    stars = row_of(ws, "Tähtiluokitus")
    assert (ws.cell(row=stars, column=2).value, ws.cell(row=stars, column=2).number_format,
            ws.cell(row=stars + 1, column=1).value, ws.cell(row=stars + 1, column=2).value) == (
        4.88, "0.00", "Vastauksia", 2)
    rows = csv_rows(render(september, "csv", "fi"))
    assert rows[-2][3:] == ["tähtiluokitus", "", "", "", "", "", "", "", "",
                            "4,88 (2 vastausta)"]
    assert json.loads(render(september, "json", "fi"))["schemes"][0]["rating"] == {
        "mean": "4.88", "answers": 2}


# --------------------------------------------------------------------------- injection


def test_a_formula_like_client_id_stays_inert(ledger_url: str, tmp_path: Path) -> None:
    with PostedLedger.open(ledger_url) as store:
        satakunta(store)
        statement = build_statement(store, "SATA-2", "2018-03")
    assert [x.client for x in statement.schemes[0].lines] == ["Q1", "Q2", LINK]

    path = tmp_path / "statement.xlsx"
    path.write_bytes(render(statement, "xlsx", "fi"))
    ws = load_workbook(path).active
    cell = ws.cell(row=row_of(ws, "recruitment") + 2, column=3)
    assert (cell.value, cell.data_type) == (LINK, "s")
    with zipfile.ZipFile(path) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()

    rows = csv_rows(render(statement, "csv", "fi"))
    assert rows[3][6] == "'" + LINK
    assert all(not c.startswith(("=", "+", "@")) for row in rows for c in row)

    page = render(statement, "html", "fi").decode()
    assert "<td>=HYPERLINK(&quot;http://x&quot;)</td>" in page
    assert LINK not in page

    assert json.loads(render(statement, "json", "fi"))["schemes"][0]["lines"][2]["client"] \
        == LINK


# --------------------------------------------------------------------------- pseudonyms

CLIENTS = [f"R{n:02d}" for n in range(1, 17)] + ["Q1", "Q2", LINK, "HYPERLINK"]


def _all_text(fmt: str, data: bytes) -> str:
    if fmt != "xlsx":
        return data.decode("utf-8-sig")
    ws = sheet(data)
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_pseudonymised_statements_name_no_client(ledger_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY + b"\n")
    key = read_pseudonymize_key(key_file)
    assert key == KEY
    with PostedLedger.open(ledger_url) as store:
        satakunta(store)
        statements = [build_statement(store, p, m, pseudonymize_key=key)
                      for p, m in (("SATA-1", "2018-04"), ("SATA-1", "2018-05"),
                                   ("SATA-2", "2018-03"))]
        again = build_statement(store, "SATA-1", "2018-05", pseudonymize_key=KEY)
        other = build_statement(store, "SATA-1", "2018-05", pseudonymize_key=b"another key, 16+")
    for statement in statements:
        assert statement.pseudonymized
        for fmt in ("xlsx", "csv", "json", "html"):
            for lang in ("fi", "en"):
                text = _all_text(fmt, render(statement, fmt, lang))
                found = [c for c in CLIENTS if c in text]
                assert found == [], (fmt, lang, found)
                assert re.search(r"\bR\d\d\b", text) is None
    may = statements[1].schemes[0].lines
    r15 = pseudonym("R15", KEY)
    assert re.fullmatch(r"c-[0-9a-f]{16}", r15)
    assert [x.client for x in may[1:3]] == [r15, r15]
    assert again == statements[1]
    assert [x.client for x in other.schemes[0].lines] != [x.client for x in may]
    assert statements[2].schemes[0].lines[2].client == pseudonym(LINK, KEY)
    assert "Asiakastunnukset on korvattu pseudonyymeillä." in render(
        statements[0], "html", "fi").decode()


def test_a_short_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"secret\n")
    with pytest.raises(UsageError, match="at least 16 bytes, got 6"):
        read_pseudonymize_key(path)


def test_a_contract_cap_counts_every_providers_entries(ledger_url: str) -> None:
    """Two providers share Kaakkois-Suomi's 5 000 € vacancy cap: each one's
    statement shows the whole contract's use, summed in the database."""
    scheme = kasvufee.load_scheme(EXAMPLES / "kaakkois-suomi" / "scheme.yaml")
    rows = [{"event_id": f"v{n}", "type": "vacancy_reported", "provider_id": provider,
             "occurred_on": day} for n, (provider, day) in enumerate(
                 [("A", "2018-02-01"), ("B", "2018-02-02"), ("B", "2018-02-03"),
                  ("A", "2018-03-01")])]
    events = kasvufee.events_from_records(rows)
    with PostedLedger.open(ledger_url) as store:
        store.post(scheme, events, "2018-02", posted_at=dt.datetime(2018, 3, 5, 9))
        store.post(scheme, events, "2018-03", posted_at=dt.datetime(2018, 4, 5, 9))
        feb_a = build_statement(store, "A", "2018-02").schemes[0].caps[0]
        mar_b = build_statement(store, "B", "2018-03").schemes[0].caps[0]
    assert (feb_a.used_cents, feb_a.remaining_cents) == (150_00, 4850_00)
    assert (mar_b.used_cents, mar_b.remaining_cents) == (200_00, 4800_00)
