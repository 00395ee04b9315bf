"""A reproducible, stratified validation sample that an auditor can redraw.

The algorithm, in full (docs/assurance.md works an example by hand):

1. The *frame* is the entries that may be sampled; each has an ``entry_id``, a
   provider, a component and an amount in cents.
2. Each entry's *key* is the SHA-256 of the text ``SEED:ENTRY_ID`` (UTF-8),
   written as 64 lowercase hexadecimal digits.
3. Within each stratum (by default provider and component), entries are ordered
   by key; the first ``n`` are the sample: ``n = min(count, N)`` for a fixed
   count, or ``n = ceil(share * N)`` for a share (at least one of a non-empty
   stratum), where N is the stratum's size.

Nothing depends on the order of the frame, on the machine or on a random
generator's version: the same seed and frame give the same sample, forever.
The *frame digest* (SHA-256 of the sorted ``entry_id,amount_cents`` lines)
shows later that a redraw used the same frame.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from kasvufee.errors import UsageError
from kasvufee.scheme.expr import decimal_lit

STRATA = ("provider_id", "component")


def sample_key(seed: str, entry_id: str) -> str:
    """The key an entry is ordered by: SHA-256 of ``SEED:ENTRY_ID``, hex."""
    return hashlib.sha256(f"{seed}:{entry_id}".encode()).hexdigest()


def frame_digest(frame: pl.DataFrame) -> str:
    """SHA-256 of the frame's ``entry_id,amount_cents`` lines, sorted by entry_id,
    each ended by a newline."""
    lines = frame.select("entry_id", "amount_cents").sort("entry_id").iter_rows()
    return hashlib.sha256("".join(f"{e},{c}\n" for e, c in lines).encode()).hexdigest()


@dataclass(frozen=True)
class Sample:
    """A drawn sample: what was drawn, from what, and how.

    ``entries`` has the frame's columns and ``key`` and ``rank`` (1-based order
    by key within the stratum); ``strata`` has one row per stratum with its
    size ``N`` and sample size ``n``.
    """

    seed: str
    digest: str
    rule: str
    strata: pl.DataFrame
    entries: pl.DataFrame


def draw_sample(frame: pl.DataFrame, seed: str, *, share: Decimal | None = None,
                count: int | None = None, strata: Sequence[str] = STRATA) -> Sample:
    """Draw the sample of ``frame`` (columns entry_id, amount_cents and the
    strata's) for ``seed``: a fixed ``count`` or a ``share`` per stratum."""
    if (share is None) == (count is None):
        raise UsageError("draw_sample needs exactly one of share= or count=")
    if count is not None and count < 1:
        raise UsageError(f"draw_sample: count must be at least 1, got {count}")
    if share is not None and not Decimal(0) < share <= Decimal(1):
        raise UsageError(f"draw_sample: share must be above 0 and at most 1, got {share}")
    if not seed.strip():
        raise UsageError("draw_sample: the seed must not be empty")
    # per row in Python: polars has no SHA-256, and the key must be the one an
    # auditor gets from sha256sum (a sample is thousands of entries, not millions)
    keyed = frame.with_columns(
        pl.col("entry_id").map_elements(lambda e: sample_key(seed, e), return_dtype=pl.String)
        .alias("key"))
    sizes = keyed.group_by(list(strata)).agg(pl.len().cast(pl.Int64).alias("N")).sort(list(strata))
    big_n = pl.col("N")
    # every stratum in the frame has at least one entry, so ceil(share * N) >= 1
    if count is not None:
        n = pl.min_horizontal(big_n, pl.lit(count))
    else:
        assert share is not None  # exactly one of the two (checked above)
        n = (big_n.cast(pl.Decimal(38, 9)) * decimal_lit(share, pl.Decimal(38, 9))).ceil()
        n = n.cast(pl.Int64)
    sizes = sizes.with_columns(n.alias("n"))
    ranked = keyed.with_columns(
        pl.col("key").rank("ordinal").over(list(strata)).cast(pl.Int64).alias("rank"))
    chosen = (ranked.join(sizes.select(*strata, "n"), on=list(strata))
              .filter(pl.col("rank") <= pl.col("n")).drop("n")
              .sort([*strata, "rank"]))
    rule = f"count {count}" if count is not None else f"share {share}"
    return Sample(seed, frame_digest(frame), rule, sizes, chosen)

