"""Scheme files: models, safe loading, JSON Schema and the expression language."""

from __future__ import annotations

from typing import Any

from kasvufee.scheme.load import load_scheme, parse_scheme
from kasvufee.scheme.model import Scheme


def scheme_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scheme file."""
    return Scheme.model_json_schema(mode="validation")


__all__ = ["Scheme", "load_scheme", "parse_scheme", "scheme_json_schema"]
