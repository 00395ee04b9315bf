"""Versions that state only what changes: ``amends: VERSION``.

A version with ``amends`` names an earlier version of the scheme; it is that
version with the amending one's fields laid over it, worked out on the
scheme's data before it is validated (so the result is checked like any
version, and the ledger stores and names the whole version, with
``amended_from`` saying which version it amended):

- a field not given is the amended version's; ``version`` and ``valid_from``
  are always the amending version's own;
- a list of items with ``id`` (``components``, ``caps``, ``tiers``,
  ``at_most_one``) is merged item by item: an item with the id of an
  inherited one changes only the fields it gives, a new id is added at the
  end, and ``remove: [ID, ...]`` drops inherited items;
- a mapping (``prices``, a component's ``where``) is merged key by key, the
  same way; any other value (a number, a text, a list without ids) replaces
  the inherited one whole.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

ID_LISTS = ("components", "caps", "tiers", "at_most_one")
OWN = ("version", "valid_from", "amends", "remove", "amended_from")


def resolve_amendments(versions: Any) -> Any:
    """The scheme's versions (as data) with every amending version written out whole."""
    if not isinstance(versions, list):
        return versions
    done: dict[str, dict[str, Any]] = {}
    out = []
    for raw in versions:
        if isinstance(raw, dict) and raw.get("amends") is not None:
            base = done.get(str(raw["amends"]))
            if base is None:
                raise ValueError(f"amends naming a version before version "
                                 f"{raw.get('version')!r} ({', '.join(done) or 'none'}), got "
                                 f"{raw['amends']!r}")
            raw = _amended(base, raw)
        out.append(raw)
        if isinstance(raw, dict):
            done[str(raw.get("version"))] = raw
    return out


def _amended(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in base.items() if k not in OWN}
    removed = change.get("remove") or []
    if not isinstance(removed, list):
        raise ValueError(f"remove of version {change.get('version')!r} as a list of ids, got "
                         f"{removed!r}")
    known = {i.get("id") for name in ID_LISTS for i in out.get(name) or []
             if isinstance(i, dict)}
    unknown = [r for r in removed if r not in known]
    if unknown:
        raise ValueError(f"remove of version {change.get('version')!r} naming items of version "
                         f"{change.get('amends')!r} ({', '.join(sorted(map(str, known)))}), got "
                         f"{', '.join(map(repr, unknown))}")
    for name in ID_LISTS:
        if isinstance(out.get(name), list):
            out[name] = [i for i in out[name] if not (isinstance(i, dict)
                                                      and i.get("id") in removed)]
    for key, value in change.items():
        if key in ("remove", "amends"):
            continue
        if key in OWN:
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _merge(out.get(key), value, by_id=key in ID_LISTS)
    # written out whole: what it amended is kept for the record, not merged again
    out["amended_from"] = str(change["amends"])
    return out


def _merge(old: Any, new: Any, *, by_id: bool = False) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for k, v in new.items():
            merged[k] = _merge(old.get(k), v)
        return merged
    if by_id and isinstance(old, list) and isinstance(new, list):
        items = [copy.deepcopy(i) for i in old]
        where = {i.get("id"): n for n, i in enumerate(items) if isinstance(i, dict)}
        for item in new:
            n = where.get(item.get("id")) if isinstance(item, dict) else None
            if n is None:
                items.append(copy.deepcopy(item))
            else:
                items[n] = _merge(items[n], item)
        return items
    return copy.deepcopy(new)
