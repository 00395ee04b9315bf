"""The benchmark runner: workloads W1, W2, W3 and the W1 scaling series.

    python -m bench.run [--scale 0.01] [--workloads W1,command,W2,W3,scaling]
        [--shapes typed,text,unread,held,wide] [--out results.json]

- **W1** national payout year: ``300 000 x scale`` clients (about 10 events
  each) evaluated as of 2018-12-31 under varsinais-suomi,
  yrittajasta-tyonantajaksi and satakunta-kokosata, from Parquet and from
  CSV; kasvufee against the row-by-row Python baseline (``bench/baseline.py``)
  and the DuckDB SQL peer (``bench/peers/``).
- **scaling**: W1 (Parquet, kasvufee and DuckDB) at 1/8, 1/4, 1/2, 1 and 2
  times the size.
- **W2** scheme comparison sweep: ``1 000 x scale`` populations of 10 000
  clients, varsinais-suomi and satakunta-kokosata.
- **command**: the whole command a user runs, ``kasvufee run SCHEME EVENTS
  --as-of 2018-12-31 --format parquet --out ledger.parquet`` (a process from
  start-up to the last byte written), beside the library call
  (``read_events`` + ``evaluate``) and a whole-process DuckDB peer
  (``python -m bench.peers.duck``, writing Parquet), on each ``--shapes``
  data shape (``bench.generate.reshape``).
- **W3** monthly post: December posted into a SQLite ledger that already
  holds January … November (varsinais-suomi).

Every measurement runs in a fresh ``python -m bench.worker`` process; its
peak memory is that process's peak resident set size (``VmHWM``, reported by
the worker; ``ru_maxrss`` from ``os.wait4`` is kept as ``maxrss_mb`` but it
starts from the runner's own peak, which a child inherits across vfork + exec).

Every ledger is compared line by line (component, provider, client,
earned_on, amount, and the events named) with the baselines': a mismatch
fails the run (exit status 1) after the results are written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from bench import compare
from bench.generate import SHAPES, ensure

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
SCHEMES = ["varsinais-suomi", "yrittajasta-tyonantajaksi", "satakunta-kokosata"]
W2_SCHEMES = ["varsinais-suomi", "satakunta-kokosata"]
W3_SCHEME = "varsinais-suomi"
AS_OF = "2018-12-31"
YEAR = 2018
FULL_CLIENTS = 300_000
FULL_POPULATIONS = 1_000
W2_CLIENTS = 10_000
SCALING = [0.125, 0.25, 0.5, 1.0, 2.0]
# the library call's targets (DESIGN.md), then the whole command's, W2's and W3's (issue 12)
TARGETS = {"events_per_s": 3_000_000, "peak_mb": 2048, "vs_duckdb": 1 / 1.5, "vs_rowwise": 20,
           "command_vs_duckdb": 1.0, "command_peak_mb": 1500,
           "w2_client_evaluations_per_s": 1_000_000, "w3_s": 3}

console = Console(stderr=True)


# ------------------------------------------------------------------ machine, processes


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "src_changed": bool(_git("status", "--porcelain", "--", "src")),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_gb": ram_gb, "os": platform.platform(), "python": platform.python_version(),
        "polars": pl.__version__, "duckdb": version("duckdb"), "pyarrow": version("pyarrow"),
        "kasvufee": version("kasvufee"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def measure(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task in a fresh process; its result with ``peak_mb`` and ``process_s``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bench.worker", json.dumps(task)],
                                cwd=ROOT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"{task['task']} failed ({proc.returncode}):\n{err.read()[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    # ru_maxrss (Linux: kilobytes) counts from this parent's own peak, which the
    # child inherits across vfork + exec; the child's VmHWM does not (see worker)
    result["maxrss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["peak_mb"] = result.get("vm_hwm_mb") or result["maxrss_mb"]
    result["process_s"] = round(wall, 3)
    return result


TIME = Path("/usr/bin/time")


def measure_command(argv: list[str]) -> dict[str, Any]:
    """Run a whole command; its wall time (``total_s``) and peak memory (``peak_mb``).

    The peak is GNU time's ``%M`` for the command alone where ``/usr/bin/time``
    exists (the ``ru_maxrss`` of ``wait4`` would start from this runner's peak)."""
    with tempfile.TemporaryDirectory(prefix="kasvufee-cmd-") as tmp:
        peak_file = Path(tmp) / "peak"
        timed = [str(TIME), "-f", "%M", "-o", str(peak_file), *argv] if TIME.exists() else argv
        with (Path(tmp) / "err").open("w+") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(timed, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            if proc.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"{' '.join(argv)} failed:\n{err.read()[-3000:]}")
        kb = int(peak_file.read_text().split()[-1]) if TIME.exists() else usage.ru_maxrss
    return {"total_s": round(wall, 3), "peak_mb": round(kb / 1024, 1)}


def interleaved(tasks: dict[str, tuple[dict[str, Any], int]]) -> dict[str, dict[str, Any]]:
    """Run the tasks in rounds (A B C, A B C, …) so that each tool meets the
    same load from the rest of the machine; per task: best, median, peak.
    A task's first run writes its ledger (``out``); later runs do not."""
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in tasks}
    for i in range(max(times for _, times in tasks.values())):
        for label, (task, times) in tasks.items():
            if i >= times:
                continue
            run = measure(task if i == 0 else {**task, "out": None})
            runs[label].append(run)
            console.log(f"{label}: {run['total_s']:.2f} s, {run['peak_mb']:.0f} MB")
    return {label: _summary(done) for label, done in runs.items()}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best run's figures, every time, the best and median time, the highest peak."""
    totals = [r["total_s"] for r in runs]
    return {**min(runs, key=lambda r: r["total_s"]), "times_s": [round(x, 3) for x in totals],
            "best_s": min(totals), "median_s": statistics.median(totals),
            "peak_mb": max(r["peak_mb"] for r in runs)}


