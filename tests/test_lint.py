"""``lint``: the report's lessons as findings on the seed schemes and on small
schemes made to trip one check each."""

from __future__ import annotations

import json
import re

import pytest

import kasvufee
from kasvufee.design.lint import CHECKS, Finding, format_findings, has_errors, lint
from kasvufee.errors import SchemeError
from tests.conftest import EXAMPLES, ROOT, scheme_yaml

# (code, severity, component) of every finding on each seed scheme
EXPECTED: dict[str, list[tuple[str, str, str | None]]] = {
    "etela-pohjanmaa": [("KF109", "info", None)],
    "kaakkois-suomi": [
        ("KF101", "warning", None), ("KF103", "warning", "vacancy_reported"),
        ("KF104", "info", "placement"), ("KF105", "warning", "placement"),
        ("KF106", "info", "placement"), ("KF111", "warning", None)],
    "keski-suomi": [("KF108", "warning", None)],
    "lappi-matkailu": [
        ("KF104", "info", "recruitment"), ("KF106", "info", "recruitment"),
        ("KF107", "warning", "quality"), ("KF108", "warning", None)],
    "pirkanmaa-kasvubuusti": [
        ("KF104", "info", "result"), ("KF105", "warning", "result"),
        ("KF111", "warning", None)],
    "pohjois-pohjanmaa": [
        ("KF101", "warning", None), ("KF103", "warning", "new_employment"),
        ("KF103", "warning", "networks"), ("KF103", "warning", "students_directed"),
        ("KF103", "warning", "cross_border_placement"),
        ("KF104", "info", "employment_duration"), ("KF106", "info", "employment_duration"),
        ("KF111", "warning", None), ("KF112", "warning", None)],
    "pohjois-savo": [
        ("KF101", "warning", None), ("KF102", "warning", "sales_growth"),
        ("KF111", "warning", None)],
    "satakunta-kokosata": [
        ("KF104", "info", "recruitment"), ("KF105", "warning", "recruitment"),
        ("KF106", "info", "recruitment")],
    "seutukaupungit": [("KF109", "info", None)],
    "uusimaa-koko-rekry": [
        ("KF101", "warning", None), ("KF105", "warning", "placement"),
        ("KF106", "info", "placement"), ("KF111", "warning", None)],
    "varsinais-suomi": [
        ("KF101", "warning", None), ("KF104", "info", "placement"),
        ("KF106", "info", "placement"), ("KF111", "warning", None)],
    "yrittajasta-tyonantajaksi": [
        ("KF104", "info", "recruitment_result"), ("KF107", "warning", "client_experience"),
        ("KF111", "warning", None)],
}


def _lint_example(name: str) -> list[Finding]:
    return lint(kasvufee.load_scheme(EXAMPLES / name / "scheme.yaml"))


def _lint_text(text: str) -> list[Finding]:
    return lint(kasvufee.parse_scheme(text))


