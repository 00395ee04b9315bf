"""Scheme test files: the seed pilots' worked examples pass, and a wrong one
reports every difference, line by line."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from kasvufee.design.scheme_tests import (
    SchemeTestError,
    all_passed,
    find_scheme_tests,
    format_test_report,
    run_scheme_tests,
)
from kasvufee.errors import SchemeError
from tests.conftest import EXAMPLES, ROOT

SEEDS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "scheme.yaml").exists())


@pytest.mark.parametrize("name", SEEDS)
def test_every_seed_pilot_ships_worked_examples_that_pass(name: str) -> None:
    results = run_scheme_tests(EXAMPLES / name / "scheme.yaml")
    assert 2 <= len(results) <= 4
    assert [r.differences for r in results] == [()] * len(results)
    assert {r.scheme for r in results} == {name}


def test_a_folder_runs_every_tests_file() -> None:
    results = run_scheme_tests(EXAMPLES)
    # the pilots' and, below abroad/, the four schemes from abroad
    assert len({r.file for r in results}) == len(SEEDS) + 4
    assert all_passed(results)
    assert format_test_report(results).splitlines()[-1] == f"{len(results)} cases passed, 0 failed"


def _copy_scheme(tmp_path: Path, pilot: str = "varsinais-suomi") -> Path:
    target = tmp_path / "scheme.yaml"
    shutil.copy(EXAMPLES / pilot / "scheme.yaml", target)
    return target


WRONG = """\
cases:
  - name: lasting placement
    as_of: 2018-12-31
    events:
      - {type: enrolled, provider_id: P1, client_id: A1, occurred_on: 2018-01-02, risk_class: high}
      - {type: employment_started, provider_id: P1, client_id: A1, occurred_on: 2018-01-31,
         employment_id: A1-1}
      - {type: enrolled, provider_id: P1, client_id: A2, occurred_on: 2018-01-05,
         risk_class: medium}
      - {type: employment_started, provider_id: P1, client_id: A2, occurred_on: 2018-02-10,
         employment_id: A2-1}
      - {type: training_referred, provider_id: P1, client_id: A2, occurred_on: 2018-01-20}
      - {type: enrolled, provider_id: P1, client_id: A3, occurred_on: 2018-01-05, risk_class: low}
      - {type: employment_started, provider_id: P1, client_id: A3, occurred_on: 2018-03-01,
         employment_id: A3-1}
    expect:
      entries:
        - {component: placement, provider_id: P1, client_id: A1, earned_on: 2018-05-01,
           amount: 900.00}
        - {component: placement, provider_id: P1, client_id: A2, earned_on: 2018-05-10,
           amount: 900.00}
        - {component: placement, provider_id: P1, client_id: A4, earned_on: 2018-04-30,
           amount: 900.00}
        - {component: placement, provider_id: P1, client_id: A3, earned_on: 2018-06-01,
           amount: 450.00, capped_from: 500.00}
      held:
        - {component: placement, client_id: A1, reason: no risk class}
        - {component: placement, client_id: A9}
      total: 2000.00
  - name: right
    as_of: 2018-12-31
    events:
      - {type: training_referred, provider_id: P1, client_id: A2, occurred_on: 2018-01-20}
    expect:
      entries:
        - {component: training_referral, provider_id: P1, client_id: A2, earned_on: 2018-01-20,
           amount: 100.00}
