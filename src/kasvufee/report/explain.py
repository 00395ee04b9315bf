"""The whole derivation of one posted entry, for an auditor.

"Why was this 900 € paid, and what did we know then?": the scheme and
version, the rule in words, the events with their fields, the steps with
their intermediate values, each cap's usage before and after, and where the
entry sits in the posting history and the hash chain.
"""

from __future__ import annotations

from typing import Any

from kasvufee.money import format_cents


def explain_text(entry: dict[str, Any], currency: str = "EUR") -> str:
    """The derivation in lines; amounts in ``currency``, the scheme's."""
    d = entry["derivation"]
    amount = format_cents(int(entry["amount_cents"]))
    who = f"for client {entry['client_id']}" if entry["client_id"] else "(contract level)"
    posting = entry["posting"]
    lines = [
        f"Entry {entry['entry_id']}: {entry['kind']} {amount} {currency}, component "
        f"{entry['component']}, to {entry['provider_id']} {who}",
        f"Earned on {entry['earned_on']:%Y-%m-%d}; posted in period {entry['period']} by "
        f"posting #{posting['posting_id']} on {posting['posted_at']:%Y-%m-%d %H:%M:%S} "
        f"(evaluated as of {posting['as_of']:%Y-%m-%d}, events from "
        f"{posting['events_source']})",
    ]
    if entry["kind"] == "reversal":
        lines += [f"Reverses {d['reverses']}.", f"Reason: {d['reason']}"]
    elif entry["kind"] != "earned":  # a recovery or adjustment of the assurance cycle
        lines += [f"Reason: {d['reason']}"]
    else:
        lines += [
            f"Scheme {d['scheme']} ({d['title']}), version {d['version']}",
            f"Rule: {d['rule']}",
            "",
            "Events:",
            *(f"  {_event_line(e)}" for e in d["events"]),
            *([f"  client attributes from {_event_line(d['client'])}"] if d.get("client") else []),
            "",
            "Steps:",
            *(f"  - {fact}" for fact in d["facts"]),
        ]
        if d.get("cap_usage"):
            lines += ["", "Caps:", *(f"  - {use}" for use in d["cap_usage"])]
        if entry.get("capped_from_cents") is not None:
            cut = format_cents(int(entry["capped_from_cents"]))
            lines.append(f"  cut from {cut} {currency} by cap {entry['cap']}")
    if entry.get("reversed_by"):
        rb = entry["reversed_by"]
        lines += ["", f"Reversed later by {rb['entry_id']} in period {rb['period']}."]
    if entry.get("assurance"):
        lines += ["", "Assurance:", *(f"  - {assurance_line(r, currency)}"
                                      for r in entry["assurance"])]
    lines += ["", f"Explanation: {entry['explanation']}",
              f"Chain: entry #{entry['chain_no']}, hash {entry['hash']}, "
              f"previous {entry['prev_hash']}"]
    return "\n".join(lines)


def _event_line(event: dict[str, Any]) -> str:
    head = [event.get("event_id", ""), event.get("type", ""), event.get("occurred_on", "")]
    rest = {k: v for k, v in event.items()
            if k not in ("event_id", "type", "occurred_on", "line", "ord")}
    line = event.get("line")
    where = f" (line {line})" if line is not None else ""
    fields = ", ".join(f"{k}={';'.join(map(str, v)) if isinstance(v, list) else v}"
                       for k, v in rest.items())
    return f"{' '.join(str(h) for h in head)}{where}: {fields}"


def assurance_line(record: dict[str, Any], currency: str = "EUR") -> str:
    """One assurance record in words (``kasvufee.assurance.cycle``)."""
    b, on = record["body"], f"{record['recorded_at']:%Y-%m-%d}"
    kind = record["kind"]
    if kind == "draw":
        return (f"sampled in draw {record['record_id']} on {on} (seed {b['seed']!r}, "
                f"{b['rule']} per stratum, periods {b['first']} to {b['last']})")
    if kind == "result":
        return f"validation {b['outcome']} on {on}: {b['reason']} (evidence {b['evidence']})"
    if kind == "dispute":
        return f"{record['record_id']} opened on {on}: {b['reason']}"
    if kind == "decision":
        paid = ("" if b.get("amount_cents") is None else
                f"; adjustment {format_cents(int(b['amount_cents']))} {currency}")
        return f"{b['dispute']} {b['decision']} on {on}: {b['reason']}{paid}"
    return f"{kind} {record['record_id']} on {on}"
