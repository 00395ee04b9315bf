"""Hypothesis strategies for users' own property tests of their schemes.

``event_records()`` draws a small, realistic client history in the core
vocabulary: enrolments with risk classes and education, employments that
start and sometimes end, surveys, recruitments with decimal person-years,
milestones, proofs, late recordings and voids.  Dates cluster around month
ends and leap days, where calendar arithmetic goes wrong.

``schemes()`` draws valid schemes assembled from the seed pilots' building
blocks (shares of a price, tier tables, windows, durations, evidence, graded
surveys, accumulated person-years, milestones, checkpoint metrics, schedules,
caps), for properties every scheme must have.

``populations()`` draws client mixes for ``kasvufee.design.population.generate``
and ``tiered_schemes()`` draws risk-tiered placement schemes with a budget:
together they let you state properties of a scheme *design*
(``tests/test_user_properties.py`` has the examples below, ready to copy).

Example — "row order never changes the ledger"::

    from hypothesis import given, strategies as st
    import kasvufee
    from kasvufee.testing import event_records, shuffled

    @given(data=st.data())
    def test_order(data):
        rows = data.draw(event_records())
        other = data.draw(shuffled(rows))
        a = kasvufee.evaluate(scheme, kasvufee.events_from_records(rows), as_of)
        b = kasvufee.evaluate(scheme, kasvufee.events_from_records(other), as_of)
        assert a.frame.equals(b.frame)

Requires the ``hypothesis`` package (``pip install kasvufee[test]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

Record = dict[str, Any]

# Month ends, leap days and ordinary days between 2017 and 2020.
_EDGE_DAYS = [dt.date(2018, 1, 31), dt.date(2018, 2, 28), dt.date(2018, 3, 31),
              dt.date(2018, 8, 31), dt.date(2018, 11, 30), dt.date(2018, 12, 31),
              dt.date(2019, 11, 30), dt.date(2019, 12, 31), dt.date(2020, 2, 29)]


def dates(start: dt.date = dt.date(2017, 6, 1), end: dt.date = dt.date(2020, 6, 30)
          ) -> st.SearchStrategy[dt.date]:
    """Dates in [start, end], often a month end or a leap day."""
    edges = [d for d in _EDGE_DAYS if start <= d <= end]
    plain = st.dates(min_value=start, max_value=end)
    return st.one_of(plain, st.sampled_from(edges)) if edges else plain


def _later(day: dt.date, max_days: int) -> st.SearchStrategy[dt.date]:
    return st.integers(0, max_days).map(lambda n: day + dt.timedelta(days=n))


_DECIMALS = st.sampled_from(["0.1", "0.2", "0.25", "0.3", "0.5", "0.7", "1"])


@st.composite
def client_history(draw: Callable[..., Any], client: str, provider: str, ids: Callable[[], str]
                   ) -> list[Record]:
    """The events of one client with one provider."""
    enrol = draw(dates(end=dt.date(2019, 6, 30)))
    rows: list[Record] = []

    def add(kind: str, day: dt.date, **attrs: Any) -> Record:
        row: Record = {"event_id": ids(), "type": kind, "provider_id": provider,
                       "client_id": client, "occurred_on": day.isoformat()}
        row.update({k: v for k, v in attrs.items() if v is not None})
        rows.append(row)
        return row

    add("enrolled", enrol,
        risk_class=draw(st.sampled_from(["high", "medium", "low", None])),
        education=draw(st.sampled_from(["higher", "vocational", "basic"])),
        unemployed_months=draw(st.integers(0, 24)), client_kind="company")
    for n in range(draw(st.integers(0, 2))):
        start = draw(_later(enrol, 300))
        emp = f"{client}-{n}"
        add("employment_started", start, employment_id=emp,
            evidence_ref=draw(st.sampled_from([None, f"TS-{emp}"])),
            employer_kind=draw(st.sampled_from(["growth_company", "public_sector"])),
            cross_border=draw(st.sampled_from([None, "true", "false"])))
        if draw(st.booleans()):
            add("employment_ended", draw(_later(start, 200)), employment_id=emp)
    for kind in ("guidance_completed", "plan_completed", "interview_completed",
                 "company_founded", "recruitment_probable"):
        if draw(st.integers(0, 3)) == 0:
            add(kind, draw(_later(enrol, 200)))
    for _ in range(draw(st.integers(0, 2))):
        add("recruitment_made", draw(_later(enrol, 150)), fte_years=draw(_DECIMALS))
    if draw(st.booleans()):
        add("training_referred", draw(_later(enrol, 200)),
            training=draw(st.sampled_from(["recruitment_training", "welding"])))
    if draw(st.booleans()):
        n_items = draw(st.integers(4, 5))
        answers = draw(st.lists(st.integers(1, 4), min_size=n_items, max_size=n_items))
        add("survey_answered", draw(_later(enrol, 120)), answers=";".join(map(str, answers)))
    elif draw(st.booleans()):
        add("survey_declined", draw(_later(enrol, 120)))
    for _ in range(draw(st.integers(0, 2))):
        add("metric_observed", draw(_later(enrol - dt.timedelta(days=30), 420)),
            metric="revenue", value=str(draw(st.integers(50_000, 150_000))))
    return rows


@st.composite
def event_records(draw: Callable[..., Any], max_clients: int = 6, voids: bool = True
                  ) -> list[Record]:
    """A data set of event rows (dicts) for ``kasvufee.events_from_records``."""
    counter = iter(range(1, 10_000))

    def ids() -> str:
        return f"e{next(counter):04d}"

    providers = ["P1", "P2"]
    rows: list[Record] = []
    for i in range(draw(st.integers(1, max_clients))):
        rows += draw(client_history(f"C{i + 1}", draw(st.sampled_from(providers)), ids))
    for provider in providers:
        for milestone in ("contract_started", "phase_1_completed", "phase_2_option_exercised",
                          "phase_2_completed", "group_events_delivered"):
            if draw(st.integers(0, 2)) == 0:
                rows.append({"event_id": ids(), "type": "milestone_reached",
                             "provider_id": provider, "occurred_on": draw(dates()).isoformat(),
                             "milestone": milestone})
    # proofs for unproven placements, late recordings and voids
    for row in list(rows):
        if row["type"] == "employment_started" and "evidence_ref" not in row and draw(
                st.booleans()):
            day = dt.date.fromisoformat(row["occurred_on"]) + dt.timedelta(
                days=draw(st.integers(0, 60)))
            rows.append({"event_id": ids(), "type": "evidence_provided",
                         "provider_id": row["provider_id"], "client_id": row["client_id"],
                         "occurred_on": day.isoformat(), "for_event": row["event_id"],
                         "evidence_ref": f"TS-{row['event_id']}"})
    for row in rows:
        if draw(st.integers(0, 5)) == 0:
            day = dt.date.fromisoformat(row["occurred_on"])
            row["recorded_at"] = draw(_later(day, 90)).isoformat()
    if voids and rows and draw(st.booleans()):
        target = draw(st.sampled_from(rows))
        rows.append(void_of(target, ids()))
    return rows


def void_of(target: Record, event_id: str, recorded_at: str | None = None) -> Record:
    """An ``event_voided`` row removing ``target``."""
    row: Record = {"event_id": event_id, "type": "event_voided",
                   "provider_id": target["provider_id"], "client_id": target.get("client_id"),
                   "occurred_on": target["occurred_on"], "voids": target["event_id"],
                   "reason": "entered by mistake"}
    if recorded_at is not None:
        row["recorded_at"] = recorded_at
    return row


def shuffled(rows: list[Record]) -> st.SearchStrategy[list[Record]]:
    """The same rows in another order."""
    return st.permutations(rows)


@st.composite
def populations(draw: Callable[..., Any], max_clients: int = 300) -> Any:
    """A small population (``kasvufee.design.population.Population``): one to three
    risk groups with their own placement odds, one or two providers."""
    from kasvufee.design.population import Population

    classes = draw(st.lists(st.sampled_from(["high", "medium", "low"]), min_size=1,
                            max_size=3, unique=True))
    weights = [draw(st.integers(1, 10)) for _ in classes]
    shares = [round(w / sum(weights), 6) for w in weights]
    shares[-1] = round(1 - sum(shares[:-1]), 6)
    groups = [{
        "id": risk, "share": share,
        "attributes": {"risk_class": risk, "education": "higher", "unemployed_months": 8},
        "placement": {"probability": draw(st.sampled_from([0.1, 0.3, 0.5, 0.8])),
                      "after": {"uniform": [0, draw(st.integers(1, 12))]},
                      "ends": {"before_months": 3,
                               "probability": draw(st.sampled_from([0.0, 0.2, 0.5]))}},
        "training": {"probability": 0.3, "after": {"uniform": [0, 3]},
                     "training": "recruitment_training"},
    } for risk, share in zip(classes, shares, strict=True)]
    two = draw(st.booleans())
    providers = ([{"id": "P1", "share": 0.5}, {"id": "P2", "share": 0.5}] if two
                 else [{"id": "P1", "share": 1.0}])
    return Population.model_validate({
        "population": "drawn", "clients": draw(st.integers(1, max_clients)),
        "start": draw(dates(start=dt.date(2017, 1, 1), end=dt.date(2019, 12, 31))),
        "months": draw(st.integers(1, 12)), "follow_up_months": 12,
        "providers": providers, "contract_milestones": ["contract_started"],
        "groups": groups})


@st.composite
def tiered_schemes(draw: Callable[..., Any]) -> Any:
    """A placement scheme with a risk-tier table that pays more for harder clients,
    a duration condition, a start fee and a result budget per provider."""
    import kasvufee

    low = draw(st.integers(1, 1000))
    medium = low + draw(st.integers(0, 1000))
    high = medium + draw(st.integers(0, 1000))
    months = draw(st.integers(1, 6))
    budget = draw(st.integers(1, 50)) * 1000
    return kasvufee.parse_scheme(f"""
