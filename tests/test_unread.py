"""Nothing unread goes unnoticed: misspelt event types are refused where they
are read, and what a run does not read (event types, components, attributes)
is reported with the nearest known name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kasvufee
from kasvufee.cli import main
from kasvufee.design import lint
from kasvufee.events.types import nearest_name, type_spelling
from kasvufee.report.coverage import coverage
from tests.conftest import EXAMPLES, ROOT, scheme_yaml

VS = EXAMPLES / "varsinais-suomi"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _typo_scheme(tmp_path: Path) -> Path:
    path = tmp_path / "scheme.yaml"
    path.write_text((VS / "scheme.yaml").read_text().replace(
        "on: employment_started", "on: employment_start"))
    return path


@pytest.mark.parametrize(("text", "guess"), [
    ("Employment_Started", "employment_started"),
    ("Employment Started", "employment_started"),
    ("EMPLOYMENT-STARTED", "employment_started"),
    ("työ_alkoi", None),
    ("2nd_interview", None),
])
def test_type_spelling(text: str, guess: str | None) -> None:
    assert type_spelling(text) == guess


def test_nearest_name() -> None:
    assert nearest_name("employment_start", {"employment_started", "enrolled"}) == \
        "employment_started"
    assert nearest_name("enrolled", {"enrolled"}) is None  # not itself
    assert nearest_name("vacancy_reported", {"employment_started"}) is None


def test_a_misspelt_type_is_refused_with_its_line(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text((VS / "events.csv").read_text()
                      .replace("e0002,employment_started", "e0002,Employment_Started")
                      .replace("e0005,employment_started", "e0005, employment started "))
    out = tmp_path / "ledger.csv"
    code, stdout, stderr = invoke("run", str(VS / "scheme.yaml"), str(events), "--out", str(out))
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"{events}:3: type: expected an event type in lowercase letters, digits and _ like "
        "employment_started, got 'Employment_Started' (did you mean employment_started?)\n"
        f"{events}:6: type: expected an event type in lowercase letters, digits and _ like "
        "employment_started, got 'employment started' (did you mean employment_started?)\n"
        "kasvufee: 2 problems; nothing was written\n")
    assert not out.exists()


def test_spaces_around_a_type_are_stripped() -> None:
    table = kasvufee.events_from_records([
        {"event_id": "e1", "type": " enrolled\t", "provider_id": "P", "client_id": "A",
         "occurred_on": "2018-01-02"}])
    assert table["type"].to_list() == ["enrolled"]


def test_run_reports_unread_types_and_unreached_components(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, _, stderr = invoke("run", str(_typo_scheme(tmp_path)), str(VS / "events.csv"),
                             "--as-of", "2018-12-31", "--report", str(report), "--out",
                             str(tmp_path / "ledger.csv"))
    assert code == 0
    assert stderr == (
        "varsinais-suomi: 2 entries, total 200.00 EUR as of 2018-12-31\n"
        "  training_referral: 200.00\n"
        "1 held (earned nothing):\n"
        "  training_referral P1 A2 [e0009]: already earned once for this key by e0008 on "
        "2018-01-20\n"
        "1 event type no component reads:\n"
        "  employment_started: 6 events (did you mean employment_start?)\n"
        "1 component no event reaches:\n"
        "  placement (version 1, on employment_start): did you mean employment_started?\n")
    data = json.loads(report.read_text())
    assert data["unread_types"] == [
        {"type": "employment_started", "events": 6, "nearest": "employment_start"}]
    assert data["unreached_components"] == [
        {"component": "placement", "version": "1", "on": ["employment_start"],
         "nearest": "employment_started"}]
    assert data["missing_attributes"] == []


def test_a_run_that_reads_everything_reports_nothing_more(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, _, stderr = invoke("run", str(VS / "scheme.yaml"), str(VS / "events.csv"),
                             "--as-of", "2018-12-31", "--report", str(report), "--out",
                             str(tmp_path / "ledger.csv"))
    assert code == 0 and "no component reads" not in stderr and "warning" not in stderr
    data = json.loads(report.read_text())
    assert (data["unread_types"], data["unreached_components"], data["missing_attributes"]) == \
        ([], [], [])


def test_attributes_the_events_lack_are_reported_before_the_ledger(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("event_id,type,provider_id,client_id,occurred_on,employment_id\n"
                      "e1,enrolled,P1,A1,2018-01-02,\n"
                      "e2,employment_started,P1,A1,2018-01-31,A1-1\n")
    code, stdout, stderr = invoke("run", str(VS / "scheme.yaml"), str(events), "--as-of",
                                  "2018-12-31", "--format", "jsonl")
    assert (code, stdout) == (0, "")
    assert stderr.splitlines()[0] == (
        "warning: no event has risk_class, which placement reads: check the events file's "
        "columns")
    assert "  placement P1 A1 [e2]: missing client.risk_class (needs one of high, medium, low)" \
        in stderr.splitlines()


def test_validate_warns_on_an_unknown_type_with_its_line(tmp_path: Path) -> None:
    scheme = _typo_scheme(tmp_path)
    code, stdout, stderr = invoke("validate", str(scheme))
    assert code == 0
    assert stdout == f"{scheme}: valid scheme 'varsinais-suomi', 1 version, 2 components, " \
                     "1 warning\n"
    assert stderr == (
        f"warning: {scheme}:12: versions.0.components.0.on: expected an event type of the core "
        "vocabulary or of the scheme's event_types (did you mean employment_started?), got "
        "'employment_start'\n")


def test_declared_event_types_are_known(tmp_path: Path) -> None:
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("event_types: [earnings_reported]\n" + scheme_yaml(
        "- id: earnings\n  on: earnings_reported\n  amount: 100.00\n"
        "- id: typo\n  on: earnings_reportd\n  amount: 100.00\n"))
    code, stdout, stderr = invoke("validate", str(scheme))
    assert (code, stdout) == (
        0, f"{scheme}: valid scheme 't', 1 version, 2 components, 1 warning\n")
    assert stderr == (
        f"warning: {scheme}:12: versions.0.components.1.on: expected an event type of the core "
        "vocabulary or of the scheme's event_types (did you mean earnings_reported?), got "
        "'earnings_reportd'\n")


def test_event_types_are_spelt_like_events(tmp_path: Path) -> None:
    with pytest.raises(kasvufee.SchemeError) as info:
        kasvufee.parse_scheme("event_types: [Earnings]\n" + scheme_yaml(
            "- id: a\n  on: enrolled\n  amount: 1.00\n"), source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:1: event_types.0: expected an event type in lowercase letters, digits and _ "
        "like employment_started, got 'Earnings'"]


def test_lint_kf114_names_the_nearest_type(tmp_path: Path) -> None:
    findings = [f for f in lint(kasvufee.load_scheme(_typo_scheme(tmp_path)))
                if f.code == "KF114"]
    assert [(f.severity, f.component, f.message) for f in findings] == [(
        "warning", "placement",
        "unknown event type: on: employment_start is neither an event type of the core "
        "vocabulary nor one of the scheme's event_types, so no event may reach it. Did you mean "
        "employment_started? Correct the spelling, or declare the type under event_types")]


def test_lint_kf114_in_a_rating_and_a_window() -> None:
    scheme = kasvufee.parse_scheme(
        "rating: {on: survey_answerd}\n" + scheme_yaml(
            "- id: a\n  on: employment_started\n  once_per: client\n"
            "  window: {anchor: enroled, months: 6}\n  amount: 1.00\n"))
    assert [(f.component, f.message.split(" is ")[0]) for f in lint(scheme)
            if f.code == "KF114"] == [
        (None, "unknown event type: rating.on: survey_answerd"),
        ("a", "unknown event type: window.anchor: enroled")]


def test_the_enrolment_date_is_no_missing_column() -> None:
    # client.enrolled_on is the date of the client's enrolled event, read by the
    # Innovation Fund's age condition: no column of that name is needed
    scheme = kasvufee.load_scheme(EXAMPLES / "abroad" / "innovation-fund" / "scheme.yaml")
    events = kasvufee.read_events(ROOT / "tests" / "golden-abroad" / "innovation-fund" /
                                  "events.csv", attribute_types=dict(scheme.attributes))
    assert coverage(scheme, events).missing_lines() == []
