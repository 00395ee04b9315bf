"""Baseline (a): the three pilot schemes written row by row in plain Python.

This is the script a finance officer would write from ``pilots.md`` (§8
varsinais-suomi, §1 yrittajasta-tyonantajaksi, §11 satakunta-kokosata) and
the common rules of ``DESIGN.md``: read the export with the ``csv`` module
(or a Parquet file with ``pyarrow``), keep the rows the scheme needs, loop
over them in event order with dictionaries.  It imports nothing from
kasvufee, so that when its ledger equals kasvufee's line for line the
agreement is evidence, not a tautology.

The rules as implemented here:

- an event is known on ``as_of`` when its ``recorded_at`` (default
  ``occurred_on``) is on or before ``as_of``; an ``event_voided`` known on
  ``as_of`` removes the event it names (the generator never voids a void);
- events are taken in the order (``occurred_on``, ``recorded_at``, ``event_id``);
- a client's attributes come from its first ``enrolled`` event with the
  provider of the triggering event;
- "once per client" is once per client id, whatever the provider: the
  qualifying occurrence with the earliest date earned (then event order) is
  the one paid, and nothing is paid while that date is after ``as_of``;
- "N months after D" adds calendar months and clamps the day to the month's
  end (2018-01-31 + 1 month = 2018-02-28).

Each entry is ``(component, provider_id, client_id, earned_on, cents,
event_ids, explanation)``.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

Event = dict[str, Any]
Entry = tuple[str, str, str | None, dt.date, int, tuple[str, ...], str]

# the event types (and columns) each scheme reads, besides enrolments and voids
NEEDS: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "varsinais-suomi": ({"employment_started", "employment_ended", "training_referred"},
                        ("risk_class", "employment_id")),
    "yrittajasta-tyonantajaksi": ({"guidance_completed", "plan_completed", "survey_answered",
                                   "recruitment_made", "milestone_reached"},
                                  ("answers", "fte_years", "milestone")),
    "satakunta-kokosata": ({"employment_started", "training_referred", "milestone_reached"},
                           ("training", "milestone")),
}
CORE = ("event_id", "type", "provider_id", "client_id", "occurred_on", "recorded_at")


# ------------------------------------------------------------------ reading


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


def _moment(value: Any) -> dt.datetime | None:
    """``recorded_at`` as a date-time (a date means its midnight)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.fromisoformat(value.replace(" ", "T"))


def _answers(value: Any) -> list[int] | None:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return [int(v) for v in value]
    return [int(x) for x in value.split(";")]


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


def _normalise(row: dict[str, Any], columns: tuple[str, ...]) -> Event:
    event: Event = {
        "event_id": row["event_id"], "type": row["type"], "provider_id": row["provider_id"],
        "client_id": row.get("client_id") or None,
        "occurred_on": _date(row["occurred_on"]),
        "recorded_at": _moment(row.get("recorded_at")),
    }
    for c in columns:
        value = row.get(c)
        if c == "answers":
            event[c] = _answers(value)
        elif c == "fte_years":
            event[c] = _decimal(value)
        else:
            event[c] = value if value not in ("", None) else None
    if event["recorded_at"] is None:
        d = event["occurred_on"]
        event["recorded_at"] = dt.datetime(d.year, d.month, d.day)
    return event


def _wanted(scheme: str) -> tuple[set[str], tuple[str, ...]]:
    types, columns = NEEDS[scheme]
    return types | {"enrolled", "event_voided"}, (*columns, "voids")


def read_csv_rows(path: Path, scheme: str) -> list[Event]:
    """The rows of a CSV export that ``scheme`` needs."""
    types, columns = _wanted(scheme)
    with open(path, newline="", encoding="utf-8") as f:
        return [_normalise(row, columns) for row in csv.DictReader(f) if row["type"] in types]


def read_parquet_rows(path: Path, scheme: str) -> list[Event]:
    """The rows of a Parquet file that ``scheme`` needs (``pyarrow``, batch by batch)."""
    import pyarrow.parquet as pq

    types, columns = _wanted(scheme)
    out: list[Event] = []
    file = pq.ParquetFile(path)
    for batch in file.iter_batches(columns=[*CORE, *columns], batch_size=65_536):
        for row in batch.to_pylist():
            if row["type"] in types:
                out.append(_normalise(row, columns))
    return out


# ------------------------------------------------------------------ common rules


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, the day clamped to the end of a shorter month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def known(events: Iterable[Event], as_of: dt.date) -> list[Event]:
    """Events known on ``as_of``, voids applied, in event order."""
    cutoff = dt.datetime(as_of.year, as_of.month, as_of.day) + dt.timedelta(days=1)
    seen = [e for e in events if e["recorded_at"] < cutoff]
    voided = {e["voids"] for e in seen if e["type"] == "event_voided" and e.get("voids")}
    kept = [e for e in seen if e["event_id"] not in voided and e["type"] != "event_voided"]
    kept.sort(key=lambda e: (e["occurred_on"], e["recorded_at"], e["event_id"]))
    for n, e in enumerate(kept):
        e["ord"] = n
    return kept


