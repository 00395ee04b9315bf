"""Properties no hostile events file can break (issue 14): a cap is never
exceeded, no entry is negative or above the largest amount, the total is never
negative; and ids that differ only by invisible characters never make two
clients.  Every events table is written as a real CSV or JSON Lines file (or
given as records) and read as ``kasvufee run`` reads it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.errors import EventsError
from kasvufee.scheme.model import Scheme
from tests.conftest import amounts, examples, scheme_yaml

AS_OF = dt.date(2019, 12, 31)
LARGEST = Decimal("1000000000.00")  # the largest amount an entry may have
SETTINGS = settings(max_examples=examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COLUMNS = ("event_id", "type", "provider_id", "client_id", "occurred_on", "hours")


def _table(rows: list[dict[str, str]], fmt: str, sch: Scheme) -> pl.DataFrame:
    """``rows`` (text cells) as ``kasvufee run`` reads them from a ``fmt`` file."""
    types = dict(sch.attributes)
    if fmt == "records":
        return kasvufee.events_from_records(rows, attribute_types=types)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"events.{fmt}"
        with path.open("w", encoding="utf-8", newline="") as out:
            if fmt == "csv":
                writer = csv.DictWriter(out, fieldnames=[c for c in COLUMNS if c in rows[0]])
                writer.writeheader()
                writer.writerows(rows)
            else:  # JSON Lines: hours as a JSON number, written as drawn
                for row in rows:
                    hours = row.get("hours")
                    text = json.dumps({k: v for k, v in row.items() if k != "hours"})
                    out.write(text[:-1] + (f', "hours": {hours}}}' if hours else "}") + "\n")
        return kasvufee.read_events(path, attribute_types=types)


FORMATS = st.sampled_from(["records", "csv", "jsonl"])

# ------------------------------------------------------------- caps and totals

MAX_HOURS = Decimal("999999999999999.99")  # 15 digits before the point: the reader's limit
HOURS = st.one_of(
    st.sampled_from(["219780219780219", "999999999999999.99", "-999999999999999.99",
                     "21978021.97", "21978022", "100", "0", "-5"]),
    st.integers(-(10**15 - 1), 10**15 - 1).map(str),
    st.decimals(-MAX_HOURS, MAX_HOURS, places=2).map(str),
)
# now and then one event's hours beyond the limit: the file is refused
BEYOND = st.one_of(st.none(), st.none(), st.none(), st.integers(10**15, 10**28).map(str))
RATES = st.sampled_from(["0.01", "45.50", "999.99", "123456789.12"])
CAP_CENTS = st.one_of(st.integers(0, 100_000_000_000), st.sampled_from([0, 1, 1_000_000]))
CAPS = st.lists(st.tuples(st.sampled_from(["client", "provider", "contract"]),
                          st.sampled_from([("coaching",), ("placement",),
                                           ("coaching", "placement"),
                                           ("coaching", "placement", "start_fee")]),
                          CAP_CENTS), min_size=1, max_size=3)
EVENTS = st.lists(st.tuples(st.sampled_from(["milestone_reached", "employment_started",
                                             "network_formed"]),
                            st.sampled_from(["P1", "P2"]), st.sampled_from(["C1", "C2", "C3"]),
                            st.integers(0, 60), HOURS), min_size=1, max_size=12)


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _cap_scheme(rate: str, caps: list[tuple[str, tuple[str, ...], int]]) -> Scheme:
    text = scheme_yaml(
        f"- {{id: coaching, on: milestone_reached, amount: {{formula: hours * {rate}}}}}\n"
        "- {id: placement, on: employment_started, once_per: client, amount: 1000.00}\n"
        "- {id: start_fee, on: network_formed, once_per: provider, amount: 25000000.00}\n",
        "".join(f"- {{id: cap{i}, per: {per}, components: [{', '.join(components)}], "
                f"amount: {_euros(cents)}}}\n"
                for i, (per, components, cents) in enumerate(caps)))
    return kasvufee.parse_scheme(text.replace("title: test\n",
                                              "title: test\nattributes: {hours: decimal}\n"))


@SETTINGS
@given(rate=RATES, caps=CAPS, events=EVENTS, beyond=BEYOND, fmt=FORMATS)
def test_no_events_file_exceeds_a_cap_or_pays_a_negative_total(
        rate: str, caps: list[tuple[str, tuple[str, ...], int]],
        events: list[tuple[str, str, str, int, str]], beyond: str | None, fmt: str) -> None:
    sch = _cap_scheme(rate, caps)
    if beyond is not None:
        events = [*events[:-1], (*events[-1][:4], beyond)]
    # a network is formed for no client: its start fee is a contract-level entry
    rows = [{"event_id": f"e{i}", "type": kind, "provider_id": provider,
             "client_id": "" if kind == "network_formed" else client,
             "occurred_on": (dt.date(2018, 1, 1) + dt.timedelta(days)).isoformat(),
             "hours": hours}
            for i, (kind, provider, client, days, hours) in enumerate(events)]
    try:
        table = _table(rows, fmt, sch)
    except EventsError:
        # refused only for hours beyond the reader's range
        assert any(abs(Decimal(h)) > MAX_HOURS for *_, h in events)
        return
    ledger = kasvufee.evaluate(sch, table, AS_OF)
    paid = [(component, who, Decimal(amount)) for component, who, _, amount in amounts(ledger)]
    assert all(Decimal(0) <= amount <= LARGEST for *_, amount in paid)
    assert ledger.total() == sum((amount for *_, amount in paid), Decimal(0)) >= 0
    provider_of = {e.entry_id: e.provider_id for e in ledger.entries}
    for per, components, cents in caps:
        used: defaultdict[str | None, Decimal] = defaultdict(Decimal)
        for e in ledger.entries:
            # a per-client cap leaves contract-level entries alone
            if e.component in components and not (per == "client" and e.client_id is None):
                key = {"client": e.client_id, "provider": provider_of[e.entry_id],
                       "contract": None}[per]
                used[key] += Decimal(e.amount)
        assert max(used.values(), default=Decimal(0)) <= Decimal(_euros(cents)), (per, used)


# ------------------------------------------------------------- invisible ids

INVISIBLE = st.sampled_from([
    "\u200b",  # zero-width space
    "\u00a0",  # no-break space
    "\ufeff",  # BOM (zero-width no-break space)
    "\u200c", "\u200d", "\u2060",  # zero-width non-joiner, joiner, word joiner
    "\u00ad",  # soft hyphen
    "\u0301", "\u0308", "\u034f",  # combining acute, diaeresis, grapheme joiner
    "\u202f", "\u3000",  # narrow no-break space, ideographic space
])
BASE_IDS = st.from_regex(r"[A-Z][A-Z0-9]{0,5}", fullmatch=True)


@st.composite
def _disguised(draw: st.DrawFn, base: str) -> str:
    """``base`` with one or more invisible characters put in anywhere."""
    text = base
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(INVISIBLE) + text[at:]
    return text


PLACEMENT = kasvufee.parse_scheme(scheme_yaml(
    "- {id: placement, on: employment_started, once_per: client, amount: 1000.00}\n"))


@SETTINGS
@given(data=st.data(), base=BASE_IDS, fmt=FORMATS)
def test_ids_differing_by_invisible_characters_never_make_two_clients(
        data: st.DataObject, base: str, fmt: str) -> None:
    ids = [base, *data.draw(st.lists(_disguised(base), min_size=1, max_size=4))]
    ids = data.draw(st.permutations(ids))
    rows = [{"event_id": f"e{i}", "type": "employment_started", "provider_id": "P1",
             "client_id": cid, "occurred_on": f"2018-01-{i + 1:02d}"}
            for i, cid in enumerate(ids)]
    try:
        ledger = kasvufee.evaluate(PLACEMENT, _table(rows, fmt, PLACEMENT), AS_OF)
    except EventsError:
        return  # refused: the provider sees the line
    # read at all, the ids are one client, paid once
    assert [(e.client_id, e.amount) for e in ledger.entries] == [(base, "1000.00")]
