"""The assurance commands: ``sample``, ``results``, ``recover``, ``dispute``,
``assurance`` (docs/assurance.md walks through a cycle).

A thin layer over ``PostedLedger``'s assurance methods, with the conventions
of the other commands: every problem named, nothing written on failure, each
step that writes prints what it recorded and appends its receipt.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import click
import polars as pl

from kasvufee.cli import (
    LEDGER_OPTION,
    _date,
    _err,
    _guarded,
    _open,
    _output,
    _period,
    _refuse_terminal,
    main,
)
from kasvufee.errors import InputError, Problem
from kasvufee.money import cents_to_euros, format_cents, parse_euros
from kasvufee.plural import count
from kasvufee.report.export import BINARY, write_frame

REPORT_FORMATS = ["table", "csv", "jsonl", "xlsx"]


def _on(value: str | None, option: str) -> dt.datetime | None:
    """A recording day of the command line, at noon as --posted-on; None: now."""
    return None if value is None else dt.datetime.combine(_date(value, option), dt.time(12))


def on_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--on", "on", metavar="DATE",
                        help=f"Record {what} as made on DATE (default now; not in the future).")


def _receipt_note(store: Any, receipt: str | None) -> None:
    if receipt is not None and store.receipts is None:
        _err(f"kasvufee: no receipts file for a PostgreSQL ledger: keep this receipt: {receipt}")


@main.command()
@LEDGER_OPTION
@click.option("--scheme", "scheme_id", required=True, metavar="SCHEME_ID",
              help="The posted scheme whose entries to sample.")
@click.option("--draw", "draw_id", required=True, metavar="ID",
              help="The draw's name in the ledger (drawing it again shows the same sample).")
@click.option("--seed", required=True, metavar="TEXT",
              help="The seed, best fixed in public after the periods are posted.")
@click.option("--from", "first", required=True, metavar="YYYY-MM",
              help="The first period whose posted entries are in the frame.")
@click.option("--to", "last", required=True, metavar="YYYY-MM",
              help="The last period whose posted entries are in the frame.")
@click.option("--count", "size", type=click.IntRange(min=1), metavar="N",
              help="Sample N entries of each provider and component (all if fewer).")
@click.option("--share", metavar="FRACTION",
              help="Sample this share of each provider and component (0.1 is 10 %; at least one).")
@on_option("the draw")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table",
              show_default=True, help="How to print the sample; xlsx needs --out PATH.")
@click.option("--out", default="-", metavar="PATH|-", show_default=True,
              help="Where to write the sample; - is standard output.")
@_guarded
def sample(ledger: str, scheme_id: str, draw_id: str, seed: str, first: str, last: str,
           size: int | None, share: str | None, on: str | None, fmt: str, out: str) -> None:
    """Draw a validation sample of posted entries and record it in the ledger.

    The frame is the scheme's earned entries posted in periods --from to --to
    and not reversed. Within each provider and component the entries are
    ordered by SHA-256 of SEED:ENTRY_ID and the first N (or the share) are the
    sample: anyone can redraw it by hand (docs/assurance.md). Drawn again with
    the same --draw, the recorded sample is shown and nothing is written.
    """
    _period(first, "--from")
    _period(last, "--to")
    fraction = _share(share) if share is not None else None
    if (size is None) == (fraction is None):
        raise InputError([Problem("<command line>", None, "--count",
                                  "one of --count N or --share FRACTION",
                                  "both" if size is not None else "neither")])
    stamp = _on(on, "--on")
    _refuse_terminal(fmt in BINARY, fmt, out)
    with _open(ledger) as store:
        drawn = store.draw(scheme_id, draw_id, seed, first=first, last=last, count=size,
                           share=fraction, drawn_at=stamp)
        _receipt_note(store, drawn.written.receipt)
    rec, body = drawn.record, drawn.record["body"]
    table = drawn.sample.with_columns(cents_to_euros(pl.col("amount_cents")).alias("amount")
                                      ).select("provider_id", "component", "rank", "entry_id",
                                               "client_id", "period", "amount", "key")
    status = ("recorded now" if drawn.written.records else
              f"recorded on {rec['recorded_at']:%Y-%m-%d}; the same sample, nothing written")
    _err(f"draw {draw_id} of {scheme_id}: {count(table.height, 'entry')} of "
         f"{sum(s['N'] for s in body['strata'])} in {count(len(body['strata']), 'stratum')} "
         f"(seed {body['seed']!r}, {body['rule']} per stratum, periods {body['first']} to "
         f"{body['last']}, frame digest {body['digest']}); {status}")
    if drawn.frame_changed:
        _err(f"kasvufee: the frame has changed since draw {draw_id} (entries of periods "
             f"{body['first']} to {body['last']} were reversed or posted since; digest now "
             f"{drawn.digest_now}): the sample stands as drawn")
    _write(table, fmt, out, "sample")


def _share(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) < value <= Decimal(1):
        raise InputError([Problem("<command line>", None, "--share",
                                  "a fraction above 0 and at most 1, such as 0.1", repr(text))])
    return value


def _write(table: pl.DataFrame, fmt: str, out: str, sheet: str) -> None:
    with _output(out) as stream:
        if fmt == "table":
            stream.write(_text_table(table).encode())
        else:
            write_frame(table, fmt, stream, sheet=sheet)


def _text_table(table: pl.DataFrame) -> str:
    """A plain aligned table (every row, nothing cut), for a terminal or a diff."""
    cells = [[str(c) for c in table.columns]] + [
        ["" if v is None else str(v) for v in row] for row in table.iter_rows()]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]
    return "".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n"
                   for r in cells)


@main.command()
@click.argument("draw_id", metavar="DRAW")
@click.argument("results_file", metavar="[FILE]", required=False)
@LEDGER_OPTION
@click.option("--entry", "entry_id", metavar="ENTRY_ID", help="Record one result: the entry.")
@click.option("--outcome", type=click.Choice(["passed", "failed"]),
              help="With --entry: what the validation found.")
@click.option("--reason", help="With --entry: why.")
@click.option("--evidence", help="With --entry: a reference to the evidence examined.")
@click.option("--failed-amount", "failed_amount", metavar="AMOUNT",
              help="With --entry --outcome failed: the part not supported (a partial "
                   "failure; default all of it).")
@on_option("the results")
@_guarded
def results(draw_id: str, results_file: str | None, ledger: str, entry_id: str | None,
            outcome: str | None, reason: str | None, evidence: str | None,
            failed_amount: str | None, on: str | None) -> None:
    """Record validation results of a draw's sampled entries.

    FILE is a CSV or xlsx with the columns entry_id, outcome (passed or failed),
    reason and evidence (and failed_amount, for a partial failure); or give one
    result with --entry, --outcome, --reason and --evidence. All or nothing:
    every problem is printed with its line. A failed entry is reversed by the
    scheme's next post, with the validation as the reason, and is not paid
    again unless a dispute over it is accepted (a partial failure is paid again
    less the part not supported).
    """
    from kasvufee.assurance.cycle import ValidationResult
    from kasvufee.assurance.results_file import read_results

    one = [entry_id, outcome, reason, evidence]
    if results_file is not None and any(v is not None for v in one):
        raise InputError([Problem("<command line>", None, "FILE",
                                  "a results FILE or --entry with its result, not both",
                                  "both")])
    if results_file is not None:
        found = read_results(results_file)
    elif entry_id is not None and outcome is not None and reason and evidence:
        cents = None
        if failed_amount is not None:
            try:
                cents = parse_euros(failed_amount)
            except ValueError:
                raise InputError([Problem("<command line>", None, "--failed-amount",
                                          "an amount like 500.00", repr(failed_amount))]
                                 ) from None
        found = [ValidationResult(entry_id, outcome, reason, evidence, "<command line>",
                                  None, cents)]
    else:
        missing = [o for o, v in zip(("--entry", "--outcome", "--reason", "--evidence"), one,
                                     strict=True) if not v]
        raise InputError([Problem("<command line>", None, None,
                                  "a results FILE, or --entry, --outcome, --reason and "
                                  "--evidence", f"no {', '.join(missing)}")])
    with _open(ledger) as store:
        done = store.record_results(draw_id, found, recorded_at=_on(on, "--on"))
        _receipt_note(store, done.receipt)
    new = {r.split("/", 1)[1] for r in done.records}
    failed = sum(1 for r in found if r.outcome == "failed" and r.entry_id in new)
    again = len(found) - len(new)
    same = f"; {count(again, 'result')} already recorded as given" if again else ""
    click.echo(f"draw {draw_id}: recorded {count(len(new), 'result')} ({failed} failed, "
               f"{len(new) - failed} passed){same}"
               + (f"; the next post of {done.scheme_id} reverses the "
                  f"{count(failed, 'failed entry')}" if failed else ""))


@main.command()
@click.argument("draw_id", metavar="DRAW")
@LEDGER_OPTION
@click.option("--basis", type=click.Choice(["lower", "point"]),
              help="Recover the 95 % interval's lower bound, or the point estimate. Default: "
                   "the scheme's assurance.recovery (lower unless it says otherwise).")
@click.option("--confirm", is_flag=True,
              help="Record the recovery: the scheme's next post appends it per stratum.")
@on_option("the confirmation")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="How to print the figures.")
@_guarded
def recover(draw_id: str, ledger: str, basis: str | None, confirm: bool, on: str | None,
            fmt: str) -> None:
    """The recovery a draw's failures extrapolate to, per provider and component.

    From each stratum's error rate (failed amount over sampled amount), the
    amount its unsampled entries are estimated to owe, with the 95 % interval
    (docs/assurance.md works the formula by hand). Shown only, unless
    --confirm: then it is recorded, and the scheme's next post appends one
    recovery entry per stratum that owes.
    """
    with _open(ledger) as store:
        stated = store.recovery_basis(draw_id)
        chosen: Literal["lower", "point"] = (
            "point" if (basis or stated) == "point" else "lower")
        strata = store.recoveries(draw_id, basis=chosen)
        done = store.confirm_recovery(draw_id, basis=chosen, confirmed_at=_on(on, "--on")) \
            if confirm else None
        if done is not None:
            _receipt_note(store, done.receipt)
    rows = [{"provider_id": s.provider_id, "component": s.component, "entries": s.size,
             "sampled": s.sampled, "failed": s.failed,
             "error_rate": f"{s.recovery.error_rate:.4f}",
             "unsampled": format_cents(s.unsampled_cents),
             "point": format_cents(s.recovery.point_cents),
             "lower": format_cents(s.recovery.lower_cents),
             "upper": format_cents(s.recovery.upper_cents),
             "recover": format_cents(s.recovery.amount_cents)} for s in strata]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(pl.DataFrame(rows).write_csv(), nl=False)
    else:
        click.echo(_text_table(pl.DataFrame(rows)), nl=False)
    total = format_cents(sum(s.recovery.amount_cents for s in strata))
    if done is not None:
        _err(f"draw {draw_id}: recovery of {total} confirmed ({chosen}); the next post of "
             f"{done.scheme_id} appends it")
    elif stated == "none" and basis is None:
        _err(f"draw {draw_id}: the scheme recovers no extrapolated amount (assurance.recovery: "
             f"none); on the {chosen} basis it would be {total}")
    else:
        _err(f"draw {draw_id}: {total} to recover ({chosen}); nothing recorded: give --confirm "
             "to record it")


@main.group()
def dispute() -> None:
    """Open and decide a provider's disputes (a period waits for its disputes to close)."""


