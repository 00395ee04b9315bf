"""Provider star ratings: the mean client score and the number of answers.

Each client's score is the mean of the answers of its first rating event
with the provider (as known on ``as_of``, voids applied, answers off the
declared scale not counted); a provider's rating
is the mean of its clients' scores, rounded half up to two decimals.  Exact:
the means are fractions, rounded once.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import polars as pl

from kasvufee.engine.prepare import prepare
from kasvufee.scheme.model import Scheme

RATING_SCHEMA = {"provider_id": pl.String(), "mean": pl.String(), "answers": pl.Int64()}


def provider_ratings(scheme: Scheme, events: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Columns provider_id, mean (two-decimal text), answers (clients who answered)."""
    r = scheme.rating
    if r is None or r.answers not in events.columns:
        return pl.DataFrame(schema=RATING_SCHEMA)
    p = prepare(events, as_of, scheme.attributes, trust=scheme.trust)
    answered = pl.col(r.answers).is_not_null() & (pl.col(r.answers).list.len() > 0)
    if r.scale is not None:  # an answer off the scale makes the whole rating event not count
        answered = answered & ~pl.col(r.answers).list.eval(
            (pl.element() < r.scale.min) | (pl.element() > r.scale.max)).list.any()
    first = (p.of_type(r.on)
             .filter(answered)
             .unique(["provider_id", "client_id"], keep="first", maintain_order=True)
             .select("provider_id", pl.col(r.answers).list.sum().alias("s"),
                     pl.col(r.answers).list.len().alias("n")))
    rows = []
    for provider, group in first.group_by("provider_id", maintain_order=True):
        # mean of per-client means as an exact fraction, rounded half up once
        exact = sum((Fraction(s, n) for s, n in group.select("s", "n").iter_rows()),
                    Fraction(0)) / group.height
        hundredths = math.floor(exact * 100 + Fraction(1, 2))
        rows.append({"provider_id": provider[0], "mean": f"{hundredths // 100}."
                     f"{hundredths % 100:02d}", "answers": group.height})
    return pl.DataFrame(rows, schema=RATING_SCHEMA).sort("provider_id")
