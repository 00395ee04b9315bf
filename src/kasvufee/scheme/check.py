"""Checks of a scheme that need more than one field: expression names and
types, amounts against ``max_amount``, list attributes used as lists.

``check_scheme`` returns findings as (location, expected, found); the loader
maps each location to its YAML line.  The model has already checked shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import polars as pl

from kasvufee.errors import ExpressionError
from kasvufee.events.types import ATTRIBUTE_TYPES
from kasvufee.money import format_cents
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import (
    SERIES_NAMES,
    CheckpointFee,
    EventFee,
    Formula,
    MeanBands,
    PerAnswer,
    ScheduleFee,
    Scheme,
    ShareOf,
    Table,
    Version,
)
from kasvufee.scheme.prices import date_refs, full_amount, highest_amount

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str, str]
ExprType = Literal["number", "string", "boolean", "date"]
# list attributes are not values the expression language computes with
_EXPR_TYPE: Mapping[str, ExprType] = {
    "decimal": "number", "integer": "number", "boolean": "boolean", "string": "string",
    "date": "date",
}
ENROLLED_ON = "enrolled_on"
"""``client.enrolled_on``: the date of the client's enrolment (its enrolled event)."""


def attribute_type(scheme: Scheme, name: str) -> str:
    if name in (ENROLLED_ON, "occurred_on"):  # the enrolment's and the event's own date
        return "date"
    return scheme.attributes.get(name) or ATTRIBUTE_TYPES.get(name, "string")


def check_scheme(scheme: Scheme) -> list[Finding]:
    found: list[Finding] = []
    for vi, version in enumerate(scheme.versions):
        refs = _references(version, ("versions", vi))
        found += refs
        if refs:
            continue  # the checks below rely on the references
        for ci, comp in enumerate(version.components):
            loc: Loc = ("versions", vi, "components", ci)
            if isinstance(comp, EventFee):
                found += _event_fee(scheme, version, comp, loc)
            elif isinstance(comp, CheckpointFee):
                found += _checkpoint(scheme, comp, loc)
            found += _max_amount(version, comp, loc)
            found += _date_refs(scheme, comp, loc)
    return found


def _date_refs(scheme: Scheme, comp: EventFee | ScheduleFee | CheckpointFee,
               loc: Loc) -> list[Finding]:
    """Anchors and last dates name a contract date, a date attribute or an event type."""
    found: list[Finding] = []
    for path, ref in date_refs(comp):
        kind, _, name = ref.partition(".")
        if not name:
            continue  # an event type
        if kind == "contract" and name not in scheme.contract:
            found.append(((*loc, *path), "a date named under contract ("
                          + (", ".join(scheme.contract) or "none are") + ")", repr(ref)))
        elif kind == "client" and attribute_type(scheme, name) != "date":
            found.append(((*loc, *path), f"a date attribute (declare it: attributes: "
                          f"{{{name}: date}})", f"{name!r} of type {attribute_type(scheme, name)}"))
        elif kind not in ("contract", "client"):
            found.append(((*loc, *path), "an event type, client.ATTRIBUTE or contract.NAME",
                          repr(ref)))
    return found


def _references(version: Version, loc: Loc) -> list[Finding]:
    found: list[Finding] = []
    ids = [c.id for c in version.components]
    seen: set[str] = set()
    for ci, comp in enumerate(version.components):
        if comp.id in seen:
            found.append(((*loc, "components", ci, "id"), "a component id not used before",
                          repr(comp.id)))
        seen.add(comp.id)
        for share, path in _share_refs(comp):
            price = version.prices.get(share.share_of)
            where = (*loc, "components", ci, *path)
            if price is None:
                found.append((where, f"a price named under prices ({', '.join(version.prices)})",
                               repr(share.share_of)))
            elif comp.id not in price.shares:
                found.append((where, f"price {share.share_of!r} to have a share for {comp.id!r}",
                               f"shares for {', '.join(price.shares)}"))
    named: list[tuple[str, int, tuple[str, ...]]] = [
        *(("caps", ki, cap.components or ()) for ki, cap in enumerate(version.caps)),
        *(("tiers", ki, tier.components) for ki, tier in enumerate(version.tiers)),
        *(("at_most_one", ki, g.components) for ki, g in enumerate(version.at_most_one))]
    once = {c.id: c.once_keys for c in version.components if isinstance(c, EventFee)}
    for ki, group in enumerate(version.at_most_one):
        for c in group.components:
            if c in ids and once.get(c) != ("client",):
                found.append(((*loc, "at_most_one", ki, "components"),
                              f"components with once_per: client ({c} is not)", repr(c)))
    for part, ki, components in named:
        for c in components:
            if c not in ids:
                found.append(((*loc, part, ki, "components"),
                              f"a component id ({', '.join(ids)})", repr(c)))
    found += _requirements(version, loc, ids)
    return found


def _requirements(version: Version, loc: Loc, ids: list[str]) -> list[Finding]:
    """``requires_earned`` names other components of the version, without a cycle."""
    found: list[Finding] = []
    needs = {c.id: c.requires_earned for c in version.components}
    for ci, comp in enumerate(version.components):
        where = (*loc, "components", ci, "requires_earned")
        for other in comp.requires_earned:
            if other == comp.id or other not in ids:
                found.append((where, f"another component id of the version "
                              f"({', '.join(i for i in ids if i != comp.id)})", repr(other)))
        seen, todo = set(), [o for o in comp.requires_earned if o != comp.id]
        while todo:  # what it needs, and what they need in turn
            other = todo.pop()
            if other == comp.id:
                found.append((where, "components that do not in turn require it",
                              f"a cycle back to {comp.id!r}"))
                break
            if other not in seen:
                seen.add(other)
                todo.extend(needs.get(other, ()))
    return found


