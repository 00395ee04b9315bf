"""One measured task, run in its own process by ``bench.run``.

    python -m bench.worker '{"task": "kasvufee", "scheme": "varsinais-suomi", ...}'

The last line printed is a JSON object with the task's timings and this
process's peak resident memory (``VmHWM``); the parent also reads the
process's ``ru_maxrss`` when it ends (``os.wait4``).  Each measurement has a
fresh interpreter and its own peak.
Ledgers are written (after the clock stops) for the equality checks.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def scheme_path(scheme: str) -> Path:
    return EXAMPLES / scheme / "scheme.yaml"


def _kasvufee(t: dict[str, Any]) -> dict[str, Any]:
    import kasvufee
    from kasvufee.scheme.prices import event_columns, event_types

    as_of = dt.date.fromisoformat(t["as_of"])
    t0 = time.perf_counter()
    scheme = kasvufee.load_scheme(scheme_path(t["scheme"]))
    # only the columns and event types the scheme reads, as `kasvufee run` does
    events = kasvufee.read_events(t["events"], attribute_types=dict(scheme.attributes),
                                  columns=event_columns(scheme), event_types=event_types(scheme))
    t1 = time.perf_counter()
    ledger = kasvufee.evaluate(scheme, events, as_of)
    t2 = time.perf_counter()
    frame = ledger.frame
    if frame.height and frame["explanation"].null_count():
        raise SystemExit("an entry without an explanation")
    if t.get("out"):
        from bench.compare import write

        write(frame, Path(t["out"]))
    return {"read_s": t1 - t0, "evaluate_s": t2 - t1, "total_s": t2 - t0,
            "events": events.height, "entries": frame.height,
            "held": ledger.held_frame.height, "cents": int(frame["amount"].sum() or 0)}


def _rowwise(t: dict[str, Any]) -> dict[str, Any]:
    from bench import baseline

    as_of = dt.date.fromisoformat(t["as_of"])
    path = Path(t["events"])
    t0 = time.perf_counter()
    rows = baseline.read_rows(path, t["scheme"])
    t1 = time.perf_counter()
    entries = baseline.SCHEMES[t["scheme"]](baseline.known(rows, as_of), as_of)
    t2 = time.perf_counter()
    if t.get("out"):
        from bench.compare import rows_table, write

        write(rows_table(baseline.iter_columns(entries)), Path(t["out"]))
    return {"read_s": t1 - t0, "evaluate_s": t2 - t1, "total_s": t2 - t0, "rows_kept": len(rows),
            "entries": len(entries)}


def _duckdb(t: dict[str, Any]) -> dict[str, Any]:
    from bench.peers import duck

    t0 = time.perf_counter()
    ledger = duck.evaluate(t["scheme"], Path(t["events"]), dt.date.fromisoformat(t["as_of"]),
                           threads=t.get("threads"))
    t1 = time.perf_counter()
    if t.get("out"):
        from bench.compare import write

        write(ledger, Path(t["out"]))
    return {"total_s": t1 - t0, "entries": ledger.height}


def _w2(t: dict[str, Any]) -> dict[str, Any]:
    """Populations generated (untimed) and read (timed), then evaluated under each
    scheme in batches of ``batch`` populations as one table with the population
    as a key (``kasvufee.design.simulate.evaluate_runs``; timed).  The first batch
    is also evaluated one population at a time: timed, and its entries checked
    equal."""
    import polars as pl

    import kasvufee
    from bench.generate import generate
    from kasvufee.design.simulate import evaluate_runs

    schemes = [kasvufee.load_scheme(scheme_path(s)) for s in t["schemes"]]
    as_of = dt.date.fromisoformat(t["as_of"])
    batch = t["batch"]
    evaluate_s = read_s = 0.0
    events_n = 0
    per_population: list[float] = []  # one evaluation per population (the first batch)
    batches: list[float] = []
    equal = True
    folder = Path(tempfile.mkdtemp(prefix="kasvufee-w2-"))
    try:
        for first in range(0, t["populations"], batch):
            runs = []
            for i in range(first, min(first + batch, t["populations"])):
                path = folder / "population.parquet"
                generate(t["clients"], seed=t["seed"] + i).write_parquet(path)
                t0 = time.perf_counter()
                runs.append(_as_run(kasvufee.read_events(path), i + 1))
                read_s += time.perf_counter() - t0
            t1 = time.perf_counter()
            table = pl.concat(runs).rechunk()
            together = [evaluate_runs(s, table, as_of, combined=True) for s in schemes]
            t2 = time.perf_counter()
            evaluate_s += t2 - t1
            batches.append(t2 - t1)
            events_n += table.height
            if first == 0:
                for run in runs:
                    t3 = time.perf_counter()
                    for scheme in schemes:
                        kasvufee.evaluate(scheme, run, as_of)
                    per_population.append(time.perf_counter() - t3)
                apart = [evaluate_runs(s, table, as_of, combined=False) for s in schemes]
                equal = all(a.equals(b) for a, b in zip(together, apart, strict=True))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"read_s": read_s, "evaluate_s": evaluate_s, "events": events_n,
            "batch": batch, "evaluate_per_batch_s": batches,
            "evaluate_per_population_s": per_population, "batched_equals_apart": equal}


# the generator's ids, made the population's own: one table must not mix populations
_RUN_IDS = ("event_id", "client_id", "voids", "for_event", "employment_id", "employer_id",
            "evidence_ref")


def _as_run(events: Any, run: int) -> Any:
    import polars as pl

    return events.with_columns(
        pl.lit(run, dtype=pl.Int64).alias("run"),
        *(pl.format("p{}-{}", pl.lit(run), pl.col(c)).alias(c)
          for c in _RUN_IDS if c in events.columns))


def _w3_setup(t: dict[str, Any]) -> dict[str, Any]:
    """Post January … November into a fresh ledger (the state W3 starts from)."""
    import kasvufee

    scheme = kasvufee.load_scheme(scheme_path(t["scheme"]))
    events = kasvufee.read_events(t["events"], attribute_types=dict(scheme.attributes))
    done = []
    t0 = time.perf_counter()
    with kasvufee.PostedLedger.open(t["ledger"]) as ledger:
        for month in range(1, 12):
            period = f"{t['year']}-{month:02d}"
            result = ledger.post(scheme, events, period,
                                 posted_at=dt.datetime(t["year"], month + 1, 1, 8, 0))
            done.append({"period": period, "earned": result.earned,
                         "reversals": result.reversals})
    return {"total_s": time.perf_counter() - t0, "posts": done}


def _w3(t: dict[str, Any]) -> dict[str, Any]:
    """Read the events and post December into the ledger holding eleven months."""
    import kasvufee

    t0 = time.perf_counter()
    scheme = kasvufee.load_scheme(scheme_path(t["scheme"]))
    events = kasvufee.read_events(t["events"], attribute_types=dict(scheme.attributes))
    t1 = time.perf_counter()
    with kasvufee.PostedLedger.open(t["ledger"]) as ledger:
        result = ledger.post(scheme, events, t["period"],
                             posted_at=dt.datetime(t["year"] + 1, 1, 2, 8, 0))
        t2 = time.perf_counter()
        stored = ledger.entries(scheme_id=scheme.scheme)
    if t.get("out"):
        from bench.compare import paid, write

        write(paid(stored), Path(t["out"]))
    return {"read_s": t1 - t0, "post_s": t2 - t1, "total_s": t2 - t0,
            "earned": result.earned, "reversals": result.reversals,
            "stored_entries": stored.height}


def _w2_sweep(t: dict[str, Any]) -> dict[str, Any]:
    """W2 through the library's own sweep (``kasvufee compare``), see bench.sweep."""
    from bench.sweep import run

    return run(t["runs"], t["seed"], dask=t["dask"], workers=t.get("workers"))


TASKS = {"kasvufee": _kasvufee, "rowwise": _rowwise, "duckdb": _duckdb, "w2": _w2,
         "w2-sweep": _w2_sweep, "w3-setup": _w3_setup, "w3": _w3}


def peak_mb() -> float | None:
    """This process's peak resident memory (``VmHWM``), in MB.

    ``VmHWM`` belongs to the memory map made at ``exec``; the ``ru_maxrss``
    a parent reads with ``wait4`` starts from the parent's own peak (Linux
    keeps the larger one across ``vfork`` + ``exec``), so it overstates a
    small child of a big parent.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def main() -> None:
    task = json.loads(sys.argv[1])
    result = TASKS[task["task"]](task)
    result["vm_hwm_mb"] = peak_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