def dataset(clients: int, seed: int, shape: str = "typed") -> tuple[Path, Path]:
    folder = DATA / (f"clients-{clients}-seed-{seed}"
                     + ("" if shape == "typed" else f"-{shape}"))
    t0 = time.perf_counter()
    paths = ensure(folder, clients, seed, shape)
    console.log(f"data: {clients} clients ({shape}) in {folder} "
                f"({time.perf_counter() - t0:.1f} s)")
    return paths


# ------------------------------------------------------------------ workloads


def w1(args: argparse.Namespace, outdir: Path, checks: list[dict[str, Any]]) -> dict[str, Any]:
    clients = max(100, round(FULL_CLIENTS * args.scale))
    parquet, csv = dataset(clients, args.seed)
    inputs = {"parquet": parquet, "csv": csv}
    events = pl.scan_parquet(parquet).select(pl.len()).collect().item()
    runs = []
    for scheme in args.schemes:
        for fmt, path in inputs.items():
            base = {"scheme": scheme, "events": str(path), "as_of": AS_OF}
            ledgers = {}
            row: dict[str, Any] = {"scheme": scheme, "input": fmt, "events": events}
            tasks = {}
            for tool, times in (("kasvufee", args.repeat), ("duckdb", args.repeat),
                                ("rowwise", args.baseline_repeat)):
                out = outdir / f"w1-{clients}-{scheme}-{fmt}-{tool}.parquet"
                task = {**base, "task": tool, "out": str(out)}
                if tool == "duckdb":
                    task["threads"] = args.threads
                tasks[tool] = (task, times)
                ledgers[tool] = out
            done = interleaved({f"W1 {scheme} {fmt} {tool}": t for tool, t in tasks.items()})
            for tool in tasks:
                row[tool] = done[f"W1 {scheme} {fmt} {tool}"]
            k = row["kasvufee"]["best_s"]
            row["events_per_s"] = events / k
            row["duckdb_ratio"] = row["duckdb"]["best_s"] / k
            row["rowwise_ratio"] = row["rowwise"]["best_s"] / k
            for other in ("rowwise", "duckdb"):
                checks.append(_check(f"W1 {scheme} {fmt}", "kasvufee", other,
                                     ledgers["kasvufee"], ledgers[other]))
            runs.append(row)
        checks.append(_check(f"W1 {scheme}", "kasvufee parquet", "kasvufee csv",
                             outdir / f"w1-{clients}-{scheme}-parquet-kasvufee.parquet",
                             outdir / f"w1-{clients}-{scheme}-csv-kasvufee.parquet"))
    return {"clients": clients, "events": events, "as_of": AS_OF, "runs": runs}


