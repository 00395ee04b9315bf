"""simulate, compare and replay on the seed schemes and the example population."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.design.compare import (
    compare,
    comparison_png,
    format_comparison,
    format_replay,
    replay,
)
from kasvufee.design.population import Population, load_population
from kasvufee.design.simulate import (
    evaluate_runs,
    format_simulation,
    nearest_rank,
    simulate,
)
from kasvufee.events.read import empty_events
from tests.conftest import examples

ROOT = Path(__file__).parent.parent
VS = kasvufee.load_scheme(ROOT / "examples" / "varsinais-suomi" / "scheme.yaml")
SATA = kasvufee.load_scheme(ROOT / "examples" / "satakunta-kokosata" / "scheme.yaml")
POP = load_population(ROOT / "examples" / "populations" / "southwest-finland.yaml")
SMALL: Population = POP.model_copy(update={"clients": 150})


def test_nearest_rank_is_a_sample_value() -> None:
    values = [500, 100, 300, 200, 400]
    assert [nearest_rank(values, q) for q in (5, 50, 95, 100)] == [100, 300, 500, 500]


@pytest.mark.parametrize("scheme", [VS, SATA], ids=["varsinais-suomi", "satakunta"])
def test_percentiles_are_ordered_and_caps_hold(scheme: kasvufee.Scheme) -> None:
    result = simulate(scheme, SMALL, runs=8, seed=2)
    for column in ("total", "cost_per_outcome"):
        p = result.percentiles(column)
        assert p["p5"] is not None and p["p50"] is not None and p["p95"] is not None
        assert p["p5"] <= p["p50"] <= p["p95"]
    for pct in result.provider_percentiles().values():
        assert pct["p5"] <= pct["p50"] <= pct["p95"]
    assert result.per_run.height == 8
    assert (result.per_run["total"] == result.per_run["fixed"] + result.per_run["result"]).all()
    # caps never exceeded in any run
    for cap in (c for v in scheme.versions for c in v.caps):
        inside = result.entries.filter(pl.col("component").is_in(cap.components or ()))
        per = inside.group_by("run", "provider_id").agg(pl.col("amount").sum())
        assert (per["amount"] <= cap.amount).all()
    json.loads(format_simulation(result, "json"))
    assert "marginal fee by group" in format_simulation(result)


def test_satakunta_pays_half_at_risk_and_exhausts_its_budget() -> None:
    result = simulate(SATA, SMALL, runs=4, seed=1)
    # 150 clients, ~half placed at 2 000 €: the 30 000 € result budget runs out
    assert result.cap_runs == {"result_budget": 4}
    assert str(result.share_at_risk) == "0.5000"
    assert result.percentiles("total") == {"p5": 12_000_000, "p50": 12_000_000,
                                           "p95": 12_000_000}


def test_marginal_fee_follows_the_risk_tiers() -> None:
    result = simulate(VS, POP.model_copy(update={"clients": 400}), runs=5, seed=4)
    marginal = dict(result.groups.select("group", "marginal").iter_rows())
    assert marginal["high"] >= marginal["medium"] >= marginal["low"]
    # placements pay at most the tier (+ a training referral)
    per_outcome = dict(result.groups.select("group", "per_outcome").iter_rows())
    assert per_outcome["high"] <= 90_000 + 10_000 and per_outcome["low"] <= 45_000 + 10_000


@pytest.mark.parametrize("scheme", [VS, SATA], ids=["varsinais-suomi", "satakunta"])
def test_one_evaluation_for_all_runs_equals_one_per_run(scheme: kasvufee.Scheme) -> None:
    from kasvufee.design.population import generate

    events = generate(SMALL, 5, runs=3)
    as_of = SMALL.as_of
    together = evaluate_runs(scheme, events, as_of, combined=True)
    apart = evaluate_runs(scheme, events, as_of, combined=False)
    key = ["run", "component", "provider_id", "client_id", "earned_on"]
    assert together.sort(key).equals(apart.sort(key))


def _same_ids_in_every_run(runs: int) -> pl.DataFrame:
    """One population repeated as ``runs`` runs, its ids unchanged (a table not
    drawn by the generator, whose ids name their run)."""
    from kasvufee.design.population import generate

    one = generate(SMALL, 5, runs=1)
    return pl.concat([one.with_columns(pl.lit(r, dtype=one["run"].dtype).alias("run"))
                      for r in range(1, runs + 1)])


def test_runs_that_share_ids_are_evaluated_run_by_run() -> None:
    events = _same_ids_in_every_run(2)
    by_default = evaluate_runs(VS, events, SMALL.as_of)
    apart = evaluate_runs(VS, events, SMALL.as_of, combined=False)
    assert by_default.equals(apart)
    # every run pays the same, as the population is the same
    runs = by_default.partition_by("run", as_dict=True)
    assert runs[(1,)].drop("run").equals(runs[(2,)].drop("run"))
    assert runs[(1,)].height > 50
    with pytest.raises(kasvufee.UsageError) as info:
        evaluate_runs(VS, events, SMALL.as_of, combined=True)
    assert str(info.value) == ("combined: the runs share client_id values, so one evaluation would "
                               "mix them; make the ids name their run, or evaluate run by run")


def test_runs_that_share_a_payslip_reference_are_evaluated_run_by_run() -> None:
    """Client and event ids of their own, but one payslip reference in two runs:
    in one evaluation the second run's proof would be a reuse of the first's."""
    from kasvufee.design.simulate import can_combine

    scheme = kasvufee.load_scheme(ROOT / "examples" / "uusimaa-koko-rekry" / "scheme.yaml")
    assert can_combine(scheme)
    one = _same_ids_in_every_run(1)
    ids = ["event_id", "client_id", "voids", "employment_id"]
    other = one.with_columns(pl.lit(2, dtype=one["run"].dtype).alias("run"),
                             *(("x" + pl.col(c)).alias(c) for c in ids if c in one.columns))
    events = pl.concat([one, other])
    assert events.filter(pl.col("evidence_ref").is_not_null()).height > 10
    by_default = evaluate_runs(scheme, events, SMALL.as_of)
    assert by_default.equals(evaluate_runs(scheme, events, SMALL.as_of, combined=False))
    runs = by_default.partition_by("run", as_dict=True)
    assert runs[(1,)].drop("run").equals(runs[(2,)].drop("run").with_columns(
        pl.col("client_id").str.strip_prefix("x")))
    assert runs[(1,)].height >= 5
    with pytest.raises(kasvufee.UsageError) as info:
        evaluate_runs(scheme, events, SMALL.as_of, combined=True)
    assert str(info.value).startswith("combined: the runs share evidence_ref values")


def test_compare_uses_common_random_numbers() -> None:
    result = compare({"satakunta": SATA, "varsinais": VS}, SMALL, runs=3, seed=8)
    alone = simulate(VS, SMALL, runs=3, seed=8)
    assert result.results["satakunta"].digest == result.results["varsinais"].digest
    assert result.results["varsinais"].digest == alone.digest
    # the same populations: the same outcomes in every run, whatever the scheme
    assert result.results["satakunta"].per_run["outcomes"].equals(alone.per_run["outcomes"])
    assert result.results["varsinais"].per_run.equals(alone.per_run)
    assert result.table()["scheme"].to_list() == ["satakunta", "varsinais"]
    assert set(json.loads(format_comparison(result, "json"))["schemes"]) == {
        "satakunta", "varsinais"}
    page = format_comparison(result, "html")
    assert page.startswith("<!DOCTYPE html>") and "marginal_high" in page
    assert "satakunta" in format_comparison(result, "table")


def test_compare_charts_as_svg_and_png() -> None:
    pytest.importorskip("matplotlib")
    result = compare({"satakunta": SATA, "varsinais": VS}, SMALL, runs=3, seed=8)
    page = format_comparison(result, "html")
    assert page.count("<svg") == 2 and "Marginal fee by group" in page
    assert comparison_png(result).startswith(b"\x89PNG\r\n")


def test_png_without_matplotlib_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import kasvufee.design.compare as compare_module
    from kasvufee.errors import UsageError

    result = compare({"satakunta": SATA}, SMALL, runs=1, seed=8)
    monkeypatch.setattr(compare_module, "_pyplot", lambda: None)
    with pytest.raises(UsageError, match=r"kasvufee\[plots\]"):
        comparison_png(result)
    assert "Charts need matplotlib" in format_comparison(result, "html")


def test_replay_satakunta_history_under_varsinais_suomi() -> None:
    events = kasvufee.read_events(ROOT / "examples" / "satakunta-kokosata" / "events.csv")
    as_of = dt.date(2018, 12, 31)
    result = replay(VS, events, kasvufee.evaluate(SATA, events, as_of), as_of)
    # Paid under Satakunta: SATA-1 30 000 start + 14 recruitments in February (28 000)
    # + 3 recruitment trainings on 20 March (1 200) + R15 cut to the 800 left of the
    # 30 000 budget = 60 000; SATA-2 30 000 + 2 x 2 000 = 34 000 (Q1's training is a
    # language course).  Varsinais-Suomi: no enrolments, so no risk class and every
    # placement is held; training referrals at 100 €: SATA-1 3, SATA-2 1 (any training).
    assert result.totals() == (9_400_000, 40_000)
    by_provider = {r["provider_id"]: (r["paid"], r["replayed"])
                   for r in result.by_provider().iter_rows(named=True)}
    assert by_provider == {"SATA-1": (6_000_000, 30_000), "SATA-2": (3_400_000, 10_000)}
    rows = {(r["provider_id"], r["component"]): (r["paid"], r["replayed"])
            for r in result.by_component.iter_rows(named=True)}
    assert rows[("SATA-1", "recruitment")] == (2_880_000, 0)
    assert rows[("SATA-1", "training_referral")] == (120_000, 30_000)
    assert rows[("SATA-2", "training_referral")] == (0, 10_000)
    text = format_replay(result)
    assert "94000.00" in text and "400.00" in text
    assert json.loads(format_replay(result, "json"))["difference"] == "-93600.00"
    # posted entries come with decimal euros (PostedLedger.entries())
    posted = kasvufee.evaluate(SATA, events, as_of).output_frame().with_columns(
        pl.col("amount").cast(pl.Decimal(18, 2)))
    assert replay(VS, events, posted, as_of).totals() == (9_400_000, 40_000)
    assert replay(VS, events, None, as_of).totals() == (0, 40_000)


def test_empty_population_events_have_canonical_dtypes() -> None:
    from kasvufee.design.population import generate, population_attribute_types

    tiny = SMALL.model_copy(update={"clients": 2})
    assert generate(tiny, 0).schema == empty_events(population_attribute_types(tiny)).schema


@settings(max_examples=examples(5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), runs=st.integers(1, 3))
def test_simulate_is_reproducible(seed: int, runs: int) -> None:
    tiny = POP.model_copy(update={"clients": 40})
    a = simulate(SATA, tiny, runs=runs, seed=seed)
    b = simulate(SATA, tiny, runs=runs, seed=seed)
    assert a.to_dict() == b.to_dict()
    assert a.entries.equals(b.entries)
