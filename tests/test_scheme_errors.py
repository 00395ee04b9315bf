"""A bad scheme file is rejected with every problem named by file, line and
field — and a scheme file can never run code."""

from __future__ import annotations

from pathlib import Path

import pytest

import kasvufee
from kasvufee.errors import SchemeError

GOOD = """\
scheme: s
title: t
versions:
  - version: "1"
    valid_from: 2016-01-01
    components:
      - id: fee
        on: employment_started
        amount: 900.00
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(text, source="s.yaml")
    return [str(p) for p in info.value.problems]


def test_good_scheme_loads_with_exact_amounts() -> None:
    scheme = kasvufee.parse_scheme(GOOD)
    comp = scheme.versions[0].components[0]
    assert comp.amount == 90000  # cents


def test_every_problem_is_reported_with_its_line() -> None:
    text = GOOD.replace("scheme: s", "scheme: Bad Id").replace("2016-01-01", "2016-02-30") \
        .replace("amount: 900.00", "amount: 900.001")
    assert problems(text) == [
        "s.yaml:1: scheme: expected a lowercase id of letters a-z, digits, '-' and '_' "
        "(like varsinais-suomi), got 'Bad Id'",
        "s.yaml:5: versions.0.valid_from: expected a date YYYY-MM-DD, got '2016-02-30'",
        "s.yaml:9: versions.0.components.0.amount: expected a euro amount like 900.00, "
        "got '900.001'",
    ]


def test_misspelt_field_is_named() -> None:
    assert problems(GOOD.replace("        on:", "        onn:")) == [
        "s.yaml:7: versions.0.components.0: expected a field on, got nothing",
        "s.yaml:8: versions.0.components.0.onn: expected no such field here (check the "
        "spelling), got 'employment_started'",
    ]


def test_on_is_a_key_not_a_yaml_boolean() -> None:
    # YAML 1.1 would read the key `on` as True; kasvufee reads YAML 1.2 booleans
    comp = kasvufee.parse_scheme(GOOD).versions[0].components[0]
    assert comp.on == "employment_started"  # type: ignore[union-attr]


def test_decimals_in_yaml_are_exact() -> None:
    text = GOOD.replace("amount: 900.00", "accumulate: {sum: fte_years, at_least: 0.1}\n"
                        "        once_per: client\n        amount: 900.00")
    comp = kasvufee.parse_scheme(text).versions[0].components[0]
    assert str(comp.accumulate.at_least) == "0.1"  # type: ignore[union-attr]


def test_unknown_component_kind() -> None:
    assert problems(GOOD.replace("      - id: fee\n", "      - id: fee\n        kind: bonus\n")) \
        == ["s.yaml:7: versions.0.components.0: expected 'kind' one of 'event', 'schedule', "
            "'checkpoint', got 'bonus'"]


def test_shares_must_sum_to_one_hundred_percent() -> None:
    text = GOOD.replace("    components:", "    prices:\n      v: {amount: 100.00, shares: "
                        "{fee: 60%, other: 30%}}\n    components:")
    assert problems(text) == [
        "s.yaml:7: versions.0.prices.v: expected shares summing to 100%, got 90%"]


def test_offer_above_max_amount_is_invalid() -> None:
    text = GOOD.replace("amount: 900.00", "amount: 3500.00\n        max_amount: 3000.00")
    assert problems(text) == [
        "s.yaml:9: versions.0.components.0.amount: expected at most max_amount 3000.00, "
        "got 3500.00"]


def test_cap_naming_an_unknown_component() -> None:
    text = GOOD + "    caps:\n      - {id: c, per: client, components: [fe], amount: 5.00}\n"
    assert problems(text) == [
        "s.yaml:11: versions.0.caps.0.components: expected a component id (fee), got 'fe'"]


@pytest.mark.parametrize(("expression", "message"), [
    ("exec('rm -rf /')", "expected a known function (abs, coalesce, days_between, if, "
                         "is_missing, max, min, months_between, round, years_between) (column "
                         "1), got 'exec'"),
    ("__import__('os')", "got '__import__'"),
    ("client.education == ", "got end of expression"),
    ("risk_class == 'high'", "expected a known name (no names are available here) (column 1); "
                             "eligibility reads client.<attribute> names, got 'risk_class'"),
    ("client.unemployed_months + 1", "expected an expression giving a boolean, got one giving a "
                                     "number"),
])
def test_expressions_are_data_not_code(expression: str, message: str) -> None:
    text = GOOD.replace("amount: 900.00", f'eligible: "{expression}"\n        amount: 900.00')
    (problem,) = problems(text)
    assert problem.startswith("s.yaml:9: versions.0.components.0.eligible: expected")
    assert message in problem


@pytest.mark.parametrize("payload", [
    "!!python/object/apply:os.system ['echo owned']",
    "!!python/name:os.system",
    "&a [*a, *a]",
])
def test_yaml_tags_never_construct_objects(payload: str) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(f"scheme: {payload}\n", source="s.yaml")
    assert str(info.value).startswith("s.yaml:")


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.load_scheme(tmp_path / "nope.yaml")
    assert str(info.value).endswith("nope.yaml: expected an existing scheme file, got no such file")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: Ylä-Savo".encode("latin-1"))
    with pytest.raises(SchemeError) as info:
        kasvufee.load_scheme(bad)
    assert str(info.value) == f"{bad}: expected a UTF-8 text file, got the byte 0xe4 at byte 9"
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(SchemeError) as info:
        kasvufee.load_scheme(empty)
    assert str(info.value) == (f"{empty}:1: expected a mapping with scheme, title and versions, "
                               "got an empty document")
    listed = tmp_path / "list.yaml"
    listed.write_text("- scheme: a\n")
    with pytest.raises(SchemeError) as info:
        kasvufee.load_scheme(listed)
    assert str(info.value) == (f"{listed}:1: expected a mapping with scheme, title and versions, "
                               "got a list")
    with pytest.raises(SchemeError) as info:
        kasvufee.load_scheme(tmp_path)
    assert str(info.value) == f"{tmp_path}: expected a readable scheme file, got is a directory"


def test_direct_model_validation_runs_the_cross_checks_too() -> None:
    from pydantic import ValidationError

    from kasvufee.scheme.model import Scheme

    data = {"scheme": "x", "title": "t", "versions": [{
        "version": "1", "valid_from": "2016-01-01",
        "components": [{"id": "a", "on": "x", "amount": {"share_of": "v"}}]}]}
    with pytest.raises(ValidationError, match="a price named under prices"):
        Scheme.model_validate(data)


def test_json_schema_describes_the_file() -> None:
    schema = kasvufee.scheme_json_schema()
    assert schema["title"] == "Scheme"
    assert set(schema["required"]) == {"scheme", "title", "versions"}
    assert "EventFee" in schema["$defs"] and "CheckpointFee" in schema["$defs"]


def test_provisional_above_the_full_amount_is_invalid() -> None:
    text = GOOD.replace("amount: 900.00", "once_per: client\n        amount: 300.00\n"
                        "        provisional: {on: recruitment_probable, amount: 350.00}")
    assert problems(text) == ["s.yaml:11: versions.0.components.0.provisional.amount: expected "
                              "at most the full amount 300.00, got 350.00"]


def test_where_on_a_client_attribute_points_to_eligible() -> None:
    text = GOOD.replace("amount: 900.00", "where: {client.region: lappi}\n        amount: 900.00")
    assert problems(text) == ["s.yaml:9: versions.0.components.0.where.client.region: expected "
                              "an event attribute (client attributes belong in eligible:), got "
                              "'client.region'"]


def test_dates_are_for_the_date_functions_only() -> None:
    text = GOOD.replace("title: t", "title: t\nattributes: {started: date}").replace(
        "amount: 900.00", "amount: {formula: \"started + 1\"}")
    assert problems(text) == [
        "s.yaml:10: versions.0.components.0.amount.formula: expected a number on each side of "
        "'+' (column 1); a formula reads event attributes and client.<attribute>, got a date "
        "(started)"]


@pytest.mark.parametrize("slug", sorted(p.parent.name for p in
                                        (Path(__file__).parent.parent / "examples").glob(
                                            "*/scheme.yaml")))
def test_a_scheme_survives_its_json_copy(slug: str) -> None:
    # the posted ledger keeps each scheme as JSON and reads it back for statements
    from kasvufee.scheme.model import Scheme

    path = Path(__file__).parent.parent / "examples" / slug / "scheme.yaml"
    scheme = kasvufee.load_scheme(path)
    assert Scheme.model_validate_json(scheme.model_dump_json()) == scheme