scheme: drawn
title: a drawn tiered scheme
versions:
  - version: "1"
    valid_from: 2016-01-01
    components:
      - {{id: start_fee, on: milestone_reached, once_per: provider, amount: 1000.00}}
      - id: placement
        on: employment_started
        once_per: client
        lasts: {{months: {months}}}
        amount: {{by: client.risk_class, table: {{high: {high}.00, medium: {medium}.00,
                 low: {low}.00}}}}
      - {{id: training_referral, on: training_referred, once_per: client, amount: 100.00}}
    caps:
      - {{id: result_budget, per: provider, components: [placement, training_referral],
         amount: {budget}.00}}
""")


@st.composite
def schemes(draw: Callable[..., Any]) -> Any:
    """A valid scheme assembled from the building blocks of the seed pilots, each
    with drawn amounts and conditions, reading the events ``event_records()`` draws:

    a fee on enrolment, or a base and a result share of one price (``share_of``);
    a placement fee (euros or a risk-tier table, a window, a duration, evidence);
    a graded survey (per answer, capped); a recruitment result accumulating
    person-years in a window; a fee per provider milestone, possibly requiring
    another milestone; a provider-defined checkpoint metric; a fixed schedule
    fee; a follow-up fee that requires another outcome earned first; at most
    one of two outcomes per client; caps per client, per provider or per
    contract over some of them, once or each year or month; and a second
    version amending the first from a drawn day with one new amount.
    """
    import kasvufee

    def euros(low: int = 1, high: int = 3000) -> str:
        return f"{draw(st.integers(low, high))}.{draw(st.sampled_from(['00', '50', '05']))}"

    blocks: list[str] = []
    prices = ""
    ids: list[str] = []
    def duration(months: int) -> str:
        """Up to ``months`` months, drawn in days, weeks or months."""
        unit, top = draw(st.sampled_from([("days", 30 * months), ("weeks", 4 * months),
                                          ("months", months)]))
        return f"{unit}: {draw(st.integers(1, top))}"

    if draw(st.booleans()):  # a voucher split into base and result shares
        base = draw(st.sampled_from([50, 60, 70]))
        prices = (f"    prices:\n      voucher: {{amount: {euros(100, 5000)}, "
                  f"shares: {{base: {base}%, result: {100 - base}%}}}}\n")
        blocks += ["{id: base, on: enrolled, once_per: client, amount: {share_of: voucher}}",
                   "{id: result, on: [company_founded, employment_started], once_per: client, "
                   f"window: {{anchor: enrolled, {duration(12)}}}, "
                   "amount: {share_of: voucher}}"]
        ids += ["base", "result"]
    elif draw(st.booleans()):
        blocks.append(f"{{id: start, on: enrolled, once_per: client, amount: {euros()}}}")
        ids.append("start")
    if draw(st.booleans()):
        parts = ["id: placement", "on: employment_started", "once_per: client"]
        if draw(st.booleans()):
            parts.append(f"lasts: {{{duration(6)}}}")
        if draw(st.booleans()):
            parts.append(f"window: {{anchor: enrolled, {duration(12)}}}")
        if draw(st.booleans()):
            parts.append("evidence: {attribute: evidence_ref, provided_by: evidence_provided}")
        if draw(st.booleans()):
            parts.append(f"amount: {{by: client.risk_class, table: {{high: {euros()}, "
                         f"medium: {euros()}, low: {euros()}}}}}")
        else:
            parts.append(f"amount: {euros()}")
        blocks.append("{" + ", ".join(parts) + "}")
        ids.append("placement")
    if draw(st.booleans()):
        blocks.append(f"{{id: survey, on: survey_answered, once_per: client, amount: "
                      f"{{per_answer: {{4: {euros(1, 300)}, 3: {euros(1, 100)}}}, "
                      f"answers: answers}}, max_amount: {euros(300, 1500)}}}")
        ids.append("survey")
    if draw(st.booleans()):
        at_least = draw(st.sampled_from(["0.1", "0.5", "1.0"]))
        blocks.append(f"{{id: recruitment, on: recruitment_made, once_per: client, "
                      f"window: {{anchor: enrolled, {duration(12)}}}, "
                      f"accumulate: {{sum: fte_years, at_least: {at_least}}}, "
                      f"amount: {euros()}}}")
        ids.append("recruitment")
    if draw(st.booleans()):
        needs = (", requires: {on: milestone_reached, where: {milestone: "
                 "phase_2_option_exercised}}" if draw(st.booleans()) else "")
        blocks.append(f"{{id: milestone, on: milestone_reached, where: {{milestone: "
                      f"phase_2_completed}}, once_per: provider{needs}, "
                      f"amount: {euros(1000, 30000)}}}")
        ids.append("milestone")
    if draw(st.booleans()):
        blocks.append(f"{{id: activity, kind: checkpoint, defined_by: provider, "
                      f"anchor: enrolled, {duration(12)}, metrics: "
                      f"{{recruitments: {{on: recruitment_made, count: true, since: anchor, "
                      f"until: checkpoint}}}}, condition: recruitments >= "
                      f"{draw(st.integers(1, 2))}, amount: {euros()}}}")
        ids.append("activity")
    if draw(st.booleans()):
        blocks.append(f"{{id: fixed, kind: schedule, provider: P1, amount: {euros(100, 9000)}, "
                      f"schedule: {{freq: monthly, start: {draw(dates()).isoformat()}, "
                      f"count: {draw(st.integers(1, 12))}}}}}")
        ids.append("fixed")
    if not blocks:
        blocks.append(f"{{id: start, on: enrolled, once_per: client, amount: {euros()}}}")
        ids.append("start")
    per_client = [i for i in ids if i in ("start", "base", "result", "placement", "survey",
                                          "recruitment")]
    if per_client and draw(st.booleans()):  # a follow-up paid only after another outcome
        blocks.append(f"{{id: follow_up, on: interview_completed, once_per: client, "
                      f"amount: {euros(1, 500)}, requires_earned: "
                      f"[{draw(st.sampled_from(per_client))}]}}")
        ids.append("follow_up")
    groups = []
    if len(per_client) >= 2 and draw(st.booleans()):  # at most one of two per client
        pair = draw(st.lists(st.sampled_from(per_client), min_size=2, max_size=2, unique=True))
        groups.append(f"{{id: one_of, components: [{', '.join(pair)}]}}")
    caps = []
    for per in ("client", "provider", "contract"):
        if draw(st.integers(0, 2)) == 0:
            inside = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
            each = draw(st.sampled_from(["", ", each: year", ", each: month"]))
            caps.append(f"{{id: {per}_cap, per: {per}, components: [{', '.join(inside)}], "
                        f"amount: {euros(1, 20000)}{each}}}")
    text = ("scheme: drawn\ntitle: a drawn scheme\nversions:\n  - version: \"1\"\n"
            "    valid_from: 2016-01-01\n" + prices + "    components:\n"
            + "".join(f"      - {b}\n" for b in blocks)
            + ("    caps:\n" + "".join(f"      - {c}\n" for c in caps) if caps else "")
            + ("    at_most_one:\n" + "".join(f"      - {g}\n" for g in groups)
               if groups else ""))
    if draw(st.booleans()):  # an amendment from a drawn day: one component's new amount
        changed = draw(st.sampled_from([i for i in ids if i not in ("base", "result",
                                                                    "survey", "fixed")]
                                       or ["none"]))
        text += (f"  - version: \"2\"\n    valid_from: {draw(dates()).isoformat()}\n"
                 f"    amends: \"1\"\n"
                 + (f"    components:\n      - {{id: {changed}, amount: {euros()}}}\n"
                    if changed != "none" else ""))
    return kasvufee.parse_scheme(text)


__all__ = ["Record", "client_history", "dates", "event_records", "populations", "schemes",
           "shuffled", "tiered_schemes", "void_of"]
