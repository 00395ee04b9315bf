"""The tables of a results file as Markdown (for ``docs/performance.md``).

    python -m bench.markdown bench-results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(head: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(head))]
    return "\n".join([_row(head), _row(align), *(_row(r) for r in rows)])


def render(results: dict[str, Any]) -> str:
    out: list[str] = []
    m = results["machine"]
    out.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; "
               f"Python {m['python']}, polars {m['polars']}, pyarrow {m['pyarrow']}, "
               f"duckdb {m['duckdb']}; kasvufee at commit {m.get('commit')}"
               f"{' (with uncommitted changes in src/)' if m.get('src_changed') else ''}. "
               f"Load average at the start {m['load_average'][0]:.1f}, at the end "
               f"{m['load_average_end'][0]:.1f}. Run {results['started']} to "
               f"{results['finished']}.")
    wl = results["workloads"]
    repeat = results["args"]["repeat"]
    if "W1" in wl:
        w = wl["W1"]
        out.append(f"\n**W1**: {w['clients']:,} clients, {w['events']:,} events, as of "
                   f"{w['as_of']}; best of {repeat} runs (median in brackets), seconds end to "
                   "end in a fresh process; ratio = baseline time / kasvufee time.\n")
        rows = []
        for r in w["runs"]:
            k, d, b = r["kasvufee"], r["duckdb"], r["rowwise"]
            rows.append([r["scheme"], r["input"],
                         f"{k['best_s']:.2f} ({k['median_s']:.2f})",
                         f"{k['read_s']:.2f} + {k['evaluate_s']:.2f}",
                         f"{r['events_per_s'] / 1e6:.2f} M", f"{k['peak_mb']:,.0f}",
                         f"{d['best_s']:.2f} ({d['median_s']:.2f})", f"{r['duckdb_ratio']:.2f}",
                         f"{d['peak_mb']:,.0f}", f"{b['best_s']:.1f}",
                         f"{r['rowwise_ratio']:.1f}", f"{k['entries']:,}"])
        out.append(_table(["scheme", "input", "kasvufee s", "read + evaluate s", "events/s",
                           "peak MB", "DuckDB s", "DuckDB ratio", "DuckDB peak MB",
                           "row-by-row s", "row-by-row ratio", "entries"], rows, 2))
    if "command" in wl:
        w = wl["command"]
        out.append(f"\n**The whole command**: {w['clients']:,} clients, as of {w['as_of']}; best "
                   f"of {repeat} (median in brackets), seconds from process start to exit. "
                   "`kasvufee run … --format parquet --out ledger.parquet` beside the library "
                   "call (read + evaluate, in a fresh process) and the DuckDB SQL peer as a "
                   "process writing Parquet; kasvufee / DuckDB is the run's time over "
                   "DuckDB's (at most 1 is the target).\n")
        rows = []
        for r in w["rows"]:
            k, d, lib = r["kasvufee"], r["duckdb"], r["library"]
            rows.append([r["shape"], r["scheme"], f"{r['events']:,}",
                         f"{k['best_s']:.2f} ({k['median_s']:.2f})", f"{k['peak_mb']:,.0f}",
                         f"{lib['best_s']:.2f}", f"{d['best_s']:.2f} ({d['median_s']:.2f})",
                         f"{d['peak_mb']:,.0f}", f"{1 / r['duckdb_ratio']:.2f} \u00d7",
                         f"{r['events_per_s'] / 1e6:.2f} M", f"{r['entries']:,}",
                         f"{r['held']:,}", f"{r['ledger_mb']:.0f}"])
        out.append(_table(["shape", "scheme", "events", "kasvufee run s", "peak MB",
                           "library s", "DuckDB process s", "DuckDB peak MB",
                           "kasvufee / DuckDB", "events/s", "entries", "held", "ledger MB"],
                          rows, 2))
    if "scaling" in wl:
        out.append(f"\n**Scaling** (Parquet; best of {repeat}; kasvufee and DuckDB run "
                   "alternately):\n")
        rows = []
        for r in wl["scaling"]["rows"]:
            k, d = r["kasvufee"], r["duckdb"]
            rows.append([str(r["factor"]), f"{r['clients']:,}", f"{r['events']:,}",
                         r["scheme"], f"{k['best_s']:.2f}", f"{r['events_per_s'] / 1e6:.2f} M",
                         f"{k['peak_mb']:,.0f}", f"{d['best_s']:.2f}", f"{d['peak_mb']:,.0f}",
                         f"{r['duckdb_ratio']:.2f}"])
        out.append(_table(["size", "clients", "events", "scheme", "kasvufee s", "events/s",
                           "peak MB", "DuckDB s", "DuckDB peak MB", "DuckDB ratio"], rows, 4))
    if "W2" in wl:
        w = wl["W2"]
        out.append(f"\n**W2**: {w['populations']:,} populations of {w['clients']:,} clients "
                   f"({w['events']:,} events), schemes {', '.join(w['schemes'])}: evaluating "
                   f"in batches of {w['batch']} populations as one table (the population "
                   f"a key) took {w['evaluate_s']:.1f} s = "
                   f"{w['client_evaluations_per_s'] / 1e6:.3f} M client evaluations/s "
                   f"({w['client_evaluations_per_s_with_reading'] / 1e6:.3f} M including "
                   f"reading each population from Parquet); one population at a time (the "
                   f"first batch) "
                   f"{w['per_population_client_evaluations_per_s'] / 1e6:.3f} M/s, median "
                   f"{w['median_population_s']:.3f} s per population (both schemes); peak "
                   f"{w['peak_mb']:,.0f} MB.\n")
        rows = []
        for label, s in w["sample"].items():
            scheme, tool = label.rsplit(" ", 1)
            rows.append([scheme, tool, f"{s['best_s']:.3f}", f"{s['peak_mb']:,.0f}"])
        out.append(_table(["scheme (one population, from Parquet)", "tool", "best s",
                           "peak MB"], rows, 2))
        sweep = w.get("sweep") or {}
        if sweep:
            out.append("\nThe same kind of sweep as a user runs it (`kasvufee compare` on the "
                       "example client mix, 10 000 clients, generating the populations "
                       "included):\n")
            out.append(_table(
                ["where", "populations", "s", "client evaluations/s", "peak MB"],
                [[how.replace("_", " "), str(r["runs"]), f"{r['total_s']:.1f}",
                  f"{r['client_evaluations_per_s'] / 1e6:.3f} M", f"{r['peak_mb']:,.0f}"]
                 for how, r in sweep.items()], 1))
    if "W3" in wl:
        w = wl["W3"]
        setup = w.get("setup") or {}
        out.append(f"\n**W3**: December posted ({w['new_events_in_month']:,} events recorded in "
                   f"the month, {w['events_known']:,} known) into a SQLite ledger holding "
                   f"January-November ({w['stored_entries'] - w['earned'] - w['reversals']:,} "
                   f"entries): best {w['best_s']:.2f} s of {len(w['times_s'])} (median "
                   f"{w['median_s']:.2f} s): reading {w['read_s']:.2f} s, posting "
                   f"{w['post_s']:.2f} s; {w['earned']:,} entries and {w['reversals']:,} "
                   f"reversals added; peak {w['peak_mb']:,.0f} MB."
                   + (f" (Posting the eleven months beforehand took {setup['total_s']:.0f} s.)"
                      if setup else ""))
    checks = results["checks"]
    bad = [c for c in checks if not c["ok"]]
    out.append(f"\n**Equality checks**: {len(checks) - len(bad)} of {len(checks)} ledgers agree "
               "line by line (component, provider, client, earned_on, amount, events named)"
               + ("." if not bad else ": MISMATCH in " + "; ".join(c["what"] for c in bad)))
    out.append("\n**Targets**:\n")
    out.append(_table(["target", "measured", "met"],
                      [[t["target"], t["measured"], "yes" if t["met"] else "**no**"]
                       for t in results["targets"]], 3))
    return "\n".join(out) + "\n"


def main() -> None:
    print(render(json.loads(Path(sys.argv[1]).read_text())))


if __name__ == "__main__":
    main()