def enrolments(events: list[Event]) -> dict[tuple[str, str], Event]:
    """The first ``enrolled`` event of each (provider, client)."""
    first: dict[tuple[str, str], Event] = {}
    for e in events:
        if e["type"] == "enrolled" and e["client_id"] is not None:
            first.setdefault((e["provider_id"], e["client_id"]), e)
    return first


def own_clients(events: list[Event]) -> list[Event]:
    """The events without those ``trust.clients: own`` holds: of a provider that has
    not enrolled the client while another has, or dated before its provider enrolled
    the client when another provider had enrolled it by then."""
    clients = enrolments(events)
    first_on: dict[str, dt.date] = {}
    for (_, client), e in clients.items():
        first_on[client] = min(first_on.get(client, e["occurred_on"]), e["occurred_on"])

    def foreign(e: Event) -> bool:
        client = e["client_id"]
        if e["type"] == "enrolled" or client not in first_on:
            return False
        own = clients.get((e["provider_id"], client))
        return own is None or (own["occurred_on"] > e["occurred_on"]
                               and first_on[client] <= e["occurred_on"])

    return [e for e in events if not foreign(e)]


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Once:
    """Once per key: keep the candidate earned first (then in event order)."""

    def __init__(self) -> None:
        self.best: dict[str, tuple[tuple[dt.date, int], Entry]] = {}

    def offer(self, key: str, earned_on: dt.date, ord_: int, entry: Entry) -> None:
        rank = (earned_on, ord_)
        old = self.best.get(key)
        if old is None or rank < old[0]:
            self.best[key] = (rank, entry)

    def paid(self, as_of: dt.date) -> list[tuple[tuple[dt.date, int], Entry]]:
        return [(rank, e) for rank, e in self.best.values() if e[3] <= as_of]


def first_per_client(events: list[Event], kind: str, component: str, cents: int,
                     as_of: dt.date, when: Callable[[Event], bool] = lambda e: True,
                     ) -> list[tuple[tuple[dt.date, int], Entry]]:
    """A fixed fee once per client on the client's first event of ``kind``."""
    once = Once()
    for e in events:
        if e["type"] == kind and e["client_id"] is not None and when(e):
            day = e["occurred_on"]
            once.offer(e["client_id"], day, e["ord"], (
                component, e["provider_id"], e["client_id"], day, cents, (e["event_id"],),
                f"{component} pays {euros(cents)} to {e['provider_id']} for client "
                f"{e['client_id']}: {kind} {e['event_id']} on {day}"))
    return once.paid(as_of)


def first_per_provider(events: list[Event], milestone: str, component: str, cents: int,
                       as_of: dt.date) -> list[tuple[tuple[dt.date, int], Entry]]:
    """A fixed fee once per provider on its first ``milestone_reached`` ``milestone``."""
    once = Once()
    for e in events:
        if e["type"] == "milestone_reached" and e.get("milestone") == milestone:
            day = e["occurred_on"]
            once.offer(e["provider_id"], day, e["ord"], (
                component, e["provider_id"], None, day, cents, (e["event_id"],),
                f"{component} pays {euros(cents)} to {e['provider_id']}: milestone "
                f"{milestone} {e['event_id']} on {day}"))
    return once.paid(as_of)


# ------------------------------------------------------------------ §8 varsinais-suomi

RISK_FEES = {"high": 90_000, "medium": 65_000, "low": 45_000}


def varsinais_suomi(events: list[Event], as_of: dt.date) -> list[Entry]:
    events = own_clients(events)
    clients = enrolments(events)
    ends_by_id: dict[tuple[str, str], list[Event]] = defaultdict(list)
    ends_by_client: dict[tuple[str, str | None], list[Event]] = defaultdict(list)
    for e in events:
        if e["type"] == "employment_ended":
            if e["employment_id"] is not None:
                ends_by_id[(e["provider_id"], e["employment_id"])].append(e)
            ends_by_client[(e["provider_id"], e["client_id"])].append(e)
    placement = Once()
    for e in events:
        if e["type"] != "employment_started" or e["client_id"] is None:
            continue
        start = e["occurred_on"]
        mark = add_months(start, 3)
        # the same employment (or, without an id, any of the client's) ended before the mark
        ends = (ends_by_id[(e["provider_id"], e["employment_id"])] if e["employment_id"]
                else ends_by_client[(e["provider_id"], e["client_id"])])
        if any(start <= end["occurred_on"] < mark for end in ends):
            continue
        enrolment = clients.get((e["provider_id"], e["client_id"]))
        risk = enrolment.get("risk_class") if enrolment else None
        if risk not in RISK_FEES:
            continue  # held: no risk class
        cents = RISK_FEES[risk]
        placement.offer(e["client_id"], mark, e["ord"], (
            "placement", e["provider_id"], e["client_id"], mark, cents, (e["event_id"],),
            f"placement pays {euros(cents)} to {e['provider_id']} for client {e['client_id']}: "
            f"risk class {risk}, employment {e['event_id']} from {start} lasted to {mark}"))
    entries = placement.paid(as_of)
    entries += first_per_client(events, "training_referred", "training_referral", 10_000, as_of)
    return [e for _, e in entries]


