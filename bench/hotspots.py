"""Where kasvufee's W1 time goes, and what some engine changes would save.

    python -m bench.hotspots [--clients 300000] [--repeat 3] [--whatif]

1. **Phases**: one W1 run per scheme (read the Parquet file, evaluate) under
   ``cProfile``; the cumulative time of each stage of the pipeline.  polars
   does its work inside the calls kasvufee makes, so a stage's time is the
   time of its polars operations.
2. **What if** (``--whatif``): W1 reading every column of the file against
   reading only the columns the scheme reads (``read_events(columns=
   event_columns(scheme))``, as ``bench.worker`` does): the read and evaluate
   times (the ledger must stay equal) and the peak resident memory of a fresh
   process each way.

3. **The whole command** (``--command``): ``kasvufee run SCHEME EVENTS
   --as-of 2018-12-31 --format parquet --out …`` in a fresh process under
   ``cProfile`` (best of ``--repeat`` processes): start-up (``import
   kasvufee.cli``), then the cumulative wall time of each stage of the
   command, reading, checking, evaluating, writing and the summaries.

Best of ``--repeat`` runs (phases: in one warm process); run on a quiet machine.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kasvufee
from bench.compare import compare
from bench.generate import ensure
from bench.peers.duck import READS
from kasvufee.scheme.prices import event_columns, event_types

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2018, 12, 31)
SCHEMES = list(READS)
# (label, file, function) of the pipeline's stages, in order
STAGES = [
    ("read: pl.read_parquet + dtype checks", "events/_parquet.py", "read_parquet"),
    ("read: clean_text (blanks, empty cells)", "events/_canon.py", "clean_text"),
    ("read: canonicalise (parse, duplicates)", "events/_canon.py", "canonicalise"),
    ("evaluate: prepare (known, voids, sort)", "engine/prepare.py", "prepare"),
    ("evaluate: component kinds", "engine/evaluate.py", "<genexpr>"),
    ("  of which client join (first enrolled)", "engine/prepare.py", "first"),
    ("  of which _start (trigger rows, join)", "engine/event_fee.py", "_start"),
    ("  of which _lasts (duration)", "engine/event_fee.py", "_lasts"),
    ("  of which _window", "engine/event_fee.py", "_window"),
    ("  of which _accumulate (running sum)", "engine/event_fee.py", "_accumulate"),
    ("  of which price (amount forms)", "engine/amounts.py", "price"),
    ("  of which finish (facts as lists, schema)", "engine/frame.py", "finish"),
    ("evaluate: _once_per (first per key)", "engine/evaluate.py", "_once_per"),
    ("evaluate: apply_caps", "engine/caps.py", "apply_caps"),
    ("evaluate: _entries (explanations, ids)", "engine/evaluate.py", "_entries"),
    ("  of which _entry_ids", "engine/evaluate.py", "_entry_ids"),
    ("evaluate: _held", "engine/evaluate.py", "_held"),
]


def best(f: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return min(times), result


def phases(path: Path, scheme_id: str, repeat: int) -> dict[str, float]:
    """Cumulative seconds per stage (the run with the best total)."""
    scheme = kasvufee.load_scheme(ROOT / "examples" / scheme_id / "scheme.yaml")
    best_total, best_stats = float("inf"), None
    for _ in range(repeat):
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        events = kasvufee.read_events(path, attribute_types=dict(scheme.attributes),
                                      columns=event_columns(scheme),
                                      event_types=event_types(scheme))
        t_read = time.perf_counter()
        kasvufee.evaluate(scheme, events, AS_OF)
        prof.disable()
        total = time.perf_counter() - t
        if total < best_total:
            best_total, best_stats = total, (pstats.Stats(prof), t_read - t)
    assert best_stats is not None
    stats, read_s = best_stats
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    out = {"total": best_total, "read_events": read_s, "evaluate": best_total - read_s}
    for label, file, func in STAGES:
        out[label] = sum(v[3] for (f, _, name), v in raw.items()
                         if f.endswith(file) and name == func)
    return out


def whatif(parquet: Path, scheme_id: str, repeat: int) -> dict[str, Any]:
    """Reading every column against the scheme's columns: times and equal ledgers."""
    scheme = kasvufee.load_scheme(ROOT / "examples" / scheme_id / "scheme.yaml")
    types = dict(scheme.attributes)
    t_all, every = best(lambda: kasvufee.read_events(parquet, attribute_types=types), repeat)
    t_some, some = best(lambda: kasvufee.read_events(
        parquet, attribute_types=types, columns=event_columns(scheme)), repeat)
    t_eval_all, a = best(lambda: kasvufee.evaluate(scheme, every, AS_OF), repeat)
    t_eval_some, b = best(lambda: kasvufee.evaluate(scheme, some, AS_OF), repeat)
    same = compare(a.frame, b.frame)
    return {"read_all_columns": t_all, "read_scheme_columns": t_some,
            "evaluate_all_columns": t_eval_all, "evaluate_scheme_columns": t_eval_some,
            "columns": f"{some.width} of {every.width}",
            "ledger_equal": same["equal"] and same.get("event_ids_equal", False)}


