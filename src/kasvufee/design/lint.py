"""``lint(scheme)``: the report's lessons as checks on a scheme, before a tender.

The 2018 evaluation of the growth-company employment programme (TEM
publication 17/2018, section 2.3 and development proposals 12-14) found
what made the pilots' fee schemes work or fail.  Each lesson that can be
seen in a scheme file alone is a check here, with a stable code; a finding
states the lesson as a general rule, true of any outcome-based scheme (the
UK's and Australia's too), and keeps where it was learnt as its source:

======  ========  =====================================================
code    severity  the check
======  ========  =====================================================
KF101   warning   no base fee: every component pays only for results
KF102   warning   a criterion outside the provider's influence
KF103   warning   an imprecise criterion: every reported event pays,
                  with no evidence, window, duration or prerequisite
KF104   info      a result paid on the provider's report alone (no
                  ``evidence`` rule)
KF105   warning   employment paid on its start and no component rewards
                  lasting employment
KF106   info      a result with no time window after enrolment
KF107   warning   a quality fee (bands or per-answer fees on survey
                  answers) with no ``missing`` policy
KF108   warning   a result share too small to steer (under 25 %)
KF109   info      no result-based fee at all
KF110   error     an unbounded amount (``formula`` or ``per_answer``
                  without ``max_amount``)
KF111   warning   no cap per contract or provider, and the total grows
                  without limit
KF112   warning   a client can earn a fee any number of times, and no
                  cap limits it
KF113   error     a tier table that pays less for harder clients
KF114   warning   an event type outside the core vocabulary and the
                  scheme's ``event_types`` (a typo pays nothing)
KF115   info      a suppression (``lint.suppress``) that matches no finding
======  ========  =====================================================

A scheme may accept a finding with a written reason (``lint: {suppress:
[{code: KF104, component: outcome_4w, reason: ...}]}``): the finding is
still listed, marked suppressed with the reason, and a suppressed error no
longer fails ``kasvufee lint``.

**What is a base fee, what is a result.**  A component is *fixed* (a base,
start or instalment fee) when it is a ``schedule``, or an event component
paid on ``enrolled`` (the client's enrolment, a voucher redeemed) or on
``milestone_reached`` (a contract milestone).  Every other component pays
for something the provider has to achieve — a placement, a recruitment, an
answer, a report — and is *result-based*.

**How the result share is estimated (KF108), from the scheme alone.**  For
each component the most one entry can pay (the fixed amount, a share of a
price, the highest table value or band, or ``max_amount``) is multiplied by
the number of times it can pay.  When both the fixed and the result-based
components are bounded per provider's contract — because they pay a known
number of times (instalments, once per provider, once per listed period) or
by a cap ``per: provider`` or ``per: contract`` that counts only fixed or
only result-based components — the share is the result-based part of the
most one contract can pay.  Otherwise the share is taken over *one client's
maximum payouts*: each client-level component once (a fee per event counted
once), under the per-client caps; contract-level components are then left
out.  The message says which basis was used.  A scheme in which one side is
unbounded (an amount with no limit) is not flagged.

Findings are listed by code and then by the component's place in the
scheme.  ``format_findings`` renders them as text or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from kasvufee.engine.schedule import schedule_dates
from kasvufee.money import Currency, format_cents
from kasvufee.scheme.model import (
    CheckpointFee,
    EventFee,
    Formula,
    MeanBands,
    PerAnswer,
    ScheduleFee,
    Scheme,
    Table,
    Version,
)
from kasvufee.scheme.prices import (
    effective_caps,
    full_amount,
    highest_amount,
    pays_cents,
    unknown_types,
)

__all__ = [
    "CHECKS",
    "RESULT_SHARE_THRESHOLD",
    "Check",
    "Finding",
    "Severity",
    "entry_max",
    "format_findings",
    "has_errors",
    "is_fixed",
    "lint",
]

Severity = Literal["error", "warning", "info"]
Component = EventFee | ScheduleFee | CheckpointFee

RESULT_SHARE_THRESHOLD = Decimal("0.25")
"""A result share below this is flagged as too small to steer (KF108)."""

FIXED_TYPES = frozenset({"enrolled", "milestone_reached"})
"""Event types whose fee is a base fee: enrolment (a start fee per client, a voucher
redeemed) and contract milestones."""

CONTRACT_TYPES = frozenset({"milestone_reached", "quality_rated", "network_formed",
                            "student_directed", "vacancy_reported"})
"""Event types of the core vocabulary that are facts about a contract, not a client."""

OUTCOME_TYPES = frozenset({"employment_started", "recruitment_made", "recruitment_probable",
                           "company_founded"})
"""Outcomes the provider reports and a buyer should see proof of."""

WINDOW_TYPES = frozenset({"employment_started", "recruitment_made", "company_founded"})
"""Outcomes that should happen within a time after the client's enrolment."""

