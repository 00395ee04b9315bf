"""kasvufee's benchmark suite (issue 5); see ``docs/performance.md``.

    python -m bench.run [--scale 0.01] [--workloads W1,W2,W3,scaling] [--out results.json]

- ``generate``: the seeded generator of a year of client events (Parquet, CSV);
- ``baseline``: the three pilot schemes row by row in plain Python;
- ``peers/``: the same schemes hand-written as DuckDB SQL;
- ``compare``: ledgers compared line by line;
- ``run`` and ``worker``: the runner and the process that runs one measurement;
- ``markdown``: a results file as Markdown tables;
- ``hotspots``: where kasvufee's time goes, and measured what-ifs;
- ``agree``: agreement with the baselines at every month end.
"""
