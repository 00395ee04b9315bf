"""Every snippet in README.md and docs/ is run.

- ``console`` blocks: each ``$ command`` runs in the repository root; the lines
  after it are its whole output (standard output, then standard error),
  compared line by line but for blank lines and spaces at line ends;
  ``[exit N]`` states the exit status (default 0).  A page's blocks run in
  order, so a walkthrough can build on its earlier steps; files named
  ``/tmp/kasvufee-docs-*`` (the ledgers it posts into) are made in a fresh
  folder of each page's own instead (tests running side by side do not share
  them), shown back as ``/tmp``; today's date (a close made now) is shown as
  ``<today>``.
- ``python`` blocks run as written, in the repository root.
- ``yaml`` blocks that start with ``scheme:`` must be valid schemes; blocks that
  start with ``- id:`` are components and must be valid inside a scheme.
  A block after ``<!-- invalid -->`` must instead be rejected, with the next
  ``text`` block's lines in the message.
- ``bash`` blocks are the README's install commands, which ``.ci/run`` runs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kasvufee
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(kind: str) -> list[tuple[str, str, str]]:
    """(id, text, the markdown before it) of each block of ``kind``."""
    found = []
    for path in DOCS:
        text = path.read_text()
        for m in FENCE.finditer(text):
            if m.group(1) == kind:
                line = text[: m.start()].count("\n") + 1
                found.append((f"{path.relative_to(ROOT)}:{line}", m.group(2), text[: m.start()]))
    return found


def _next_text_block(path_line: str) -> list[str]:
    path, line = path_line.rsplit(":", 1)
    text = (ROOT / path).read_text()
    rest = "\n".join(text.splitlines()[int(line):])
    m = re.search(r"^```text\n(.*?)^```", rest, re.S | re.M)
    return [x for x in m.group(1).splitlines() if x.strip()] if m else []


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    return env


DOCS_TMP = "/tmp/kasvufee-docs-"


def console_steps(block: str) -> list[tuple[str, list[str], int]]:
    """(command, the output lines shown, the exit status shown) of each ``$`` line."""
    steps: list[tuple[str, list[str], int]] = []
    for line in block.splitlines():
        m = re.fullmatch(r"\[exit (\d+)\]", line.strip())
        if line.startswith("$ "):
            steps.append((line[2:], [], 0))
        elif m and steps:
            steps[-1] = (steps[-1][0], steps[-1][1], int(m.group(1)))
        elif line.strip() and steps:
            steps[-1][1].append(line.rstrip())
    return steps


def run_console_command(command: str, tmp: Path) -> tuple[int, list[str]]:
    """The exit status and the output lines of a documented command, its ledgers in
    ``tmp`` and shown back as ``/tmp``, today's date shown as ``<today>``; blank
    lines left out, line ends stripped."""
    done = subprocess.run(shlex.split(command.replace(DOCS_TMP, f"{tmp}/kasvufee-docs-")),
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120,
                          check=False)
    out = (done.stdout + done.stderr).replace(f"{tmp}/", "/tmp/")
    out = out.replace(dt.date.today().isoformat(), "<today>")
    return done.returncode, [line.rstrip() for line in out.splitlines() if line.strip()]


def _run_console_block(where: str, block: str, tmp: Path) -> None:
    steps = console_steps(block)
    assert steps, f"{where}: a console block without commands"
    for command, expected, status in steps:
        code, out = run_console_command(command, tmp)
        shown = "\n".join(out)
        assert code == status, f"{where}: {command}\n{shown}"
        assert out == expected, f"{where}: {command}: the output is\n{shown}"


@pytest.mark.parametrize("page", [str(p.relative_to(ROOT)) for p in DOCS])
def test_console_snippets(page: str, tmp_path: Path) -> None:
    """The console blocks of a page run in order: a walkthrough builds on its
    earlier steps.  Its ledgers (``/tmp/kasvufee-docs-*``) start afresh."""
    for where, block, _ in _blocks("console"):
        if where.startswith(f"{page}:"):
            _run_console_block(where, block, tmp_path)


@pytest.mark.parametrize(("where", "block"), [(w, b) for w, b, _ in _blocks("python")])
def test_python_snippet(where: str, block: str, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    code = block.replace(DOCS_TMP, f"{tmp_path}/kasvufee-docs-")
    exec(compile(code, where, "exec"), {"__name__": "__doc_snippet__"})


def _as_scheme(block: str) -> str:
    if _content(block).startswith("scheme:"):
        return block
    body = textwrap.indent(block, " " * 6)
    return ("scheme: snippet\ntitle: a documentation snippet\nversions:\n"
            "  - version: '1'\n    valid_from: 2016-01-01\n    components:\n" + body)


def _content(block: str) -> str:
    """The block without its leading comment lines."""
    lines = block.splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        lines.pop(0)
    return "\n".join(lines)


@pytest.mark.parametrize(("where", "block", "before"), _blocks("yaml"))
def test_yaml_snippet(where: str, block: str, before: str) -> None:
    content = _content(block)
    if not (content.startswith("scheme:") or content.startswith("- id:")):
        pytest.skip("a fragment, not a scheme or component")
    if before.rstrip().endswith("<!-- invalid -->"):
        with pytest.raises(kasvufee.SchemeError) as info:
            kasvufee.parse_scheme(_as_scheme(block), source="snippet.yaml")
        for line in _next_text_block(where):
            assert line.strip() in str(info.value), f"{where}: {info.value}"
    else:
        kasvufee.parse_scheme(_as_scheme(block), source=where)


def test_the_package_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import doctest

    monkeypatch.chdir(ROOT)
    result = doctest.testmod(kasvufee, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_a_console_block_shows_the_whole_output(tmp_path: Path) -> None:
    command = "$ kasvufee validate examples/lappi-matkailu/scheme.yaml\n"
    whole = ("examples/lappi-matkailu/scheme.yaml: valid scheme 'lappi-matkailu', 1 version, "
             "3 components\n")
    assert console_steps(command + whole + "[exit 0]\n") == [
        (command[2:-1], [whole.rstrip()], 0)]
    _run_console_block("whole", command + whole, tmp_path)
    with pytest.raises(AssertionError, match="the output is"):
        _run_console_block("truncated", command + whole[:60] + "\n", tmp_path)
    with pytest.raises(AssertionError, match="the output is"):
        _run_console_block("more than shown", command + whole + "and a line it never printed\n",
                           tmp_path)
