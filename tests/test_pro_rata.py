"""A schedule paid in arrears, part steps pro rata (the UK Work and Health
Programme's delivery fee: 50 000.00 a month for the service 2017-11-20 to
2022-11-19, paid on the 1st of the next month); the euros worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import kasvufee
from kasvufee.errors import SchemeError

SCHEME = """\
scheme: whp
title: delivery fee
currency: GBP
contract: {service_start: 2017-11-20, service_end: 2022-11-19}
versions:
  - version: "2017"
    valid_from: 2017-04-01
    components:
      - id: delivery_fee
        kind: schedule
        provider: CPA1
        amount: 50000.00
        schedule: {every: {months: 1}, start: 2017-12-01, count: 61}
        pro_rata: {start: contract.service_start, end: contract.service_end}
"""


def _ledger(text: str = SCHEME) -> kasvufee.Ledger:
    return kasvufee.evaluate(kasvufee.parse_scheme(text), kasvufee.events_from_records([]),
                             dt.date(2022, 12, 31))


def test_part_months_in_part_and_exactly_the_contract_in_all() -> None:
    ledger = _ledger()
    paid = [(e.earned_on.isoformat(), str(e.amount)) for e in ledger.entries]
    # November 2017: 20-30, 11 of 30 days: 18 333.33; November 2022: 1-19, 19 of 30: 31 666.67
    assert paid[:2] == [("2017-12-01", "18333.33"), ("2018-01-01", "50000.00")]
    assert paid[-2:] == [("2022-11-01", "50000.00"), ("2022-12-01", "31666.67")]
    assert len(paid) == 61
    assert ledger.total() == Decimal("3000000.00")
    assert ledger.entries[0].explanation == (
        "delivery_fee pays £18333.33 to CPA1 (contract level), earned 2017-12-01: instalment "
        "1 of 61 due on 2017-12-01: £50000.00 * 11/30 days of 2017-11-01 to 2017-11-30 inside "
        "contract.service_start 2017-11-20 to contract.service_end 2022-11-19 = £18333.33. "
        "Scheme whp version 2017.")


def test_pro_rata_needs_a_step_and_contract_dates() -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace(
            "{every: {months: 1}, start: 2017-12-01, count: 61}",
            "{dates: [2017-12-01]}").replace("contract.service_end}", "contract.delivery_end}"),
            source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:13: versions.0.components.0.schedule: expected a schedule with every: (the step "
        "each instalment pays for) with pro_rata, got dates"]
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace("contract.service_end}", "contract.delivery_end}"),
                              source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:14: versions.0.components.0.pro_rata.end: expected a date named under contract "
        "(service_start, service_end), got 'contract.delivery_end'"]
