"""Shared test helpers: where the examples and golden scenarios are, and a
short way to write events as Python rows."""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import textwrap
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import polars as pl
import pytest

import kasvufee

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared" / "scenarios"
GOLDEN = SHARED if SHARED.is_dir() else ROOT / "tests" / "golden"
# the eleven pilots with golden scenarios (pilot 12 is the programme roll-up)
PILOTS = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
EXAMPLE_SCHEMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "scheme.yaml").exists())


def examples(n: int) -> int:
    """A property test's number of examples, times ``KASVUFEE_EXAMPLES_SCALE``
    (default 1): a longer search for counterexamples without editing tests."""
    return n * int(os.environ.get("KASVUFEE_EXAMPLES_SCALE", "1"))


def scheme_yaml(components: str, caps: str = "") -> str:
    """A one-version scheme file around component (and cap) YAML list items."""
    text = ("scheme: t\ntitle: test\nversions:\n  - version: '1'\n    valid_from: 2016-01-01\n"
            "    components:\n" + textwrap.indent(components, " " * 6))
    if caps:
        text += "    caps:\n" + textwrap.indent(caps, " " * 6)
    return text


def events(rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """Events from rows; ``occurred_on`` may be a string."""
    return kasvufee.events_from_records(list(rows))


def run(scheme_yaml: str, rows: Iterable[Mapping[str, object]], as_of: str) -> kasvufee.Ledger:
    scheme = kasvufee.parse_scheme(scheme_yaml)
    return kasvufee.evaluate(scheme, events(rows), dt.date.fromisoformat(as_of))


def amounts(ledger: kasvufee.Ledger) -> list[tuple[str, str, str, str]]:
    """(component, client or provider, earned_on, amount as two-decimal text) of every
    entry, sorted."""
    return sorted((e.component, e.client_id or e.provider_id, e.earned_on.isoformat(),
                   f"{e.amount:.2f}") for e in ledger.entries)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in ``tmp_path``, so that messages name plain file names like events.csv."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def example() -> Path:
    return EXAMPLES


# --------------------------------------------------------------------------- databases


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server for the test session, on a Unix socket.

    ``KASVUFEE_TEST_POSTGRES`` may name an existing server's DSN instead.  Without
    PostgreSQL the tests that need it are skipped locally and fail in CI.
    """
    given = os.environ.get("KASVUFEE_TEST_POSTGRES")
    if given:
        yield given
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs it")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="kasvufee-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    subprocess.run(_as_postgres_user([initdb, "-D", str(data), "-A", "trust", "-U", "kasvufee",
                                      "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True)
    port = "54329"
    subprocess.run(_as_postgres_user([
        pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o",
        f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off", "start"]),
        check=True, capture_output=True)
    try:
        yield f"postgresql://kasvufee@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(_as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty ledger location: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    server: str = request.getfixturevalue("postgres_server")
    import psycopg

    name = f"kasvufee_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.replace("/postgres?", f"/{name}?")


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    """Fail a test on any warning, also those polars issues from inside a query,
    which ``filterwarnings = error`` cannot turn into exceptions."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