def _share_refs(comp: object) -> list[tuple[ShareOf, tuple[str, ...]]]:
    amount = getattr(comp, "amount", None)
    if isinstance(amount, ShareOf):
        return [(amount, ("amount", "share_of"))]
    if isinstance(amount, MeanBands) and isinstance(amount.base, ShareOf):
        return [(amount.base, ("amount", "base", "share_of"))]
    return []


def _known(scheme: Scheme, names: frozenset[str], allow_event: bool,
           series: bool = False) -> dict[str, ExprType]:
    """Types for the names an expression uses (client.X and, if allowed, event X;
    with ``series``, the series' figures)."""
    known: dict[str, ExprType] = {n: "number" for n in SERIES_NAMES if series and n in names}
    for n in names:
        if n in known:
            continue
        attr = n.removeprefix("client.")
        if n.startswith("client.") or allow_event:
            t = attribute_type(scheme, attr)
            if t in _EXPR_TYPE:
                known[n] = _EXPR_TYPE[t]
    return known


def _expression(text: str, known: Mapping[str, ExprType], want: ExprType, loc: Loc,
                hint: str) -> list[Finding]:
    try:
        node = ex.parse(text)
        got = ex.check(node, known)
        # compiling works out the parts without names: one too large to hold fails here
        ex.to_polars(node, lambda name: pl.lit(None))
    except ExpressionError as exc:
        return [(loc, f"{exc.expected} (column {exc.position + 1}); {hint}", exc.found)]
    if got != want:
        return [(loc, f"an expression giving a {want}", f"one giving a {got}")]
    return []


def _event_fee(scheme: Scheme, version: Version, c: EventFee, loc: Loc) -> list[Finding]:
    found: list[Finding] = []
    if c.eligible is not None:
        names = ex.names(ex.parse(c.eligible))
        found += _expression(c.eligible, _known(scheme, names, allow_event=False), "boolean",
                             (*loc, "eligible"), "eligibility reads client.<attribute> names")
    for where, path in ((c.where, ("where",)),
                        (c.requires.where if c.requires else {}, ("requires", "where")),
                        (c.provisional.where if c.provisional else {}, ("provisional", "where"))):
        for key in where:
            if key.startswith("client."):
                found.append(((*loc, *path, key), "an event attribute (client attributes "
                              "belong in eligible:)", repr(key)))
    amount = c.amount
    if c.provisional is not None:
        full = full_amount(version, c.id, amount)
        if full is not None and c.provisional.amount > full:
            found.append(((*loc, "provisional", "amount"),
                          f"at most the full amount {format_cents(full)}",
                          format_cents(c.provisional.amount)))
    if isinstance(amount, Formula):
        names = ex.names(ex.parse(amount.formula))
        found += _expression(amount.formula, _known(scheme, names, allow_event=True,
                                                    series=c.series is not None), "number",
                             (*loc, "amount", "formula"),
                             "a formula reads event attributes and client.<attribute>"
                             + (", and series.min, series.max, series.count"
                                if c.series is not None else ""))
    if c.series is not None:
        for field, name, kinds in (("value", c.series.value, ("decimal", "integer")),
                                   ("date", c.series.date, ("date",))):
            if attribute_type(scheme, name) not in kinds:
                found.append(((*loc, "series", field),
                              f"a {' or '.join(kinds)} attribute (declared under attributes)",
                              f"{name!r} of type {attribute_type(scheme, name)}"))
    if isinstance(amount, PerAnswer) and attribute_type(scheme, amount.answers) != "integer_list":
        found.append(((*loc, "amount", "answers"), "an integer_list attribute such as answers",
                      f"{amount.answers!r} of type {attribute_type(scheme, amount.answers)}"))
    if isinstance(amount, MeanBands) and attribute_type(scheme, amount.mean_of) not in (
            "integer_list", "decimal", "integer"):
        found.append(((*loc, "amount", "mean_of"), "a list of answers or a number attribute",
                      f"{amount.mean_of!r} of type {attribute_type(scheme, amount.mean_of)}"))
    if isinstance(amount, Table) and attribute_type(
            scheme, amount.by.removeprefix("client.")) == "integer_list":
        found.append(((*loc, "amount", "by"), "a single-valued attribute", "a list attribute"))
    if c.accumulate is not None and attribute_type(scheme, c.accumulate.sum) not in (
            "decimal", "integer"):
        found.append(((*loc, "accumulate", "sum"), "a decimal or integer attribute",
                      f"{c.accumulate.sum!r} of type {attribute_type(scheme, c.accumulate.sum)}"))
    if (c.missing is not None and not isinstance(c.missing.pays, int)
            and full_amount(version, c.id, amount) is None):
        found.append(((*loc, "missing", "pays"),
                      "euros, or a percentage of a fixed amount or of the bands' base",
                      "a percentage with no base amount"))
    return found


def _checkpoint(scheme: Scheme, c: CheckpointFee, loc: Loc) -> list[Finding]:
    known: dict[str, ExprType] = {}
    for name, metric in c.metrics.items():
        kind = attribute_type(scheme, metric.latest) if metric.latest is not None else "decimal"
        if kind in _EXPR_TYPE:
            known[name] = _EXPR_TYPE[kind]
    return _expression(c.condition, known, "boolean", (*loc, "condition"),
                       "a checkpoint condition reads the metrics named under metrics")


def _max_amount(version: Version, comp: EventFee | ScheduleFee | CheckpointFee,
                loc: Loc) -> list[Finding]:
    if comp.max_amount is None:
        return []
    highest = highest_amount(version, comp.id, comp.amount)
    if highest is not None and highest > comp.max_amount:
        return [((*loc, "amount"), f"at most max_amount {format_cents(comp.max_amount)}",
                 format_cents(highest))]
    return []