_TIERS = ("high", "medium", "low")


@dataclass(frozen=True, slots=True)
class Check:
    """One check: its stable code, severity and short name, the lesson behind it
    as a general rule (``general``: true of any outcome-based scheme) and where
    it was learnt (``source``: the report and the pilots it names)."""

    code: str
    severity: Severity
    name: str
    source: str
    general: str = ""

    @property
    def lesson(self) -> str:
        """The general lesson and its source, as a finding shows it."""
        return f"{self.general} (source: {self.source})"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing ``lint`` found in a scheme.

    Attributes:
        code: the check's stable code, e.g. ``KF101``.
        severity: ``error`` (do not sign the scheme as it is), ``warning``
            (a lesson of the report applies) or ``info`` (worth a look).
        component: the component id, or None for the scheme as a whole.
        message: what was found and what to do about it.
        lesson: the report's lesson it rests on, with its place in the report.
        suppressed: the buyer's written reason for accepting it (the scheme's
            ``lint.suppress``), or None; a suppressed error is no longer one.
    """

    code: str
    severity: Severity
    component: str | None
    message: str
    lesson: str
    suppressed: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The finding as a JSON-ready mapping."""
        return asdict(self)


_REPORT = "TEM 17/2018"
CHECKS: Mapping[str, Check] = {c.code: c for c in (
    Check("KF101", "warning", "no base fee",
          f"{_REPORT}, section 4.1 and development proposals 12-14: purely result-based fee "
          "models have not worked particularly well in any trial (Uusimaa: 100 % result fee, "
          "targets out of reach when clients were few); the models that worked (Pirkanmaa "
          "50/25/25, Satakunta 50 % start fee) secure the provider's resources with a base fee",
          general=("A fee paid only for results leaves the provider all the risk of too few "
                   "clients or outcomes; a base fee secures the resources the work needs.")),
    Check("KF102", "warning", "criterion outside the provider's influence",
          f"{_REPORT}, section 2.3 (Pohjois-Savo): fee criteria the provider cannot directly "
          "influence by its own work, such as the client companies' sales and turnover growth, "
          "made the result fees fail",
          general=("A fee should rest on what the provider's own work can influence; a criterion "
                   "driven by the market or the client's business pays for luck.")),
    Check("KF103", "warning", "imprecise criterion",
          f"{_REPORT}, section 2.3 (Bothnian Arc) and development proposal 13: the fee criteria "
          "(what is paid, which conditions must hold) were not defined precisely enough, which "
          "caused disputes; the buyer must set clear and unambiguous bounds",
          general=("What is paid, and under which conditions, must be defined precisely enough "
                   "that buyer and provider cannot read it differently.")),
    Check("KF104", "info", "no evidence rule",
          f"{_REPORT}, section 2.3: the result fee and the follow-up that verifies it should go "
          "together (Uusimaa: the provider must prove the result; Varsinais-Suomi: follow-up "
          "built into the URA register)",
          general=("A result fee and the check that verifies it belong together: a result paid on "
                   "the provider's own report is not proven.")),
    Check("KF105", "warning", "no incentive for lasting employment",
          f"{_REPORT}, section 2.3 (Uusimaa): the result criteria did not encourage lasting "
          "employment; the durability of employment needs its own incentive in future schemes",
          general=("Paying for the start of employment and not for its lasting rewards short jobs;"
                   " durability needs its own incentive.")),
    Check("KF106", "info", "no time window",
          f"{_REPORT}, development proposal 13: the buyer must set clear and unambiguous "
          "bounds (which conditions must hold, and by when)",
          general=("A result must be bounded in time after the service: by when it counts has to "
                   "be written down.")),
    Check("KF107", "warning", "quality fee without a missing-data policy",
          f"{_REPORT}, section 2.3 (Pirkanmaa): the quality fee based on client feedback is a "
          "problem when the client refuses to give feedback",
          general=("A fee that depends on the client's answers must say what happens when the "
                   "client does not answer, which the provider cannot control.")),
    Check("KF108", "warning", "result share too small to steer",
          f"{_REPORT}, section 2.3 (Lapland): a result fee of about 20 % of the total budget is "
          "small, so the incentive to results is not the greatest possible",
          general=("A result share too small against the whole fee does not steer the provider "
                   "towards results.")),
    Check("KF109", "info", "no result-based fee",
          f"{_REPORT}, section 2.3 (Etelä-Pohjanmaa): a fixed fee has no result incentive; "
          "there the option for a second phase served as the incentive",
          general=("A fixed fee alone gives no incentive for results; something (a result fee, an "
                   "option for a next phase) has to.")),
    Check("KF110", "error", "unbounded amount",
          f"{_REPORT}, development proposals 13-14: clear bounds for the fee model, and a price "
          "that is known (Yrittäjästä työnantajaksi: the client-experience fee at most 1 000 € "
          "per client, group events at most 3 000 €)",
          general=("Every fee needs a known upper bound: a price without one is not a price the "
                   "buyer can budget.")),
    Check("KF111", "warning", "no cap per contract",
          f"{_REPORT}, section 2.3 and development proposal 14: the right price is not yet "
          "known, so the pilots bounded their cost (Etelä-Pohjanmaa: a 50 000 € "
          "appropriation; Lapland: a result budget of about 20 %; Satakunta: half of the "
          "contract for results)",
          general=("While the right price is unknown, the total cost needs a bound: a budget or a "
                   "cap per contract or provider.")),
    Check("KF112", "warning", "no cap per client",
          f"{_REPORT}, section 2.3 (Lapland: at most 1 000 € per client company; Bothnian "
          "Arc: what is paid was not defined precisely enough)",
          general=("What one client can earn the provider needs a bound, or the same client can be"
                   " paid for without limit.")),
    Check("KF113", "error", "tier table pays less for harder clients",
          f"{_REPORT}, section 2.3 (Varsinais-Suomi): the fee follows the client's long-term "
          "unemployment risk in three classes (900 €, 650 €, 450 €) so that harder clients pay "
          "more; the reverse rewards creaming the easy clients and parking the hard ones",
          general=("A fee that pays less for clients who are harder to help rewards picking the "
                   "easy ones and parking the hard ones.")),
    Check("KF114", "warning", "unknown event type",
          f"{_REPORT}, development proposal 13: the fee criteria must be clear and unambiguous; "
          "a criterion on an event type the buyer's register does not record (a misspelt "
          "type) is never met, and the fee it promises is silently never paid",
          general=("A criterion on an event nobody records is never met: the fee it promises is "
                   "silently never paid.")),
    Check("KF115", "info", "unused suppression",
          f"{_REPORT}, development proposal 13: the bounds of a fee model are written down; a "
          "suppression records why a lesson does not apply to this scheme, and one that "
          "matches no finding records nothing",
          general=("A suppression records in writing why a lesson does not apply; one that matches"
                   " no finding records nothing.")),
)}


