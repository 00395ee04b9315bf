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

from kasvufee.design.compare import replay
from kasvufee.design.lint import CHECKS, Finding, format_findings, has_errors, lint
from kasvufee.design.population import generate, load_population
from kasvufee.design.scheme_tests import (
    CaseResult,
    SchemeTestError,
    find_scheme_tests,
    format_test_report,
    run_scheme_tests,
)
from kasvufee.design.simulate import sweep

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
