"""The scheme designer's toolkit: checks and worked examples before a tender.

- :mod:`kasvufee.design.lint` — ``lint(scheme)``: the 2018 evaluation's
  lessons as findings with a stable code, a severity and the lesson cited;
- :mod:`kasvufee.design.scheme_tests` — worked examples next to a scheme
  (``tests.yaml``): events and the payouts they must produce, run by
  ``run_scheme_tests``.
"""

from __future__ import annotations

from kasvufee.design.lint import CHECKS, Finding, format_findings, has_errors, lint
from kasvufee.design.scheme_tests import (
    CaseResult,
    SchemeTestError,
    find_scheme_tests,
    format_test_report,
    run_scheme_tests,
)

__all__ = [
    "CHECKS",
    "CaseResult",
    "Finding",
    "SchemeTestError",
    "find_scheme_tests",
    "format_findings",
    "format_test_report",
    "has_errors",
    "lint",
    "run_scheme_tests",
]