def lint(scheme: Scheme) -> list[Finding]:
    """Check ``scheme`` against the report's lessons; every finding, in code order.

    A scheme with several versions is checked version by version; a finding
    that concerns only some versions names them.
    """
    seen: dict[tuple[str, str | None, str], list[str]] = {}
    place: dict[tuple[str, str | None, str], int] = {}
    unknown = unknown_types(scheme)
    for vi, v in enumerate(scheme.versions):
        position = {c.id: n for n, c in enumerate(v.components)}
        for key in (*_lint_version(v, scheme), *_unknown(v, vi, unknown)):
            seen.setdefault(key, []).append(v.version)
            place.setdefault(key, position.get(key[1] or "", -1))
    out = []
    for key in sorted(seen, key=lambda k: (k[0], place[k])):
        code, component, message = key
        versions = seen[key]
        check = CHECKS[code]
        message = f"{check.name}: {message}"
        if len(scheme.versions) > 1 and len(versions) < len(scheme.versions):
            message = f"version {', '.join(versions)}: {message}"
        out.append(Finding(code, check.severity, component, message, check.lesson,
                           _suppressed(scheme, code, component)))
    for s in scheme.lint.suppress:  # a suppression that matches nothing is said too
        if not any(f.code == s.code and s.component in (None, f.component) for f in out):
            check = CHECKS["KF115"]
            out.append(Finding("KF115", check.severity, s.component, f"{check.name}: the "
                               f"suppression of {s.code}"
                               + (f" for {s.component}" if s.component else "")
                               + " matches no finding: remove it, or check its code and "
                               "component", check.lesson))
    return out


