"""The assurance commands as a finance officer mistypes them: every mistake a
whole message and an exit status, nothing recorded (the walkthrough in
docs/assurance.md runs the cycle that works)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kasvufee.cli import main
from tests.conftest import EXAMPLES

SCHEME = str(EXAMPLES / "satakunta-kokosata" / "scheme.yaml")
EVENTS = str(EXAMPLES / "satakunta-kokosata" / "events.csv")
DRAW = ["--scheme", "satakunta-kokosata", "--draw", "d1", "--seed", "s", "--from", "2018-01",
        "--to", "2018-12"]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    path = str(tmp_path / "l.sqlite")
    code, _ = invoke("post", SCHEME, EVENTS, "--ledger", path, "--period", "2018-12",
                     "--posted-on", "2019-01-02")
    assert code == 0
    return path


@pytest.mark.parametrize(("args", "status", "message"), [
    ([*DRAW], 2, "<command line>: --count: expected one of --count N or --share FRACTION, got "
                 "neither\nkasvufee: 1 problem; nothing was written\n"),
    ([*DRAW, "--count", "2", "--share", "0.1"], 2,
     "<command line>: --count: expected one of --count N or --share FRACTION, got both\n"
     "kasvufee: 1 problem; nothing was written\n"),
    ([*DRAW, "--share", "10%"], 2,
     "<command line>: --share: expected a fraction above 0 and at most 1, such as 0.1, got "
     "'10%'\nkasvufee: 1 problem; nothing was written\n"),
    ([*DRAW[:-4], "--from", "2018-1", "--to", "2018-12", "--count", "1"], 2,
     "<command line>: --from: expected a period YYYY-MM, got '2018-1'\n"
     "kasvufee: 1 problem; nothing was written\n"),
    (["--scheme", "satakunta", *DRAW[2:], "--count", "1"], 2,
     "kasvufee: no posting of scheme 'satakunta' in {ledger} (satakunta-kokosata)\n"),
    ([*DRAW, "--count", "1", "--on", "2019-02-30"], 2,
     "<command line>: --on: expected a date YYYY-MM-DD, got '2019-02-30'\n"
     "kasvufee: 1 problem; nothing was written\n"),
])
def test_sample_mistakes(ledger: str, args: list[str], status: int, message: str) -> None:
    code, out = invoke("sample", "--ledger", ledger, *args)
    assert (code, out) == (status, message.format(ledger=ledger))
    assert invoke("assurance", "--ledger", ledger, "--format", "csv") == (0, (
        "scheme_id,provider_id,component,sampled,passed,failed,overturned,pending,"
        "sampled_amount,failed_amount,error_rate,recovered,open_disputes\n"))


def test_results_recover_and_dispute_mistakes(ledger: str, tmp_path: Path) -> None:
    assert invoke("sample", "--ledger", ledger, *DRAW, "--count", "1", "--format", "csv",
                  "--out", str(tmp_path / "s.csv"), "--on", "2019-01-10")[0] == 0
    (tmp_path / "r.csv").write_text("entry_id,outcome,reason,evidence\nE1,passed,ok,c\n")
    assert invoke("results", "d2", str(tmp_path / "r.csv"), "--ledger", ledger) == (
        2, f"kasvufee: no draw 'd2' in {ledger} (d1)\n")
    assert invoke("results", "d1", "--ledger", ledger, "--entry", "E1") == (
        2, "<command line>: expected a results FILE, or --entry, --outcome, --reason and "
           "--evidence, got no --outcome, --reason, --evidence\n"
           "kasvufee: 1 problem; nothing was written\n")
    assert invoke("results", "d1", "r.csv", "--ledger", ledger, "--entry", "E1") == (
        2, "<command line>: FILE: expected a results FILE or --entry with its result, not "
           "both, got both\nkasvufee: 1 problem; nothing was written\n")
    assert invoke("recover", "d1", "--ledger", ledger) == (
        3, "kasvufee: draw d1: 5 sampled entries without a validation result "
           "(satakunta-kokosata:1:recruitment:e0006:20180204, "
           "satakunta-kokosata:1:start_fee:e0001:20180101, "
           "satakunta-kokosata:1:training_referral:e0017:20180320, "
           "satakunta-kokosata:1:recruitment:e0023:20180302, "
           "satakunta-kokosata:1:start_fee:e0002:20180101): record every result before the "
           "recovery\n")
    assert invoke("dispute", "open", "--ledger", ledger, "--scheme", "satakunta-kokosata",
                  "--reason", "x") == (
        2, "<command line>: expected --entry, or --scheme, --provider and --component, got no "
           "--provider, --component\nkasvufee: 1 problem; nothing was written\n")
    assert invoke("dispute", "open", "--ledger", ledger, "--entry", "nope", "--reason", "x") == (
        2, f"kasvufee: no entry 'nope' in {ledger}\n")
    assert invoke("dispute", "decide", "1", "--ledger", ledger, "--reason", "x") == (
        2, "<command line>: --accept: expected --accept or --reject, got neither\n"
           "kasvufee: 1 problem; nothing was written\n")
    assert invoke("dispute", "decide", "1", "--ledger", ledger, "--accept", "--reason", "x",
                  "--amount", "1 000,00") == (
        2, "<command line>: --amount: expected an amount like 650.00 or -650.00, got "
           "'1 000,00'\nkasvufee: 1 problem; nothing was written\n")
    assert invoke("dispute", "decide", "1", "--ledger", ledger, "--reject", "--reason", "x") == (
        2, f"kasvufee: no dispute 'dispute-1' in {ledger} (none yet)\n")
    assert invoke("assurance", "--ledger", ledger, "--disputes", "--format", "csv") == (0, (
        "dispute,scheme_id,provider_id,period,subject,opened_on,claim,status,decided_on,"
        "decision\n"))


def test_a_mistyped_period_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = str(tmp_path / "l.sqlite")
    assert invoke("post", SCHEME, EVENTS, "--ledger", path, "--period", "2018-1") == (
        2, "<command line>: --period: expected a period YYYY-MM, got '2018-1'\n"
           "kasvufee: 1 problem; nothing was written\n")
    assert list(tmp_path.iterdir()) == []


def test_reading_commands_create_no_ledger(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.sqlite")
    for args in (["assurance"], ["recover", "d1"], ["sample", *DRAW, "--count", "1"]):
        assert invoke(*args, "--ledger", missing) == (
            2, f"kasvufee: no ledger at {missing}: check the path or address (a ledger is made "
               "by its first post)\n")
    assert list(tmp_path.iterdir()) == []
