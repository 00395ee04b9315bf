"""A small run of the benchmark suite (bench/): the outputs agree, no time asserted.

A seeded population of 2 000 clients (about 20 000 events) is evaluated
under the three W1 schemes by kasvufee, by the row-by-row Python baseline
and by the DuckDB SQL peer, from Parquet and from CSV; every ledger must be
the same line for line (component, provider, client, earned_on, amount,
and the events named).  A posted ledger (W3's path) must pay the same.
The DuckDB comparisons are skipped where ``duckdb`` is not installed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import kasvufee
from bench import baseline, compare
from bench.generate import generate, write
from bench.peers import duck
from kasvufee.scheme.prices import event_columns
from tests.conftest import EXAMPLES

SCHEMES = ["varsinais-suomi", "yrittajasta-tyonantajaksi", "satakunta-kokosata"]
AS_OF = dt.date(2018, 12, 31)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    parquet, csv = write(generate(2_000, seed=7), tmp_path_factory.mktemp("bench"))
    return {"parquet": parquet, "csv": csv}


def _kasvufee(scheme: str, path: Path, as_of: dt.date = AS_OF) -> pl.DataFrame:
    s = kasvufee.load_scheme(EXAMPLES / scheme / "scheme.yaml")
    return kasvufee.evaluate(s, _read(s, path), as_of).frame


def _read(scheme: kasvufee.Scheme, path: Path) -> pl.DataFrame:
    """As the benchmark reads: only the scheme's columns."""
    return kasvufee.read_events(path, attribute_types=dict(scheme.attributes),
                                columns=event_columns(scheme))


def _rowwise(scheme: str, path: Path, as_of: dt.date = AS_OF) -> pl.DataFrame:
    return compare.rows_table(baseline.iter_columns(baseline.evaluate(scheme, path, as_of)))


def _duckdb(scheme: str, path: Path, as_of: dt.date = AS_OF) -> pl.DataFrame:
    pytest.importorskip("duckdb")  # the peer is skipped where DuckDB is not installed
    return duck.evaluate(scheme, path, as_of, threads=1)


def _agree(a: pl.DataFrame, b: pl.DataFrame) -> None:
    result = compare.compare(a, b)
    assert result["equal"], result
    assert result["event_ids_equal"], result


def test_the_generator_is_seeded_and_realistic() -> None:
    a, b = generate(500, seed=3), generate(500, seed=3)
    assert a.equals(b)
    assert not a.equals(generate(500, seed=4))
    types = set(a["type"].unique())
    assert {"enrolled", "employment_started", "employment_ended", "training_referred",
            "survey_answered", "recruitment_made", "milestone_reached",
            "event_voided"} <= types
    assert a.height >= 9 * 500  # about ten events per client


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_kasvufee_agrees_with_the_row_by_row_baseline(files: dict[str, Path], scheme: str,
                                                      fmt: str) -> None:
    ours = _kasvufee(scheme, files[fmt])
    assert ours.height > 100
    assert ours["explanation"].null_count() == 0
    _agree(ours, _rowwise(scheme, files[fmt]))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_kasvufee_agrees_with_the_duckdb_peer(files: dict[str, Path], scheme: str,
                                              fmt: str) -> None:
    _agree(_kasvufee(scheme, files[fmt]), _duckdb(scheme, files[fmt]))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_mid_year_evaluation_agrees(files: dict[str, Path], scheme: str) -> None:
    """As known on 30 June: late recordings and pending durations matter."""
    june = dt.date(2018, 6, 30)
    ours = _kasvufee(scheme, files["parquet"], june)
    _agree(ours, _rowwise(scheme, files["parquet"], june))
    _agree(ours, _duckdb(scheme, files["parquet"], june))


def test_a_posted_ledger_pays_what_the_baseline_pays(files: dict[str, Path],
                                                     tmp_path: Path) -> None:
    scheme = kasvufee.load_scheme(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    # as W3 and `kasvufee post` read: every column (the ledger keeps the events' fields)
    events = kasvufee.read_events(files["parquet"], attribute_types=dict(scheme.attributes))
    with kasvufee.PostedLedger.open(tmp_path / "ledger.sqlite") as ledger:
        for month in (10, 11, 12):
            ledger.post(scheme, events, f"2018-{month:02d}",
                        posted_at=dt.datetime(2019 if month == 12 else 2018, month % 12 + 1, 1))
        stored = ledger.entries(scheme_id=scheme.scheme)
    _agree(compare.paid(stored), _rowwise("varsinais-suomi", files["parquet"]))
