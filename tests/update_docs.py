"""Rewrite the outputs of the console blocks in README.md and docs/ from real runs.

    .venv/bin/python -m tests.update_docs [PAGE...]

For a change that alters outputs on purpose (a new column, a new hash): run it,
then read the whole diff before committing; tests/test_docs.py compares every
block's output whole, and this only saves the copying.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.test_docs import DOCS, FENCE, console_steps, run_console_command


def main(only: list[str]) -> None:
    """Rewrite the pages whose path ends with one of ``only`` (all when empty)."""
    for path in DOCS:
        if only and not any(str(path).endswith(o) for o in only):
            continue
        text = path.read_text()
        tmp = Path(tempfile.mkdtemp())
        out_parts: list[str] = []
        last = 0
        changed = False
        for m in FENCE.finditer(text):
            if m.group(1) != "console":
                continue
            steps = console_steps(m.group(2))
            lines: list[str] = []
            for command, _, _ in steps:
                code, out = run_console_command(command, tmp)
                lines.append("$ " + command)
                lines += out
                if code:
                    lines.append(f"[exit {code}]")
            new = "\n".join(lines) + "\n"
            if new != m.group(2):
                changed = True
            out_parts.append(text[last:m.start(2)] + new)
            last = m.end(2)
        out_parts.append(text[last:])
        if changed:
            path.write_text("".join(out_parts))
            print("rewrote", path)


if __name__ == "__main__":
    main(sys.argv[1:])
