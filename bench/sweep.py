"""W2 as a procurement officer runs it: ``kasvufee compare`` of the two W2 schemes on
simulated populations of the example client mix (10 000 clients each), priced in
batches by the library's own sweep, in this process or on a local Dask cluster.

    python -m bench.sweep [--runs 40] [--dask] [--workers 2]

The whole sweep is timed: generating the populations, pricing them under both
schemes and reducing to the measures (no entries kept).  Both ways must give
the same figures; ``bench.run`` checks that and reports client evaluations per
second (populations x clients x schemes / seconds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from typing import Any

from bench.worker import EXAMPLES, scheme_path

SCHEMES = ("varsinais-suomi", "satakunta-kokosata")
CLIENTS = 10_000


def run(runs: int, seed: int, dask: bool = False, workers: int | None = None,
        batch_runs: int | None = None) -> dict[str, Any]:
    """One timed sweep; the figures' SHA-256 tells two sweeps apart."""
    import kasvufee
    from kasvufee.design.compare import compare
    from kasvufee.design.population import load_population

    schemes = {s: kasvufee.load_scheme(scheme_path(s)) for s in SCHEMES}
    population = load_population(EXAMPLES / "populations" / "southwest-finland.yaml")
    population = population.model_copy(update={"clients": CLIENTS})
    t0 = time.perf_counter()
    result = compare(schemes, population, runs, seed, batch_runs=batch_runs, dask=dask,
                     workers=workers, keep_entries=False)
    seconds = time.perf_counter() - t0
    figures = json.dumps(result.to_dict(), sort_keys=True)
    evaluations = runs * CLIENTS * len(SCHEMES)
    return {"runs": runs, "clients": CLIENTS, "schemes": list(SCHEMES), "dask": dask,
            "workers": workers, "total_s": seconds, "client_evaluations": evaluations,
            "client_evaluations_per_s": evaluations / seconds,
            "figures_sha256": hashlib.sha256(figures.encode()).hexdigest()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--batch-runs", type=int, default=None)
    args = ap.parse_args()
    print(json.dumps(run(args.runs, args.seed, args.dask, args.workers, args.batch_runs)))


if __name__ == "__main__":
    main()