def _suppressed(scheme: Scheme, code: str, component: str | None) -> str | None:
    for s in scheme.lint.suppress:
        if s.code == code and s.component in (None, component):
            return s.reason
    return None


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when a finding that is not suppressed has severity ``error``
    (``kasvufee lint`` then exits 1)."""
    return any(f.severity == "error" and f.suppressed is None for f in findings)


def format_findings(findings: Iterable[Finding], fmt: Literal["text", "json"] = "text", *,
                    source: str | None = None) -> str:
    """Findings as text for a person or JSON for a procurement tool.

    Text: one line ``CODE severity component: message`` per finding (the
    component is ``scheme`` for a scheme-wide finding), the lesson on the
    next line, then a summary line such as ``4 findings: 0 errors, 3
    warnings, 1 info``.  JSON: an object with ``scheme`` (``source``),
    ``findings`` (each with code, severity, component, message, lesson) and
    ``summary`` (counts by severity).
    """
    items = list(findings)
    counts = {s: sum(1 for f in items if f.severity == s and f.suppressed is None)
              for s in ("error", "warning", "info")}
    quiet = sum(1 for f in items if f.suppressed is not None)
    if fmt == "json":
        doc: dict[str, object] = {"scheme": source, "findings": [f.to_dict() for f in items],
                                  "summary": {**counts, "suppressed": quiet}}
        return json.dumps(doc, ensure_ascii=False, indent=2)
    if fmt != "text":
        raise ValueError(f"format text or json, got {fmt!r}")
    lines = [f"{source}:"] if source else []
    for f in items:
        lines.append(f"{f.code} {f.severity} {f.component or 'scheme'}: {f.message}")
        if f.suppressed is not None:
            lines.append(f"    suppressed: {f.suppressed}")
        lines.append(f"    lesson: {f.lesson}")
    if not items:
        lines.append("no findings")
    else:
        lines.append(f"{len(items)} finding{'s' if len(items) != 1 else ''}: "
                     f"{_count(counts['error'], 'error')}, {_count(counts['warning'], 'warning')}, "
                     f"{counts['info']} info"
                     + (f" ({quiet} suppressed with "
                        f"{'its reason' if quiet == 1 else 'their reasons'})" if quiet else ""))
    return "\n".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- classification


def is_fixed(c: Component) -> bool:
    """A base, start or instalment fee: a schedule, or a fee on enrolment or a milestone."""
    if isinstance(c, ScheduleFee):
        return True
    return isinstance(c, EventFee) and set(c.types) <= FIXED_TYPES


def _level(c: Component) -> Literal["client", "provider", "contract"]:
    """Whom the component's entries are counted for: a client, a provider, or neither
    (fees per contract-level event)."""
    if isinstance(c, ScheduleFee):
        return "provider"
    if isinstance(c, CheckpointFee):
        return "client"
    keys = c.once_keys
    if "client" in keys:
        return "client"
    if "provider" in keys:
        return "provider"
    return "contract" if set(c.types) <= CONTRACT_TYPES else "client"


def _key_values(c: EventFee) -> int | None:
    """How many distinct once-per keys a client (or provider) can have: the product of
    the values ``where`` allows for each key beyond client and provider; None when a
    key is open or the fee is paid per event."""
    keys = c.once_keys
    if not keys:
        return None
    n = 1
    for k in keys:
        if k in ("client", "provider"):
            continue
        allowed = c.where.get(k)
        if allowed is None:
            return None
        n *= len(allowed) if isinstance(allowed, tuple) else 1
    return n


def _times(c: Component, scope: Literal["client", "provider"]) -> int | None:
    """How many entries the component can make per client or per provider (0: none
    at that level; None: no limit)."""
    level = _level(c)
    if isinstance(c, ScheduleFee):
        return 0 if scope == "client" else len(schedule_dates(c))
    if isinstance(c, CheckpointFee):
        return 1 if scope == "client" else None
    if scope == "client":
        return 0 if level != "client" else _key_values(c)
    if level == "client":
        return None  # the number of clients is not in the scheme
    return _key_values(c)


def entry_max(version: Version, c: Component) -> int | None:
    """The most a single entry of the component can pay, in cents; None when unbounded."""
    top = highest_amount(version, c.id, c.amount)
    if isinstance(c, EventFee) and c.missing is not None and top is not None:
        top = max(top, pays_cents(c.missing.pays, full_amount(version, c.id, c.amount)))
    if c.max_amount is not None:
        top = c.max_amount if top is None else min(top, c.max_amount)
    return top


def _times_amount(n: int | None, each: int | None) -> int | None:
    if n == 0:
        return 0
    return None if n is None or each is None else n * each


def _add(values: Iterable[int | None]) -> int | None:
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _bound(bounds: Mapping[str, int | None], caps: list[tuple[frozenset[str], int]]
           ) -> int | None:
    """An upper bound of the sum of ``bounds`` (None: unbounded) under caps, each
    limiting the sum of a set of components.  Components a cap covers are merged
    into one group whose bound is the cap plus what the cap leaves uncovered."""
    groups: list[tuple[frozenset[str], int | None]] = [
        (frozenset([name]), b) for name, b in bounds.items()]
    for members, limit in caps:
        members = members & frozenset(bounds)
        if not members:
            continue
        touching = [g for g in groups if g[0] & members]
        rest = [g for g in groups if not g[0] & members]
        whole = _add(b for _, b in touching)
        partly = _add(b for names, b in touching if not names <= members)
        capped = None if partly is None else limit + partly
        new = capped if whole is None else whole if capped is None else min(whole, capped)
        groups = [*rest, (frozenset().union(*(names for names, _ in touching)), new)]
    return _add(b for _, b in groups)


@dataclass(frozen=True, slots=True)
class _Bounds:
    """What the scheme alone says about the most it can pay."""

    each: Mapping[str, int | None]  # the most one entry pays
    provider: Mapping[str, int | None]  # the most per provider's contract, before caps
    client: Mapping[str, int | None]  # the most per client, before caps (client level only)
    provider_caps: list[tuple[frozenset[str], int]]
    client_caps: list[tuple[frozenset[str], int]]


def _bounds(version: Version, scheme: Scheme) -> _Bounds:
    ids = frozenset(c.id for c in version.components)
    each = {c.id: entry_max(version, c) for c in version.components}
    provider = {c.id: _times_amount(_times(c, "provider"), each[c.id])
                for c in version.components}
    client = {c.id: _times_amount(_times(c, "client"), each[c.id])
              for c in version.components if _level(c) == "client"}
    caps = effective_caps(scheme)
    provider_caps = [(frozenset(cap.components) if cap.components else ids, cap.highest)
                     for cap in caps if cap.per in ("provider", "contract")]
    client_caps = [(frozenset(cap.components) if cap.components else ids, cap.highest)
                   for cap in caps if cap.per == "client"]
    return _Bounds(each, provider, client, provider_caps, client_caps)


# --------------------------------------------------------------------------- the checks

_Raw = tuple[str, str | None, str]  # code, component, message


def _lint_version(v: Version, scheme: Scheme) -> Iterator[_Raw]:
    results = [c for c in v.components if not is_fixed(c)]
    fixed = [c for c in v.components if is_fixed(c)]
    b = _bounds(v, scheme)
    money = Currency(scheme.currency)
    imprecise = {c.id for c in results if isinstance(c, EventFee) and _imprecise(c)}

    if results and not fixed:
        yield ("KF101", None,
               "every component pays only for results ("
               + ", ".join(c.id for c in results) + "); none is a base fee on enrolment, a "
               "milestone or a schedule, so the provider carries all the risk of too few "
               "clients or outcomes. Consider a base or start fee (e.g. 50 %)")
    for c in v.components:
        if c.influence == "low":
            yield ("KF102", c.id,
                   f"{c.id} is declared influence: low, so the provider can do little to earn "
                   "it and it does not steer the service. Pay for what the provider's work "
                   "brings about, or keep this as a reported metric without a fee")
    for c in results:
        if not isinstance(c, EventFee):
            continue
        if c.id in imprecise:
            yield ("KF103", c.id,
                   f"every {_on(c)} pays {_amount_words(v, c, money)}, with no evidence rule, "
                   "time window, minimum duration or prerequisite. Define what counts, under "
                   "which conditions and by which evidence (evidence:, window:, lasts:, "
                   "requires:), or pay once per client")
            continue
        outcome = sorted(set(c.types) & OUTCOME_TYPES)
        if outcome and c.evidence is None:
            yield ("KF104", c.id,
                   f"{c.id} pays on the reported {' or '.join(outcome)} alone. Require proof "
                   "(evidence:) unless these events come from the buyer's own register (URA)")
        windowed = sorted(set(c.types) & WINDOW_TYPES)
        if windowed and c.window is None:
            yield ("KF106", c.id,
                   f"{c.id} pays for {' or '.join(windowed)} however long after enrolment it "
                   "happens. Bound it (window: months after enrolled) so that the result "
                   "follows from the service")
    on_start = [c for c in results if isinstance(c, EventFee)
                and "employment_started" in c.types and c.lasts is None]
    rewards_lasting = any(isinstance(c, EventFee) and c.lasts is not None
                          for c in v.components)
    if not rewards_lasting:
        for c in on_start:
            yield ("KF105", c.id,
                   f"{c.id} pays when an employment starts, however short it turns out, and no "
                   "component pays for employment that lasts. Pay (also) for employment "
                   "lasting some months (lasts: {months: 3})")
    for c in results:
        if (isinstance(c, EventFee) and isinstance(c.amount, PerAnswer | MeanBands)
                and c.missing is None):
            yield ("KF107", c.id,
                   f"{c.id} pays from the client's {_answers(c)}, but a client who declines or "
                   "never answers earns the provider nothing for quality, for reasons outside "
                   "its control. Add a missing-data policy (missing: deadline, declined_by, "
                   "pays)")
    yield from _share(v, results, fixed, b, money)
    for c in v.components:
        if (isinstance(c.amount, PerAnswer | Formula) and c.max_amount is None
                and highest_amount(v, c.id, c.amount) is None):
            what = (f"the per-answer fee grows with the number of {c.amount.answers} on the "
                    "event" if isinstance(c.amount, PerAnswer)
                    else f"the formula {c.amount.formula} has no upper limit")
            yield ("KF110", c.id,
                   f"{what} and {c.id} has no max_amount. Write the tender's ceiling as "
                   "max_amount")
    yield from _caps(v, b)
    for c in v.components:
        amount = c.amount
        if isinstance(amount, Table) and amount.by.split(".")[-1] == "risk_class":
            yield from _tiers(c.id, amount, money)


def _unknown(v: Version, vi: int,
             unknown: list[tuple[tuple[str | int, ...], str, str | None]]) -> Iterator[_Raw]:
    """KF114 for the version's components (and the rating, in every version)."""
    for loc, name, nearest in unknown:
        if loc[0] == "rating":
            component, where = None, "rating.on"
        elif loc[1] == vi:
            component, where = v.components[int(loc[3])].id, ".".join(map(str, loc[4:]))
        else:
            continue
        guess = f"Did you mean {nearest}? " if nearest else ""
        yield ("KF114", component,
               f"{where}: {name} is neither an event type of the core vocabulary nor one of the "
               f"scheme's event_types, so no event may reach it. {guess}Correct the spelling, "
               "or declare the type under event_types")


