"""The ``kasvufee`` command line: a thin layer over the library.

Business logic lives in the library; here are only arguments, output
streams, exit codes and messages.  Exit status (``EXIT_STATUS``, also in
``kasvufee --help`` and the README): 0 success, 1 findings, 2 invalid input
(every problem printed as ``file:line: field: expected …, got …``), 3 refused
by the ledger's state, 4 the ledger cannot be opened or written, 70 an
internal error (a bug; never a traceback).  Each error class carries its own
``exit_status``.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import datetime as dt
import errno
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import polars as pl

from kasvufee.calendar import period_end
from kasvufee.engine.evaluate import evaluate
from kasvufee.errors import InputError, KasvufeeError, Problem, SchemeError, UsageError
from kasvufee.events import read_events
from kasvufee.events._limits import FIRST_DATE, LAST_DATE
from kasvufee.ledger import Ledger
from kasvufee.money import format_cents
from kasvufee.plural import count
from kasvufee.report.coverage import Coverage, coverage
from kasvufee.report.explain import explain_text
from kasvufee.report.export import BINARY, FORMATS, WRITERS, formula_safe, write_frame
from kasvufee.report.programme import (
    PROGRAMME_AMOUNTS,
    load_programme,
    rollup,
    rollup_json,
    rollup_rows,
    rollup_text,
)
from kasvufee.scheme import load_scheme, scheme_json_schema
from kasvufee.scheme.load import load_scheme_warned
from kasvufee.scheme.prices import event_columns, event_types
from kasvufee.store import DEFAULT_LEDGER

if TYPE_CHECKING:
    from kasvufee.store.posted import PostedLedger

# The posted ledger (SQLAlchemy, through _open) and the simulation tools
# (numpy) load in the commands that use them: importing them takes longer than
# a small run.

# the statement's formats and languages (kasvufee.report.statement, which loads
# Babel: only the statement command imports it; a test keeps the two the same)
STATEMENT_FORMATS = ("xlsx", "csv", "json", "html")
STATEMENT_LANGS = ("fi", "en")

PROGRESS_BYTES = 20_000_000  # show a progress bar for event files larger than this

EXIT_STATUS = """\b
Exit status:
   0  success
   1  findings: lint errors, failed scheme tests, a TAMPERED ledger
   2  invalid input or usage (each problem is printed)
   3  refused by the ledger's state: a closed period, a conflicting post,
      a period before the last posted, a changed posted scheme version,
      an open dispute, an assurance record already made otherwise
   4  the ledger cannot be opened or written
  70  an internal error (a bug: please report it)"""


def _err(message: str) -> None:
    click.echo(message, err=True)


def _date(value: str | None, option: str) -> dt.date:
    """A date of the command line, in the range event dates have."""
    if value is None:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError([Problem("<command line>", None, option, "a date YYYY-MM-DD",
                                  repr(value))]) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise InputError([Problem("<command line>", None, option,
                                  f"a date from {FIRST_DATE} to {LAST_DATE}", repr(value))])
    return day


def _open(ledger: str, *, create: bool = False) -> PostedLedger:
    """The posted ledger; only posting and closing (``create``) make a new one."""
    from kasvufee.store.posted import PostedLedger

    return PostedLedger.open(ledger, create=create)


@contextlib.contextmanager
def _output(path: str, option: str = "--out") -> Iterator[IO[bytes]]:
    """Write to a temporary file and move it into place only on success.

    ``-`` is standard output; an existing device or pipe (``/dev/null``, a
    FIFO) is written directly, since it cannot be replaced by a file.
    """
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        with target.open("wb") as special:
            yield special
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError([Problem("<command line>", None, option, "an existing directory",
                                  str(directory))])
    if target.is_dir():
        raise InputError([Problem("<command line>", None, option, "a file path",
                                  f"the folder {target}")])
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a report is not
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _progress(label: str, unit: str, show: bool
              ) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on standard error while the block runs (None when not
    ``show``); ``unit`` is ``bytes`` or a word such as ``runs``."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    count = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    columns = [TextColumn(label), BarColumn(), count]
    if unit != "bytes":
        columns.append(TextColumn(unit))
    with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), transient=True,
                  console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _refuse_terminal(binary: bool, fmt: str, out: str) -> None:
    """A binary format is not written to an interactive terminal."""
    if binary and out == "-" and sys.stdout.isatty():
        raise InputError([Problem("<command line>", None, "--out",
                                  f"a file path for --format {fmt}", "a terminal")])


def _encoding(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An --encoding the codecs know, checked before anything is read."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"expected an encoding such as utf-8 or cp1252, got "
                                 f"{value!r}") from None
    return value


ENCODING_OPTION = click.option("--encoding", default="utf-8", show_default=True,
                               callback=_encoding, help="Events file encoding (cp1252 for an "
                               "older Finnish Excel export).")


def _large_file(path: str) -> bool:
    """Whether reading ``path`` deserves a progress bar (large, on a terminal)."""
    try:
        return os.path.getsize(path) >= PROGRESS_BYTES and sys.stderr.isatty()
    except OSError:
        return False


def _guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Map library errors to messages and exit codes; never show a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                _err(str(problem))
            _err(f"kasvufee: {count(len(exc.problems), 'problem')}; nothing was written")
            sys.exit(2)
        except KasvufeeError as exc:
            _err(f"kasvufee: {exc}")
            sys.exit(exc.exit_status)
        except (BrokenPipeError, KeyboardInterrupt):
            sys.exit(1)
        # a bug: say so plainly, without a traceback (a panic inside polars is a
        # BaseException, not an Exception)
        except (Exception, pl.exceptions.PanicException) as exc:
            if isinstance(exc, OSError) and _broken_pipe(exc):  # polars' writers' own
                sys.exit(1)
            _err(f"kasvufee: internal error ({type(exc).__name__}: {exc}). Nothing was written. "
                 "Please report this with the command you ran.")
            sys.exit(70)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _broken_pipe(exc: OSError) -> bool:
    """Whether ``exc`` says the reader of standard output went away (``| head``)."""
    return exc.errno == errno.EPIPE or f"(os error {errno.EPIPE})" in str(exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_STATUS)
@click.version_option(None, "-V", "--version", package_name="kasvufee", prog_name="kasvufee")
def main() -> None:
    """kasvufee: what a buyer of employment services owes its providers, proven to the cent."""


@main.command()
@click.argument("scheme", type=click.Path(dir_okay=False))
@click.argument("events", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="DATE",
              help="Evaluate with what was known on DATE (YYYY-MM-DD). Default: today.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="The ledger's format; xlsx and parquet need --out PATH.")
@click.option("--out", default="-", metavar="PATH|-", show_default=True,
              help="Where to write the ledger; - is standard output.")
@click.option("--finnish", is_flag=True,
              help="Events CSV is a Finnish spreadsheet export (; delimiter, decimal comma).")
@ENCODING_OPTION
@click.option("--report", "report", metavar="PATH",
              help="Also write the run report (totals and held items) as JSON to PATH.")
@click.option("--check-all-columns", "all_columns", is_flag=True,
              help="Read and check every column and event of EVENTS, not only those "
                   "the scheme reads (slower; the ledger is the same).")
@_guarded
def run(scheme: str, events: str, as_of: str | None, fmt: str, out: str, finnish: bool,
        encoding: str, report: str | None, all_columns: bool) -> None:
    """Evaluate SCHEME on EVENTS and write the payment ledger.

    Summaries and held items (events that earned nothing, with the reason) go
    to standard error; standard output carries only the ledger.
    """
    day = _date(as_of, "--as-of")
    _refuse_terminal(fmt in BINARY, fmt, out)
    sch = load_scheme(scheme)
    # read_events counts a Parquet file's progress in rows, the others' in bytes
    unit = "rows" if Path(events).suffix.lower() in (".parquet", ".pq") else "bytes"
    with _progress("reading events", unit, _large_file(events)) as progress:
        left_out: dict[str, int] = {}
        table = read_events(events, finnish=finnish, attribute_types=dict(sch.attributes),
                            encoding=encoding, progress=progress,
                            columns=None if all_columns else event_columns(sch),
                            event_types=None if all_columns else event_types(sch),
                            left_out=left_out)
    unread = coverage(sch, table, left_out)
    for line in unread.missing_lines():
        _err(line)
    ledger = evaluate(sch, table, day)
    # Both files are staged and moved into place together, the report first:
    # a report that cannot be written leaves no ledger file behind either.
    with contextlib.ExitStack() as staged:
        stream = staged.enter_context(_output(out))
        report_stream = staged.enter_context(_output(report, "--report")) if report else None
        WRITERS[fmt](ledger, stream)
        if report_stream is not None:
            report_stream.write(json.dumps(run_report(ledger, unread), ensure_ascii=False,
                                           indent=1).encode())
    _summary(ledger)
    for line in unread.lines():
        _err(line)


def run_report(ledger: Ledger, unread: Coverage) -> dict[str, Any]:
    """Totals, held items and what the run did not read, as JSON-ready data."""
    return {
        "scheme": ledger.scheme_id,
        "as_of": ledger.as_of.isoformat(),
        "currency": ledger.currency,
        "entries": len(ledger),
        "total": f"{ledger.total():.2f}",
        "by_component": {k: f"{v:.2f}" for k, v in ledger.by("component").items()},
        "by_provider": {k: f"{v:.2f}" for k, v in ledger.by("provider_id").items()},
        "held": [h.to_dict() for h in ledger.held],
        **unread.to_dict(),
    }


def _summary(ledger: Ledger) -> None:
    _err(f"{ledger.scheme_id}: {count(len(ledger), 'entry')}, total {ledger.total():.2f} "
         f"{ledger.currency} as of {ledger.as_of.isoformat()}")
    for comp, amount in ledger.by("component").items():
        _err(f"  {comp}: {amount:.2f}")
    # the first 50 held items from the table: a Python object per held item
    # (thousands of them) would cost more than the evaluation
    held = ledger.held_frame
    if held.height:
        _err(f"{held.height} held (earned nothing):")
        first = held.head(50).select("component", "provider_id", "client_id", "event_ids",
                                     "reason")
        for component, provider, client, ids, reason in first.iter_rows():
            _err(f"  {component} {provider} {client or '(contract)'} [{', '.join(ids)}]: "
                 f"{reason}")
        if held.height > 50:
            _err(f"  ... and {held.height - 50} more (see --report)")


LEDGER_OPTION = click.option(
    "--ledger", default=DEFAULT_LEDGER, show_default=True, metavar="PATH|DSN",
    help="The posted ledger: a SQLite file, or a postgresql:// address.")


@main.command()
@click.argument("scheme", type=click.Path(dir_okay=False))
@click.argument("events", type=click.Path(dir_okay=False))
@LEDGER_OPTION
@click.option("--period", required=True, metavar="YYYY-MM", help="The payout period to post.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Evaluate as known on DATE, at most the period's last day. Default: "
                   "the period's last day, or the posting day if earlier.")
@click.option("--posted-on", "posted_on", metavar="DATE",
              help="Record the posting as made on DATE (back-filling). Default: now.")
@click.option("--finnish", is_flag=True, help="Events CSV is a Finnish spreadsheet export.")
@click.option("--encoding", default="utf-8", show_default=True, help="Events file encoding.")
@click.option("--receipts", metavar="PATH",
              help="Append the posting's receipt to PATH. Default: LEDGER.receipts.jsonl "
                   "beside a SQLite ledger; none for PostgreSQL (keep the printed line).")
@click.option("--signing-key", "signing_key", metavar="PATH", envvar="KASVUFEE_SIGNING_KEY",
              help="Sign the receipt with the Ed25519 private key in PATH (PEM), kept "
                   "outside the database. Default: $KASVUFEE_SIGNING_KEY, else unsigned.")
@_guarded
def post(scheme: str, events: str, ledger: str, period: str, as_of: str | None,
         posted_on: str | None, finnish: bool, encoding: str, receipts: str | None,
         signing_key: str | None) -> None:
    """Post a period: append to the ledger what changed since the last post.

    New entries are posted in PERIOD and keep their earned_on; entries no longer
    supported are reversed with the reason; posting the same inputs again adds
    nothing. One transaction: a post either completes or writes nothing. A post
    that wrote prints its receipt (a line of JSON: the ledger's head after it),
    for verify --witness. A scheme naming an event type outside the vocabulary
    and its event_types (what validate warns about) is refused: no event would
    reach it.
    """
    _period(period)
    day = _date(as_of, "--as-of") if as_of else None
    stamp = (dt.datetime.combine(_date(posted_on, "--posted-on"), dt.time(12))
             if posted_on else None)
    from kasvufee.store.posted import PostedLedger
    from kasvufee.store.receipts import load_signing_key

    key = load_signing_key(signing_key) if signing_key else None
    sch, warnings = load_scheme_warned(scheme)
    if warnings:  # a misspelt on: would post an underpayment only a new version can mend
        raise SchemeError(warnings)
    table = read_events(events, finnish=finnish, attribute_types=dict(sch.attributes),
                        encoding=encoding)
    unread = coverage(sch, table)
    for line in unread.missing_lines():  # held, not lost: a later post pays them
        _err(line)
    with PostedLedger.open(ledger, receipts=receipts or True, signing_key=key) as store:
        result = store.post(sch, table, period, as_of=day, posted_at=stamp,
                            events_source=events)
        kept = store.receipts
    click.echo(result.summary())
    for line in unread.lines():
        _err(line)
    if result.receipt is not None:
        click.echo(result.receipt)
        if kept is None:
            _err("kasvufee: no receipts file for a PostgreSQL ledger: keep the receipt line "
                 "above, or give --receipts PATH")


@main.command()
@LEDGER_OPTION
@click.option("--scheme", "scheme_id", required=True, metavar="SCHEME_ID",
              help="The posted scheme whose period to close.")
@click.option("--period", required=True, metavar="YYYY-MM",
              help="The period to close (it must have ended).")
@click.option("--closed-on", "closed_on", metavar="DATE",
              help="The day the period was closed (default today; not in the future).")
@click.option("--despite-open-disputes", "despite", is_flag=True,
              help="Close although disputes over the period are still open.")
@_guarded
def close(ledger: str, scheme_id: str, period: str, closed_on: str | None,
          despite: bool) -> None:
    """Close a period: later posts refuse to add entries to it. A period with
    an open dispute is closed only with --despite-open-disputes."""
    _period(period)
    stamp = (dt.datetime.combine(_date(closed_on, "--closed-on"), dt.time(12))
             if closed_on else None)
    with _open(ledger) as store:  # closing creates no ledger: a typo'd path says so
        store.close_period(scheme_id, period, closed_at=stamp, despite_disputes=despite)
    click.echo(f"{scheme_id} {period}: closed")


@main.command()
@LEDGER_OPTION
@click.option("--witness", metavar="RECEIPTS",
              help="Also prove that the ledger still extends every receipt in the file "
                   "RECEIPTS (what post wrote): it was not cut back, emptied or rewritten.")
@click.option("--public-key", "public_key", metavar="PATH",
              help="With --witness: each receipt must be signed by the Ed25519 key whose "
                   "public half (PEM) is in PATH.")
@_guarded
def verify(ledger: str, witness: str | None, public_key: str | None) -> None:
    """Recompute the hash chains of the entries and of the seals over the other
    records; exit 1 naming the first entry or record changed, removed or
    inserted behind the library's back (or the first receipt no longer extended)."""
    from kasvufee.store.receipts import fingerprint, load_public_key, read_receipts

    if public_key and not witness:
        raise InputError([Problem("<command line>", None, "--public-key",
                                  "--witness RECEIPTS with it", "no --witness")])
    key = load_public_key(public_key) if public_key else None
    receipts = read_receipts(witness) if witness else []
    with _open(ledger) as store:
        report = store.verify(receipts, key)
    if report.ok:
        extends = "" if not witness else (
            f"; it extends {'the' if report.receipts == 1 else 'all'} "
            f"{count(report.receipts, 'receipt')} of {witness}"
            + ("" if key is None else f", each signed by key {fingerprint(key)}"))
        click.echo(f"{ledger}: {count(report.checked, 'entry')}, the hash chain is "
                   f"intact{extends}")
        return
    _err(f"{ledger}: {'DAMAGED' if report.damaged else 'TAMPERED'}: {report.problem}")
    sys.exit(1)


@main.command()
@click.argument("entry_id")
@LEDGER_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text to read, json for programs.")
@_guarded
def explain(entry_id: str, ledger: str, fmt: str) -> None:
    """The whole derivation of one posted entry."""
    with _open(ledger) as store:
        entry = store.entry(entry_id)
        currency = store.scheme(entry["scheme_id"], entry["period"]).currency
    if fmt == "json":
        click.echo(json.dumps(entry, default=str, ensure_ascii=False, indent=1))
    else:
        click.echo(explain_text(entry, currency))


@main.command()
@LEDGER_OPTION
@click.option("--as-posted-on", "as_posted_on", metavar="DATE",
              help="The ledger as it stood at the end of DATE.")
@click.option("--scheme", "scheme_id", metavar="SCHEME_ID", help="Only this scheme's entries.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx", "parquet"]),
              default="jsonl", show_default=True,
              help="The entries' format; xlsx and parquet need --out PATH.")
