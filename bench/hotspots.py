"""Where kasvufee's W1 time goes, and what some engine changes would save.

    python -m bench.hotspots [--clients 300000] [--repeat 3] [--whatif]

1. **Phases**: one W1 run per scheme (read the Parquet file, evaluate) under
   ``cProfile``; the cumulative time of each stage of the pipeline.  polars
   does its work inside the calls kasvufee makes, so a stage's time is the
   time of its polars operations.
2. **What if** (``--whatif``): the same evaluation with its input reduced the
   way a scheme-aware engine would reduce it itself, measured from the
   outside (the ledger must stay equal):

   - *project*: read only the columns the scheme reads (core columns,
     ``risk_class`` …) instead of all 26;
   - *prune*: evaluate only the event types the scheme reads (its triggers,
     ``enrolled``, ``employment_ended``, ``event_voided``) — what a
     type filter before ``prepare``'s sort would do;
   - *once-per fast path*: ``_once_per`` (five window expressions) against a
     sort + first-per-key over the same candidates, for schemes without a
     provisional component;
   - *memory*: the peak resident memory of a fresh process running W1 as is,
     and with the input projected and pruned.

Best of ``--repeat`` runs in one warm process; run on a quiet machine.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

import kasvufee
from bench.compare import compare
from bench.generate import ensure
from bench.peers.duck import READS

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2018, 12, 31)
SCHEMES = list(READS)
CORE = ["event_id", "type", "provider_id", "client_id", "occurred_on", "recorded_at"]
# (label, file, function) of the pipeline's stages, in order
STAGES = [
    ("read: pl.read_parquet + dtype checks", "events/_parquet.py", "read_parquet"),
    ("read: clean_text (blanks, empty cells)", "events/_canon.py", "clean_text"),
    ("read: canonicalise (parse, duplicates)", "events/_canon.py", "canonicalise"),
    ("evaluate: prepare (known, voids, sort)", "engine/prepare.py", "prepare"),
    ("evaluate: component kinds", "engine/evaluate.py", "<listcomp>"),
    ("  of which client join (first enrolled)", "engine/prepare.py", "first"),
    ("  of which _start (trigger rows, join)", "engine/event_fee.py", "_start"),
    ("  of which _lasts (duration)", "engine/event_fee.py", "_lasts"),
    ("  of which _window", "engine/event_fee.py", "_window"),
    ("  of which _accumulate (running sum)", "engine/event_fee.py", "_accumulate"),
    ("  of which price (amount forms)", "engine/amounts.py", "price"),
    ("  of which finish (cast to schema)", "engine/frame.py", "finish"),
    ("evaluate: _once_per (window functions)", "engine/evaluate.py", "_once_per"),
    ("evaluate: apply_caps", "engine/caps.py", "apply_caps"),
    ("evaluate: _entries (explanations, ids)", "engine/evaluate.py", "_entries"),
    ("  of which _entry_ids (SHA-256 per entry)", "engine/evaluate.py", "_entry_ids"),
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
        events = kasvufee.read_events(path)
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


def _first_per_key(cand: pl.DataFrame) -> pl.DataFrame:
    """Once-per without provisional rows: sort once, keep the first live row per key."""
    from kasvufee.engine.evaluate import EARNING_ORDER

    cand = cand.sort(EARNING_ORDER, nulls_last=True)
    live = pl.col("key").is_not_null() & pl.col("held").is_null()
    first = pl.struct("component", "key", live.alias("live")).is_first_distinct()
    return cand.with_columns(pl.when(live & ~first).then(pl.lit("already earned"))
                             .otherwise(pl.col("held")).alias("held"))


def whatif(parquet: Path, scheme_id: str, repeat: int) -> dict[str, Any]:
    from kasvufee.engine import evaluate as ev_mod
    from kasvufee.engine.prepare import prepare

    scheme = kasvufee.load_scheme(ROOT / "examples" / scheme_id / "scheme.yaml")
    types, attrs = READS[scheme_id]
    columns = [*CORE, *dict.fromkeys([*attrs, "voids"])]
    t_read, events = best(lambda: kasvufee.read_events(parquet), repeat)
    with tempfile.TemporaryDirectory() as tmp:
        narrow = Path(tmp) / "narrow.parquet"
        pl.read_parquet(parquet, columns=columns).write_parquet(narrow)
        t_read_narrow, narrow_events = best(lambda: kasvufee.read_events(narrow), repeat)
    t_eval, full = best(lambda: kasvufee.evaluate(scheme, events, AS_OF), repeat)
    wanted = ["enrolled", "event_voided", *types]
    pruned = narrow_events.filter(pl.col("type").is_in(wanted))
    t_eval_pruned, small = best(lambda: kasvufee.evaluate(scheme, pruned, AS_OF), repeat)
    t_prune, _ = best(lambda: narrow_events.filter(pl.col("type").is_in(wanted)), repeat)
    same = compare(full.frame, small.frame)
    # once-per on the candidates of the full run
    p = prepare(events, AS_OF, scheme.attributes)
    frames = [ev_mod._in_force(ev_mod.KINDS[type(c)](c, v, p), scheme, i, c.id)
              for i, v in enumerate(scheme.versions) for c in v.components]
    order = {c.id: n for v in scheme.versions for n, c in enumerate(v.components)}
    cand = pl.concat(frames).with_columns(
        pl.col("component").replace_strict(order, return_dtype=pl.Int64).alias("component_no"))
    t_once, a = best(lambda: ev_mod._once_per(cand), repeat)
    t_fast, b = best(lambda: _first_per_key(cand), repeat)
    held_same = (a.filter(pl.col("held").is_null()).height
                 == b.filter(pl.col("held").is_null()).height)
    return {"read_all_columns": t_read, "read_projected": t_read_narrow,
            "evaluate": t_eval, "evaluate_pruned": t_eval_pruned, "prune_cost": t_prune,
            "events": events.height, "pruned_events": pruned.height,
            "ledger_equal": same["equal"] and same.get("event_ids_equal", False),
            "candidates": cand.height, "once_per": t_once, "once_per_fast": t_fast,
            "once_per_same_payers": held_same}


_MEMORY = """
import datetime as dt, sys, polars as pl, kasvufee
from pathlib import Path
scheme = kasvufee.load_scheme(sys.argv[1])
events = kasvufee.read_events(sys.argv[2])
types = sys.argv[3].split(",") if len(sys.argv) > 3 else None
if types:
    events = events.filter(pl.col("type").is_in(types))
