"""Provider statements (*maksuerittely*): what one provider earned in one month.

``build_statement(store, provider_id, period)`` reads the posted ledger and
returns a ``Statement``: pure data, amounts in integer cents.  For every
scheme in which the provider has entries up to and including the period (or
the one scheme asked for), it holds

- the **lines** posted in the period, grouped by component (in the scheme's
  declared order), each group in earning order (``earned_on``, then posting
  order); a reversal carries the reason the ledger recorded for it;
- a **subtotal** per component, the **period total** and the provider's
  **total to date** (every period up to and including this one);
- the **caps**: for a cap ``per: provider`` the provider's posted amounts in
  the cap's components (earned and reversals, all periods up to this one), for
  ``per: contract`` everyone's, and the limit minus that; for ``per: client``
  how many of the provider's clients have reached it;
- the provider's **star rating** (mean client score, number of answers) as
  last posted up to the period, when the scheme has a ``rating``;
- the provider's **assurance**, when the ledger has assurance records of it
  (``PostedLedger.assurance``; all recorded so far, so a failure overturned
  since shows as overturned): the **validation** per component of the draws
  whose periods end by the statement's period (``body.last``), as
  :func:`kasvufee.assurance.report.assurance_table` counts it (sampled,
  passed, failed, overturned, pending, error rate, recovered), and the
  **disputes** of periods up to the statement's, as
  :func:`kasvufee.assurance.report.dispute_table` lists them (subject, claim,
  status open/accepted/rejected, decision).  A provider without sampled
  entries or disputes gets no such section.

A scheme with no lines in the month still appears (with its total to date,
caps and rating): a month without earnings is worth a statement too.

The assurance part follows the caps in every format: in csv a ``tarkastus`` /
``validation`` row per component (the recovered amount in the amount column,
the counts and the error rate in words) and an ``erimielisyys`` / ``dispute``
row per dispute (its component, disputed entry and client in their columns,
the rest in words); in json a scheme's ``assurance`` key (absent without
records, so a statement of a ledger without assurance is as it was), with
``validation`` and ``disputes``; in xlsx and html two tables, *Tarkastus
(otanta)* / *Validation (sample)* and *Erimielisyydet* / *Disputes*.  The
provider's claims and the buyer's findings and decisions are free text and
stay as written, in either language.

``write_statement(statement, fmt, lang, out)`` writes it as xlsx, csv, json or
html, in Finnish or English:

- money through Babel: Finnish ``format_currency(Decimal("1234.56"), "EUR",
  locale="fi_FI")`` is ``"1\\u00a0234,56\\u00a0€"`` (a no-break space U+00A0
  groups the thousands and precedes the sign) and a negative amount starts
  with an ASCII hyphen-minus: ``"-150,00\\u00a0€"``; English (``en_IE``) is
  ``"€1,234.56"`` and ``"-€150.00"``;
- dates: Finnish ``d.M.yyyy`` (``1.7.2018``), English ``d MMM yyyy``
  (``1 Jul 2018``; CLDR abbreviates September as ``Sept``); the period as a
  month name (``heinäkuu 2018``, ``July 2018``);
- reasons: a Finnish statement gives each reversal's reason in Finnish, by
  the message catalogue of :mod:`kasvufee.report.reasons` (the ledger keeps
  them in English, as the English statement shows them);
- **json** is for machines and the same in both languages: amounts as
  decimal strings (``"1234.56"``), dates ISO, keys in English;
- **csv** has one row per line plus rows for subtotals, totals, caps and the
  rating, told apart by the first column.  Amounts are plain numbers with the
  language's decimal separator and no grouping (``-150,00`` / ``-150.00``) so
  a spreadsheet reads them as numbers; the Finnish file uses ``;`` between
  fields (a decimal comma needs it), the English one ``,``; UTF-8 with a byte
  order mark so that Excel shows ä and ö.  Amounts come from integers and are
  never formulas; every *text* cell that a spreadsheet would read as a formula
  (starting with ``= + - @``, tab or carriage return) gets a leading ``'``;
- **xlsx** has real numbers with a euro number format (Excel shows the
  reader's own separators), real dates, and every text cell written with
  ``safe_cell`` so ``=HYPERLINK(...)`` stays text;
- **html** is one self-contained printable page: inline CSS, no scripts,
  every value escaped, ``lang`` set.

With a pseudonymisation key every client id becomes ``c-`` and the first 16
hex digits of HMAC-SHA256(key, client id), also where a reversal's reason
text, a dispute's subject, claim or decision mentions it; the same key gives
the same pseudonyms.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import html
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, get_args

import polars as pl
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_symbol

from kasvufee.assurance.cycle import by_kind
from kasvufee.assurance.report import assurance_table, dispute_table
from kasvufee.calendar import period_end
from kasvufee.errors import LedgerError, UsageError
from kasvufee.money import euros_to_cents, format_cents
from kasvufee.report.export import neutralise, safe_cell
from kasvufee.report.reasons import finnish_reason
from kasvufee.scheme.describe import describe_cap
from kasvufee.scheme.model import Cap, Scheme
from kasvufee.scheme.prices import effective_caps

if TYPE_CHECKING:
    from kasvufee.store import PostedLedger

Format = Literal["xlsx", "csv", "json", "html"]
Lang = Literal["fi", "en"]
Per = Literal["client", "provider", "contract"]
Status = Literal["open", "accepted", "rejected"]

FORMATS: tuple[Format, ...] = get_args(Format)
LANGS: tuple[Lang, ...] = get_args(Lang)
LOCALES: dict[Lang, str] = {"fi": "fi_FI", "en": "en_IE"}
PSEUDONYM_PREFIX = "c-"
MIN_KEY_BYTES = 16


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One posted entry on a statement.

    Attributes:
        entry_id: the ledger entry's id.
        component: the component that earned it.
        client: the client id (pseudonymised when a key was given); None for
            contract-level entries.
        earned_on: the date the condition became true.
        amount_cents: the amount, negative for a reversal.
        kind: ``earned`` or ``reversal``.
        scheme_version: the scheme version that priced it.
        reason: for a reversal, why the earlier entry is no longer due.
        reverses: for a reversal, the entry it reverses, and ``reverses_period``
            the period that entry was posted in.
        capped_from_cents, cap: the uncapped amount and the cap's id, when a cap
            cut the amount.
    """

    entry_id: str
    component: str
    client: str | None
    earned_on: dt.date
    amount_cents: int
    kind: str
    scheme_version: str
    reason: str | None = None
    reverses: str | None = None
    reverses_period: str | None = None
    capped_from_cents: int | None = None
    cap: str | None = None


@dataclass(frozen=True, slots=True)
class ComponentTotal:
    """The lines of one component in the period: how many and their sum.

    Attributes:
        component: the component id; ``title`` its title in the scheme, if any.
        lines: the number of lines; ``amount_cents`` their sum.
    """

    component: str
    title: str | None
    lines: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class CapUse:
    """How much of a cap is used, as posted up to the end of the period.

    Attributes:
        cap: the cap's id; ``per`` what it limits; ``components`` the components
            it covers (None: all); ``limit_cents`` its amount; ``description``
            the cap in words.
        used_cents, remaining_cents: posted amounts in the cap's components (the
            provider's for ``per: provider``, everyone's for ``per: contract``) and
            the limit minus that; None for ``per: client``.
        clients, clients_at_cap: for ``per: client``, how many of the provider's
            clients have amounts under the cap and how many have reached it;
            None otherwise.
    """

    cap: str
    per: Per
    components: tuple[str, ...] | None
    limit_cents: int
    description: str
    used_cents: int | None = None
    remaining_cents: int | None = None
    clients: int | None = None
    clients_at_cap: int | None = None


