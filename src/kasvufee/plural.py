"""Counted nouns in English messages: ``1 entry``, ``2 entries``."""

from __future__ import annotations


def plural(word: str) -> str:
    """The plural of an English noun of the messages (``entry`` → ``entries``,
    ``version`` → ``versions``, ``day`` → ``days``, ``stratum`` → ``strata``)."""
    if word.endswith("stratum"):
        return word[:-2] + "a"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def count(n: int, word: str) -> str:
    """``n`` and the noun, singular for exactly one (``1 entry``, ``0 entries``,
    ``2 event types``: the last word takes the plural)."""
    return f"{n} {word if n == 1 else plural(word)}"
