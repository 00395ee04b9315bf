"""One exception tree for kasvufee.

    KasvufeeError                     every error the library raises on purpose
    ├── InputError                    bad input a user must fix (exit status 2)
    │   ├── SchemeError               a scheme file is invalid
    │   └── EventsError               an events file is invalid
    ├── ExpressionError               a metric expression does not parse or check (2)
    ├── LedgerError                   the ledger has no such thing: no ledger at the
    │   │                             path, no such entry or scheme (2)
    │   ├── LedgerStateError          refused by what the ledger holds (3)
    │   │   ├── PeriodClosedError     posting into a closed (or earlier) period
    │   │   └── VersionChangedError   a posted scheme version posted with other rules
    │   └── LedgerUnavailableError    the ledger cannot be opened or written (4)
    │       └── LedgerBusyError       another post holds the ledger
    └── UsageError                    the library was called the wrong way (2)

Each class's ``exit_status`` is the command line's exit status for it.

An ``InputError`` carries every ``Problem`` found, not only the first one, so
that a finance officer fixes a file in one pass.  Each problem renders as
``file:line: field: expected …, got …``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input.

    Attributes:
        file: the file (or ``<events>``/``<scheme>`` for in-memory input).
        line: 1-based line number, or None when the problem concerns the whole file.
        field: the column or scheme path at fault, or None.
        expected: what a valid value looks like.
        found: what was there instead.
    """

    file: str
    line: int | None
    field: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} expected {self.expected}, got {self.found}"


class KasvufeeError(Exception):
    """Root of every error kasvufee raises on purpose."""

    exit_status: ClassVar[int] = 1


class InputError(KasvufeeError):
    """Invalid user input; carries all problems found."""

    exit_status = 2

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[InputError], tuple[tuple[Problem, ...]]]:
        # rebuilt from the problems when it crosses a process (a Dask worker's error)
        return (type(self), (self.problems,))


class SchemeError(InputError):
    """A scheme file is invalid."""


class EventsError(InputError):
    """An events file is invalid."""


class ExpressionError(KasvufeeError):
    """A metric expression does not parse or check.

    ``position`` is the 0-based character offset of the fault in the text.
    The scheme loader turns it into a ``Problem`` naming the file and field.
    """

    exit_status = 2

    def __init__(self, text: str, position: int, expected: str, found: str) -> None:
        self.text = text
        self.position = position
        self.expected = expected
        self.found = found
        super().__init__(f"at column {position + 1}: expected {expected}, got {found}")

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, int, str, str]]:
        return (type(self), (self.text, self.position, self.expected, self.found))


class LedgerError(KasvufeeError):
    """A posted ledger refuses an operation (the message says why); this class
    itself: what was asked for is not in the ledger (no ledger at the path, no
    such entry, no posting of the scheme)."""

    exit_status = 2


class LedgerStateError(LedgerError):
    """Refused by what the ledger already holds: nothing was written."""

    exit_status = 3


class PeriodClosedError(LedgerStateError):
    """Posting into a closed period, or into a period before the last one posted."""


class VersionChangedError(LedgerStateError):
    """A scheme version already posted comes back with other rules."""


class LedgerUnavailableError(LedgerError):
    """The ledger cannot be opened or written (the database refused)."""

    exit_status = 4


class LedgerBusyError(LedgerUnavailableError):
    """Another post holds the ledger and did not finish in time."""


class UsageError(KasvufeeError):
    """The library was called in a way it does not support."""

    exit_status = 2
