"""docs/pilots.md shows every example scheme in full, exactly as in examples/.

For every ``examples/<slug>/scheme.yaml`` the page must hold a ``yaml`` block
whose text is the file's text, character for character, so the document
cannot drift from the example.  Each such block must sit in the pilot's own
section (the heading names the slug), and the page must run the example.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kasvufee
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "pilots.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SCHEMES = sorted((ROOT / "examples").glob("*/scheme.yaml"))


def _sections() -> dict[str, str]:
    """The text of each ``## N. `slug` — ...`` section, by slug."""
    text = PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    found = {}
    for part in parts[1:]:
        m = re.match(r"\d+\. `([a-z0-9\-]+)`", part)
        if m:
            found[m.group(1)] = part
    return found


def _yaml_blocks(text: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text) if m.group(1) == "yaml"]


def test_there_are_examples() -> None:
    assert len(SCHEMES) >= 11


@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.parent.name)
def test_the_page_shows_the_scheme_verbatim(path: Path) -> None:
    slug = path.parent.name
    sections = _sections()
    assert slug in sections, f"docs/pilots.md has no section ## N. `{slug}` — ..."
    scheme_text = path.read_text(encoding="utf-8")
    blocks = _yaml_blocks(sections[slug])
    assert scheme_text in blocks, (
        f"docs/pilots.md, section {slug}: no ```yaml block equal to examples/{slug}/scheme.yaml; "
        "copy the file into the page again"
    )
    kasvufee.parse_scheme(scheme_text, source=f"examples/{slug}/scheme.yaml")


@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.parent.name)
def test_the_page_runs_the_example(path: Path) -> None:
    slug = path.parent.name
    section = _sections()[slug]
    consoles = [m.group(2) for m in FENCE.finditer(section) if m.group(1) == "console"]
    commands = [f"$ kasvufee {verb} examples/{slug}/scheme.yaml examples/{slug}/events.csv "
                for verb in ("run", "post")]
    assert any(c in block for block in consoles for c in commands), (
        f"docs/pilots.md, section {slug}: no ```console block running the example"
    )


def test_every_scheme_block_on_the_page_is_an_example() -> None:
    """A full scheme shown on the page is one of the example files."""
    texts = {p.read_text(encoding="utf-8") for p in SCHEMES}
    for block in _yaml_blocks(PAGE.read_text(encoding="utf-8")):
        if re.search(r"^scheme: ", block, re.M):
            assert block in texts, f"a scheme block that is not an example file:\n{block}"