def command(args: argparse.Namespace, outdir: Path, checks: list[dict[str, Any]]
            ) -> dict[str, Any]:
    """The whole `kasvufee run` process beside the library call and the DuckDB process."""
    clients = max(100, round(FULL_CLIENTS * args.scale))
    kasvufee = Path(sys.executable).parent / "kasvufee"
    rows = []
    for shape in args.shapes:
        parquet, _ = dataset(clients, args.seed, shape)
        events = pl.scan_parquet(parquet).select(pl.len()).collect().item()
        for scheme in args.schemes:
            label = f"command {shape} {scheme}"
            outs = {tool: outdir / f"command-{clients}-{shape}-{scheme}-{tool}.parquet"
                    for tool in ("kasvufee", "duckdb", "library")}
            argv = {"kasvufee": [str(kasvufee), "run", str(ROOT / "examples" / scheme /
                                                           "scheme.yaml"), str(parquet),
                                 "--as-of", AS_OF, "--format", "parquet",
                                 "--out", str(outs["kasvufee"])],
                    "duckdb": [sys.executable, "-m", "bench.peers.duck", scheme, str(parquet),
                               AS_OF, str(outs["duckdb"])]}
            runs: dict[str, list[dict[str, Any]]] = {"kasvufee": [], "duckdb": []}
            for _ in range(args.repeat):  # alternately, as in interleaved
                for tool, cmd in argv.items():
                    runs[tool].append(measure_command(cmd))
                    console.log(f"{label} {tool}: {runs[tool][-1]['total_s']:.2f} s, "
                                f"{runs[tool][-1]['peak_mb']:.0f} MB")
            library = interleaved({f"{label} library": (
                {"task": "kasvufee", "scheme": scheme, "events": str(parquet), "as_of": AS_OF,
                 "out": str(outs["library"])}, args.repeat)})[f"{label} library"]
            written = outs["kasvufee"].with_name(outs["kasvufee"].stem + "-cents.parquet")
            compare.write(compare.in_cents(pl.read_parquet(outs["kasvufee"])), written)
            for tool in ("duckdb", "library"):
                checks.append(_check(label, "kasvufee run", tool, written, outs[tool]))
            k, d = _summary(runs["kasvufee"]), _summary(runs["duckdb"])
            rows.append({"shape": shape, "scheme": scheme, "events": events,
                         "entries": library["entries"], "held": library["held"],
                         "kasvufee": k, "duckdb": d, "library": library,
                         "events_per_s": events / k["best_s"],
                         "duckdb_ratio": d["best_s"] / k["best_s"],
                         "ledger_mb": round(outs["kasvufee"].stat().st_size / 1e6, 1)})
    return {"clients": clients, "as_of": AS_OF, "rows": rows}


def scaling(args: argparse.Namespace, outdir: Path, checks: list[dict[str, Any]]
            ) -> dict[str, Any]:
    base_clients = max(100, round(FULL_CLIENTS * args.scale))
    rows = []
    for factor in SCALING:
        clients = max(100, round(base_clients * factor))
        parquet, _ = dataset(clients, args.seed)
        events = pl.scan_parquet(parquet).select(pl.len()).collect().item()
        for scheme in args.schemes:
            task = {"task": "kasvufee", "scheme": scheme, "events": str(parquet), "as_of": AS_OF}
            out_k = outdir / f"scaling-{clients}-{scheme}-kasvufee.parquet"
            out_d = outdir / f"scaling-{clients}-{scheme}-duckdb.parquet"
            label = f"scaling x{factor} {scheme}"
            done = interleaved({
                f"{label} kasvufee": ({**task, "out": str(out_k)}, args.repeat),
                f"{label} duckdb": ({**task, "task": "duckdb", "threads": args.threads,
                                     "out": str(out_d)}, args.repeat)})
            k, d = done[f"{label} kasvufee"], done[f"{label} duckdb"]
            checks.append(_check(f"scaling x{factor} {scheme}", "kasvufee", "duckdb", out_k,
                                 out_d))
            rows.append({"factor": factor, "clients": clients, "events": events,
                         "scheme": scheme, "kasvufee": k, "duckdb": d,
                         "events_per_s": events / k["best_s"],
                         "duckdb_ratio": d["best_s"] / k["best_s"]})
    return {"rows": rows}