@click.option("--out", default="-", metavar="PATH|-", show_default=True,
              help="Where to write the entries; - is standard output.")
@_guarded
def entries(ledger: str, as_posted_on: str | None, scheme_id: str | None, fmt: str,
            out: str) -> None:
    """The posted entries (all, or as they stood on a date), reproducibly."""
    day = _date(as_posted_on, "--as-posted-on") if as_posted_on else None
    with _open(ledger) as store:
        table = store.entries(as_posted_on=day, scheme_id=scheme_id)
    _refuse_terminal(fmt in BINARY, fmt, out)
    with _output(out) as stream:
        write_frame(table, fmt, stream, sheet="entries")


@main.command()
@click.argument("programme_file", metavar="PROGRAMME", type=click.Path(dir_okay=False))
@LEDGER_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="The roll-up's format.")
@click.option("--out", default="-", metavar="PATH|-", show_default=True,
              help="Where to write the roll-up; - is standard output.")
@_guarded
def programme(programme_file: str, ledger: str, fmt: str, out: str) -> None:
    """Committed, paid and remaining by year and by project for a programme."""
    plan = load_programme(programme_file)
    with _open(ledger) as store:
        result = rollup(plan, store)
    with _output(out) as stream:
        if fmt == "json":
            stream.write(json.dumps(rollup_json(result), ensure_ascii=False,
                                    indent=1).encode() + b"\n")
        elif fmt == "csv":
            formula_safe(rollup_rows(result), PROGRAMME_AMOUNTS).write_csv(stream)
        else:
            stream.write(rollup_text(result).encode() + b"\n")