@dataclass(frozen=True, slots=True)
class StarRating:
    """The provider's star rating: the mean of its clients' scores (two
    decimals; None before anyone answered) and the number of clients who did."""

    mean: Decimal | None
    answers: int


@dataclass(frozen=True, slots=True)
class ComponentValidation:
    """The validation of the provider's sampled entries of one component, over
    the draws whose periods end by the statement's period, as the results stand
    (:func:`kasvufee.assurance.report.assurance_table`).

    Attributes:
        component: the component id.
        sampled: the provider's entries of the component in the draws' samples;
            ``passed``, ``failed``, ``overturned`` (failed, but a dispute
            overturned it: it counts as passed) and ``pending`` (no result yet)
            add up to it.
        sampled_cents, failed_cents: the sampled entries' amounts, and those of
            the failures that stand.
        error_rate: failed over sampled amounts, four decimals; None when
            nothing with an amount was sampled.
        recovered_cents: what the confirmed recoveries of the draws take back
            from the provider's unsampled entries of the component, as the
            results stand (positive; 0 when nothing is recovered).
    """

    component: str
    sampled: int
    passed: int
    failed: int
    overturned: int
    pending: int
    sampled_cents: int
    failed_cents: int
    error_rate: Decimal | None
    recovered_cents: int


@dataclass(frozen=True, slots=True)
class Dispute:
    """One of the provider's disputes of a period up to the statement's
    (:func:`kasvufee.assurance.report.dispute_table`), as decided so far.

    Attributes:
        dispute: its record id (``dispute-N``).
        subject: the disputed entry's id, or ``claim: COMPONENT CLIENT`` for a
            payment the provider claims; ``entry_id``, ``component`` and
            ``client`` the same apart (``entry_id`` None for a claim).
        period: the period it is of (the disputed entry's, or the claim's).
        opened_on: when it was opened; ``claim`` the provider's reason.
        status: ``open``, ``accepted`` or ``rejected``.
        decided_on, decision: when it was decided and the buyer's reason;
            None while open.
    """

    dispute: str
    subject: str
    entry_id: str | None
    component: str
    client: str | None
    period: str
    opened_on: dt.date
    claim: str
    status: Status
    decided_on: dt.date | None = None
    decision: str | None = None