@dispute.command(name="open")
@LEDGER_OPTION
@click.option("--entry", "entry_id", metavar="ENTRY_ID",
              help="The posted entry disputed: an earned entry, a reversal, a recovery.")
@click.option("--scheme", "scheme_id", metavar="SCHEME_ID",
              help="Without --entry: the scheme of a payment the provider claims.")
@click.option("--provider", "provider_id", metavar="ID", help="Without --entry: the provider.")
@click.option("--component", metavar="ID", help="Without --entry: the component claimed.")
@click.option("--client", "client_id", metavar="ID", help="Without --entry: the client.")
@click.option("--period", metavar="YYYY-MM",
              help="Without --entry: the period it belongs to (default the last posted).")
@click.option("--reason", required=True, help="The provider's reason.")
@on_option("the dispute")
@_guarded
def dispute_open(ledger: str, entry_id: str | None, scheme_id: str | None,
                 provider_id: str | None, component: str | None, client_id: str | None,
                 period: str | None, reason: str, on: str | None) -> None:
    """Record a provider's dispute over an entry, or over a payment it claims."""
    if period is not None:
        _period(period)
    claim = {"--scheme": scheme_id, "--provider": provider_id, "--component": component}
    if entry_id is not None and any(v is not None for v in [*claim.values(), client_id, period]):
        raise InputError([Problem("<command line>", None, "--entry",
                                  "--entry alone, or --scheme, --provider and --component",
                                  "both")])
    if entry_id is None and None in claim.values():
        missing = ", ".join(k for k, v in claim.items() if v is None)
        raise InputError([Problem("<command line>", None, None,
                                  "--entry, or --scheme, --provider and --component",
                                  f"no {missing}")])
    with _open(ledger) as store:
        done = store.open_dispute(reason, entry_id=entry_id, scheme_id=scheme_id,
                                  provider_id=provider_id, component=component,
                                  client_id=client_id, period=period,
                                  opened_at=_on(on, "--on"))
        _receipt_note(store, done.receipt)
        opened = store.assurance(done.scheme_id)[-1]
    subject = entry_id or f"a claimed {component} payment"
    click.echo(f"{done.records[0]} opened over {subject} ({opened['scheme_id']} "
               f"{opened['period']}): that period cannot be closed until it is decided")


