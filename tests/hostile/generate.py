"""Inputs too large, too binary or too invisible to commit: each function writes
one case's files into a folder.  A case names its generator in ``case.yaml``
(``generate: NAME``); the files written are the case's inputs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

from tests.conftest import scheme_yaml

HEADER = "event_id,type,provider_id,client_id,occurred_on"
PLACEMENT = scheme_yaml(
    "- {id: placement, on: employment_started, once_per: client, amount: 1000.00}\n")
HOURS = scheme_yaml("- {id: coaching, on: employment_started, amount: {formula: hours * 45.50}}\n"
                    ).replace("title: test\n", "title: test\nattributes: {hours: decimal}\n")


def _placement(folder: Path, name: str, rows: list[str], header: str = HEADER) -> None:
    (folder / "scheme.yaml").write_text(PLACEMENT)
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _started(client_ids: list[str]) -> list[str]:
    return [f"e{i},employment_started,P1,{cid},2018-01-0{i}"
            for i, cid in enumerate(client_ids, 1)]


def ids_zero_width_and_no_break_space(folder: Path) -> None:
    _placement(folder, "events.csv", _started(["A1", "A1\u200b", "A1\u00a0"]))


def ids_bom_and_combining_mark(folder: Path) -> None:
    _placement(folder, "events.csv", _started(["A1", "\ufeffA1", "A1\u0301"]))


def ids_cyrillic_greek_full_width(folder: Path) -> None:
    # Cyrillic A, Greek Alpha, full-width A: each looks like the Latin A1 of line 2
    _placement(folder, "events.csv", _started(["A1", "\u04101", "\u03911", "\uff211"]))


def ids_control_characters(folder: Path) -> None:
    _placement(folder, "events.csv", _started(["A\x0b1", "A\x01"]))


def ids_nul(folder: Path) -> None:
    _placement(folder, "events.csv", _started(["A\x001"]))


def text_cell_control_character(folder: Path) -> None:
    (folder / "scheme.yaml").write_text(scheme_yaml(
        "- {id: start, on: milestone_reached, where: {milestone: started}, amount: 500.00}\n"))
    (folder / "events.csv").write_text(
        f"{HEADER},milestone\ne1,milestone_reached,P1,,2018-01-01,start\x01ed\n")


def jsonl_lone_surrogate(folder: Path) -> None:
    record = {"event_id": "e1", "type": "employment_started", "provider_id": "P1",
              "client_id": "A", "occurred_on": "2018-01-01"}
    (folder / "scheme.yaml").write_text(PLACEMENT)
    (folder / "events.jsonl").write_text(json.dumps(record).replace('"A"', '"A\\ud800"') + "\n")


def _jsonl_hours(folder: Path, hours: str) -> None:
    (folder / "scheme.yaml").write_text(HOURS)
    (folder / "events.jsonl").write_text(
        '{"event_id": "e1", "type": "employment_started", "provider_id": "P1", '
        f'"client_id": "A", "occurred_on": "2018-01-01", "hours": {hours}}}\n')


def jsonl_exponent_1e999999999(folder: Path) -> None:
    _jsonl_hours(folder, "1e999999999")


def jsonl_5000_digits(folder: Path) -> None:
    _jsonl_hours(folder, "9" * 5000)


def jsonl_deep_nesting(folder: Path) -> None:
    _jsonl_hours(folder, "[" * 1500 + "]" * 1500)


def yaml_5000_digits(folder: Path) -> None:
    (folder / "scheme.yaml").write_text(PLACEMENT.replace("1000.00", "9" * 5000))


def yaml_deep_nesting(folder: Path) -> None:
    (folder / "scheme.yaml").write_text(
        PLACEMENT.replace("title: test", "title: " + "[" * 1500 + "]" * 1500))


def _alias_bomb(levels: int) -> str:
    """Nine of the previous level on each level: 9**levels strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise("abcdefghijklmnop"[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def yaml_alias_bomb_6_levels(folder: Path) -> None:
    (folder / "laughs6.yaml").write_text(_alias_bomb(6))


def yaml_alias_bomb_9_levels(folder: Path) -> None:
    (folder / "laughs9.yaml").write_text(_alias_bomb(9))


def scheme_35000_components(folder: Path) -> None:
    components = "".join(f"- {{id: c{i}, on: enrolled, amount: 1}}\n" for i in range(35000))
    (folder / "scheme.yaml").write_text(scheme_yaml(components))


def scheme_over_2_mb(folder: Path) -> None:
    (folder / "scheme.yaml").write_text(PLACEMENT + "# " + "x" * 2_100_000 + "\n")


def scheme_501_components(folder: Path) -> None:
    components = "".join(f"- {{id: c{i}, on: enrolled, amount: 1}}\n" for i in range(501))
    (folder / "scheme.yaml").write_text(scheme_yaml(components))


def scheme_101_versions(folder: Path) -> None:
    version = ("  - version: '{}'\n    valid_from: 2016-01-01\n    components:\n"
               "      - {{id: c, on: enrolled, amount: 1}}\n")
    (folder / "scheme.yaml").write_text(
        "scheme: t\ntitle: test\nversions:\n" + "".join(version.format(i) for i in range(101)))


def csv_100000_columns(folder: Path) -> None:
    header = HEADER + "," + ",".join(f"c{i}" for i in range(100_000))
    _placement(folder, "events.csv", ["e1,employment_started,P1,A,2018-01-01"], header)


def _void_chain(folder: Path, voids: int) -> None:
    rows = ["e0,employment_started,P1,A,2018-01-01,"]
    rows += [f"v{i},event_voided,P1,A,2018-02-01,{'e0' if i == 1 else f'v{i - 1}'}"
             for i in range(1, voids + 1)]
    _placement(folder, "events.csv", rows, HEADER + ",voids")


def voids_6000_chained(folder: Path) -> None:
    _void_chain(folder, 6000)


def voids_5999_chained(folder: Path) -> None:
    _void_chain(folder, 5999)


def parquet_date_2_31_days(folder: Path) -> None:
    (folder / "scheme.yaml").write_text(PLACEMENT)
    pl.DataFrame({
        "event_id": ["e1"], "type": ["employment_started"], "provider_id": ["P1"],
        "client_id": ["A"],
        "occurred_on": pl.Series([2**31 - 1], dtype=pl.Int32).cast(pl.Date),
    }).write_parquet(folder / "events.parquet")


GENERATORS: dict[str, Callable[[Path], None]] = {
    name: fn for name, fn in list(globals().items())
    if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", "") == __name__
}
