"""The golden scenarios: each pilot's scheme on its events gives exactly the
hand-worked euros of ``expected.json`` — component by component, provider by
provider, client by client, entry by entry."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import kasvufee
from tests.conftest import EXAMPLE_SCHEMES, EXAMPLES, GOLDEN, PILOTS, ROOT, SHARED


def _expected(slug: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((GOLDEN / slug / "expected.json").read_text())
    return data


def _ledger(slug: str, events_file: Path) -> kasvufee.Ledger:
    scheme = kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")
    events = kasvufee.read_events(events_file, attribute_types=dict(scheme.attributes))
    as_of = dt.date.fromisoformat(str(_expected(slug)["as_of"]))
    return kasvufee.evaluate(scheme, events, as_of)


def _euros(d: dict[str, object]) -> dict[str, str]:
    return {k: f"{v:.2f}" for k, v in d.items()}


def test_every_scenario_has_an_example() -> None:
    assert len(PILOTS) == 11
    assert set(PILOTS) <= set(EXAMPLE_SCHEMES)
    assert set(EXAMPLE_SCHEMES) - set(PILOTS) == {"seutukaupungit"}


@pytest.mark.parametrize("slug", PILOTS)
def test_golden_scenario(slug: str) -> None:
    expected = _expected(slug)
    ledger = _ledger(slug, GOLDEN / slug / "events.csv")
    earned = sorted([e.component, e.provider_id, e.client_id or "", e.earned_on.isoformat(),
                     f"{e.amount:.2f}"] for e in ledger.entries if e.amount_cents != 0)
    assert earned == sorted(expected["earned"])  # type: ignore[arg-type]
    assert f"{ledger.total():.2f}" == expected["total"]
    assert _euros(ledger.by("component")) == expected["by_component"]
    assert _euros(ledger.by("provider_id")) == expected["by_provider"]
    assert _euros(ledger.by("client_id")) == expected["by_client"]


@pytest.mark.parametrize("slug", PILOTS)
def test_example_events_reproduce_the_scenario(slug: str) -> None:
    ledger = _ledger(slug, EXAMPLES / slug / "events.csv")
    assert f"{ledger.total():.2f}" == _expected(slug)["total"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ is not beside the repository")
def test_vendored_copy_matches_shared() -> None:
    for slug in PILOTS:
        for name in ("events.csv", "expected.json"):
            ours = (ROOT / "tests" / "golden" / slug / name).read_text()
            assert ours == (SHARED / slug / name).read_text(), f"{slug}/{name} drifted"


@pytest.mark.parametrize("slug", PILOTS)
def test_every_entry_explains_itself(slug: str) -> None:
    ledger = _ledger(slug, GOLDEN / slug / "events.csv")
    for e in ledger.entries:
        assert e.explanation.startswith(f"{e.component} pays {e.amount} €")
        assert f"Scheme {slug} version {e.scheme_version}." in e.explanation
        if e.cap:
            assert f"under cap {e.cap}" in e.explanation


def test_entry_fields_satakunta_cap() -> None:
    ledger = _ledger("satakunta-kokosata", GOLDEN / "satakunta-kokosata" / "events.csv")
    by_client = {e.client_id: e for e in ledger.entries if e.component == "recruitment"}
    r15, r16 = by_client["R15"], by_client["R16"]
    assert (r15.amount, r15.capped_from, r15.cap) == (Decimal("800.00"), Decimal("2000.00"),
                                                      "result_budget")
    assert (r16.amount, r16.capped_from, r16.cap) == (Decimal("0.00"), Decimal("2000.00"),
                                                      "result_budget")
    assert r16.period == "2018-04"
    assert r16.event_ids == ("e0021",)
    assert "cut from 2000.00 € to the 0.00 € left under cap result_budget" in r16.explanation