@dispute.command(name="decide")
@click.argument("dispute_id", metavar="DISPUTE")
@LEDGER_OPTION
@click.option("--accept/--reject", "accept", default=None,
              help="Accept (post the correction) or reject.")
@click.option("--reason", required=True, help="The buyer's reason.")
@click.option("--amount", metavar="AMOUNT",
              help="Accepted: the correction to post (negative takes back), e.g. 650.00; "
                   "not needed when the dispute overturns a validation failure.")
@on_option("the decision")
@_guarded
def dispute_decide(dispute_id: str, ledger: str, accept: bool | None, reason: str,
                   amount: str | None, on: str | None) -> None:
    """Record the buyer's decision on a dispute; the correction, if any, is
    posted by the scheme's next post."""
    if accept is None:
        raise InputError([Problem("<command line>", None, "--accept", "--accept or --reject",
                                  "neither")])
    cents = None
    if amount is not None:
        try:
            cents = parse_euros(amount)
        except ValueError:
            raise InputError([Problem("<command line>", None, "--amount",
                                      "an amount like 650.00 or -650.00", repr(amount))]
                             ) from None
    name = dispute_id if dispute_id.startswith("dispute-") else f"dispute-{dispute_id}"
    with _open(ledger) as store:
        done = store.decide_dispute(name, accept=accept, reason=reason, amount_cents=cents,
                                    decided_at=_on(on, "--on"))
        _receipt_note(store, done.receipt)
    posts = ("" if not accept else
             f"; the next post of {done.scheme_id} posts "
             + (f"an adjustment of {format_cents(cents)}" if cents is not None
                else "the entry again"))
    click.echo(f"{name} {'accepted' if accept else 'rejected'}{posts}")


@main.command()
@LEDGER_OPTION
@click.option("--scheme", "scheme_id", metavar="SCHEME_ID", help="Only this scheme.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="The records as they stood at the end of DATE.")
@click.option("--disputes", "show", flag_value="disputes",
              help="List the disputes instead of the validation by stratum.")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table",
              show_default=True, help="The report's format; xlsx needs --out PATH.")
@click.option("--out", default="-", metavar="PATH|-", show_default=True,
              help="Where to write the report; - is standard output.")
@_guarded
def assurance(ledger: str, scheme_id: str | None, as_of: str | None, show: str | None,
              fmt: str, out: str) -> None:
    """Validation by provider and component (sampled, passed, failed, pending,
    error rate, recovered, open disputes), or the disputes (--disputes)."""
    from kasvufee.assurance.report import assurance_table, dispute_table

    day = _date(as_of, "--as-of") if as_of else None
    _refuse_terminal(fmt in BINARY, fmt, out)
    with _open(ledger) as store:
        found = store.assurance(scheme_id, as_of=day)
    table = dispute_table(found) if show else assurance_table(found)
    _write(table, fmt, out, "disputes" if show else "assurance")