def _imprecise(c: EventFee) -> bool:
    return (not c.once_keys and c.evidence is None and c.window is None and c.lasts is None
            and c.requires is None and c.accumulate is None and c.eligible is None)


def _on(c: EventFee) -> str:
    where = ", ".join(f"{k} {'/'.join(map(_text, v)) if isinstance(v, tuple) else _text(v)}"
                      for k, v in c.where.items())
    return " or ".join(c.types) + " event" + (f" (with {where})" if where else "")


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _answers(c: EventFee) -> str:
    amount = c.amount
    name = amount.answers if isinstance(amount, PerAnswer) else (
        amount.mean_of if isinstance(amount, MeanBands) else "answers")
    return f"{name} on {' or '.join(c.types)}"


def _amount_words(v: Version, c: Component, money: Currency) -> str:
    top = entry_max(v, c)
    return "an amount without limit" if top is None else money.text(format_cents(top))


def _share(v: Version, results: list[Component], fixed: list[Component], b: _Bounds,
           money: Currency) -> Iterator[_Raw]:
    if not results:
        yield ("KF109", None,
               "every component is a fixed fee (" + ", ".join(c.id for c in fixed) + "); "
               "nothing in the fee steers towards results. Consider a result-based part, or "
               "another incentive such as an option for a further phase")
        return
    if not fixed:
        return
    result_ids = {c.id for c in results}
    fixed_ids = {c.id for c in fixed}
    # a cap over both fixed and result components says nothing about their shares
    r = _bound({k: x for k, x in b.provider.items() if k in result_ids},
               _within(b.provider_caps, result_ids))
    f = _bound({k: x for k, x in b.provider.items() if k in fixed_ids},
               _within(b.provider_caps, fixed_ids))
    if r is not None and f is not None:
        basis = "of the most one provider's contract can pay"
    else:
        # one client's maximum: each client-level component once, under per-client caps
        once = {k: (b.each[k] if x is None and b.each[k] is not None else x)
                for k, x in b.client.items()}
        r = _bound({k: x for k, x in once.items() if k in result_ids},
                   _within(b.client_caps, result_ids))
        f = _bound({k: x for k, x in once.items() if k in fixed_ids},
                   _within(b.client_caps, fixed_ids))
        basis = ("of one client's maximum payouts (each client-level component once; "
                 "contract-level components left out)")
    if r is None or f is None or r + f == 0:
        return
    share = Decimal(r) / Decimal(r + f)
    if share < RESULT_SHARE_THRESHOLD:
        pct = (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        yield ("KF108", None,
               f"result-based fees are {pct} % {basis}: {money.text(format_cents(r))} of "
               f"{money.text(format_cents(r + f))} (result: {_ids(v, result_ids)}; fixed: "
               f"{_ids(v, fixed_ids)}); below "
               f"{int(RESULT_SHARE_THRESHOLD * 100)} % a result fee is too small to steer. "
               "Raise the result part or make the fixed part smaller")


def _within(caps: list[tuple[frozenset[str], int]], ids: set[str]
            ) -> list[tuple[frozenset[str], int]]:
    """The caps that count only components of ``ids``."""
    return [(members, limit) for members, limit in caps if members <= ids]


def _ids(v: Version, ids: set[str]) -> str:
    """The ids in the order of the scheme."""
    return ", ".join(c.id for c in v.components if c.id in ids)


def _caps(v: Version, b: _Bounds) -> Iterator[_Raw]:
    if _bound(b.provider, b.provider_caps) is None:
        covered = frozenset().union(*(m for m, _ in b.provider_caps))
        open_ = [c.id for c in v.components if b.provider[c.id] is None and c.id not in covered]
        yield ("KF111", None,
               "no cap per contract or provider covers " + ", ".join(open_) + ", so what "
               "the contract costs grows with the number of clients and events without limit. "
               "Add a budget cap (caps: per: contract or per: provider)")
    all_caps = frozenset().union(*(m for m, _ in [*b.provider_caps, *b.client_caps]))
    repeat = [c.id for c in v.components if c.id in b.client and b.client[c.id] is None
              and b.each[c.id] is not None and c.id not in all_caps]
    if repeat:
        yield ("KF112", None,
               "a client can earn " + ", ".join(repeat) + " any number of times (once per "
               "event) and no cap limits it. Pay once per client, or add a cap per client "
               "(caps: per: client)")


def _tiers(component: str, table: Table, money: Currency) -> Iterator[_Raw]:
    t = table.table
    pairs = [(hard, easy) for i, hard in enumerate(_TIERS) for easy in _TIERS[i + 1:]
             if hard in t and easy in t and t[hard] < t[easy]]
    if pairs:
        worse = "; ".join(f"{hard} {money.text(format_cents(t[hard]))} < "
                          f"{easy} {money.text(format_cents(t[easy]))}"
                          for hard, easy in pairs)
        yield ("KF113", component,
               f"{component} pays less for a harder client by {table.by} ({worse}), which pays "
               "the provider to take the easy clients and park the hard ones. Pay at least as "
               "much for high risk as for medium, and for medium as for low")