@main.command()
@LEDGER_OPTION
@click.option("--provider", "provider_id", required=True, metavar="ID",
              help="The provider the statement is for.")
@click.option("--period", required=True, metavar="YYYY-MM",
              help="The payout period of the statement.")
@click.option("--scheme", "scheme_id", metavar="SCHEME_ID", help="Only this scheme.")
@click.option("--format", "fmt", type=click.Choice(STATEMENT_FORMATS), default="xlsx",
              show_default=True, help="The statement's format.")
@click.option("--lang", type=click.Choice(STATEMENT_LANGS), default="fi", show_default=True,
              help="The statement's language: Finnish or English.")
@click.option("--out", required=True, metavar="PATH|-",
              help="Where to write the statement; - is standard output.")
@click.option("--pseudonymize-key", "key_file", type=click.Path(dir_okay=False),
              help="Replace client ids by keyed hashes (HMAC-SHA256) with the key in FILE.")
@_guarded
def statement(ledger: str, provider_id: str, period: str, scheme_id: str | None, fmt: str,
              lang: str, out: str, key_file: str | None) -> None:
    """A provider's statement for a period: lines by component, reversals with
    their reasons, totals, caps used and remaining, and the star rating."""
    from kasvufee.report.statement import (
        build_statement,
        read_pseudonymize_key,
        write_statement,
    )

    _period(period)
    key = read_pseudonymize_key(key_file) if key_file else None
    with _open(ledger) as store:
        result = build_statement(store, provider_id, period, scheme_id=scheme_id,
                                 pseudonymize_key=key)
    with _output(out) as stream:
        write_statement(result, fmt, lang, stream)  # type: ignore[arg-type]
    if out != "-":
        total = (f"total {format_cents(result.total_cents)} {result.currency}" if result.currency
                 else "in more than one currency")
        _err(f"{provider_id} {period}: statement written to {out} ({total})")