def w2(args: argparse.Namespace, outdir: Path, checks: list[dict[str, Any]]) -> dict[str, Any]:
    populations = args.w2_populations or max(1, round(FULL_POPULATIONS * args.scale))
    # one population checked against both baselines, and the end-to-end ratio on it
    parquet, _ = dataset(W2_CLIENTS, args.seed + 1)
    sample: dict[str, Any] = {}
    for scheme in W2_SCHEMES:
        base = {"scheme": scheme, "events": str(parquet), "as_of": AS_OF}
        outs = {}
        tasks = {}
        for tool in ("kasvufee", "duckdb", "rowwise"):
            outs[tool] = outdir / f"w2-{W2_CLIENTS}-{scheme}-{tool}.parquet"
            task = {**base, "task": tool, "out": str(outs[tool])}
            if tool == "duckdb":
                task["threads"] = args.threads
            tasks[f"W2 sample {scheme} {tool}"] = (
                task, args.repeat if tool != "rowwise" else args.baseline_repeat)
        for label, result in interleaved(tasks).items():
            sample[label.removeprefix("W2 sample ")] = result
        for other in ("rowwise", "duckdb"):
            checks.append(_check(f"W2 sample {scheme}", "kasvufee", other, outs["kasvufee"],
                                 outs[other]))
    # the sweep: populations generated in the worker (untimed), read, evaluated
    chunk = max(1, args.w2_chunk)
    parts = []
    done = 0
    while done < populations:
        n = min(chunk, populations - done)
        parts.append(measure({"task": "w2", "populations": n, "clients": W2_CLIENTS,
                              "seed": args.seed + 1000 + done, "schemes": W2_SCHEMES,
                              "as_of": AS_OF, "batch": max(1, args.w2_batch)}))
        done += n
        console.log(f"W2: {done}/{populations} populations, "
                    f"{sum(p['evaluate_s'] for p in parts):.1f} s evaluating")
    evaluate_s = sum(p["evaluate_s"] for p in parts)
    read_s = sum(p["read_s"] for p in parts)
    evaluations = populations * W2_CLIENTS * len(W2_SCHEMES)
    # the same kind of sweep as a user runs it: kasvufee compare on the example
    # client mix, in batches, in one process and on a local Dask cluster
    sweep_runs = max(2, round(args.w2_sweep_runs * args.scale))
    sweeps = {}
    for dask in (False, True):
        sweeps["dask" if dask else "in_process"] = measure(
            {"task": "w2-sweep", "runs": sweep_runs, "seed": args.seed, "dask": dask,
             "workers": os.cpu_count() if dask else None})
        console.log(f"W2 sweep ({'Dask' if dask else 'one process'}): {sweep_runs} runs, "
                    f"{sweeps['dask' if dask else 'in_process']['total_s']:.1f} s")
    same = sweeps["in_process"]["figures_sha256"] == sweeps["dask"]["figures_sha256"]
    checks.append({"what": f"W2 sweep of {sweep_runs} runs", "first": "one process",
                   "second": "Dask", "ok": same, "equal": same})
    per_pop = [x for p in parts for x in p["evaluate_per_population_s"]]
    same_batched = all(p["batched_equals_apart"] for p in parts)
    checks.append({"what": f"W2 populations in batches of {parts[0]['batch']}",
                   "first": "one table", "second": "one per population", "ok": same_batched,
                   "equal": same_batched})
    return {
        "populations": populations, "clients": W2_CLIENTS, "schemes": W2_SCHEMES,
        "events": sum(p["events"] for p in parts), "evaluate_s": evaluate_s, "read_s": read_s,
        "client_evaluations": evaluations,
        "client_evaluations_per_s": evaluations / evaluate_s,
        "client_evaluations_per_s_with_reading": evaluations / (evaluate_s + read_s),
        "batch": parts[0]["batch"],
        "median_population_s": statistics.median(per_pop),
        "per_population_client_evaluations_per_s":
            len(per_pop) * W2_CLIENTS * len(W2_SCHEMES) / sum(per_pop),
        "full_sweep_estimate_s": evaluate_s / populations * FULL_POPULATIONS,
        "peak_mb": max(p["peak_mb"] for p in parts), "sample": sample, "sweep": sweeps,
    }


