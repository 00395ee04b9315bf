"""Every case of issue 14 (money, the hostile provider, no crash / no lie /
bounded cost) as a folder under ``cases/``: its inputs (or ``generate: NAME``,
a function of ``generate.py``) and ``case.yaml``, what the commands must do.

``case.yaml`` holds one step or ``steps:``, each with

* ``command``: the ``kasvufee`` arguments, run in a copy of the folder;
* ``exit``: the exit status;
* ``first_line``: the whole first line of the message (standard error, then
  standard output: ``validate`` and ``lint`` write there);
* ``lines``: other whole lines the message must have;
* ``entries``: ``component provider client earned_on amount`` of every entry
  in the ``--out`` JSON Lines file (``-`` for no client), in order; ``total``;
* ``written``: the files the step leaves (none by default: nothing written,
  no temporary file left);

and at the top ``covers`` (the issue's bullet) and ``bounded: true`` for an
input that must end within seconds: it runs in a subprocess with a generous
timeout (20 s, against minutes before the fixes), not as a benchmark.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kasvufee.cli import main
from tests.hostile.generate import GENERATORS

CASES = Path(__file__).parent / "cases"
TIMEOUT = 20  # seconds: every bounded case ends in about one


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load((CASES / name / "case.yaml").read_text())
    return case


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _kasvufee(args: list[str], folder: Path, bounded: bool,
              monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    if bounded:
        done = subprocess.run([sys.executable, "-m", "kasvufee.cli", *args], cwd=folder,
                              capture_output=True, text=True, timeout=TIMEOUT, check=False)
        return done.returncode, done.stderr + done.stdout
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr + result.stdout


def _entries(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [f"{r['component']} {r['provider_id']} {r['client_id'] or '-'} {r['earned_on']} "
            f"{r['amount']}" for r in rows]


@pytest.mark.parametrize("name", sorted(p.parent.name for p in CASES.glob("*/case.yaml")))
def test_case(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(name)
    folder = tmp_path / name
    shutil.copytree(CASES / name, folder, ignore=shutil.ignore_patterns("case.yaml"))
    if "generate" in case:
        GENERATORS[case["generate"]](folder)
    for step in case.get("steps", [case]):
        before = _files(folder)
        code, err = _kasvufee(shlex.split(step["command"]), folder, case.get("bounded", False),
                              monkeypatch)
        lines = err.splitlines()
        assert (code, lines[:1]) == (step["exit"], [step["first_line"]]), err[:2000]
        assert [line for line in step.get("lines", []) if line not in lines] == [], err[:2000]
        assert "Traceback" not in err and len(err) < 20_000
        assert _files(folder) - before == set(step.get("written", []))
        if "entries" in step:
            args = shlex.split(step["command"])
            out = folder / args[args.index("--out") + 1]
            entries = _entries(out)
            assert entries == step["entries"]
            total = sum((Decimal(e.rsplit(" ", 1)[1]) for e in entries), Decimal(0))
            assert f"{total:.2f}" == step["total"]


def test_every_generator_has_its_case() -> None:
    named = {_case(p.parent.name).get("generate") for p in CASES.glob("*/case.yaml")}
    assert sorted(set(GENERATORS) - named) == []


def test_the_readme_lists_every_case() -> None:
    readme = (Path(__file__).parent / "README.md").read_text()
    assert sorted(p.parent.name for p in CASES.glob("*/case.yaml")
                  if f"`{p.parent.name}`" not in readme) == []