# ------------------------------------------------------------------ §1 yrittajasta-tyonantajaksi

ANSWER_FEES = {4: 20_000, 3: 10_000}
HALF_A_PERSON_YEAR = Decimal("0.5")


def yrittajasta_tyonantajaksi(events: list[Event], as_of: dt.date) -> list[Entry]:
    events = own_clients(events)
    clients = enrolments(events)
    entries = first_per_client(events, "guidance_completed", "guidance", 80_000, as_of)
    entries += first_per_client(events, "plan_completed", "recruitment_plan", 30_000, as_of)

    experience = Once()
    for e in events:
        if e["type"] == "survey_answered" and e["client_id"] is not None and e["answers"]:
            cents = sum(ANSWER_FEES.get(a, 0) for a in e["answers"])
            day = e["occurred_on"]
            experience.offer(e["client_id"], day, e["ord"], (
                "client_experience", e["provider_id"], e["client_id"], day, cents,
                (e["event_id"],),
                f"client_experience pays {euros(cents)} to {e['provider_id']} for client "
                f"{e['client_id']}: answers {e['answers']}"))
    entries += experience.paid(as_of)

    # fte_years of recruitments within 3 months of enrolment, summed per client
    total: dict[str, Decimal] = defaultdict(Decimal)
    counted: dict[str, list[str]] = defaultdict(list)
    result = Once()
    for e in events:
        if e["type"] != "recruitment_made" or e["client_id"] is None:
            continue
        enrolment = clients.get((e["provider_id"], e["client_id"]))
        if enrolment is None:
            continue
        start = enrolment["occurred_on"]
        if not start <= e["occurred_on"] <= add_months(start, 3):
            continue
        client = e["client_id"]
        before = total[client]
        total[client] += e["fte_years"] or Decimal(0)
        counted[client].append(e["event_id"])
        if before < HALF_A_PERSON_YEAR <= total[client]:
            day = e["occurred_on"]
            result.offer(client, day, e["ord"], (
                "recruitment_result", e["provider_id"], client, day, 120_000,
                tuple(counted[client]),
                f"recruitment_result pays 1200.00 to {e['provider_id']} for client {client}: "
                f"{total[client]} person-years by {day}"))
    entries += result.paid(as_of)
    entries += first_per_provider(events, "group_events_delivered", "group_events", 240_000,
                                  as_of)
    return [e for _, e in entries]


# ------------------------------------------------------------------ §11 satakunta-kokosata

RESULT_BUDGET = 3_000_000  # cents per provider over recruitment + training_referral


def satakunta_kokosata(events: list[Event], as_of: dt.date) -> list[Entry]:
    order = {"start_fee": 0, "recruitment": 1, "training_referral": 2}
    events = own_clients(events)
    entries = first_per_provider(events, "contract_started", "start_fee", 3_000_000, as_of)
    entries += first_per_client(events, "employment_started", "recruitment", 200_000, as_of)
    entries += first_per_client(events, "training_referred", "training_referral", 40_000, as_of,
                                lambda e: e["training"] == "recruitment_training")
    # the result budget is used up in earning order
    entries.sort(key=lambda x: (x[0][0], x[0][1], order[x[1][0]]))
    used: dict[str, int] = defaultdict(int)
    out = []
    for _, entry in entries:
        component, provider, client, day, cents, ids, text = entry
        if component in ("recruitment", "training_referral"):
            room = max(0, RESULT_BUDGET - used[provider])
            if cents > room:
                text += f"; cut from {euros(cents)} to {euros(room)} by result_budget"
                cents = room
            used[provider] += cents
        out.append((component, provider, client, day, cents, ids, text))
    return out


SCHEMES: dict[str, Callable[[list[Event], dt.date], list[Entry]]] = {
    "varsinais-suomi": varsinais_suomi,
    "yrittajasta-tyonantajaksi": yrittajasta_tyonantajaksi,
    "satakunta-kokosata": satakunta_kokosata,
}


def read_rows(path: Path, scheme: str) -> list[Event]:
    """The rows ``scheme`` needs, from a CSV or Parquet file."""
    if path.suffix == ".parquet":
        return read_parquet_rows(path, scheme)
    return read_csv_rows(path, scheme)


def evaluate(scheme: str, path: Path, as_of: dt.date) -> list[Entry]:
    """Read ``path`` (CSV or Parquet) and price it under ``scheme`` as known on ``as_of``."""
    return SCHEMES[scheme](known(read_rows(path, scheme), as_of), as_of)


def iter_columns(entries: list[Entry]) -> Iterator[tuple[str, list[Any]]]:
    """The entries as named columns (for a table)."""
    names = ("component", "provider_id", "client_id", "earned_on", "amount", "event_ids",
             "explanation")
    for i, name in enumerate(names):
        yield name, [e[i] for e in entries]
