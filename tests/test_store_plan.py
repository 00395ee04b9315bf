"""What a post plans when posted entries are no longer due: the reversals'
reasons and order, the corrected entries, and the stored rows read back in
chunks (on SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from kasvufee.store import PostedLedger, posted
from tests.test_store import events, month_end, scheme

# learned in June: A1's employment ended before its 3-month mark, and A1 was
# referred to training earlier than the referral that was paid
ENDED = {"event_id": "e0099", "type": "employment_ended", "provider_id": "P1", "client_id": "A1",
         "occurred_on": "2018-03-15", "recorded_at": "2018-06-05", "employment_id": "A1-1"}
EARLIER = {"event_id": "e0098", "type": "training_referred", "provider_id": "P1",
           "client_id": "A1", "occurred_on": "2018-01-05", "recorded_at": "2018-06-05",
           "training": "forklift"}


def test_reversals_say_why_and_follow_the_chain(ledger_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(posted, "IDS_PER_QUERY", 1)  # one query per reversed entry
    slug = "varsinais-suomi"
    with PostedLedger.open(ledger_url) as store:
        store.post(scheme(slug), events(slug), "2018-05", posted_at=month_end("2018-05"))
        result = store.post(scheme(slug), events(slug, ENDED, EARLIER), "2018-06",
                            posted_at=month_end("2018-06"))
        assert (result.earned, result.reversals, result.net_cents) == (2, 2, -45_000)
        june = store.entries().filter(pl.col("period") == "2018-06").sort("chain_no")
        rows = june.select("kind", "client_id", "amount", "entry_id", "explanation").rows()
        training = "varsinais-suomi:1:training_referral:e0003:20180110"
        placement = "varsinais-suomi:1:placement:e0002:20180430"
        assert rows == [
            ("reversal", "A1", Decimal("-100.00"), f"{training}-rev",
             f"Reverses {training} (100.00 €, training_referral, posted in 2018-05): no longer "
             "supported: already earned once for this key by e0098 on 2018-01-05."),
            ("reversal", "A1", Decimal("-900.00"), f"{placement}-rev",
             f"Reverses {placement} (900.00 €, placement, posted in 2018-05): no longer "
             "supported: ended on 2018-03-15 (e0099) before the 3-month mark 2018-04-30."),
            ("earned", "A1", Decimal("100.00"),
             "varsinais-suomi:1:training_referral:e0098:20180105",
             "training_referral pays 100.00 € to P1 for client A1, earned 2018-01-05: "
             "training_referred e0098 on 2018-01-05. Scheme varsinais-suomi version 1."),
            ("earned", "A3", Decimal("450.00"), "varsinais-suomi:1:placement:e0011:20180601",
             "placement pays 450.00 € to P1 for client A3, earned 2018-06-01: "
             "employment_started e0011 on 2018-03-01; lasted 3 months to 2018-06-01; "
             "client.risk_class low → 450.00 €. Scheme varsinais-suomi version 1."),
        ]
        # the new referral describes its event and the client's enrolment
        derivation = store.entry(rows[2][3])["derivation"]
        assert [e["event_id"] for e in derivation["events"]] == ["e0098"]
        assert (derivation["client"]["event_id"], derivation["client"]["risk_class"]) == (
            "e0001", "high")
        assert store.verify().ok
