"""Assurance around payment: a validation sample of posted entries anyone can
redraw by hand, and the recovery a sample's failures extrapolate to.

Pure functions over a table of entries (as ``PostedLedger.entries()`` gives
them); recording draws, results and disputes in the ledger builds on these.
"""

from kasvufee.assurance.recovery import Recovery, StratumResult, extrapolate
from kasvufee.assurance.sample import Sample, draw_sample, frame_digest, sample_key

__all__ = ["Recovery", "Sample", "StratumResult", "draw_sample", "extrapolate", "frame_digest",
           "sample_key"]
