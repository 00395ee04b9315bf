"""kasvufee's benchmark suite (issue 5): a seeded data generator, independent
baselines (row-by-row Python, DuckDB SQL) and a runner.

    python -m bench.run [--scale 0.01] [--workloads W1,W2,W3] [--out results.json]

See ``docs/performance.md``.
"""