_MEMORY = """
import datetime as dt, sys, kasvufee
from pathlib import Path
from kasvufee.scheme.prices import event_columns
scheme = kasvufee.load_scheme(sys.argv[1])
columns = event_columns(scheme) if sys.argv[3] == "scheme" else None
events = kasvufee.read_events(sys.argv[2], attribute_types=dict(scheme.attributes), columns=columns)
kasvufee.evaluate(scheme, events, dt.date(2018, 12, 31))
status = Path("/proc/self/status").read_text()
print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


def memory_whatif(parquet: Path, scheme_id: str) -> dict[str, int]:
    """Peak memory (MB, a fresh process each) of W1 reading every column, and
    reading the scheme's columns."""
    import subprocess
    import sys

    scheme = str(ROOT / "examples" / scheme_id / "scheme.yaml")

    def peak(columns: str) -> int:
        done = subprocess.run([sys.executable, "-c", _MEMORY, scheme, str(parquet), columns],
                              check=True, capture_output=True, text=True)
        return int(done.stdout.strip().splitlines()[-1])

    return {"peak_mb_all_columns": peak("all"), "peak_mb_scheme_columns": peak("scheme")}


# (label, file, function) of the stages of the whole `kasvufee run` command
COMMAND_STAGES = [
    ("load and check the scheme", "kasvufee/scheme/load.py", "load_scheme"),
    ("read_events", "events/read.py", "read_events"),
    ("  of which pl.scan_parquet ... collect", "events/_parquet.py", "read_parquet"),
    ("  of which clean_text", "events/_canon.py", "clean_text"),
    ("  of which canonicalise (parse, checks)", "events/_canon.py", "canonicalise"),
    ("  of which check_limits", "events/_limits.py", "check_limits"),
    ("  of which the left-out events' ids", "events/_canon.py", "_left_out_ids"),
    ("unread coverage report", "report/coverage.py", "coverage"),
    ("evaluate", "engine/evaluate.py", "evaluate"),
    ("  of which prepare", "engine/prepare.py", "prepare"),
    ("  of which event fees (evaluate_event_fee)", "engine/event_fee.py", "evaluate_event_fee"),
    ("  of which _entries (ids, explanations)", "engine/evaluate.py", "_entries"),
    ("  of which _held", "engine/evaluate.py", "_held"),
    ("write the ledger (Parquet)", "report/export.py", "write_frame"),
    ("summary on stderr", "kasvufee/cli.py", "_summary"),
]

_COMMAND = """
import cProfile, json, pstats, sys, time
t0 = time.perf_counter()
import kasvufee.cli
imported = time.perf_counter() - t0
prof = cProfile.Profile()
t1 = time.perf_counter()
prof.enable()
try:
    kasvufee.cli.main(sys.argv[2:], standalone_mode=False)
finally:
    prof.disable()
total = time.perf_counter() - t1
raw = pstats.Stats(prof).stats
stages = {label: sum(v[3] for (f, _, name), v in raw.items() if f.endswith(file) and name == func)
          for label, file, func in json.loads(sys.argv[1])}
print(json.dumps({"start-up (import kasvufee.cli)": imported, "the command": total, **stages}))
"""


def command_profile(parquet: Path, scheme_id: str, repeat: int) -> dict[str, float]:
    """Seconds per stage of the whole ``kasvufee run`` (the process with the best total)."""
    import subprocess
    import sys
    import tempfile

    scheme = str(ROOT / "examples" / scheme_id / "scheme.yaml")
    best_run: dict[str, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["run", scheme, str(parquet), "--as-of", AS_OF.isoformat(), "--format",
                "parquet", "--out", str(Path(tmp) / "ledger.parquet")]
        for _ in range(repeat):
            t = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", _COMMAND, json.dumps(COMMAND_STAGES),
                                   *argv], check=True, capture_output=True, text=True)
            stages = {"process (start to exit)": time.perf_counter() - t,
                      **json.loads(done.stdout.strip().splitlines()[-1])}
            if best_run is None or stages["process (start to exit)"] < best_run[
                    "process (start to exit)"]:
                best_run = stages
    assert best_run is not None
    return best_run


def _print_table(table: dict[str, dict[str, float]], labels: list[str], repeat: int) -> None:
    schemes = list(table)
    width = max(len(x) for x in labels)
    print(f"{'stage (s, best of ' + str(repeat) + ')':<{width}}  "
          + "  ".join(f"{s[:12]:>12}" for s in schemes))
    for label in labels:
        print(f"{label:<{width}}  " + "  ".join(f"{table[s][label]:>12.2f}" for s in schemes))


def main() -> None:
    ap = argparse.ArgumentParser(description="kasvufee W1 hot spots")
    ap.add_argument("--clients", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--schemes", default=",".join(SCHEMES))
    ap.add_argument("--whatif", action="store_true")
    ap.add_argument("--command", action="store_true",
                    help="profile the whole `kasvufee run` process instead of the library call")
    args = ap.parse_args()
    folder = ROOT / "bench" / ".data" / f"clients-{args.clients}-seed-{args.seed}"
    parquet, _ = ensure(folder, args.clients, args.seed)
    schemes = args.schemes.split(",")
    if args.command:
        _print_table({s: command_profile(parquet, s, args.repeat) for s in schemes},
                     ["process (start to exit)", "start-up (import kasvufee.cli)",
                      "the command", *[x[0] for x in COMMAND_STAGES]], args.repeat)
        return
    _print_table({s: phases(parquet, s, args.repeat) for s in schemes},
                 ["total", "read_events", "evaluate", *[x[0] for x in STAGES]], args.repeat)
    if args.whatif:
        for s in schemes:
            w = whatif(parquet, s, args.repeat) | memory_whatif(parquet, s)
            print(f"\n{s}: " + ", ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in w.items()))


if __name__ == "__main__":
    main()