"""


def test_a_wrong_tests_file_reports_every_difference(tmp_path: Path) -> None:
    _copy_scheme(tmp_path)
    (tmp_path / "tests.yaml").write_text(WRONG)
    results = run_scheme_tests(tmp_path / "scheme.yaml")
    assert [(r.name, r.passed, r.line) for r in results] == [
        ("lasting placement", False, 2), ("right", True, 30)]
    assert list(results[0].differences) == [
        "case 'lasting placement': expected nothing, got training_referral P1 A2 2018-01-20 "
        "100.00",
        "case 'lasting placement': expected placement P1 A4 2018-04-30 900.00, got nothing",
        "case 'lasting placement': expected placement P1 A1 2018-05-01 900.00, got 900.00 on "
        "2018-04-30",
        "case 'lasting placement': expected placement P1 A2 2018-05-10 900.00, got 650.00",
        "case 'lasting placement': placement P1 A3 2018-06-01 450.00: expected capped from "
        "500.00, got not capped",
        "case 'lasting placement': expected placement A1 held (no risk class), got paid 900.00 "
        "on 2018-04-30",
        "case 'lasting placement': expected placement A9 held, got nothing held",
        "case 'lasting placement': expected total 2000.00, got 2100.00",
    ]
    assert results[0].entries == 4
    assert not all_passed(results)
    report = format_test_report(results).splitlines()
    assert report[0] == f"{tmp_path / 'tests.yaml'} (scheme varsinais-suomi)"
    assert report[1] == "  FAIL  lasting placement"
    assert report[2] == ("        case 'lasting placement': expected nothing, got "
                         "training_referral P1 A2 2018-01-20 100.00")
    assert report[-2:] == ["  ok    right", "1 case passed, 1 failed"]


def test_held_reasons_and_caps_are_compared(tmp_path: Path) -> None:
    _copy_scheme(tmp_path, "satakunta-kokosata")
    rows = "\n".join(
        f"      - {{type: employment_started, provider_id: S, client_id: R{n:02d}, "
        f"occurred_on: 2018-02-{n:02d}}}" for n in range(1, 17))
    (tmp_path / "tests.yaml").write_text(f"""\
cases:
  - name: budget
    as_of: 2018-12-31
    events:
{rows}
    expect:
      held:
        - {{component: recruitment, client_id: R16, reason: budget}}
      total: 30000.00
  - name: cut
    as_of: 2018-12-31
    events:
{rows}
    expect:
      entries:
{chr(10).join(f"        - {{component: recruitment, provider_id: S, client_id: R{n:02d}, "
              f"earned_on: 2018-02-{n:02d}, amount: 2000.00}}" for n in range(1, 16))}
        - {{component: recruitment, provider_id: S, client_id: R16, earned_on: 2018-02-16,
           amount: 0.00, capped_from: 2000.00, cap: client_budget}}
""")
    results = run_scheme_tests(tmp_path / "tests.yaml")
    assert [list(r.differences) for r in results] == [
        ["case 'budget': expected recruitment R16 held (budget), got paid 0.00 on 2018-02-16"],
        ["case 'cut': recruitment S R16 2018-02-16 0.00: expected capped from 2000.00 by "
         "client_budget, got capped from 2000.00 by result_budget"],
    ]


def test_an_invalid_tests_file_names_file_and_line(tmp_path: Path) -> None:
    _copy_scheme(tmp_path)
    bad = tmp_path / "tests.yaml"
    bad.write_text(textwrap.dedent("""\
        cases:
          - name: bad
            as_of: 2018-12-31
            events:
              - {type: enrolled, provider_id: P1, client_id: A1, occurred_on: 2018-02-30}
              - {type: employment_started, provider_id: P1, occurred_on: 2018-01-31, fte: abc}
              - {type: enrolled, provider_id: P1, occurred_on: 2018-01-31, nested: {a: 1}}
            expect:
              entries:
                - {component: placement, provider_id: P1, earned_on: 2018-05-01, amount: 9.001}
          - name: worse
            as_of: 2018-13-01
            expect: {}
        """))
    with pytest.raises(SchemeTestError) as info:
        run_scheme_tests(bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:7: cases.0.events.2.nested: expected a text, a number, true/false or a list of "
        "integers, got {'a': 1}",
        f"{bad}:10: cases.0.expect.entries.0.amount: expected a euro amount like 900.00, got "
        "'9.001'",
        f"{bad}:12: cases.1.as_of: expected a date YYYY-MM-DD, got '2018-13-01'",
        f"{bad}:13: cases.1.expect: expected at least one of entries, held or total, got none",
    ]
    bad.write_text(textwrap.dedent("""\
        cases:
          - name: bad
            as_of: 2018-12-31
            events:
              - {type: enrolled, provider_id: P1, client_id: A1, occurred_on: 2018-02-30}
              - {type: employment_started, provider_id: P1, occurred_on: 2018-01-31, fte: abc}
            expect: {total: 0.00}
        """))
    with pytest.raises(SchemeTestError) as info:
        run_scheme_tests(bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:5: cases.0.events.0.occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'",
        f"{bad}:6: cases.0.events.1.fte: expected a decimal number like 0.5, got 'abc'",
    ]


def test_unknown_components_and_duplicate_names(tmp_path: Path) -> None:
    _copy_scheme(tmp_path)
    bad = tmp_path / "tests.yaml"
    case = """\
  - name: same
    as_of: 2018-12-31
    expect:
      entries: [{component: placment, provider_id: P1, earned_on: 2018-05-01, amount: 9.00}]
      held: [{component: trainig}]