def w3(args: argparse.Namespace, outdir: Path, checks: list[dict[str, Any]]) -> dict[str, Any]:
    clients = max(100, round(FULL_CLIENTS * args.scale))
    parquet, _ = dataset(clients, args.seed)
    # built by this version of kasvufee (entry ids and amounts must be its own)
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    prepared = parquet.parent / f"w3-{W3_SCHEME}-eleven-months-{commit}.sqlite"
    setup: dict[str, Any] | None = None
    if not prepared.exists():
        console.log(f"W3: posting January … November into {prepared} (once)")
        partial = prepared.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        setup = measure({"task": "w3-setup", "scheme": W3_SCHEME, "events": str(parquet),
                         "ledger": str(partial), "year": YEAR})
        partial.rename(prepared)
        console.log(f"W3 setup: {setup['total_s']:.1f} s")
    end_nov = dt.datetime(YEAR, 12, 1)
    end_dec = dt.datetime(YEAR + 1, 1, 1)
    recorded = pl.coalesce(pl.col("recorded_at").cast(pl.Datetime("us")),
                           pl.col("occurred_on").cast(pl.Datetime("us")))
    counts = pl.scan_parquet(parquet).select(
        (recorded < end_dec).sum().alias("known"),
        ((recorded >= end_nov) & (recorded < end_dec)).sum().alias("new")).collect().row(0)
    runs = []
    out = outdir / f"w3-{clients}-{W3_SCHEME}-posted.parquet"
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="kasvufee-w3-") as tmp:
            ledger = Path(tmp) / "ledger.sqlite"
            shutil.copyfile(prepared, ledger)
            run = measure({"task": "w3", "scheme": W3_SCHEME, "events": str(parquet),
                           "ledger": str(ledger), "period": f"{YEAR}-12", "year": YEAR,
                           "out": str(out) if i == 0 else None})
        console.log(f"W3 post December: {run['total_s']:.2f} s, {run['peak_mb']:.0f} MB")
        runs.append(run)
    reference = outdir / f"w1-{clients}-{W3_SCHEME}-parquet-rowwise.parquet"
    if not reference.exists():
        measure({"task": "rowwise", "scheme": W3_SCHEME, "events": str(parquet), "as_of": AS_OF,
                 "out": str(reference)})
    checks.append(_check("W3 posted ledger", "kasvufee posted", "rowwise", out, reference))
    return {"clients": clients, "events_known": counts[0], "new_events_in_month": counts[1],
            "scheme": W3_SCHEME, "setup": setup, **_summary(runs)}


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def _check(what: str, first: str, second: str, a: Path, b: Path) -> dict[str, Any]:
    result = compare.compare(pl.read_parquet(a), pl.read_parquet(b))
    ok = result["equal"] and result.get("event_ids_equal", False)
    if not ok:
        console.log(f"[red]MISMATCH {what}: {first} vs {second}: {result}")
    return {"what": what, "first": first, "second": second, "ok": ok, **result}


# ------------------------------------------------------------------ report


def _s(x: float) -> str:
    return f"{x:.2f}"


def _rate(x: float) -> str:
    return f"{x / 1e6:.2f} M"


