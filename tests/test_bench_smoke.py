"""A small run of the benchmark suite (bench/): the outputs agree, no time asserted.

A seeded population of 2 000 clients (about 20 000 events) is evaluated
under the three W1 schemes by kasvufee, by the row-by-row Python baseline
and by the DuckDB SQL peer, from Parquet and from CSV; every ledger must be
the same line for line (component, provider, client, earned_on, amount,
and the events named).  A posted ledger (W3's path) must pay the same.  The
data shapes it was not tuned on (text attributes, unread events, held items,
wide files) agree with the DuckDB peer, and the whole `kasvufee run` process
writes the ledger the whole DuckDB process writes.
The DuckDB comparisons are skipped where ``duckdb`` is not installed.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl
import pytest

import kasvufee
from bench import baseline, compare
from bench.generate import SHAPES, generate, reshape, write
from bench.peers import duck
from bench.run import measure_command
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


@pytest.fixture(scope="module")
def shaped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = generate(1_000, seed=11)
    return {shape: write(reshape(base, shape, 11), tmp_path_factory.mktemp(shape))[0]
            for shape in SHAPES}


def test_the_shapes_are_what_they_say(shaped: dict[str, Path]) -> None:
    typed, text = pl.read_parquet(shaped["typed"]), pl.read_parquet(shaped["text"])
    assert typed.schema["answers"] == pl.List(pl.Int64)
    assert set(text.select("answers", "fte", "unemployed_months", "cross_border").dtypes) \
        == {pl.String}
    unread = pl.read_parquet(shaped["unread"])
    assert (unread["type"] == "contact_logged").sum() == typed.height
    assert unread["event_id"].n_unique() == unread.height
    assert pl.read_parquet(shaped["wide"]).width == typed.width + 40
    held = pl.read_parquet(shaped["held"]).filter(type="enrolled")
    assert held["risk_class"].null_count() > held.height // 5


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scheme", ["varsinais-suomi", "yrittajasta-tyonantajaksi"])
def test_every_shape_agrees_with_the_duckdb_peer(shaped: dict[str, Path], shape: str,
                                                 scheme: str) -> None:
    _agree(_kasvufee(scheme, shaped[shape]), _duckdb(scheme, shaped[shape]))


@pytest.mark.parametrize("shape", ["typed", "text"])
def test_the_whole_command_writes_what_the_duckdb_process_writes(
        shaped: dict[str, Path], shape: str, tmp_path: Path) -> None:
    """As bench.run's command workload measures them: two processes, one Parquet file each."""
    pytest.importorskip("duckdb")
    ours, theirs = tmp_path / "ledger.parquet", tmp_path / "duckdb.parquet"
    kasvufee_cli = Path(sys.executable).parent / "kasvufee"
    done = measure_command([str(kasvufee_cli), "run",
                            str(EXAMPLES / "varsinais-suomi" / "scheme.yaml"), str(shaped[shape]),
                            "--as-of", "2018-12-31", "--format", "parquet", "--out", str(ours)])
    assert done["total_s"] > 0 and done["peak_mb"] > 0
    measure_command([sys.executable, "-m", "bench.peers.duck", "varsinais-suomi",
                     str(shaped[shape]), "2018-12-31", str(theirs)])
    ledger = pl.read_parquet(ours)
    assert ledger["explanation"].null_count() == 0
    _agree(compare.in_cents(ledger), pl.read_parquet(theirs))


def test_the_peers_hold_what_a_provider_that_never_enrolled_the_client_records(
        tmp_path: Path) -> None:
    """Two cases the 300 000-client run found where the DuckDB peer and the
    row-by-row baseline of yrittajasta-tyonantajaksi paid and kasvufee held
    (trust.clients: own; the other two schemes' peers already left them out).
    C1: P2 records a guidance on 1 February without ever enrolling C1; P1
    enrols C1 on 1 March and records its guidance on 1 April: the guidance
    paid once per client is P1's, 800.00 (P2's is held, not "the first").
    C2: enrolled with P1 on 10 January; P3's enrolment of 1 November is
    recorded in February 2019, after the as-of date, so P3's survey of
    12 December (four answers of 4, 4 x 200.00) is held, not paid."""
    template = generate(50, seed=1).head(0)
    rows = [
        ("E1", "guidance_completed", "P2", "C1", dt.date(2018, 2, 1), None, None),
        ("E2", "enrolled", "P1", "C1", dt.date(2018, 3, 1), None, None),
        ("E3", "guidance_completed", "P1", "C1", dt.date(2018, 4, 1), None, None),
        ("E4", "enrolled", "P1", "C2", dt.date(2018, 1, 10), None, None),
        ("E5", "enrolled", "P3", "C2", dt.date(2018, 11, 1), dt.date(2019, 2, 1), None),
        ("E6", "survey_answered", "P3", "C2", dt.date(2018, 12, 12), None, [4, 4, 4, 4]),
    ]
    names = ["event_id", "type", "provider_id", "client_id", "occurred_on", "recorded_at",
             "answers"]
    events = pl.DataFrame([dict(zip(names, r, strict=True)) for r in rows],
                          schema={n: template.schema[n] for n in names})
    parquet, _ = write(pl.concat([template, events], how="diagonal"), tmp_path)
    ours = _kasvufee("yrittajasta-tyonantajaksi", parquet)
    assert ours.select("component", "provider_id", "client_id", "amount").rows() == [
        ("guidance", "P1", "C1", 80_000)]  # cents: 800.00
    _agree(ours, _rowwise("yrittajasta-tyonantajaksi", parquet))
    _agree(ours, _duckdb("yrittajasta-tyonantajaksi", parquet))
