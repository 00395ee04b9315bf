"""Validation results from a spreadsheet (CSV or xlsx): every problem with its
file and line, nothing read from a file that has one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kasvufee.assurance.cycle import ValidationResult
from kasvufee.assurance.results_file import read_results
from kasvufee.errors import InputError


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_results(path)
    return [str(p) for p in info.value.problems]


def test_a_csv_with_a_bom_other_columns_and_any_order(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("\ufeffchecked_by,evidence,entry_id,outcome,reason\n"
                    "MK,case 1,E1,Failed,no payslip\n"
                    "\n"
                    'MK,"case 2, folder 3",E2,passed," matches "\n', encoding="utf-8")
    assert read_results(path) == [
        ValidationResult("E1", "failed", "no payslip", "case 1", str(path), 2),
        ValidationResult("E2", "passed", "matches", "case 2, folder 3", str(path), 4)]


def test_an_xlsx_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["entry_id", "outcome", "reason", "evidence"])
    sheet.append(["E1", "passed", "contract on file", 2019014])
    sheet.append([None, None, None, None])
    sheet.append(["E2", "failed", "no contract", "case 2"])
    path = tmp_path / "results.xlsx"
    book.save(path)
    assert read_results(path) == [
        ValidationResult("E1", "passed", "contract on file", "2019014", str(path), 2),
        ValidationResult("E2", "failed", "no contract", "case 2", str(path), 4)]


@pytest.mark.parametrize(("content", "problems"), [
    ("entry_id,outcome,reason\nE1,passed,ok\n",
     ["{f}:1: expected a header row with the columns entry_id, outcome, reason, evidence, got "
      "no evidence in 'entry_id, outcome, reason'"]),
    ("", ["{f}: expected a header row (entry_id, outcome, reason, evidence) and a row per "
          "result, got an empty file"]),
    ("entry_id,outcome,reason,evidence\n",
     ["{f}: expected at least one result row, got only the header"]),
    ("entry_id,outcome,reason,evidence\n,passed,ok,c\nE2,passed,ok,c\n ,failed,x,y\n",
     ["{f}:2: entry_id: expected a sampled entry's id, got nothing",
      "{f}:4: entry_id: expected a sampled entry's id, got nothing"]),
])
def test_a_malformed_file_names_each_problem(tmp_path: Path, content: str,
                                             problems: list[str]) -> None:
    path = tmp_path / "results.csv"
    path.write_text(content, encoding="utf-8")
    assert _problems(path) == [p.format(f=path) for p in problems]


def test_no_file_no_text_no_workbook(tmp_path: Path) -> None:
    assert _problems(tmp_path / "missing.csv") == [
        f"{tmp_path / 'missing.csv'}: expected an existing results file (CSV or xlsx), got no "
        "such file"]
    assert _problems(tmp_path) == [
        f"{tmp_path}: expected an existing results file (CSV or xlsx), got a folder"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("entry_id,outcome,reason,evidence\nE1,passed,hyväksytty,c\n"
                      .encode("cp1252"))
    assert _problems(latin) == [
        f"{latin}: expected UTF-8 text (CSV) or an xlsx file, got a byte 0xe4 that is not UTF-8"]
    fake = tmp_path / "fake.xlsx"
    fake.write_text("entry_id,outcome\n")
    assert _problems(fake) == [f"{fake}: expected an xlsx workbook, got a file openpyxl cannot "
                               "read"]


def test_a_partial_failure_names_its_part(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("entry_id,outcome,reason,evidence,failed_amount\n"
                    "E1,failed,part-time only,case 1,500.00\n"
                    "E2,failed,no payslip,case 2,\n"
                    "E3,failed,x,case 3,5OO\n", encoding="utf-8")
    assert _problems(path) == [
        f"{path}:4: failed_amount: expected an amount like 500.00, or nothing for all of it, "
        "got '5OO'"]
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n", encoding="utf-8")
    assert read_results(path) == [
        ValidationResult("E1", "failed", "part-time only", "case 1", str(path), 2, 500_00),
        ValidationResult("E2", "failed", "no payslip", "case 2", str(path), 3, None)]
