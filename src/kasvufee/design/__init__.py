"""The scheme designer's toolkit: checks, worked examples and simulations before a tender.

- :mod:`kasvufee.design.lint` — ``lint(scheme)``: the 2018 evaluation's
  lessons as findings with a stable code, a severity and the lesson cited;
- :mod:`kasvufee.design.scheme_tests` — worked examples next to a scheme
  (``tests.yaml``): events and the payouts they must produce, run by
  ``run_scheme_tests``;
- :mod:`kasvufee.design.population` — client mixes and the seeded generator;
- :mod:`kasvufee.design.simulate` and :mod:`kasvufee.design.compare` —
  ``simulate``, ``compare`` (common random numbers) and ``replay`` (only
  ``sweep`` and ``replay`` are re-exported here: the other two names are
  their modules');
- :mod:`kasvufee.design.batches` — batches of runs in this process or on Dask.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kasvufee.design.lint import CHECKS, Finding, format_findings, has_errors, lint
from kasvufee.design.scheme_tests import (
    CaseResult,
    SchemeTestError,
    find_scheme_tests,
    format_test_report,
    run_scheme_tests,
)

if TYPE_CHECKING:
    from kasvufee.design.compare import replay
    from kasvufee.design.population import generate, load_population
    from kasvufee.design.simulate import sweep

# the simulation tools need numpy: loaded on first use, so that `kasvufee lint`
# and `kasvufee test` do not wait for it
_MODULES = {"generate": "kasvufee.design.population",
            "load_population": "kasvufee.design.population",
            "replay": "kasvufee.design.compare", "sweep": "kasvufee.design.simulate"}

__all__ = [
    "CHECKS",
    "CaseResult",
    "Finding",
    "SchemeTestError",
    "find_scheme_tests",
    "format_findings",
    "format_test_report",
    "generate",
    "has_errors",
    "lint",
    "load_population",
    "replay",
    "run_scheme_tests",
    "sweep",
]


def __getattr__(name: str) -> object:
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