kasvufee.evaluate(scheme, events, dt.date(2018, 12, 31))
status = Path("/proc/self/status").read_text()
print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


def memory_whatif(parquet: Path, scheme_id: str) -> dict[str, int]:
    """Peak memory (MB, a fresh process each) of W1 as is, and with the input
    projected to the scheme's columns and pruned to its event types."""
    import subprocess
    import sys

    types, attrs = READS[scheme_id]
    scheme = str(ROOT / "examples" / scheme_id / "scheme.yaml")

    def peak(*args: str) -> int:
        done = subprocess.run([sys.executable, "-c", _MEMORY, scheme, *args], check=True,
                              capture_output=True, text=True)
        return int(done.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory() as tmp:
        narrow = Path(tmp) / "narrow.parquet"
        pl.read_parquet(parquet, columns=[*CORE, *dict.fromkeys([*attrs, "voids"])]
                        ).write_parquet(narrow)
        return {"peak_mb": peak(str(parquet)),
                "peak_mb_projected_pruned": peak(str(narrow), ",".join(
                    ["enrolled", "event_voided", *types]))}


def main() -> None:
    ap = argparse.ArgumentParser(description="kasvufee W1 hot spots")
    ap.add_argument("--clients", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--schemes", default=",".join(SCHEMES))
    ap.add_argument("--whatif", action="store_true")
    args = ap.parse_args()
    folder = ROOT / "bench" / ".data" / f"clients-{args.clients}-seed-{args.seed}"
    parquet, _ = ensure(folder, args.clients, args.seed)
    schemes = args.schemes.split(",")
    table = {s: phases(parquet, s, args.repeat) for s in schemes}
    labels = ["total", "read_events", "evaluate", *[x[0] for x in STAGES]]
    width = max(len(x) for x in labels)
    print(f"{'stage (s, best of ' + str(args.repeat) + ')':<{width}}  "
          + "  ".join(f"{s[:12]:>12}" for s in schemes))
    for label in labels:
        print(f"{label:<{width}}  " + "  ".join(f"{table[s][label]:>12.2f}" for s in schemes))
    if args.whatif:
        for s in schemes:
            w = whatif(parquet, s, args.repeat) | memory_whatif(parquet, s)
            print(f"\n{s}: " + ", ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in w.items()))


if __name__ == "__main__":
    main()