def _unbounded_yrittajasta() -> list[Finding]:
    """The nationwide pilot without the ceiling of its per-answer fee."""
    text = (EXAMPLES / "yrittajasta-tyonantajaksi" / "scheme.yaml").read_text(encoding="utf-8")
    ceiling = "        max_amount: 1000.00            # the seed's maximum: all five answers"
    assert ceiling in text
    return _lint_text("\n".join(line for line in text.splitlines()
                                if not line.startswith(ceiling)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_seed_schemes_get_their_findings(name: str) -> None:
    found = _lint_example(name)
    assert [(f.code, f.severity, f.component) for f in found] == EXPECTED[name]
    for f in found:
        assert f.severity == CHECKS[f.code].severity
        # the lesson as a general rule, then where it was learnt
        assert f.lesson == CHECKS[f.code].lesson
        assert f.lesson.endswith(f" (source: {CHECKS[f.code].source})")
        assert CHECKS[f.code].source.startswith("TEM 17/2018, ")
        assert f.message.startswith(CHECKS[f.code].name + ": ")


def test_every_example_scheme_is_covered() -> None:
    assert sorted(p.parent.name for p in EXAMPLES.glob("*/scheme.yaml")) == sorted(EXPECTED)


def test_uusimaa_is_a_pure_result_model() -> None:
    f = _lint_example("uusimaa-koko-rekry")[0]
    assert f.message == (
        "no base fee: every component pays only for results (placement); none is a base fee "
        "on enrolment, a milestone or a schedule, so the provider carries all the risk of "
        "too few clients or outcomes. Consider a base or start fee (e.g. 50 %)")
    assert "purely result-based fee models have not worked particularly well in any trial" \
        in f.lesson


def test_uusimaa_pays_no_incentive_for_lasting_employment() -> None:
    f = next(f for f in _lint_example("uusimaa-koko-rekry") if f.code == "KF105")
    assert f.message == (
        "no incentive for lasting employment: placement pays when an employment starts, "
        "however short it turns out, and no component pays for employment that lasts. Pay "
        "(also) for employment lasting some months (lasts: {months: 3})")


def test_sales_growth_is_outside_the_providers_influence() -> None:
    f = next(f for f in _lint_example("pohjois-savo") if f.code == "KF102")
    assert f.message == (
        "criterion outside the provider's influence: sales_growth is declared influence: "
        "low, so the provider can do little to earn it and it does not steer the service. Pay "
        "for what the provider's work brings about, or keep this as a reported metric without "
        "a fee")
    assert "Pohjois-Savo" in f.lesson


def test_lappi_result_share_is_twenty_per_cent_of_the_contract() -> None:
    f = next(f for f in _lint_example("lappi-matkailu") if f.code == "KF108")
    assert f.message == (
        "result share too small to steer: result-based fees are 20.0 % of the most one "
        "provider's contract can pay: 20000.00 € of 100000.00 € (result: quality, recruitment; "
        "fixed: fixed); below 25 % a result fee is too small to steer. Raise the result part "
        "or make the fixed part smaller")


def test_keski_suomi_quality_bonus_is_a_small_share() -> None:
    f = _lint_example("keski-suomi")[0]
    assert "13.8 % of the most one provider's contract can pay: 19200.00 € of 139200.00 €" \
        in f.message


def test_pirkanmaa_has_a_missing_data_policy_and_half_result() -> None:
    codes = {f.code for f in _lint_example("pirkanmaa-kasvubuusti")}
    assert not codes & {"KF101", "KF107", "KF108"}


def test_varsinais_suomi_tiers_pay_more_for_harder_clients() -> None:
    assert "KF113" not in {f.code for f in _lint_example("varsinais-suomi")}


def test_bothnian_arc_criteria_are_imprecise() -> None:
    f = next(f for f in _lint_example("pohjois-pohjanmaa")
             if f.code == "KF103" and f.component == "cross_border_placement")
    assert f.message == (
        "imprecise criterion: every employment_started event (with cross_border true) pays "
        "400.00 €, with no evidence rule, time window, minimum duration or prerequisite. "
        "Define what counts, under which conditions and by which evidence (evidence:, window:, "
        "lasts:, requires:), or pay once per client")
    f = next(f for f in _lint_example("pohjois-pohjanmaa") if f.code == "KF112")
    assert f.message == (
        "no cap per client: a client can earn new_employment, employment_duration, "
        "cross_border_placement any number of times (once per event) and no cap limits it. "
        "Pay once per client, or add a cap per client (caps: per: client)")


def test_an_unbounded_per_answer_fee_is_an_error() -> None:
    found = _unbounded_yrittajasta()
    f = next(f for f in found if f.code == "KF110")
    assert f.message == (
        "unbounded amount: the per-answer fee grows with the number of answers on the event "
        "and client_experience has no max_amount. Write the tender's ceiling as max_amount")
    assert has_errors(found)
    assert not has_errors(_lint_example("uusimaa-koko-rekry"))
    assert not has_errors(_lint_example("yrittajasta-tyonantajaksi"))  # with its ceiling


# --------------------------------------------------------------------------- made-up schemes

TIERS = """\
- id: placement
  on: employment_started
  once_per: client
  lasts: {months: 3}
  amount:
    by: client.risk_class
    table: {high: 450.00, medium: 650.00, low: 900.00}
- id: start
  on: enrolled
  once_per: client
  amount: 300.00
"""


def test_a_tier_table_that_pays_less_for_harder_clients_is_an_error() -> None:
    found = [f for f in _lint_text(scheme_yaml(TIERS)) if f.code == "KF113"]
    assert [(f.severity, f.component, f.message) for f in found] == [(
        "error", "placement",
        "tier table pays less for harder clients: placement pays less for a harder client by "
        "client.risk_class (high 450.00 € < medium 650.00 €; high 450.00 € < low 900.00 €; "
        "medium 650.00 € < low 900.00 €), which pays the provider to take the easy clients and "
        "park the hard ones. Pay at least as much for high risk as for medium, and for medium "
        "as for low")]


def test_lint_writes_the_schemes_currency() -> None:
    text = scheme_yaml(TIERS).replace("scheme: t\n", "scheme: t\ncurrency: GBP\n", 1)
    assert "currency: GBP" in text
    found = [f for f in _lint_text(text) if f.code == "KF113"]
    assert "(high £450.00 < medium £650.00; high £450.00 < low £900.00; medium £650.00 < " \
        "low £900.00)" in found[0].message


def test_a_checkpoint_tier_table_is_checked_too() -> None:
    text = scheme_yaml("""\
- id: kept
  kind: checkpoint
  months: 12
  metrics: {n: {on: recruitment_made, count: true, since: anchor, until: checkpoint}}
  condition: n >= 1
  amount: {by: client.risk_class, table: {high: 900.00, medium: 950.00, low: 450.00}}
""")
    found = [f for f in _lint_text(text) if f.code == "KF113"]
    assert [f.component for f in found] == ["kept"]
    assert "(high 900.00 € < medium 950.00 €)" in found[0].message


def test_result_share_of_one_client_when_the_contract_is_open() -> None:
    text = scheme_yaml("""\
- id: start
  on: enrolled
  once_per: client
  amount: 1000.00
- id: placement
  on: employment_started
  once_per: client
  evidence: {}
  window: {months: 6}
  lasts: {months: 3}
  amount: 200.00
""")
    found = {f.code: f for f in _lint_text(text)}
    assert sorted(found) == ["KF108", "KF111"]
    assert found["KF108"].message == (
        "result share too small to steer: result-based fees are 16.7 % of one client's maximum "
        "payouts (each client-level component once; contract-level components left out): "
        "200.00 € of 1200.00 € (result: placement; fixed: start); below 25 % a result fee is "
        "too small to steer. Raise the result part or make the fixed part smaller")


def test_a_cap_over_fixed_and_result_fees_together_does_not_decide_the_share() -> None:
    text = scheme_yaml("""\
- id: start
  on: enrolled
  once_per: client
  amount: 1000.00
- id: placement
  on: employment_started
  once_per: client
  evidence: {}
  window: {months: 6}
  lasts: {months: 3}
  amount: 200.00
""", caps="- {id: budget, per: contract, amount: 100000.00}\n")
    found = {f.code: f for f in _lint_text(text)}
    assert sorted(found) == ["KF108"]
    assert "16.7 % of one client's maximum payouts" in found["KF108"].message


def test_an_unbounded_formula_and_a_low_influence_metric() -> None:
    text = scheme_yaml("""\
- id: revenue_bonus
  on: metric_observed
  where: {metric: revenue}
  once_per: client
  influence: low
  evidence: {}
  amount: {formula: value * 0.01}
""")
    found = [(f.code, f.severity, f.component) for f in _lint_text(text)]
    assert found == [("KF101", "warning", None), ("KF102", "warning", "revenue_bonus"),
                     ("KF110", "error", "revenue_bonus"), ("KF111", "warning", None)]
    f = next(f for f in _lint_text(text) if f.code == "KF110")
    assert f.message == ("unbounded amount: the formula value * 0.01 has no upper limit and "
                         "revenue_bonus has no max_amount. Write the tender's ceiling as "
                         "max_amount")


def test_a_formula_bounded_by_its_own_text_is_not_unbounded() -> None:
    # at most 1 600 x 1.25 = 2 000.00 whatever the attributes hold: no KF110
    text = scheme_yaml("""\
- id: outcome
  on: employment_started
  once_per: client
  evidence: {}
  amount: {formula: 'if(client.stream == "A", 400, 1600) * if(client.area == "r", 1.25, 1)'}
""")
    assert [f.code for f in _lint_text(text) if f.code == "KF110"] == []
    unbounded = text.replace("1600)", "value)")  # an event number: no bound
    assert [f.code for f in _lint_text(unbounded) if f.code == "KF110"] == ["KF110"]


def test_a_bounded_formula_and_caps_that_bound_everything() -> None:
    text = scheme_yaml("""\
- id: start
  on: milestone_reached
  where: {milestone: contract_started}
  once_per: provider
  amount: 10000.00
- id: bonus
  on: quality_rated
  where: {period_no: [1, 2]}
  once_per: [provider, period_no]
  amount: {formula: 1000.00 * score}
  max_amount: 5000.00
""")
    assert _lint_text(text) == []


def test_a_quality_band_without_missing_policy() -> None:
    text = scheme_yaml("""\
- id: start
  on: enrolled
  once_per: client
  amount: 500.00
- id: quality
  on: survey_answered
  once_per: client
  amount: {mean_of: answers, bands: [{at_least: 3, pays: 500.00}]}
""", caps="- {id: per_client, per: client, amount: 1000.00}\n"
           "- {id: budget, per: contract, amount: 50000.00}\n")
    assert [(f.code, f.component) for f in _lint_text(text)] == [("KF107", "quality")]


def test_a_finding_in_one_version_only_names_it() -> None:
    text = """\
scheme: two
title: two versions
versions:
  - version: "1"
    valid_from: 2016-01-01
    components:
      - {id: placement, on: employment_started, once_per: client, amount: 900.00,
         influence: low}
  - version: "2"
    valid_from: 2017-01-01
    components:
      - {id: placement, on: employment_started, once_per: client, amount: 900.00}
"""
    f = next(f for f in _lint_text(text) if f.code == "KF102")
    assert f.message.startswith("version 1: criterion outside the provider's influence: ")
    assert next(f for f in _lint_text(text) if f.code == "KF101").message.startswith(
        "no base fee: ")


# --------------------------------------------------------------------------- output


def test_text_output() -> None:
    found = _lint_example("uusimaa-koko-rekry")
    text = format_findings(found, "text", source="examples/uusimaa-koko-rekry/scheme.yaml")
    lines = text.splitlines()
    assert lines[0] == "examples/uusimaa-koko-rekry/scheme.yaml:"
    assert lines[1].startswith("KF101 warning scheme: no base fee: every component")
    assert lines[2] == (
        "    lesson: A fee paid only for results leaves the provider all the risk of too few "
        "clients or outcomes; a base fee secures the resources the work needs. (source: TEM "
        "17/2018, section 4.1 and development proposals 12-14: purely result-based fee models "
        "have not worked particularly well in any trial (Uusimaa: 100 % result fee, targets "
        "out of reach when clients were few); the models that worked (Pirkanmaa 50/25/25, "
        "Satakunta 50 % start fee) secure the provider's resources with a base fee)")
    assert lines[3].startswith("KF105 warning placement: no incentive for lasting employment")
    assert lines[-1] == "4 findings: 0 errors, 3 warnings, 1 info"
    assert format_findings([], "text") == "no findings"


def test_json_output() -> None:
    found = _unbounded_yrittajasta()
    doc = json.loads(format_findings(found, "json", source="y.yaml"))
    assert doc["scheme"] == "y.yaml"
    assert doc["summary"] == {"error": 1, "warning": 2, "info": 1, "suppressed": 0}
    assert [set(d) for d in doc["findings"]] == [
        {"code", "severity", "component", "message", "lesson", "suppressed"}] * 4
    assert doc["findings"][2]["code"] == "KF110"
    assert doc["findings"][2]["component"] == "client_experience"
    with pytest.raises(ValueError, match="format text or json"):
        format_findings(found, "xml")  # type: ignore[arg-type]


def test_the_codes_are_stable_and_documented() -> None:
    assert list(CHECKS) == [f"KF1{n:02d}" for n in range(1, 16)]
    doc = (ROOT / "docs" / "procurement.md").read_text()
    for code, check in CHECKS.items():
        assert re.search(rf"\| `{code}` \| {check.severity} \|", doc), code


def test_the_revised_uusimaa_scheme_in_the_guide_has_no_findings() -> None:
    doc = (ROOT / "docs" / "procurement.md").read_text()
    block = re.search(r"```yaml\n(scheme: uusimaa-koko-rekry-revised\n.*?)```", doc, re.S)
    assert block is not None
    assert lint(kasvufee.parse_scheme(block.group(1))) == []


def test_a_finding_accepted_with_a_written_reason_is_shown_not_failed() -> None:
    text = scheme_yaml("""\
- id: revenue_bonus
  on: metric_observed
  where: {metric: revenue}
  once_per: client
  evidence: {}
  amount: {formula: value * 0.01}
""") + """\
lint:
  suppress:
    - {code: KF110, component: revenue_bonus, reason: the tender caps the bonus by contract}
    - {code: KF113, reason: no tiers here}
"""
    findings = _lint_text(text)
    assert not has_errors(findings)  # the only error is accepted, with its reason
    assert format_findings(findings).splitlines() == [
        "KF101 warning scheme: no base fee: every component pays only for results "
        "(revenue_bonus); none is a base fee on enrolment, a milestone or a schedule, so the "
        "provider carries all the risk of too few clients or outcomes. Consider a base or "
        "start fee (e.g. 50 %)",
        f"    lesson: {CHECKS['KF101'].lesson}",
        "KF110 error revenue_bonus: unbounded amount: the formula value * 0.01 has no upper "
        "limit and revenue_bonus has no max_amount. Write the tender's ceiling as max_amount",
        "    suppressed: the tender caps the bonus by contract",
        f"    lesson: {CHECKS['KF110'].lesson}",
        "KF111 warning scheme: no cap per contract: no cap per contract or provider covers "
        "revenue_bonus, so what the contract costs grows with the number of clients and "
        "events without limit. Add a budget cap (caps: per: contract or per: provider)",
        f"    lesson: {CHECKS['KF111'].lesson}",
        "KF115 info scheme: unused suppression: the suppression of KF113 matches no finding: "
        "remove it, or check its code and component",
        f"    lesson: {CHECKS['KF115'].lesson}",
        "4 findings: 0 errors, 2 warnings, 1 info (1 suppressed with its reason)"]


def test_a_suppression_needs_a_code_and_a_written_reason() -> None:
    bad = scheme_yaml("- {id: start, on: enrolled, amount: 100.00}\n") + (
        "lint:\n  suppress:\n    - {code: KF11, reason: ' '}\n")
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(bad, source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:10: lint.suppress.0.code: expected a lint code like KF104, got 'KF11'",
        "s.yaml:10: lint.suppress.0.reason: expected a written reason, got only spaces"]