def report(results: dict[str, Any]) -> None:
    out = Console(width=180)
    m = results["machine"]
    out.print(f"[bold]Machine:[/] {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, "
              f"Python {m['python']}, polars {m['polars']}, duckdb {m['duckdb']}; kasvufee at "
              f"{m['commit']}{' (src changed)' if m['src_changed'] else ''}")
    wl = results["workloads"]
    if "W1" in wl:
        w = wl["W1"]
        t = Table(title=f"W1 national payout year: {w['clients']} clients, {w['events']} events "
                        f"(best of {results['args']['repeat']}; seconds end to end)")
        for col in ("scheme", "input", "kasvufee s", "events/s", "peak MB", "read s", "eval s",
                    "DuckDB s", "DuckDB/kasvufee", "row-by-row s", "row/kasvufee", "entries"):
            t.add_column(col, justify="left" if col in ("scheme", "input") else "right")
        for r in w["runs"]:
            k = r["kasvufee"]
            t.add_row(r["scheme"], r["input"], _s(k["best_s"]), _rate(r["events_per_s"]),
                      f"{k['peak_mb']:.0f}", _s(k["read_s"]), _s(k["evaluate_s"]),
                      _s(r["duckdb"]["best_s"]), f"{r['duckdb_ratio']:.2f}x",
                      _s(r["rowwise"]["best_s"]), f"{r['rowwise_ratio']:.1f}x",
                      str(k["entries"]))
        out.print(t)
    if "command" in wl:
        t = Table(title=f"The whole command: {wl['command']['clients']} clients (best of "
                        f"{results['args']['repeat']}; seconds, process start to exit)")
        for col in ("shape", "scheme", "events", "kasvufee run s", "peak MB", "library s",
                    "DuckDB process s", "DuckDB peak MB", "DuckDB/kasvufee"):
            t.add_column(col, justify="left" if col in ("shape", "scheme") else "right")
        for r in wl["command"]["rows"]:
            t.add_row(r["shape"], r["scheme"], str(r["events"]), _s(r["kasvufee"]["best_s"]),
                      f"{r['kasvufee']['peak_mb']:.0f}", _s(r["library"]["best_s"]),
                      _s(r["duckdb"]["best_s"]), f"{r['duckdb']['peak_mb']:.0f}",
                      f"{r['duckdb_ratio']:.2f}x")
        out.print(t)
    if "scaling" in wl:
        t = Table(title="W1 scaling (Parquet, kasvufee, best of runs)")
        for col in ("x", "clients", "events", "scheme", "kasvufee s", "events/s", "peak MB",
                    "DuckDB s", "DuckDB peak MB"):
            t.add_column(col, justify="right")
        for r in wl["scaling"]["rows"]:
            t.add_row(str(r["factor"]), str(r["clients"]), str(r["events"]), r["scheme"],
                      _s(r["kasvufee"]["best_s"]), _rate(r["events_per_s"]),
                      f"{r['kasvufee']['peak_mb']:.0f}", _s(r["duckdb"]["best_s"]),
                      f"{r['duckdb']['peak_mb']:.0f}")
        out.print(t)
    if "W2" in wl:
        w = wl["W2"]
        out.print(f"[bold]W2[/] {w['populations']} populations x {w['clients']} clients x "
                  f"{len(w['schemes'])} schemes: evaluate {w['evaluate_s']:.1f} s → "
                  f"{w['client_evaluations_per_s'] / 1e6:.3f} M client evaluations/s "
                  f"({w['client_evaluations_per_s_with_reading'] / 1e6:.3f} M with reading); "
                  f"in batches of {w['batch']} populations as one table; one population "
                  f"at a time {w['per_population_client_evaluations_per_s'] / 1e6:.3f} M/s, "
                  f"median {w['median_population_s']:.3f} s per population; full sweep of "
                  f"{FULL_POPULATIONS} ≈ {w['full_sweep_estimate_s']:.0f} s; peak "
                  f"{w['peak_mb']:.0f} MB")
        for how, r in w.get("sweep", {}).items():
            out.print(f"   kasvufee compare sweep ({how.replace('_', ' ')}): {r['runs']} "
                      f"populations incl. generating them, {r['total_s']:.1f} s → "
                      f"{r['client_evaluations_per_s'] / 1e6:.3f} M client evaluations/s, "
                      f"peak {r['peak_mb']:.0f} MB")
    if "W3" in wl:
        w = wl["W3"]
        out.print(f"[bold]W3[/] post December ({w['new_events_in_month']} new events, "
                  f"{w['events_known']} known) into a SQLite ledger with eleven months: "
                  f"best {w['best_s']:.2f} s (read {w['read_s']:.2f} s, post {w['post_s']:.2f} s),"
                  f" median {w['median_s']:.2f} s, peak {w['peak_mb']:.0f} MB; "
                  f"{w['earned']} entries added")
    bad = [c for c in results["checks"] if not c["ok"]]
    out.print(f"[bold]Equality checks:[/] {len(results['checks']) - len(bad)} of "
              f"{len(results['checks'])} agree line by line"
              + ("" if not bad else " — [red]MISMATCH: " + "; ".join(
                  f"{c['what']} {c['first']} vs {c['second']}" for c in bad)))
    for line in results["targets"]:
        out.print(f"  target {line['target']}: {line['measured']} — "
                  + ("[green]met" if line["met"] else "[red]not met"))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    wl = results["workloads"]
    out = []
    if "W1" in wl:
        for r in wl["W1"]["runs"]:
            if r["input"] != "parquet":
                continue
            s = r["scheme"]
            out += [
                {"target": f"W1 {s} ≥ 3 M events/s", "measured": _rate(r["events_per_s"]),
                 "met": r["events_per_s"] >= TARGETS["events_per_s"]},
                {"target": f"W1 {s} peak < 2 GB",
                 "measured": f"{r['kasvufee']['peak_mb']:.0f} MB",
                 "met": r["kasvufee"]["peak_mb"] < TARGETS["peak_mb"]},
                {"target": f"W1 {s} ≤ 1.5x DuckDB",
                 "measured": f"{1 / r['duckdb_ratio']:.2f}x DuckDB's time",
                 "met": r["duckdb_ratio"] >= TARGETS["vs_duckdb"]},
                {"target": f"W1 {s} ≥ 20x row-by-row",
                 "measured": f"{r['rowwise_ratio']:.1f}x",
                 "met": r["rowwise_ratio"] >= TARGETS["vs_rowwise"]},
            ]
    for r in wl.get("command", {}).get("rows", []):
        run = f"kasvufee run {r['scheme']} ({r['shape']})"
        out += [
            {"target": f"{run} ≤ {TARGETS['command_vs_duckdb']:.1f}x DuckDB process",
             "measured": f"{1 / r['duckdb_ratio']:.2f}x DuckDB's time",
             "met": 1 / r["duckdb_ratio"] <= TARGETS["command_vs_duckdb"]},
            {"target": f"{run} peak < {TARGETS['command_peak_mb'] / 1000:.1f} GB",
             "measured": f"{r['kasvufee']['peak_mb']:.0f} MB",
             "met": r["kasvufee"]["peak_mb"] < TARGETS["command_peak_mb"]},
        ]
    if "W2" in wl:
        w = wl["W2"]["client_evaluations_per_s"]
        out.append({"target": f"W2 ≥ {_rate(TARGETS['w2_client_evaluations_per_s'])} client "
                              "evaluations/s", "measured": _rate(w),
                    "met": w >= TARGETS["w2_client_evaluations_per_s"]})
    if "W3" in wl:
        b = wl["W3"]["best_s"]
        out.append({"target": f"W3 < {TARGETS['w3_s']} s", "measured": f"{b:.2f} s",
                    "met": b < TARGETS["w3_s"]})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="kasvufee benchmarks (docs/performance.md)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="fraction of the full size (300 000 clients, 1 000 populations)")
    ap.add_argument("--workloads", default="W1,command,scaling,W2,W3")
    ap.add_argument("--schemes", default=",".join(SCHEMES))
    ap.add_argument("--out", type=Path, default=Path("bench-results.json"))
    ap.add_argument("--repeat", type=int, default=3, help="runs of each kasvufee/DuckDB task")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="runs of the row-by-row task")
    ap.add_argument("--w2-populations", type=int, default=None,
                    help="populations in W2 (default 1 000 x scale)")
    ap.add_argument("--w2-chunk", type=int, default=50, help="W2 populations per process")
    ap.add_argument("--w2-batch", type=int, default=5,
                    help="W2 populations evaluated as one table (the population a key)")
    ap.add_argument("--w2-sweep-runs", type=int, default=100,
                    help="populations of the W2 compare sweep (times --scale)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--shapes", default="typed",
                    help=f"data shapes of the command workload, of {','.join(SHAPES)}")
    args = ap.parse_args(argv)
    args.schemes = [s for s in args.schemes.split(",") if s]
    args.shapes = [s for s in args.shapes.split(",") if s]
    if set(args.shapes) - set(SHAPES):
        ap.error(f"unknown shapes {sorted(set(args.shapes) - set(SHAPES))}")
    wanted = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = set(wanted) - {"W1", "W2", "W3", "scaling", "command"}
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)}")

    outdir = DATA / "ledgers"
    outdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "started": dt.datetime.now().isoformat(
        timespec="seconds"), "args": {k: (str(v) if isinstance(v, Path) else v)
                                      for k, v in vars(args).items()},
        "workloads": {}, "checks": []}
    checks: list[dict[str, Any]] = results["checks"]
    steps = {"W1": w1, "command": command, "scaling": scaling, "W2": w2, "W3": w3}
    for name in steps:
        if name in wanted:
            results["workloads"][name] = steps[name](args, outdir, checks)
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    results["machine"]["load_average_end"] = list(os.getloadavg())
    results["targets"] = targets(results)
    results["ok"] = all(c["ok"] for c in checks)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    report(results)
    console.log(f"results: {args.out}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
