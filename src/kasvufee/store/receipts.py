"""Receipts: the ledger's head, kept outside the database.

``verify`` alone proves that the ledger is consistent with itself; someone who
can write to the database can still cut it back to an earlier state, empty it,
or rewrite it and recompute every hash.  A receipt, written by each post to a
file beside the ledger (or wherever the finance office keeps such things),
records the entry chain's length and head hash and the posting's seal:
``verify --witness`` then proves that the ledger still extends every receipt
(entry N still has the hash the receipt names), and names the first receipt
it no longer extends.

A receipt is one line of canonical JSON.  With an Ed25519 signing key (kept
outside the database) it carries a signature, so that whoever can rewrite the
database and the receipts file alike cannot forge receipts to match without
the key either.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kasvufee.errors import InputError, LedgerUnavailableError, Problem, UsageError
from kasvufee.scheme.load import read_text_file
from kasvufee.store.chain import CANONICAL

if TYPE_CHECKING:
    import datetime as dt


class Written(Protocol):
    """What a receipt records of a post or an assurance step."""

    @property
    def scheme_id(self) -> str: ...
    @property
    def period(self) -> str | None: ...
    @property
    def posting_id(self) -> int | None: ...
    @property
    def posted_at(self) -> dt.datetime | None: ...
    @property
    def chain_length(self) -> int: ...
    @property
    def chain_head(self) -> str: ...
    @property
    def seal_no(self) -> int: ...
    @property
    def seal_hash(self) -> str: ...

RECEIPT_FIELDS = ("receipt", "scheme", "period", "posting_id", "posted_on", "chain_length",
                  "chain_head", "seal_no", "seal_hash")
KEY_ENV = "KASVUFEE_SIGNING_KEY"  # a path to the signing key, when --signing-key is not given


@dataclass(frozen=True, slots=True)
class Receipt:
    """One receipt as read from a receipts file (``line`` is 1-based)."""

    source: str
    line: int
    fields: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def chain_length(self) -> int:
        return int(self.fields["chain_length"])

    @property
    def seal_no(self) -> int:
        return int(self.fields["seal_no"])


def default_receipts(ledger: str) -> Path | None:
    """``<ledger>.receipts.jsonl`` beside a SQLite ledger; None for PostgreSQL."""
    if ledger.startswith(("postgresql", "postgres:")):
        return None
    return Path(f"{ledger}.receipts.jsonl")


def receipt_line(result: Written, key: Ed25519PrivateKey | None = None) -> str:
    """A posting's (or an assurance step's) receipt as one line of JSON, signed
    when ``key`` is given."""
    assert result.posted_at is not None  # only a posting that wrote has a receipt
    fields: dict[str, Any] = {
        "receipt": 1, "scheme": result.scheme_id, "period": result.period,
        "posting_id": result.posting_id, "posted_on": result.posted_at.isoformat(),
        "chain_length": result.chain_length, "chain_head": result.chain_head,
        "seal_no": result.seal_no, "seal_hash": result.seal_hash,
    }
    if key is not None:
        fields["signature"] = base64.b64encode(key.sign(_signed(fields))).decode()
        fields["signed_by"] = fingerprint(key.public_key())
    return CANONICAL.encode(fields)


def append_receipt(path: Path, line: str) -> None:
    """Add a receipt line to the file and make it durable before returning."""
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise LedgerUnavailableError(
            f"the posting is in the ledger, but its receipt could not be written to {path} "
            f"({exc.strerror}); keep this receipt instead: {line}") from None


def read_receipts(path: str | Path) -> list[Receipt]:
    """The receipts of a file; every malformed line is reported (``InputError``)."""
    text = read_text_file(path, "receipts", InputError, max_bytes=None)
    receipts, problems = [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            fields = json.loads(raw)
            ok = isinstance(fields, dict) and all(k in fields for k in RECEIPT_FIELDS) and all(
                isinstance(fields[k], int) and not isinstance(fields[k], bool)
                for k in ("chain_length", "seal_no"))
        except ValueError:
            ok = False
        if ok:
            receipts.append(Receipt(str(path), n, fields))
        else:
            problems.append(Problem(str(path), n, None, "a receipt of kasvufee post (a JSON "
                                    "object with " + ", ".join(RECEIPT_FIELDS) + ")",
                                    repr(raw[:60])))
    if problems:
        raise InputError(problems)
    if not receipts:
        raise InputError([Problem(str(path), None, None, "at least one receipt", "none")])
    return receipts


def witness_problem(receipts: Sequence[Receipt], entries: int, hashes: Mapping[int, str],
                    seals: Mapping[int, str], key: Ed25519PublicKey | None) -> str | None:
    """The first receipt the ledger no longer extends, or None.

    ``entries`` is the number of entries of the (intact) chain, ``hashes`` their
    hashes at the receipts' lengths and ``seals`` the seals' hashes by number."""
    for receipt in receipts:
        if key is not None:
            unsigned = signature_problem(receipt, key)
            if unsigned:
                return unsigned
        f, n, seal = receipt.fields, receipt.chain_length, receipt.seal_no
        step = (f"posting #{f['posting_id']} of {f['scheme']} {f['period']}"
                if f["posting_id"] is not None else f"an assurance record of {f['scheme']}")
        what = f"the ledger no longer extends receipt {receipt.where} ({step}, {n} entries)"
        if n > entries:
            return f"{what}: it holds {entries} entries: entries were removed"
        if n and hashes.get(n) != f["chain_head"]:
            return f"{what}: entry #{n} has another hash: entries up to it were rewritten"
        if seals.get(seal) != f["seal_hash"]:
            state = "is missing" if seal not in seals else "has another hash"
            return (f"{what}: seal #{seal} {state}: postings or closings up to it were "
                    "removed or rewritten")
    return None


def signature_problem(receipt: Receipt, key: Ed25519PublicKey) -> str | None:
    """Why a receipt is not signed by ``key``, or None."""
    fields = dict(receipt.fields)
    signature = fields.pop("signature", None)
    fields.pop("signed_by", None)
    if not isinstance(signature, str):
        return f"receipt {receipt.where} is not signed"
    try:
        key.verify(base64.b64decode(signature, validate=True), _signed(fields))
    except (InvalidSignature, ValueError):
        return f"receipt {receipt.where} does not carry a valid signature of key {fingerprint(key)}"
    return None


def _signed(fields: Mapping[str, Any]) -> bytes:
    return CANONICAL.encode(dict(fields)).encode()


def fingerprint(key: Ed25519PublicKey) -> str:
    """The public key's first 16 hex digits, to tell keys apart in messages."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()[:16]


def load_signing_key(path: str | Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (``openssl genpkey -algorithm ed25519``)."""
    key = _load_pem(path, private=True)
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path}: an Ed25519 private key (PEM), got another kind of key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (or the public half of a private key)."""
    try:
        key = _load_pem(path, private=False)
    except UsageError:
        try:
            return load_signing_key(path).public_key()
        except UsageError:
            raise UsageError(f"{path}: an Ed25519 public key in PEM form (openssl pkey -in "
                             "KEY.pem -pubout -out PUBLIC.pem)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path}: an Ed25519 public key (PEM), got another kind of key")
    return key


def _load_pem(path: str | Path, *, private: bool) -> object:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"a readable key file, got {path}: {exc.strerror}") from None
    try:
        if private:
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        kind = "private" if private else "public"
        raise UsageError(f"{path}: an Ed25519 {kind} key in PEM form without a password "
                         "(openssl genpkey -algorithm ed25519 -out KEY.pem)") from None

