"""Each component's rule in words, as statements and explanations show it."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.scheme.describe import describe, describe_cap
from tests.conftest import EXAMPLES


def rule(slug: str, component: str) -> str:
    version = kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml").versions[0]
    return describe(version, next(c for c in version.components if c.id == component))


@pytest.mark.parametrize(("slug", "component", "text"), [
    ("varsinais-suomi", "placement",
     "900.00/650.00/450.00 € by client.risk_class (high/medium/low), once per client, on "
     "employment_started, lasting 3 months (no employment_ended of the same employment_id "
     "before then)"),
    ("pirkanmaa-kasvubuusti", "base",
     "1000.00 € (50% of the voucher price 2000.00 €), once per client, on enrolled"),
    ("lappi-matkailu", "recruitment",
     "300.00 €, once per client, on recruitment_made, 150.00 € already on "
     "recruitment_probable, the rest when realised"),
    ("lappi-matkailu", "fixed", "20000.00 €, to LAPPI-REKRY on monthly every 3 from 2018-07-01, "
                                "4 times"),
    ("pohjois-savo", "recruitment_activity",
     "1000.00 €, per client when recruitments >= 1 at 12 months after enrolled (recruitments = "
     "count of recruitment_made after the anchor up to the checkpoint)"),
    ("uusimaa-koko-rekry", "placement",
     "1800.00 €, once per client, on employment_started, for clients with client.education == "
     "'higher' and client.unemployed_months >= 6, with proof (evidence_ref or "
     "evidence_provided)"),
])
def test_rule_in_words(slug: str, component: str, text: str) -> None:
    assert rule(slug, component) == text


def test_cap_in_words() -> None:
    version = kasvufee.load_scheme(EXAMPLES / "lappi-matkailu" / "scheme.yaml").versions[0]
    assert [describe_cap(c) for c in version.caps] == [
        "at most 1000.00 € per client over quality, recruitment",
        "at most 20000.00 € per contract over quality, recruitment"]
