"""Collecting the problems of one events input, with a cap on how many are listed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NoReturn

import polars as pl

from kasvufee.errors import EventsError, Problem

MAX_PROBLEMS: Final = 1000
"""At most this many problems are listed; one more problem says how many were left out."""

_MAX_FOUND_CHARS: Final = 60


def quote(text: str) -> str:
    """A cell's text as shown after ``got``: quoted, shortened if long."""
    if len(text) > _MAX_FOUND_CHARS:
        text = text[: _MAX_FOUND_CHARS - 3] + "..."
    if text.isprintable():
        return f"'{text}'"
    return repr(text)


class ProblemLog:
    """Every problem found in one input; :meth:`raise_if_any` raises them as one error."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._problems: list[Problem] = []
        self._cells: set[tuple[int, str]] = set()
        self._left_out = 0
        self.column_order: dict[str, int] = {}
        """Position of each column: problems on one line are listed in column order."""

    def __bool__(self) -> bool:
        return bool(self._problems) or self._left_out > 0

    def add(self, line: int | None, field: str | None, expected: str, found: str) -> None:
        """Add one problem."""
        self._problems.append(Problem(self.source, line, field, expected, found))
        if line is not None and field is not None:
            self._cells.add((line, field))

    def leave_out(self, count: int) -> None:
        """Count ``count`` more problems that are not listed."""
        self._left_out += count

    def add_cells(
        self,
        cells: pl.DataFrame,
        field: str,
        expected: Callable[[str], str],
        found: Callable[[str], str] = quote,
    ) -> None:
        """One problem per row of ``cells`` (columns: line, text), at most ``MAX_PROBLEMS``.

        ``cells`` must be in line order; rows past the cap are only counted.  A cell
        that already has a problem (e.g. a JSON list where a date belongs, hence no
        date) gets no second one.
        """
        total = cells.height
        if total > MAX_PROBLEMS:
            self._left_out += total - MAX_PROBLEMS
            cells = cells.head(MAX_PROBLEMS)
        for line, text in cells.iter_rows():
            if (line, field) in self._cells:
                continue
            shown = "" if text is None else str(text)
            self.add(line, field, expected(shown), found(shown))

    def problems(self) -> list[Problem]:
        """The problems to report: in line order (stable), capped."""
        order = self.column_order

        def key(problem: Problem) -> tuple[int, int]:
            line = -1 if problem.line is None else problem.line
            return line, -1 if problem.field is None else order.get(problem.field, -1)

        unique = sorted(self._problems, key=key)
        left_out = self._left_out + max(0, len(unique) - MAX_PROBLEMS)
        unique = unique[:MAX_PROBLEMS]
        if left_out:
            unique.append(
                Problem(
                    self.source,
                    None,
                    None,
                    f"at most {MAX_PROBLEMS} problems (only the first {MAX_PROBLEMS} are listed)",
                    f"{left_out} more",
                )
            )
        return unique

    def raise_if_any(self) -> None:
        """Raise every problem so far as one ``EventsError``, if there is any."""
        if self:
            self.fail()

    def fail(self, cause: BaseException | None = None) -> NoReturn:
        """Raise every problem so far as one ``EventsError`` (chained to ``cause``)."""
        raise EventsError(self.problems()) from cause