@dataclass(frozen=True, slots=True)
class SchemeStatement:
    """The provider's statement under one scheme.

    Attributes:
        scheme_id, title, buyer: the scheme, as last posted up to the period.
        lines: the entries posted in the period, grouped by component.
        components: a subtotal per component with lines, in the lines' order.
        total_cents: the period's total; ``to_date_cents`` the total of every
            period up to and including this one.
        caps: each cap of the scheme and its use.
        rating: the star rating, or None when the scheme has no rating.
        currency: the ISO 4217 code of the scheme's amounts.
        validation: the validation of the provider's sampled entries, one row
            per component with any, in the scheme's component order; empty when
            none was sampled (by a draw whose periods end by the period).
        disputes: the provider's disputes of periods up to the period, in the
            order opened; empty when there are none.
    """

    scheme_id: str
    title: str
    buyer: str | None
    lines: tuple[StatementLine, ...]
    components: tuple[ComponentTotal, ...]
    total_cents: int
    to_date_cents: int
    caps: tuple[CapUse, ...]
    rating: StarRating | None
    currency: str = "EUR"
    validation: tuple[ComponentValidation, ...] = ()
    disputes: tuple[Dispute, ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    """A provider's statement for a ``YYYY-MM`` period, one part per scheme.

    Attributes:
        provider_id: the provider.
        period: the payout period, ``YYYY-MM``.
        schemes: one part per scheme, by scheme id.
        pseudonymized: whether client ids are replaced by keyed pseudonyms.
        ledger_head: the ledger it was made from: the number of entries and the
            hash of the last one (``kasvufee verify --witness`` checks a ledger
            still holds it).
    """

    provider_id: str
    period: str
    schemes: tuple[SchemeStatement, ...]
    pseudonymized: bool = False
    ledger_head: tuple[int, str] | None = None

    @property
    def currency(self) -> str | None:
        """The one currency of all the schemes' amounts (EUR when there is no
        scheme); None when they differ (then no grand total is shown: pounds and
        euros do not add up)."""
        codes = {s.currency for s in self.schemes} or {"EUR"}
        return codes.pop() if len(codes) == 1 else None

    @property
    def total_cents(self) -> int:
        """The period's total over all schemes."""
        return sum(s.total_cents for s in self.schemes)

    @property
    def to_date_cents(self) -> int:
        """The total to date over all schemes."""
        return sum(s.to_date_cents for s in self.schemes)

    @property
    def month(self) -> dt.date:
        """The first day of the period."""
        return dt.date.fromisoformat(f"{self.period}-01")


# --------------------------------------------------------------------------- building


def pseudonym(client_id: str, key: bytes) -> str:
    """The keyed pseudonym of a client id: ``c-`` and 16 hex digits of HMAC-SHA256."""
    digest = hmac.new(key, client_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


def read_pseudonymize_key(path: str | Path) -> bytes:
    """The key in a file, without trailing line breaks or spaces (so that an
    editor's final newline does not change every pseudonym)."""
    try:
        key = Path(path).read_bytes().rstrip()
    except OSError as exc:
        raise UsageError(f"a readable key file, got {path}: {exc.strerror}") from None
    _check_key(key, str(path))
    return key


def _check_key(key: bytes, where: str = "the pseudonymisation key") -> None:
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(f"{where}: a pseudonymisation key of at least {MIN_KEY_BYTES} "
                         f"bytes, got {len(key)}")


def build_statement(store: PostedLedger, provider_id: str, period: str, *,
                    scheme_id: str | None = None,
                    pseudonymize_key: bytes | None = None) -> Statement:
    """The provider's statement for ``period`` from the posted ledger.

    Covers every scheme in which the provider has entries up to and including
    the period, or only ``scheme_id``.  Raises ``UsageError`` for a period that
    is not ``YYYY-MM`` or a too short key, and ``LedgerError`` when the ledger
    has no entry for the provider at all or the scheme asked for was not posted
    by then.
    """
    period_end(period)  # exactly YYYY-MM (UsageError otherwise)
    if pseudonymize_key is not None:
        _check_key(pseudonymize_key)
    head = store.head()
    mine = _with_cents(store.entries(provider_id=provider_id))
    if mine.height == 0:
        raise LedgerError(f"no entries for provider {provider_id!r} in {store.where}; "
                          f"the ledger has entries for {_some(store.providers())}")
    upto = pl.col("period") <= period
    if scheme_id is not None:
        scheme_ids = [scheme_id]
    else:
        scheme_ids = sorted(set(mine.filter(upto)["scheme_id"].to_list()))
    assured = {sid: store.assurance(sid) for sid in scheme_ids}
    claimed = [r["body"].get("client_id") for records in assured.values()
               for r in by_kind(records, "dispute") if r["provider_id"] == provider_id]
    hide = _Pseudonyms(pseudonymize_key, sorted(
        set(mine["client_id"].drop_nulls().to_list()) | {c for c in claimed if c}))
    parts = []
    for sid in scheme_ids:
        try:
            scheme = store.scheme(sid, period)
        except LedgerError:
            raise LedgerError(f"no posting of scheme {sid!r} up to {period} in "
                              f"{store.where}") from None
        in_scheme = pl.col("scheme_id") == sid
        part = _scheme_part(store, scheme, provider_id, period, mine.filter(in_scheme & upto),
                            hide)
        parts.append(_with_assurance(part, _component_rank(scheme), assured[sid], provider_id,
                                     period, hide))
    return Statement(provider_id, period, tuple(parts), pseudonymize_key is not None, head)


def _some(known: Sequence[str], most: int = 5) -> str:
    if not known:
        return "no provider (the ledger is empty)"
    shown = ", ".join(repr(k) for k in known[:most])
    noun = "provider" if len(known) == 1 else "providers"
    return f"{len(known)} {noun}: {shown}" + (", …" if len(known) > most else "")


def _with_cents(entries: pl.DataFrame) -> pl.DataFrame:
    """The stored entries with their euros as integer cents."""
    return entries.with_columns(euros_to_cents(pl.col("amount")).alias("amount_cents"),
                                euros_to_cents(pl.col("capped_from")).alias("capped_from_cents"))


class _Pseudonyms:
    """Client ids to keyed pseudonyms, in fields and in free text."""

    def __init__(self, key: bytes | None, clients: Sequence[str]) -> None:
        self.key = key
        self.names = {} if key is None else {c: pseudonym(c, key) for c in clients}
        self._pattern: re.Pattern[str] | None = None

    def client(self, client_id: str | None) -> str | None:
        if client_id is None or self.key is None:
            return client_id
        return self.names.get(client_id) or pseudonym(client_id, self.key)

    def text(self, value: str | None) -> str | None:
        """``value`` with every known client id, as a whole token ("client T1,",
        "R15-1", but not the "T1" in "T10"), replaced by its pseudonym."""
        if value is None or not self.names:
            return value
        if self._pattern is None:
            ids = sorted(self.names, key=lambda c: (-len(c), c))
            self._pattern = re.compile(
                "(?<!\\w)(" + "|".join(re.escape(c) for c in ids) + ")(?!\\w)")
        return self._pattern.sub(lambda m: self.names[m.group(1)], value)


def _scheme_part(store: PostedLedger, scheme: Scheme, provider_id: str, period: str,
                 mine: pl.DataFrame, hide: _Pseudonyms) -> SchemeStatement:
    """One scheme's part; ``mine`` holds the provider's entries up to the period."""
    titles = _titles(scheme)
    rank = _component_rank(scheme)
    posted_in = dict(zip(mine["entry_id"].to_list(), mine["period"].to_list(), strict=True))
    rows = sorted(mine.filter(pl.col("period") == period).iter_rows(named=True),
                  key=lambda r: (rank.get(r["component"], len(rank)), r["component"],
                                 r["earned_on"], r["chain_no"]))
    lines = tuple(_line(store, r, posted_in, hide) for r in rows)
    groups: dict[str, list[StatementLine]] = {}
    for line in lines:
        groups.setdefault(line.component, []).append(line)
    components = tuple(ComponentTotal(c, titles.get(c), len(g), sum(x.amount_cents for x in g))
                       for c, g in groups.items())
    rating = None
    if scheme.rating is not None:
        stars = store.rating(scheme.scheme, provider_id, period)
        rating = (StarRating(None, 0) if stars is None
                  else StarRating(Decimal(stars[0]), stars[1]))
    return SchemeStatement(
        scheme_id=scheme.scheme, title=scheme.title, buyer=scheme.buyer, lines=lines,
        components=components, total_cents=sum(x.amount_cents for x in lines),
        to_date_cents=int(mine["amount_cents"].sum()),
        caps=tuple(_cap_use(store, scheme.scheme, period, cap, mine)
                   for cap in effective_caps(scheme)),
        rating=rating, currency=scheme.currency)


def _titles(scheme: Scheme) -> dict[str, str | None]:
    """Each component's title (the latest version's that has one), in the
    order the versions declare the components."""
    titles: dict[str, str | None] = {}
    for version in scheme.versions:
        for c in version.components:
            titles[c.id] = c.title or titles.get(c.id)
    return titles


def _component_rank(scheme: Scheme) -> dict[str, int]:
    return {c: n for n, c in enumerate(_titles(scheme))}


def _with_assurance(part: SchemeStatement, rank: Mapping[str, int],
                    records: Sequence[Mapping[str, Any]], provider_id: str, period: str,
                    hide: _Pseudonyms) -> SchemeStatement:
    """The part with the provider's validation and disputes (see the module
    docstring); ``records`` are the scheme's assurance records, all of them (a
    recovery is recomputed from every provider's results), ``rank`` the
    scheme's component order."""
    if not records:
        return part
    later = {d["record_id"] for d in by_kind(records, "draw") if d["body"]["last"] > period}
    upto = [r for r in records
            if r["record_id"] not in later
            and not (r["kind"] in ("result", "recovery") and r["body"]["draw"] in later)]
    rows = (assurance_table(upto)
            .filter((pl.col("provider_id") == provider_id) & (pl.col("sampled") > 0))
            .with_columns(*(euros_to_cents(pl.col(c)).alias(c) for c in
                            ("sampled_amount", "failed_amount", "recovered")))
            .to_dicts())
    rows.sort(key=lambda r: (rank.get(r["component"], len(rank)), r["component"]))
    validation = tuple(ComponentValidation(
        component=r["component"], sampled=r["sampled"], passed=r["passed"],
        failed=r["failed"], overturned=r["overturned"], pending=r["pending"],
        sampled_cents=r["sampled_amount"], failed_cents=r["failed_amount"],
        error_rate=None if r["error_rate"] is None else Decimal(r["error_rate"]),
        recovered_cents=r["recovered"]) for r in rows)
    bodies = {r["record_id"]: r for r in by_kind(records, "dispute")}
    disputes = tuple(Dispute(
        dispute=d["dispute"], subject=hide.text(d["subject"]) or "",
        entry_id=bodies[d["dispute"]]["entry_id"],
        component=bodies[d["dispute"]]["body"]["component"],
        client=hide.client(bodies[d["dispute"]]["body"].get("client_id")),
        period=d["period"], opened_on=d["opened_on"], claim=hide.text(d["claim"]) or "",
        status=d["status"], decided_on=d["decided_on"], decision=hide.text(d["decision"]))
        for d in dispute_table(records).filter(
            (pl.col("provider_id") == provider_id) & (pl.col("period") <= period))
        .iter_rows(named=True))
    return replace(part, validation=validation, disputes=disputes)


def _line(store: PostedLedger, row: Mapping[str, Any], posted_in: Mapping[str, str],
          hide: _Pseudonyms) -> StatementLine:
    reverses = row["reverses"]
    reason = None
    if row["kind"] != "earned" or reverses is not None:  # a reversal, recovery, adjustment
        reason = hide.text(_reversal_reason(store, row))
    return StatementLine(
        entry_id=row["entry_id"], component=row["component"],
        client=hide.client(row["client_id"]), earned_on=row["earned_on"],
        amount_cents=row["amount_cents"], kind=row["kind"],
        scheme_version=row["scheme_version"], reason=reason, reverses=reverses,
        reverses_period=None if reverses is None else posted_in.get(reverses),
        capped_from_cents=row["capped_from_cents"], cap=row["cap"])


def _reversal_reason(store: PostedLedger, row: Mapping[str, Any]) -> str:
    """The reason stored in the reversal's derivation; failing that, the text
    after ``): `` in its explanation ("Reverses X (…, posted in P): reason.")."""
    derivation = store.entry(row["entry_id"], assurance=False).get("derivation")
    if isinstance(derivation, dict) and isinstance(derivation.get("reason"), str):
        return str(derivation["reason"])
    explanation: str = row["explanation"]
    _, sep, reason = explanation.partition("): ")
    return reason.removesuffix(".") if sep else explanation


def _cap_use(store: PostedLedger, scheme_id: str, period: str, cap: Cap,
             mine: pl.DataFrame) -> CapUse:
    """How much of a cap is used up to the period: the provider's own entries, or
    all providers' for a contract cap (summed in the database)."""
    inside = (pl.lit(True) if cap.components is None
              else pl.col("component").is_in(list(cap.components)))
    if cap.each is not None:  # a cap anew each year or month: its use in the period's
        inside = inside & (pl.col("earned_on").dt.strftime(
            "%Y" if cap.each == "year" else "%Y-%m") == (
            period[:4] if cap.each == "year" else period))
    use = CapUse(cap=cap.id, per=cap.per, components=cap.components, limit_cents=cap.highest,
                 description=describe_cap(cap))
    if cap.per == "client":
        per_client = (mine.filter(inside & pl.col("client_id").is_not_null())
                      .group_by("client_id").agg(pl.col("amount_cents").sum(),
                                                 (pl.col("cap") == cap.id).any().alias("_cut")))
        # a limit by client attribute differs per client: at the cap is then cut by it
        reached = (pl.col("amount_cents") >= cap.amount if isinstance(cap.amount, int)
                   else pl.col("_cut"))
        at_cap = per_client.filter(reached).height
        return replace(use, clients=per_client.height, clients_at_cap=at_cap)
    if cap.per == "provider":
        used = int(mine.filter(inside)["amount_cents"].sum())
    elif cap.each is None:
        used = store.total_cents(scheme_id, period, cap.components)
    else:  # everyone's entries of the year or month, posted up to the period
        everyone = _with_cents(store.entries(scheme_id=scheme_id))
        used = int(everyone.filter(inside & (pl.col("period") <= period))["amount_cents"].sum())
    return replace(use, used_cents=used, remaining_cents=cap.highest - used)


# --------------------------------------------------------------------------- words

LABELS: dict[Lang, dict[str, str]] = {
    "fi": {
        "title": "Maksuerittely",
        "provider": "Palveluntuottaja",
        "period": "Kausi",
        "scheme": "Palkkiomalli",
        "buyer": "Tilaaja",
        "component": "Palkkioperuste",
        "entry": "Kirjaus",
        "client": "Asiakas",
        "earned_on": "Ansaittu",
        "kind": "Laji",
        "amount": "Summa",
        "capped_from": "Ennen kattoa",
        "cap": "Katto",
        "reason": "Peruste",
        "subtotal": "Välisumma",
        "total": "Yhteensä",
        "to_date": "Kertymä kauden loppuun",
        "grand_total": "Kaikki palkkiomallit yhteensä",
        "grand_to_date": "Kaikki palkkiomallit, kertymä kauden loppuun",
        "caps": "Katot",
        "per": "Kohde",
        "cap_components": "Palkkioperusteet",
        "limit": "Enimmäismäärä",
        "used": "Käytetty",
        "remaining": "Jäljellä",
        "clients_at_cap": "Katon saavuttaneet asiakkaat",
        "all_components": "kaikki palkkioperusteet",
        "rating": "Tähtiluokitus",
        "answers": "Vastauksia",
        "answer_one": "vastaus",
        "answer_many": "vastausta",
        "no_answers": "ei vielä vastauksia",
        "no_lines": "Ei kirjauksia tällä kaudella.",
        "no_schemes": "Palveluntuottajalla ei ole kirjauksia tähän kauteen mennessä.",
        "pseudonymized": "Asiakastunnukset on korvattu pseudonyymeillä.",
        "reverses": "Oikaisee kirjauksen {entry} (kausi {period})",
        "capped": "leikattu katolla {cap}, ennen kattoa {amount}",
        "of_clients": "{at} / {all} asiakasta",
        "kind.earned": "palkkio",
        "kind.reversal": "oikaisu",
        "kind.recovery": "takaisinperintä",
        "kind.adjustment": "korjaus",
        "per.client": "asiakasta kohden",
        "per.provider": "palveluntuottajaa kohden",
        "per.contract": "koko sopimus",
        "row": "Rivi",
        "row.line": "kirjaus",
        "row.subtotal": "välisumma",
        "row.total": "yhteensä",
        "row.to_date": "kertymä",
        "row.cap": "katto",
        "row.rating": "tähtiluokitus",
        "footer": "Laadittu kasvufee-ohjelmalla kirjatusta maksukirjanpidosta.",
        "ledger_head": "Kirjanpidon tila: {entries} kirjausta, viimeisen tiiviste {hash}",
        "row.ledger": "kirjanpito",
        "validation": "Tarkastus (otanta)",
        "sampled": "Otoksessa",
        "passed": "Hyväksytty",
        "failed": "Hylätty",
        "overturned": "Hylkäys kumottu",
        "pending": "Tarkastamatta",
        "error_rate": "Virheosuus",
        "recovered": "Takaisinperitty",
        "disputes": "Erimielisyydet",
        "dispute": "Erimielisyys",
        "subject": "Kohde",
        "opened_on": "Avattu",
        "claim": "Palveluntuottajan perustelu",
        "status": "Tila",
        "decided_on": "Ratkaistu",
        "decision": "Ratkaisun perustelu",
        "status.open": "avoin",
        "status.accepted": "hyväksytty",
        "status.rejected": "hylätty",
        "claim_subject": "maksuvaade",
        "row.validation": "tarkastus",
        "row.dispute": "erimielisyys",
        "validation_text": "otoksessa {sampled}: hyväksytty {passed}, hylätty {failed}, hylkäys "
                           "kumottu {overturned}, tarkastamatta {pending}; virheosuus {rate} "
                           "(hylätyt {failed_amount} / otos {sampled_amount}); takaisinperitty "
                           "{recovered}",
        "dispute_text": "{dispute} (kausi {period}), kohde {subject}, avattu {opened}; "
                        "palveluntuottajan perustelu: {claim}; {status}",
        "decided_text": " {decided}: {decision}",
    },
    "en": {
        "title": "Statement",
        "provider": "Provider",
        "period": "Period",
        "scheme": "Scheme",
        "buyer": "Buyer",
        "component": "Component",
        "entry": "Entry",
        "client": "Client",
        "earned_on": "Earned on",
        "kind": "Kind",
        "amount": "Amount",
        "capped_from": "Before cap",
        "cap": "Cap",
        "reason": "Reason",
        "subtotal": "Subtotal",
        "total": "Total",
        "to_date": "Total to date",
        "grand_total": "All schemes, total",
        "grand_to_date": "All schemes, total to date",
        "caps": "Caps",
        "per": "Per",
        "cap_components": "Components",
        "limit": "Limit",
        "used": "Used",
        "remaining": "Remaining",
        "clients_at_cap": "Clients at the cap",
        "all_components": "all components",
        "rating": "Star rating",
        "answers": "Answers",
        "answer_one": "answer",
        "answer_many": "answers",
        "no_answers": "no answers yet",
        "no_lines": "No entries in this period.",
        "no_schemes": "The provider has no entries up to this period.",
        "pseudonymized": "Client ids are replaced by pseudonyms.",
        "reverses": "Reverses {entry} (period {period})",
        "capped": "cut by cap {cap}, {amount} before the cap",
        "of_clients": "{at} of {all} clients",
        "kind.earned": "earned",
        "kind.reversal": "reversal",
        "kind.recovery": "recovery",
        "kind.adjustment": "adjustment",
        "per.client": "per client",
        "per.provider": "per provider",
        "per.contract": "whole contract",
        "row": "Row",
        "row.line": "entry",
        "row.subtotal": "subtotal",
        "row.total": "total",
        "row.to_date": "to date",
        "row.cap": "cap",
        "row.rating": "rating",
        "footer": "Prepared with kasvufee from the posted payment ledger.",
        "ledger_head": "Ledger: {entries} entries, the last one's hash {hash}",
        "row.ledger": "ledger",
        "validation": "Validation (sample)",
        "sampled": "Sampled",
        "passed": "Passed",
        "failed": "Failed",
        "overturned": "Overturned",
        "pending": "Pending",
        "error_rate": "Error rate",
        "recovered": "Recovered",
        "disputes": "Disputes",
        "dispute": "Dispute",
        "subject": "Subject",
        "opened_on": "Opened on",
        "claim": "The provider's claim",
        "status": "Status",
        "decided_on": "Decided on",
        "decision": "Decision",
        "status.open": "open",
        "status.accepted": "accepted",
        "status.rejected": "rejected",
        "claim_subject": "claim",
        "row.validation": "validation",
        "row.dispute": "dispute",
        "validation_text": "sampled {sampled}: passed {passed}, failed {failed}, overturned "
                           "{overturned}, pending {pending}; error rate {rate} (failed "
                           "{failed_amount} of {sampled_amount} sampled); recovered {recovered}",
        "dispute_text": "{dispute} (period {period}) over {subject}, opened on {opened}; the "
                        "provider's claim: {claim}; {status}",
        "decided_text": " on {decided}: {decision}",
    },
}


class _Words:
    """Labels and Babel formatting for one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.locale = LOCALES[lang]
        self.labels = LABELS[lang]

    def __getitem__(self, key: str) -> str:
        return self.labels[key]

    def money(self, cents: int, currency: str) -> str:
        """``1 234,56 €`` (no-break spaces) or ``€1,234.56``; ``£1,234.56`` for GBP."""
        return str(format_currency(Decimal(format_cents(cents)), currency, locale=self.locale))

    def money_format(self, currency: str) -> str:
        """The xlsx format of amounts: ``#,##0.00 "€"`` or ``"£"#,##0.00;-"£"#,##0.00``."""
        symbol = get_currency_symbol(currency, locale=self.locale)
        return (f'#,##0.00 "{symbol}"' if self.lang == "fi"
                else f'"{symbol}"#,##0.00;-"{symbol}"#,##0.00')

    def number(self, cents: int) -> str:
        """A plain number for csv: ``-1234,56`` or ``-1234.56`` (no grouping)."""
        text = format_cents(cents)
        return text.replace(".", ",") if self.lang == "fi" else text

    def date(self, day: dt.date) -> str:
        """``1.7.2018`` or ``1 Jul 2018``."""
        pattern = "d.M.yyyy" if self.lang == "fi" else "d MMM yyyy"
        return str(format_date(day, format=pattern, locale=self.locale))

    def month(self, first: dt.date) -> str:
        """``heinäkuu 2018`` or ``July 2018``."""
        return str(format_date(first, format="LLLL yyyy", locale=self.locale))

    def mean(self, mean: Decimal) -> str:
        """``4,88`` or ``4.88``."""
        return str(format_decimal(mean, format="0.00", locale=self.locale))

    def rating(self, stars: StarRating) -> str:
        """``4,88 (2 vastausta)`` or ``4.88 (2 answers)``."""
        if stars.mean is None:
            return self["no_answers"]
        noun = self["answer_one"] if stars.answers == 1 else self["answer_many"]
        return f"{self.mean(stars.mean)} ({stars.answers} {noun})"

    def kind(self, kind: str) -> str:
        return self.labels.get(f"kind.{kind}", kind)

    def per(self, per: str) -> str:
        return self.labels.get(f"per.{per}", per)

    def components(self, components: tuple[str, ...] | None) -> str:
        return self["all_components"] if components is None else ", ".join(components)

    def reason(self, line: StatementLine) -> str:
        """The reason column: for a reversal, what it reverses and why."""
        parts = []
        if line.reverses is not None:
            parts.append(self["reverses"].format(entry=line.reverses,
                                                 period=line.reverses_period or "?"))
        if line.reason:
            parts.append(finnish_reason(line.reason, self.date) if self.lang == "fi"
                         else line.reason)
        return ": ".join(parts)

    def cap_text(self, use: CapUse, currency: str) -> str:
        """The cap's use in words, for csv and html."""
        head = f"{self.money(use.limit_cents, currency)} {self.per(use.per)}"
        if use.per == "client":
            return f"{head}; {self['clients_at_cap'].lower()}: " + self["of_clients"].format(
                at=use.clients_at_cap, all=use.clients)
        return (f"{head}; {self['used'].lower()} {self.money(use.used_cents or 0, currency)}, "
                f"{self['remaining'].lower()} "
                f"{self.money(use.remaining_cents or 0, currency)}")

    def head(self, statement: Statement) -> str | None:
        if statement.ledger_head is None:
            return None
        entries, digest = statement.ledger_head
        return self["ledger_head"].format(entries=entries, hash=digest)

    def scheme_name(self, part: SchemeStatement) -> str:
        return f"{part.title} ({part.scheme_id})"

    def rate(self, rate: Decimal | None) -> str:
        """An error rate: ``0,2703`` or ``0.2703``; ``—`` when there is none."""
        return "—" if rate is None else str(format_decimal(rate, format="0.0000",
                                                           locale=self.locale))

    def status(self, status: str) -> str:
        return self.labels.get(f"status.{status}", status)

    def subject(self, dispute: Dispute) -> str:
        """The disputed entry, or ``maksuvaade: COMPONENT CLIENT`` / ``claim: …``."""
        head, sep, rest = dispute.subject.partition("claim: ")
        if dispute.entry_id is None and sep and not head:
            return f"{self['claim_subject']}: {rest}"
        return dispute.subject

    def validation_text(self, v: ComponentValidation, currency: str) -> str:
        """A component's validation in words, for csv."""
        return self["validation_text"].format(
            sampled=v.sampled, passed=v.passed, failed=v.failed, overturned=v.overturned,
            pending=v.pending, rate=self.rate(v.error_rate),
            failed_amount=self.money(v.failed_cents, currency),
            sampled_amount=self.money(v.sampled_cents, currency),
            recovered=self.money(v.recovered_cents, currency))

    def dispute_text(self, d: Dispute) -> str:
        """A dispute in words, for csv."""
        text = self["dispute_text"].format(
            dispute=d.dispute, period=d.period, subject=self.subject(d),
            opened=self.date(d.opened_on), claim=d.claim, status=self.status(d.status))
        if d.decided_on is None:
            return text
        return text + self["decided_text"].format(decided=self.date(d.decided_on),
                                                  decision=d.decision or "")


# --------------------------------------------------------------------------- writing


def write_statement(statement: Statement, fmt: Format, lang: Lang, out: IO[bytes]) -> None:
    """Write the statement as xlsx, csv, json or html in Finnish or English
    (see the module docstring for the formats)."""
    if fmt not in FORMATS:
        raise UsageError(f"a statement format ({', '.join(FORMATS)}), got {fmt!r}")
    if lang not in LANGS:
        raise UsageError(f"a statement language ({', '.join(LANGS)}), got {lang!r}")
    _WRITERS[fmt](statement, _Words(lang), out)


# json ----------------------------------------------------------------------


def _euros(cents: int | None) -> str | None:
    return None if cents is None else format_cents(cents)


def statement_json(statement: Statement) -> dict[str, Any]:
    """The statement as JSON-ready data: amounts as decimal strings, dates ISO."""
    return {
        "provider": statement.provider_id,
        "period": statement.period,
        "pseudonymized": statement.pseudonymized,
        "currency": statement.currency,
        "total": _euros(statement.total_cents) if statement.currency else None,
        "to_date": _euros(statement.to_date_cents) if statement.currency else None,
        "schemes": [{
            "scheme": s.scheme_id, "title": s.title, "buyer": s.buyer, "currency": s.currency,
            "total": _euros(s.total_cents), "to_date": _euros(s.to_date_cents),
            "components": [{"component": c.component, "title": c.title, "lines": c.lines,
                            "amount": _euros(c.amount_cents)} for c in s.components],
            "lines": [{
                "entry_id": x.entry_id, "component": x.component, "client": x.client,
                "earned_on": x.earned_on.isoformat(), "amount": _euros(x.amount_cents),
                "kind": x.kind, "scheme_version": x.scheme_version, "reason": x.reason,
                "reverses": x.reverses, "reverses_period": x.reverses_period,
                "capped_from": _euros(x.capped_from_cents), "cap": x.cap,
            } for x in s.lines],
            "caps": [{
                "cap": c.cap, "per": c.per,
                "components": None if c.components is None else list(c.components),
                "limit": _euros(c.limit_cents), "used": _euros(c.used_cents),
                "remaining": _euros(c.remaining_cents), "clients": c.clients,
                "clients_at_cap": c.clients_at_cap, "description": c.description,
            } for c in s.caps],
            "rating": None if s.rating is None else {
                "mean": None if s.rating.mean is None else f"{s.rating.mean:.2f}",
                "answers": s.rating.answers},
            **_assurance_json(s),
        } for s in statement.schemes],
        "ledger": None if statement.ledger_head is None else {
            "entries": statement.ledger_head[0], "head": statement.ledger_head[1]},
    }


def _assurance_json(s: SchemeStatement) -> dict[str, Any]:
    """A part's ``assurance`` key; none when it has no validation or dispute."""
    if not s.validation and not s.disputes:
        return {}
    return {"assurance": {
        "validation": [{
            "component": v.component, "sampled": v.sampled, "passed": v.passed,
            "failed": v.failed, "overturned": v.overturned, "pending": v.pending,
            "sampled_amount": _euros(v.sampled_cents), "failed_amount": _euros(v.failed_cents),
            "error_rate": None if v.error_rate is None else str(v.error_rate),
            "recovered": _euros(v.recovered_cents),
        } for v in s.validation],
        "disputes": [{
            "dispute": d.dispute, "subject": d.subject, "entry_id": d.entry_id,
            "component": d.component, "client": d.client, "period": d.period,
            "opened_on": d.opened_on.isoformat(), "claim": d.claim, "status": d.status,
            "decided_on": None if d.decided_on is None else d.decided_on.isoformat(),
            "decision": d.decision,
        } for d in s.disputes]}}


def _write_json(statement: Statement, _words: _Words, out: IO[bytes]) -> None:
    text = json.dumps(statement_json(statement), ensure_ascii=False, indent=2)
    out.write((text + "\n").encode("utf-8"))


# csv -----------------------------------------------------------------------


def _write_csv(statement: Statement, w: _Words, out: IO[bytes]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if w.lang == "fi" else ",")
    writer.writerow([w[k] for k in ("provider", "period", "scheme", "row", "component", "entry",
                                    "client", "earned_on", "kind", "amount", "capped_from",
                                    "cap", "reason")])

    def row(scheme: str, what: str, *, component: str = "", line: StatementLine | None = None,
            amount: int | None = None, text: str = "") -> None:
        cells: list[str | None] = [statement.provider_id, statement.period, scheme,
                                   w[f"row.{what}"], component]
        if line is not None:
            cells += [line.entry_id, line.client, w.date(line.earned_on), w.kind(line.kind)]
        else:
            cells += ["", "", "", ""]
        texts = [neutralise(c) for c in cells]
        texts.append("" if amount is None else w.number(amount))
        if line is not None:
            texts += ["" if line.capped_from_cents is None else w.number(line.capped_from_cents),
                      neutralise(line.cap), neutralise(w.reason(line))]
        else:
            texts += ["", "", neutralise(text)]
        writer.writerow(texts)

    for s in statement.schemes:
        by_component: dict[str, list[StatementLine]] = {}
        for line in s.lines:
            by_component.setdefault(line.component, []).append(line)
        for c in s.components:
            for line in by_component[c.component]:
                row(s.scheme_id, "line", component=c.component, line=line,
                    amount=line.amount_cents)
            row(s.scheme_id, "subtotal", component=c.component, amount=c.amount_cents)
        row(s.scheme_id, "total", amount=s.total_cents)
        row(s.scheme_id, "to_date", amount=s.to_date_cents)
        for cap in s.caps:
            writer.writerow([neutralise(x) for x in (
                statement.provider_id, statement.period, s.scheme_id, w["row.cap"],
                w.components(cap.components), "", "", "", "")]
                + ["" if cap.used_cents is None else w.number(cap.used_cents), "",
                   neutralise(cap.cap), neutralise(w.cap_text(cap, s.currency))])
        if s.rating is not None:
            row(s.scheme_id, "rating", text=w.rating(s.rating))
        for v in s.validation:
            writer.writerow([neutralise(x) for x in (
                statement.provider_id, statement.period, s.scheme_id, w["row.validation"],
                v.component, "", "", "", "")]
                + [w.number(v.recovered_cents), "", "",
                   neutralise(w.validation_text(v, s.currency))])
        for d in s.disputes:
            writer.writerow([neutralise(x) for x in (
                statement.provider_id, statement.period, s.scheme_id, w["row.dispute"],
                d.component, d.entry_id, d.client, "", "")]
                + ["", "", "", neutralise(w.dispute_text(d))])
    if len(statement.schemes) != 1 and statement.currency is not None:
        row("", "total", amount=statement.total_cents)
        row("", "to_date", amount=statement.to_date_cents)
    head = w.head(statement)
    if head is not None:
        row("", "ledger", text=head)
    out.write(buffer.getvalue().encode("utf-8-sig"))


# xlsx ----------------------------------------------------------------------

_XLSX_COLUMNS = ("component", "entry", "client", "earned_on", "kind", "amount", "capped_from",
                 "cap", "reason")
_CAP_COLUMNS = ("cap", "per", "cap_components", "limit", "used", "remaining", "clients_at_cap")
_VALIDATION_COLUMNS = ("component", "sampled", "passed", "failed", "overturned", "pending",
                       "error_rate", "recovered")
_DISPUTE_COLUMNS = ("dispute", "subject", "period", "opened_on", "status", "decided_on",
                    "claim", "decision")


def _write_xlsx(statement: Statement, w: _Words, out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    date_format = "d.m.yyyy" if w.lang == "fi" else "d mmm yyyy"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    wb = Workbook()
    ws = wb.active
    ws.title = w["title"]
    r = 1
    table: list[int] = []  # the first lines table: its header row and its last row

    def put(col: int, value: Any, *, money: str | None = None, font: Any = None) -> Any:
        """A cell; ``money`` is the currency of an amount in cents."""
        cell = ws.cell(row=r, column=col)
        if money is not None and isinstance(value, int):
            cell.value = Decimal(format_cents(value))
            cell.number_format = w.money_format(money)
        elif isinstance(value, dt.date):
            cell.value = value
            cell.number_format = date_format
        else:
            safe_cell(cell, value)
        if font is not None:
            cell.font = font
        return cell

    def pair(label: str, value: Any) -> None:
        nonlocal r
        put(1, label, font=bold)
        put(2, value)
        r += 1

    def section(title: str, columns: Sequence[str]) -> None:
        """A blank row, the section's title, and its table's header row."""
        nonlocal r
        r += 1
        put(1, w[title], font=bold)
        r += 1
        for col, key in enumerate(columns, start=1):
            put(col, w[key], font=bold).fill = head_fill
        r += 1

    put(1, w["title"], font=Font(bold=True, size=14))
    r += 1
    pair(w["provider"], statement.provider_id)
    pair(w["period"], w.month(statement.month))
    if statement.pseudonymized:
        put(1, w["pseudonymized"])
        r += 1
    head = w.head(statement)
    if head is not None:
        put(1, head)
        r += 1
    if not statement.schemes:
        r += 1
        put(1, w["no_schemes"])
        r += 1
    for s in statement.schemes:
        r += 1
        put(1, w["scheme"], font=bold)
        put(2, w.scheme_name(s), font=bold)
        r += 1
        if s.buyer:
            pair(w["buyer"], s.buyer)
        if s.rating is not None:
            put(1, w["rating"], font=bold)
            if s.rating.mean is None:
                put(2, w["no_answers"])
            else:
                put(2, s.rating.mean).number_format = "0.00"
            r += 1
            pair(w["answers"], s.rating.answers)
        r += 1
        for col, key in enumerate(_XLSX_COLUMNS, start=1):
            put(col, w[key], font=bold).fill = head_fill
        if not table:
            table.append(r)
        r += 1
        if not s.lines:
            put(1, w["no_lines"])
            r += 1
        by_component: dict[str, list[StatementLine]] = {}
        for line in s.lines:
            by_component.setdefault(line.component, []).append(line)
        for c in s.components:
            for line in by_component[c.component]:
                values = (line.component, line.entry_id, line.client, line.earned_on,
                          w.kind(line.kind), line.amount_cents, line.capped_from_cents,
                          line.cap, w.reason(line) or None)
                for col, value in enumerate(values, start=1):
                    put(col, value, money=s.currency if col in (6, 7) else None)
                r += 1
            put(1, f"{w['subtotal']}: {c.component}", font=bold)
            put(6, c.amount_cents, money=s.currency, font=bold)
            r += 1
        if len(table) == 1:
            table.append(r - 1)
        put(1, w["total"], font=bold)
        put(6, s.total_cents, money=s.currency, font=bold)
        r += 1
        put(1, w["to_date"], font=bold)
        put(6, s.to_date_cents, money=s.currency, font=bold)
        r += 1
        if s.caps:
            section("caps", _CAP_COLUMNS)
            for cap in s.caps:
                at_cap = (None if cap.clients is None else
                          w["of_clients"].format(at=cap.clients_at_cap, all=cap.clients))
                cells = (cap.cap, w.per(cap.per), w.components(cap.components),
                         cap.limit_cents, cap.used_cents, cap.remaining_cents, at_cap)
                for col, value in enumerate(cells, start=1):
                    put(col, value, money=s.currency if col in (4, 5, 6) else None)
                r += 1
        if s.validation:
            section("validation", _VALIDATION_COLUMNS)
            for v in s.validation:
                counted: tuple[Any, ...] = (v.component, v.sampled, v.passed, v.failed,
                                            v.overturned, v.pending, v.error_rate,
                                            v.recovered_cents)
                for col, value in enumerate(counted, start=1):
                    put(col, value, money=s.currency if col == 8 else None)
                if v.error_rate is not None:
                    ws.cell(row=r, column=7).number_format = "0.0000"
                r += 1
        if s.disputes:
            section("disputes", _DISPUTE_COLUMNS)
            for d in s.disputes:
                told: tuple[Any, ...] = (d.dispute, w.subject(d), d.period, d.opened_on,
                                         w.status(d.status), d.decided_on, d.claim, d.decision)
                for col, value in enumerate(told, start=1):
                    cell = put(col, value)
                    if col in (2, 7, 8):  # the subject, the claim and the decision: long text
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                r += 1
    if len(statement.schemes) > 1 and statement.currency is not None:
        r += 1
        put(1, w["grand_total"], font=bold)
        put(6, statement.total_cents, money=statement.currency, font=bold)
        r += 1
        put(1, w["grand_to_date"], font=bold)
        put(6, statement.to_date_cents, money=statement.currency, font=bold)
        r += 1
    widths = (30, 26, 22, 12, 10, 16, 14, 16, 70)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for cell in ws["I"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if table:  # the lines' header stays in view, and filters the first scheme's lines
        ws.freeze_panes = f"A{table[0] + 1}"
        ws.auto_filter.ref = f"A{table[0]}:{get_column_letter(len(_XLSX_COLUMNS))}{table[1]}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.creator = "kasvufee"
    wb.save(out)


# html ----------------------------------------------------------------------

_CSS = """
body { font-family: "Segoe UI", Arial, sans-serif; font-size: 10pt; margin: 2em; color: #111; }
h1 { font-size: 16pt; margin-bottom: 0.3em; }
h2 { font-size: 12pt; margin-top: 1.6em; border-bottom: 1px solid #999; }
h3 { font-size: 10.5pt; margin-top: 1.2em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1.2em; margin: 0.5em 0; }
dt { font-weight: bold; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin-top: 0.6em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #dde4ee; }
td.money, th.money { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
tr.group th { background: #f2f4f7; }
tr.subtotal td, tr.total td { font-weight: bold; }
tr.reversal td { background: #fff4f0; }
.neg { color: #a00; }
p.note, footer { color: #555; }
@page { size: A4 landscape; margin: 1.5cm; }
@media print { body { margin: 0; } tr, dl { page-break-inside: avoid; } }
"""
_ASSURANCE_CSS = """td.count, th.count { text-align: right; }
tr.open td { background: #fffbe6; }
"""  # added to a statement with a validation or dispute table only (others stay as they were)


def _write_html(statement: Statement, w: _Words, out: IO[bytes]) -> None:
    def e(value: object) -> str:
        return html.escape("" if value is None else str(value), quote=True)

    def money(cents: int | None, currency: str, tag: str = "td") -> str:
        if cents is None:
            return f'<{tag} class="money"></{tag}>'
        neg = " neg" if cents < 0 else ""
        return f'<{tag} class="money{neg}">{e(w.money(cents, currency))}</{tag}>'

    month = w.month(statement.month)
    assured = any(s.validation or s.disputes for s in statement.schemes)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{w.lang}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(w['title'])} · {e(statement.provider_id)} · {e(month)}</title>",
        f"<style>{_CSS}{_ASSURANCE_CSS if assured else ''}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(w['title'])}</h1>",
        "<dl>",
        f"<dt>{e(w['provider'])}</dt><dd>{e(statement.provider_id)}</dd>",
        f"<dt>{e(w['period'])}</dt><dd>{e(month)}</dd>",
        "</dl>",
    ]
    if statement.pseudonymized:
        parts.append(f'<p class="note">{e(w["pseudonymized"])}</p>')
    if not statement.schemes:
        parts.append(f"<p>{e(w['no_schemes'])}</p>")
    heads = "".join(f'<th class="money">{e(w[k])}</th>' if k in ("amount", "capped_from")
                    else f"<th>{e(w[k])}</th>" for k in _XLSX_COLUMNS[1:])
    span = len(_XLSX_COLUMNS) - 1
    for s in statement.schemes:
        parts.append("<section>")
        parts.append(f"<h2>{e(w['scheme'])}: {e(w.scheme_name(s))}</h2>")
        facts = []
        if s.buyer:
            facts.append(f"<dt>{e(w['buyer'])}</dt><dd>{e(s.buyer)}</dd>")
        if s.rating is not None:
            facts.append(f"<dt>{e(w['rating'])}</dt><dd>{e(w.rating(s.rating))}</dd>")
        if facts:
            parts += ["<dl>", *facts, "</dl>"]
        parts.append(f"<table class=\"lines\"><thead><tr>{heads}</tr></thead>")
        by_component: dict[str, list[StatementLine]] = {}
        for line in s.lines:
            by_component.setdefault(line.component, []).append(line)
        if not s.lines:
            parts.append(f'<tbody><tr><td colspan="{span}">{e(w["no_lines"])}</td></tr>'
                         "</tbody>")
        for c in s.components:
            title = f" — {e(c.title)}" if c.title else ""
            parts.append(f'<tbody><tr class="group"><th colspan="{span}">'
                         f"{e(w['component'])}: {e(c.component)}{title}</th></tr>")
            for line in by_component[c.component]:
                parts.append(
                    f'<tr class="{e(line.kind)}"><td>{e(line.entry_id)}</td>'
                    f"<td>{e(line.client or '—')}</td>"
                    f'<td class="date">{e(w.date(line.earned_on))}</td>'
                    f"<td>{e(w.kind(line.kind))}</td>{money(line.amount_cents, s.currency)}"
                    f"{money(line.capped_from_cents, s.currency)}<td>{e(line.cap)}</td>"
                    f"<td>{e(w.reason(line))}</td></tr>")
            parts.append(f'<tr class="subtotal"><td colspan="4">{e(w["subtotal"])}: '
                         f"{e(c.component)}</td>{money(c.amount_cents, s.currency)}"
                         f'<td colspan="{span - 5}"></td></tr></tbody>')
        parts.append("<tfoot>")
        for key, cents in (("total", s.total_cents), ("to_date", s.to_date_cents)):
            parts.append(f'<tr class="total"><td colspan="4">{e(w[key])}</td>'
                         f'{money(cents, s.currency)}<td colspan="{span - 5}"></td></tr>')
        parts.append("</tfoot></table>")
        if s.caps:
            parts.append(f"<h3>{e(w['caps'])}</h3>")
            parts.append('<table class="caps"><thead><tr>' + "".join(
                f'<th class="money">{e(w[k])}</th>' if k in ("limit", "used", "remaining")
                else f"<th>{e(w[k])}</th>" for k in _CAP_COLUMNS) + "</tr></thead><tbody>")
            for cap in s.caps:
                at_cap = ("" if cap.clients is None else
                          w["of_clients"].format(at=cap.clients_at_cap, all=cap.clients))
                parts.append(
                    f"<tr><td>{e(cap.cap)}</td><td>{e(w.per(cap.per))}</td>"
                    f"<td>{e(w.components(cap.components))}</td>"
                    f"{money(cap.limit_cents, s.currency)}{money(cap.used_cents, s.currency)}"
                    f"{money(cap.remaining_cents, s.currency)}"
                    f"<td>{e(at_cap)}</td></tr>")
            parts.append("</tbody></table>")
        parts += _html_assurance(s, w, e, money)
        parts.append("</section>")
    if len(statement.schemes) > 1 and statement.currency is not None:
        parts += ['<table class="grand"><tbody>',
                  f'<tr class="total"><td>{e(w["grand_total"])}</td>'
                  f"{money(statement.total_cents, statement.currency)}</tr>",
                  f'<tr class="total"><td>{e(w["grand_to_date"])}</td>'
                  f"{money(statement.to_date_cents, statement.currency)}</tr>",
                  "</tbody></table>"]
    head = w.head(statement)
    parts += [f"<footer><p>{e(w['footer'])}</p>"
              + ("" if head is None else f"<p>{e(head)}</p>") + "</footer>",
              "</body>", "</html>", ""]
    out.write("\n".join(parts).encode("utf-8"))


def _html_assurance(s: SchemeStatement, w: _Words, e: Callable[[object], str],
                    money: Callable[[int | None, str], str]) -> list[str]:
    """A part's validation and dispute tables, when it has any."""
    parts = []
    if s.validation:
        counts = ("sampled", "passed", "failed", "overturned", "pending", "error_rate")
        parts.append(f"<h3>{e(w['validation'])}</h3>")
        parts.append('<table class="validation"><thead><tr>' + "".join(
            f'<th class="count">{e(w[k])}</th>' if k in counts
            else f'<th class="money">{e(w[k])}</th>' if k == "recovered"
            else f"<th>{e(w[k])}</th>" for k in _VALIDATION_COLUMNS) + "</tr></thead><tbody>")
        for v in s.validation:
            parts.append(
                f"<tr><td>{e(v.component)}</td>" + "".join(
                    f'<td class="count">{n}</td>'
                    for n in (v.sampled, v.passed, v.failed, v.overturned, v.pending))
                + f'<td class="count">{e(w.rate(v.error_rate))}</td>'
                f"{money(v.recovered_cents, s.currency)}</tr>")
        parts.append("</tbody></table>")
    if s.disputes:
        parts.append(f"<h3>{e(w['disputes'])}</h3>")
        parts.append('<table class="disputes"><thead><tr>' + "".join(
            f"<th>{e(w[k])}</th>" for k in _DISPUTE_COLUMNS) + "</tr></thead><tbody>")
        for d in s.disputes:
            decided = "" if d.decided_on is None else w.date(d.decided_on)
            parts.append(
                f'<tr class="{e(d.status)}"><td>{e(d.dispute)}</td><td>{e(w.subject(d))}</td>'
                f'<td>{e(d.period)}</td><td class="date">{e(w.date(d.opened_on))}</td>'
                f'<td>{e(w.status(d.status))}</td><td class="date">{e(decided)}</td>'
                f"<td>{e(d.claim)}</td><td>{e(d.decision)}</td></tr>")
        parts.append("</tbody></table>")
    return parts


_WRITERS: dict[str, Callable[[Statement, _Words, IO[bytes]], None]] = {
    "xlsx": _write_xlsx, "csv": _write_csv, "json": _write_json, "html": _write_html}
