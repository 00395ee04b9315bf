"""The four payment-by-results schemes of abroad.md, as example schemes
(``examples/abroad/<slug>/scheme.yaml``) against their golden scenarios
(``../shared/scenarios-abroad/<slug>/``, copied to ``tests/golden-abroad``).

A scheme the language cannot yet state in full is written as far as it can
be; its whole scenario is an ``xfail(strict=True)`` naming the constructs
still missing (docs/language.md lists them), so that the day they land the
test fails until the mark is removed.  What the example does state is
checked exactly against the same literal entries of ``expected.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import kasvufee
from kasvufee.design.lint import has_errors, lint
from tests.conftest import EXAMPLES, ROOT

SHARED = ROOT.parent / "shared" / "scenarios-abroad"
GOLDEN = SHARED if SHARED.is_dir() else ROOT / "tests" / "golden-abroad"
SLUGS = ["work-programme", "work-health-programme", "jobactive", "innovation-fund"]

Row = list[str]  # [component, provider_id, client_id or "", earned_on, amount]

MISSING: dict[str, str] = {}  # every scheme of abroad.md is stated now
PASSING = ["work-programme", "work-health-programme", "jobactive", "innovation-fund"]

# What each example states exactly: (component, client) of the golden entries it must
# reproduce, and of the entries a missing construct would change (left out on both sides).
STATED: dict[str, Callable[[Row], bool]] = {
    "work-programme": lambda r: True,
    "work-health-programme": lambda r: True,
    "jobactive": lambda r: True,
    "innovation-fund": lambda r: True,
}


def _expected(slug: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((GOLDEN / slug / "expected.json").read_text())
    return data


def _ledger(slug: str) -> kasvufee.Ledger:
    scheme = kasvufee.load_scheme(EXAMPLES / "abroad" / slug / "scheme.yaml")
    events = kasvufee.read_events(GOLDEN / slug / "events.csv",
                                  attribute_types=dict(scheme.attributes))
    return kasvufee.evaluate(scheme, events, dt.date.fromisoformat(str(_expected(slug)["as_of"])))


def _earned(ledger: kasvufee.Ledger) -> list[Row]:
    return sorted([e.component, e.provider_id, e.client_id or "", e.earned_on.isoformat(),
                   str(e.amount)] for e in ledger.entries if e.amount != 0)


def _euros(d: dict[str, Decimal]) -> dict[str, str]:
    return {k: f"{v:.2f}" for k, v in d.items()}


@pytest.mark.parametrize("slug", PASSING + [
    pytest.param(slug, marks=pytest.mark.xfail(strict=True, reason=f"not yet stated: {why}"))
    for slug, why in MISSING.items()])
def test_abroad_scenario(slug: str) -> None:
    expected = _expected(slug)
    ledger = _ledger(slug)
    assert ledger.currency == expected["currency"]
    assert _earned(ledger) == sorted(expected["earned"])  # type: ignore[call-overload]
    assert f"{ledger.total():.2f}" == expected["total"]
    assert _euros(ledger.by("component")) == expected["by_component"]
    assert _euros(ledger.by("provider_id")) == expected["by_provider"]
    assert _euros(ledger.by("client_id")) == expected["by_client"]


@pytest.mark.parametrize("slug", SLUGS)
def test_what_the_example_states_is_exact(slug: str) -> None:
    expected = _expected(slug)
    ledger = _ledger(slug)
    assert ledger.currency == expected["currency"]
    stated = STATED[slug]
    wanted = sorted(r for r in expected["earned"] if stated(r))  # type: ignore[attr-defined]
    assert wanted  # each example states something
    assert [r for r in _earned(ledger) if stated(r)] == wanted


def test_the_accelerated_outcome() -> None:
    # A5 reaches 3 150.00 >= 3 120.00 (version 2017) on 2018-11-30, the 4th outcome of
    # CPA1's cohort 1 (A1 2018-02-28, A4 2018-07-31, A3 2018-10-01): 4 000.00
    ledger = _ledger("work-health-programme")
    [a5] = [e for e in ledger.entries if e.client_id == "A5"]
    assert (a5.earned_on.isoformat(), a5.amount) == ("2018-11-30", Decimal("4000.00"))
    assert "outcome 4 of CPA1 in cohort 1 of tier accelerator: from number 4 on, £4000.00" \
        in a5.explanation


@pytest.mark.parametrize("slug", SLUGS)
def test_every_example_has_a_scenario_and_no_lint_error(slug: str) -> None:
    scheme = kasvufee.load_scheme(EXAMPLES / "abroad" / slug / "scheme.yaml")
    assert _expected(slug)["pilot"] == slug
    assert not has_errors(lint(scheme))


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ is not beside the repository")
def test_vendored_copy_matches_shared() -> None:
    for slug in SLUGS:
        for name in ("events.csv", "expected.json"):
            ours = (ROOT / "tests" / "golden-abroad" / slug / name).read_text()
            assert ours == (SHARED / slug / name).read_text(), f"{slug}/{name} drifted"


def test_every_slug_passes_or_names_what_is_missing() -> None:
    assert sorted(PASSING + list(MISSING)) == sorted(SLUGS)


def test_the_income_support_series_of_jobactive() -> None:
    # K3 (stream C, unemployed since 2013-05-06: 71 months at the job start 2019-04-01,
    # band 60_plus): the fortnight of 2019-04-15 was reduced by 80 %, inside every
    # outcome period, so each outcome is partial: 1 600.00, 4 000.00, 6 000.00 x 0.40.
    # K4's fortnight of 2019-07-15 was reduced by 40 %, below 60: its 12- and 26-week
    # outcomes are held; its 4-week period (2019-06-03 to before 2019-07-01) had no
    # assessment, counted as 100 %: the full 750.00 (stream B, 16 months: under_24).
    ledger = _ledger("jobactive")
    k3 = sorted((e.component, e.amount, e.event_ids) for e in ledger.entries
                if e.client_id == "K3" and e.component != "admin_fee")
    assert k3 == [("outcome_12w", Decimal("1600.00"), ("e0007", "e0008")),
                  ("outcome_26w", Decimal("2400.00"), ("e0007", "e0008")),
                  ("outcome_4w", Decimal("640.00"), ("e0007", "e0008"))]
    [k4] = [e for e in ledger.entries if e.client_id == "K4" and e.component == "outcome_4w"]
    assert (k4.amount, k4.facts[-2]) == (
        Decimal("750.00"), "0 income_support_assessed from 2019-06-03 to before 2019-07-01: "
                           "none, counted as 100")
    assert sorted((h.component, h.reason) for h in ledger.held if h.client_id == "K4") == [
        ("outcome_12w", "income_support_assessed e0011 on 2019-07-15 gives reduction_pct 40, "
                        "below 60 (the period from 2019-06-03 to before 2019-08-26)"),
        ("outcome_26w", "income_support_assessed e0011 on 2019-07-15 gives reduction_pct 40, "
                        "below 60 (the period from 2019-06-03 to before 2019-12-02)")]


def test_the_capped_participant_of_round_1() -> None:
    # F4 (round 1): 3 300.00 + 2 200.00 + 2 600.00 = 8 100.00, so the 13-week outcome of
    # 1 000.00 on 2014-12-01 is cut to the 100.00 left of 8 200.00; the project had paid
    # F4's 8 100.00 and F1's 800.00 + 700.00 before it: 9 600.00
    ledger = _ledger("innovation-fund")
    [sustained] = [e for e in ledger.entries if e.component == "sustained_employment_13w"]
    assert (sustained.amount, sustained.capped_from, sustained.cap) == (
        Decimal("100.00"), Decimal("1000.00"), "participant")
    assert sustained.cap_usage == (
        "cap participant (£8200.00 per client): £8100.00 used before, £8200.00 after",
        "cap project_contract (£3400000.00 per provider): £9600.00 used before, "
        "£9700.00 after")


def test_the_language_page_names_what_remains() -> None:
    page = (ROOT / "docs" / "language.md").read_text()
    for slug in SLUGS:
        assert f"`{slug}`" in page
    assert "language.md" in (ROOT / "mkdocs.yml").read_text()


def test_examples_live_in_examples_abroad() -> None:
    assert sorted(p.parent.name for p in (EXAMPLES / "abroad").glob("*/scheme.yaml")) == \
        sorted(SLUGS)
    assert not Path(EXAMPLES / "abroad" / "scheme.yaml").exists()


@pytest.mark.parametrize("slug", SLUGS)
def test_every_example_ships_worked_examples_that_pass(slug: str) -> None:
    from kasvufee.design import run_scheme_tests

    results = run_scheme_tests(EXAMPLES / "abroad" / slug / "scheme.yaml")
    assert results and [r.differences for r in results] == [()] * len(results)