def _period(period: str, option: str = "--period") -> None:
    try:
        end = period_end(period)
    except UsageError:
        raise InputError([Problem("<command line>", None, option, "a period YYYY-MM",
                                  repr(period))]) from None
    if not FIRST_DATE <= end <= LAST_DATE:
        raise InputError([Problem("<command line>", None, option,
                                  f"a period from {FIRST_DATE:%Y-%m} to {LAST_DATE:%Y-%m}",
                                  repr(period))])


@main.command()
@click.argument("scheme", type=click.Path(dir_okay=False))
@_guarded
def validate(scheme: str) -> None:
    """Check a scheme file; print every problem with its line.

    Warnings (event types outside the core vocabulary and the scheme's
    event_types) go to standard error and leave the exit status 0.
    """
    sch, warnings = load_scheme_warned(scheme)
    for problem in warnings:
        _err(f"warning: {problem}")
    n = sum(len(v.components) for v in sch.versions)
    click.echo(f"{scheme}: valid scheme {sch.scheme!r}, {count(len(sch.versions), 'version')}, "
               f"{count(n, 'component')}" + (f", {count(len(warnings), 'warning')}"
                                             if warnings else ""))


@main.command()
@click.argument("scheme", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text to read, json for programs.")
@_guarded
def lint(scheme: str, fmt: str) -> None:
    """Check a scheme against the lessons of the 2018 evaluation report.

    Exit 1 when a finding has severity error, 0 otherwise (warnings included).
    """
    from kasvufee.design import format_findings, has_errors
    from kasvufee.design import lint as lint_scheme

    findings = lint_scheme(load_scheme(scheme))
    click.echo(format_findings(findings, fmt, source=scheme))  # type: ignore[arg-type]
    sys.exit(1 if has_errors(findings) else 0)


@main.command(name="test")
@click.argument("path", type=click.Path(exists=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text to read, json for programs.")
@_guarded
def test_command(path: str, fmt: str) -> None:
    """Run the worked examples (tests.yaml) of a scheme, or of every scheme in a folder.

    Exit 0 when every case gives exactly the expected payouts, 1 otherwise.
    """
    from kasvufee.design import format_test_report, run_scheme_tests
    from kasvufee.design.scheme_tests import all_passed

    results = run_scheme_tests(path)
    click.echo(format_test_report(results, fmt))  # type: ignore[arg-type]
    sys.exit(0 if all_passed(results) else 1)


def _sweep_options(fn: Callable[..., None]) -> Callable[..., None]:
    """The options every sweep shares: runs, seed, batches, Dask and progress."""
    options = [
        click.option("--runs", type=click.IntRange(1, 1_000_000), default=100,
                     show_default=True, help="Simulated populations."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="The random seed: the same seed gives the same populations."),
        click.option("--as-of", "as_of", default=None, metavar="DATE",
                     help="Default: the end of the population's follow-up."),
        click.option("--batch-runs", type=click.IntRange(1), default=None, metavar="N",
                     help="Runs priced together (default: chosen from the population "
                          "size). Never changes the result."),
        click.option("--dask", "dask", is_flag=True,
                     help="Price the batches on a local Dask cluster "
                          "(pip install 'kasvufee[dask]')."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Price the batches on a running Dask scheduler "
                          "(tcp://host:8786); its workers need kasvufee."),
        click.option("--workers", type=click.IntRange(1), default=None, metavar="N",
                     help="Worker processes of the local Dask cluster (default: one "
                          "per core)."),
        click.option("--progress/--no-progress", "progress", default=None,
                     help="A progress bar on standard error (default: on a terminal)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _sweep_args(as_of: str | None, batch_runs: int | None, dask: bool,
                scheduler: str | None, workers: int | None) -> dict[str, Any]:
    if workers is not None and not dask:
        raise UsageError("--workers sizes the local Dask cluster: add --dask")
    if dask and scheduler:
        raise UsageError("--dask starts a local cluster, --scheduler uses a running one: "
                         "give one of them")
    return {"as_of": None if as_of is None else _date(as_of, "--as-of"),
            "batch_runs": batch_runs, "dask": scheduler or dask, "workers": workers,
            "keep_entries": False}


@main.command()
@click.argument("scheme", type=click.Path(dir_okay=False))
@click.option("--population", "population", required=True, type=click.Path(dir_okay=False),
              help="The population model (YAML) to draw clients from.")
@_sweep_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table to read, json for programs.")
@_guarded
def simulate(scheme: str, population: str, runs: int, seed: int, as_of: str | None,
             batch_runs: int | None, dask: bool, scheduler: str | None, workers: int | None,
             progress: bool | None, fmt: str) -> None:
    """Cost, risk and incentives of a scheme on simulated client populations."""
    from kasvufee.design.population import load_population
    from kasvufee.design.simulate import format_simulation
    from kasvufee.design.simulate import simulate as simulate_scheme

    args = _sweep_args(as_of, batch_runs, dask, scheduler, workers)
    sch, pop = load_scheme(scheme), load_population(population)
    with _progress("simulating", "runs", _show(progress)) as bar:
        result = simulate_scheme(sch, pop, runs, seed, progress=bar, **args)
    click.echo(format_simulation(result, fmt))  # type: ignore[arg-type]


@main.command()
@click.argument("schemes", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--population", "population", required=True, type=click.Path(dir_okay=False),
              help="The population model (YAML) to draw clients from.")
@_sweep_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html", "png"]),
              default="table", show_default=True,
              help="html: a self-contained report with charts; png: the charts "
                   "(both need kasvufee[plots] for charts).")
@click.option("--out", default="-", metavar="PATH|-", show_default=True,
              help="Where to write the comparison; - is standard output.")
@_guarded
def compare(schemes: tuple[str, ...], population: str, runs: int, seed: int,
            as_of: str | None, batch_runs: int | None, dask: bool, scheduler: str | None,
            workers: int | None, progress: bool | None, fmt: str, out: str) -> None:
    """The same measures side by side for several schemes, on identical simulated
    populations (common random numbers)."""
    from kasvufee.design.compare import compare as compare_schemes
    from kasvufee.design.compare import comparison_png, format_comparison
    from kasvufee.design.population import load_population

    args = _sweep_args(as_of, batch_runs, dask, scheduler, workers)
    _refuse_terminal(fmt == "png", fmt, out)
    loaded = {}
    for path in schemes:
        s = load_scheme(path)
        loaded[s.scheme if s.scheme not in loaded else path] = s
    pop = load_population(population)
    with _progress("comparing", "runs", _show(progress)) as bar:
        result = compare_schemes(loaded, pop, runs, seed, progress=bar, **args)
    data = (comparison_png(result) if fmt == "png"
            else (format_comparison(result, fmt) + "\n").encode())  # type: ignore[arg-type]
    with _output(out) as stream:
        stream.write(data)


def _show(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


@main.command()
@click.argument("scheme", type=click.Path(dir_okay=False))
@click.option("--events", "events", required=True, type=click.Path(dir_okay=False),
              help="The real events (history) both schemes are evaluated on.")
@click.option("--paid-scheme", "paid_scheme", type=click.Path(dir_okay=False),
              help="The scheme that was in force: evaluate it on the same events.")
@click.option("--ledger", "ledger", metavar="PATH|DSN",
              help="Or: what was really posted, from a ledger (with --scheme-id).")
@click.option("--scheme-id", "scheme_id", metavar="SCHEME_ID",
              help="With --ledger: the posted scheme to compare with.")
@click.option("--as-of", "as_of", required=True, metavar="DATE",
              help="Evaluate both schemes as known on DATE (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table to read, json for programs.")
@click.option("--finnish", is_flag=True,
              help="Events CSV is a Finnish spreadsheet export (; delimiter, decimal comma).")
@ENCODING_OPTION
@_guarded
def replay(scheme: str, events: str, paid_scheme: str | None, ledger: str | None,
           scheme_id: str | None, as_of: str, fmt: str, finnish: bool, encoding: str) -> None:
    """What SCHEME would have paid on real events, next to what was paid: by
    --paid-scheme on the same events, or as posted in --ledger under --scheme-id."""
    from kasvufee.design.compare import format_replay
    from kasvufee.design.compare import replay as replay_scheme

    paid_by = [o for o, v in (("--paid-scheme", paid_scheme), ("--ledger", ledger)) if v]
    if len(paid_by) != 1:
        raise InputError([Problem("<command line>", None, "--paid-scheme",
                                  "what was paid: --paid-scheme A, or --ledger PATH with "
                                  "--scheme-id ID", "both" if paid_by else "neither")])
    if ledger and not scheme_id:
        raise InputError([Problem("<command line>", None, "--scheme-id",
                                  "the posted scheme to compare with (with --ledger)",
                                  "nothing")])
    day = _date(as_of, "--as-of")
    sch = load_scheme(scheme)
    table = read_events(events, finnish=finnish, attribute_types=dict(sch.attributes),
                        encoding=encoding)
    paid: Ledger | pl.DataFrame | None = None
    if paid_scheme:
        paid = evaluate(load_scheme(paid_scheme), table, day)
    elif ledger:
        with _open(ledger) as store:
            paid = store.entries(as_posted_on=day, scheme_id=scheme_id)
        if paid.is_empty():
            raise InputError([Problem("<command line>", None, "--scheme-id",
                                      f"a scheme with entries posted in {ledger} by {day}",
                                      repr(scheme_id))])
    click.echo(format_replay(replay_scheme(sch, table, paid, day), fmt))  # type: ignore[arg-type]


@main.command()
@_guarded
def schema() -> None:
    """Print the JSON Schema of scheme files (for editors and procurement tools)."""
    click.echo(json.dumps(scheme_json_schema(), indent=2, ensure_ascii=False))


def console() -> None:
    """The ``kasvufee`` console script: :func:`main`, then leave without tearing the
    interpreter down.

    After a large run, freeing every module and object at exit takes longer than
    some commands do (0.06 s of a 1.7 s run); the exit handlers still run (a
    ``kasvufee compare`` Dask cluster is shut down by its own) and the output
    streams are flushed first, so nothing written is lost.  Tests call
    :func:`main` in-process, where the interpreter goes on.
    """
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):  # as Python does for sys.exit("…")
        click.echo(code, err=True)
        code = 1
    status = code or 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (| head): as _guarded does
        status = status or 1
    atexit._run_exitfuncs()
    os._exit(status)


from kasvufee import cli_assurance as _assurance  # noqa: E402,F401 (registers its commands)

if __name__ == "__main__":  # pragma: no cover
    # run as python -m kasvufee.cli, this file is __main__; the commands of
    # kasvufee.cli_assurance are registered on the group of kasvufee.cli
    from kasvufee.cli import main as _main

    _main()