"""
    bad.write_text("cases:\n" + case)
    with pytest.raises(SchemeTestError) as info:
        run_scheme_tests(bad)
    expected = "a component of varsinais-suomi (placement, training_referral)"
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:5: cases.0.expect.entries.0.component: expected {expected}, got 'placment'",
        f"{bad}:6: cases.0.expect.held.0.component: expected {expected}, got 'trainig'",
    ]
    bad.write_text("cases:\n" + case + case)
    with pytest.raises(SchemeTestError, match="a different name for each case, got 'same'"):
        run_scheme_tests(bad)
    bad.write_text("cases: [")
    with pytest.raises(SchemeTestError, match=r"tests.yaml:1: expected valid YAML"):
        run_scheme_tests(bad)
    bad.write_text("- name: x\n")
    with pytest.raises(SchemeTestError, match=r"expected a mapping with cases"):
        run_scheme_tests(bad)


def test_a_broken_scheme_is_a_scheme_error(tmp_path: Path) -> None:
    (tmp_path / "scheme.yaml").write_text("scheme: x\n")
    (tmp_path / "tests.yaml").write_text(
        "cases: [{name: a, as_of: 2018-01-01, expect: {total: 0}}]\n")
    with pytest.raises(SchemeError):
        run_scheme_tests(tmp_path)


def test_finding_tests_files(tmp_path: Path) -> None:
    scheme = _copy_scheme(tmp_path)
    with pytest.raises(SchemeTestError) as info:
        find_scheme_tests(scheme)
    assert str(info.value) == (f"{scheme}: expected a tests file next to the scheme "
                               "(tests.yaml or scheme.test.yaml), got none")
    with pytest.raises(SchemeTestError, match="a folder with scheme tests"):
        find_scheme_tests(tmp_path)
    with pytest.raises(SchemeTestError, match="no such file"):
        find_scheme_tests(tmp_path / "nothing.yaml")

    other = tmp_path / "other.yaml"
    shutil.copy(scheme, other)
    case = "cases: [{name: a, as_of: 2018-01-01, expect: {total: 0.00}}]\n"
    (tmp_path / "tests.yaml").write_text(case)
    (tmp_path / "other.test.yaml").write_text(case)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "x.test.yaml").write_text("scheme: ../other.yaml\n" + case)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "tests.yaml").write_text(case)
    assert find_scheme_tests(scheme) == [tmp_path / "tests.yaml"]
    assert find_scheme_tests(other) == [tmp_path / "other.test.yaml"]
    assert find_scheme_tests(tmp_path) == [
        tmp_path / "more" / "x.test.yaml", tmp_path / "other.test.yaml",
        tmp_path / "tests.yaml"]
    results = run_scheme_tests(tmp_path)
    assert [(Path(r.file).name, r.passed) for r in results] == [
        ("x.test.yaml", True), ("other.test.yaml", True), ("tests.yaml", True)]
    # a tests.yaml that names another scheme does not belong to scheme.yaml
    (tmp_path / "tests.yaml").write_text("scheme: other.yaml\n" + case)
    assert find_scheme_tests(other) == [tmp_path / "other.test.yaml", tmp_path / "tests.yaml"]


def test_json_report() -> None:
    results = run_scheme_tests(EXAMPLES / "etela-pohjanmaa")
    doc = json.loads(format_test_report(results, "json"))
    assert doc["passed"] == 3 and doc["failed"] == 0
    assert doc["cases"][0] == {
        "file": str(EXAMPLES / "etela-pohjanmaa" / "tests.yaml"), "line": 7,
        "scheme": "etela-pohjanmaa", "name": "phase 2 is paid after the option was exercised",
        "passed": True, "differences": [], "entries": 2}


def test_the_failing_example_in_the_guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    doc = (ROOT / "docs" / "procurement.md").read_text()
    m = re.search(r"<!-- scheme-test: ([\w-]+) -->\n```yaml\n(.*?)```.*?```text\n(.*?)```", doc,
                  re.S)
    assert m is not None
    pilot, tests, report = m.groups()
    _copy_scheme(tmp_path, pilot)
    (tmp_path / "tests.yaml").write_text(tests)
    monkeypatch.chdir(tmp_path)
    assert format_test_report(run_scheme_tests("tests.yaml")) == report.rstrip("\n")
