"""Sweeps cut into batches, in this process and on Dask: the same result, to the cent."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kasvufee
from kasvufee.cli import main
from kasvufee.design import batches
from kasvufee.design.batches import plan_batches
from kasvufee.design.compare import compare
from kasvufee.design.population import Population, load_population
from kasvufee.design.simulate import simulate
from kasvufee.errors import ExpressionError, Problem, SchemeError, UsageError

ROOT = Path(__file__).parent.parent
VS = kasvufee.load_scheme(ROOT / "examples" / "varsinais-suomi" / "scheme.yaml")
SATA = kasvufee.load_scheme(ROOT / "examples" / "satakunta-kokosata" / "scheme.yaml")
POP_FILE = ROOT / "examples" / "populations" / "southwest-finland.yaml"
SMALL: Population = load_population(POP_FILE).model_copy(update={"clients": 120})


def test_batches_cover_every_run_once() -> None:
    assert plan_batches(7, 100, batch_runs=3) == [(1, 3), (4, 3), (7, 1)]
    assert plan_batches(1, 100) == [(1, 1)]
    # 10 000 clients: at most 20 runs (200 000 clients) a batch, at least 2 (20 000)
    assert plan_batches(1000, 10_000)[:2] == [(1, 20), (21, 20)]
    assert plan_batches(8, 10_000) == [(1, 2), (3, 2), (5, 2), (7, 2)]
    # a small population: one batch of all runs
    assert plan_batches(50, 150) == [(1, 50)]
    with pytest.raises(UsageError):
        plan_batches(5, 100, batch_runs=0)


@pytest.mark.parametrize("batch_runs", [1, 2, 5])
def test_batch_size_never_changes_the_result(batch_runs: int) -> None:
    whole = simulate(SATA, SMALL, runs=5, seed=11)
    cut = simulate(SATA, SMALL, runs=5, seed=11, batch_runs=batch_runs)
    assert cut.to_dict() == whole.to_dict()
    assert cut.entries is not None and whole.entries is not None
    assert cut.entries.equals(whole.entries)
    assert cut.digest == whole.digest


def test_progress_counts_runs_up_to_the_total() -> None:
    calls: list[tuple[int, int]] = []
    simulate(VS, SMALL, runs=5, seed=1, batch_runs=2,
             progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_a_sweep_without_entries_keeps_its_measures() -> None:
    kept = simulate(VS, SMALL, runs=3, seed=2)
    lean = simulate(VS, SMALL, runs=3, seed=2, keep_entries=False)
    assert lean.entries is None
    assert lean.to_dict() == kept.to_dict()


def test_dask_local_cluster_gives_the_in_process_result() -> None:
    pytest.importorskip("distributed")
    alone = compare({"sata": SATA, "vs": VS}, SMALL, runs=4, seed=5)
    calls: list[int] = []
    spread = compare({"sata": SATA, "vs": VS}, SMALL, runs=4, seed=5, batch_runs=1,
                     dask=True, workers=2, progress=lambda done, _: calls.append(done))
    assert spread.to_dict() == alone.to_dict()
    for name, result in alone.results.items():
        other = spread.results[name].entries
        assert result.entries is not None and other is not None
        assert other.equals(result.entries)
    assert sorted(calls) == [1, 2, 3, 4]


def test_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(batches, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(UsageError, match=r"could not start or reach tcp://127\.0\.0\.1:9"):
        simulate(VS, SMALL, runs=2, seed=1, dask="tcp://127.0.0.1:9")


def test_a_scheduler_address_that_is_not_one_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(UsageError, match=r"could not start or reach nonsense: missing port"):
        simulate(VS, SMALL, runs=2, seed=1, dask="nonsense")


def test_without_dask_installed_the_error_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(UsageError, match=r"kasvufee\[dask\]"):
        simulate(VS, SMALL, runs=2, seed=1, dask=True)


def test_errors_survive_the_trip_from_a_worker() -> None:
    problem = Problem("scheme.yaml", 3, "components[0].amount", "euros", "'x'")
    again = pickle.loads(pickle.dumps(SchemeError([problem])))
    assert isinstance(again, SchemeError) and again.problems == (problem,)
    expr = pickle.loads(pickle.dumps(ExpressionError("a +", 3, "a value", "the end")))
    assert (expr.text, expr.position, expr.found) == ("a +", 3, "the end")


def test_cli_sweep_options() -> None:
    runner = CliRunner()
    base = ["simulate", str(ROOT / "examples" / "satakunta-kokosata" / "scheme.yaml"),
            "--population", str(POP_FILE), "--runs", "3", "--format", "json"]
    one = runner.invoke(main, base)
    cut = runner.invoke(main, [*base, "--batch-runs", "1", "--no-progress"])
    assert one.exit_code == 0 and cut.exit_code == 0
    assert one.stdout == cut.stdout
    bad = runner.invoke(main, [*base, "--workers", "2"])
    assert bad.exit_code != 0 and "add --dask" in bad.stderr
    both = runner.invoke(main, [*base, "--dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert both.exit_code != 0 and "give one of them" in both.stderr
