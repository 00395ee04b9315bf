"""The kasvufee expression language: a small, safe formula language for scheme files.

Scheme files are data.  Where a scheme needs a formula -- a provider-defined ("black box")
metric, an eligibility condition, a fee formula -- it is written in this language.  The
language can only combine values: it has no loops, no assignments, no user-defined
functions and no access to anything outside the values it is given.  kasvufee reads it
with its own small parser; nothing in an expression is ever run as program code.

Examples::

    3200 * (score - 1) / 4
    if(client.risk_class == "high", 1.10, 1.00)
    round(min(baseline, 2000) * 0.5, 2)
    not is_missing(score) and score >= 3

Grammar
-------

In the grammar below ``{ x }`` means "x repeated zero or more times", ``[ x ]`` means
"x is optional", ``|`` separates alternatives and ``(* ... *)`` is a comment.  Spaces,
tabs and line breaks between the parts are ignored.  Operators are listed from the
loosest binding to the tightest,
so ``1 + 2 * 3`` is ``1 + (2 * 3)``, ``not a and b`` is ``(not a) and b`` and ``-x * 2``
is ``(-x) * 2``.  Operators of equal strength group from the left: ``a - b - c`` is
``(a - b) - c``.

EBNF::

    expression  = or_expr ;
    or_expr     = and_expr , { "or" , and_expr } ;
    and_expr    = not_expr , { "and" , not_expr } ;
    not_expr    = "not" , not_expr | comparison ;
    comparison  = sum , [ compare_op , sum ] ;           (* at most one comparison *)
    compare_op  = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
    sum         = product , { ( "+" | "-" ) , product } ;
    product     = negation , { ( "*" | "/" ) , negation } ;
    negation    = "-" , negation | primary ;
    primary     = number | text | "true" | "false"
                | call | name | "(" , expression , ")" ;
    call        = function , "(" , [ expression , { "," , expression } ] , ")" ;
                                           (* how many values: see the list below *)
    function    = "abs" | "coalesce" | "if" | "is_missing" | "max" | "min" | "round" ;
    name        = word , { "." , word } ;                 (* e.g. client.risk_class *)
    word        = letter_or_underscore , { letter_or_underscore | digit } ;
    number      = digit , { digit } , [ "." , digit , { digit } ] ;   (* 2000, 1.10, 0.5 *)
    text        = '"' , { any character except '"' } , '"'
                | "'" , { any character except "'" } , "'" ;

``and``, ``or``, ``not``, ``true`` and ``false`` are reserved words and cannot be used
as names (though ``client.not`` is a name: only the first word is restricted).  Words
are case-sensitive: ``True`` is a name, not the value true.  A minus
sign in front of a number is the negation operator, so ``-5`` is "minus 5".  Numbers
are written without exponents or thousands separators and may have at most 28 digits
before and 10 digits after the decimal point.  Texts have no escape sequences; to
put a ``"`` inside a text, enclose the text in ``'`` and vice versa.

Operators and functions
-----------------------

* ``a or b`` -- true when either side is true.
* ``a and b`` -- true when both sides are true.
* ``not a`` -- the opposite of a true/false value.
* ``a == b``, ``a != b`` -- equal, not equal; both sides must be the same kind of value.
* ``a < b``, ``a <= b``, ``a > b``, ``a >= b`` -- compare two numbers.  Comparisons
  cannot be chained: instead of ``a < b < c`` write ``a < b and b < c``.
* ``a + b``, ``a - b``, ``a * b``, ``a / b`` -- arithmetic on numbers; ``-a`` negates.
* ``min(a, b, ...)``, ``max(a, b, ...)`` -- the smallest / largest of two or more numbers.
* ``abs(a)`` -- the size of a number without its sign.
* ``if(c, a, b)`` -- ``a`` when the condition ``c`` is true, otherwise ``b``; ``a`` and
  ``b`` must be the same kind of value.
* ``coalesce(a, b, ...)`` -- the first of two or more values that is not missing; all
  must be the same kind of value.
* ``is_missing(a)`` -- true when ``a`` is missing, otherwise false (never missing itself).
* ``round(a, n)`` -- ``a`` rounded to ``n`` decimal places, halves away from zero (2.5
  becomes 3, -2.5 becomes -3, 0.125 becomes 0.13).  ``n`` must be a whole number from 0 to
  10 written directly in the formula, like ``round(fee, 2)``.

No other functions exist, and names cannot be called: ``exec(...)`` or ``a.b()`` is an
error, not a program.

There are three kinds of value: numbers, texts and true/false values.  Texts can only be
compared with ``==`` and ``!=``; they cannot be added, ordered or compared with numbers.

Exact numbers
-------------

Numbers are exact decimals, never binary floating point: ``0.1 + 0.2 == 0.3`` is true.
Every number is held with 20 decimal places and at most 18 digits before the decimal
point.  Adding, subtracting and negating are exact, and so is multiplying two event
attributes (they have at most 10 decimals each).  When the exact result of a
multiplication or division has more than 20 decimal places, it is rounded to 20 places,
with an exact tie going to the even last digit (the rule the compiled, column-wise form
uses).  This can only ever change the 20th decimal place, and never changes the result of
``round(x, n)`` for ``n`` up to 19.  A result too large to hold is an error.

Missing values
--------------

Any name may be *missing* for a given case (for example, no earnings record yet).
Missing values follow these rules:

* Arithmetic with a missing value gives a missing value (``x + 1`` is missing when ``x``
  is); so do ``abs``, ``round``, ``min`` and ``max`` when any of their values is missing.
* Dividing by zero gives a missing value, never an error.
* Comparing with a missing value gives a missing value.
* ``and``, ``or`` and ``not`` use three-valued logic, in which missing means "unknown":
  ``false and missing`` is false, ``true or missing`` is true, ``true and missing``,
  ``false or missing`` and ``not missing`` are missing.
* ``if(c, a, b)`` is missing when the condition ``c`` is missing.
* ``coalesce(a, b, ...)`` gives the first value that is not missing (missing when all
  are), so ``coalesce(bonus, 0)`` turns a missing bonus into 0.
* ``is_missing(a)`` is true exactly when ``a`` is missing.

Limits
------

To keep formulas reviewable and processing safe, an expression may have at most
``MAX_LENGTH`` (2000) characters, at most ``MAX_NODES`` (256) parts (numbers, texts,
names, operators and function calls each count as one part) and at most ``MAX_DEPTH``
(32) levels of nesting, where each bracket, function call, ``not`` and leading ``-``
opens one level.  These are module constants and may be changed by a deployment.

API
---

``parse(text)`` reads an expression into a tree of nodes (``Number``, ``String``,
``Bool``, ``Name``, ``Unary``, ``Binary``, ``Call``); ``names(node)`` lists the names it
uses; ``check(node, known)`` verifies the names and the kinds of value and gives the kind
of the result; ``evaluate(node, env)`` computes the result for one case in pure Python;
``to_polars(node, resolve)`` compiles it to a polars expression computing the same result
for a whole table; ``to_text(node)`` writes the tree back as canonical text.  Every
problem is reported as an :class:`~kasvufee.errors.ExpressionError` naming the 0-based
position, what was expected there and what was found.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal, TypeAlias

import polars as pl

from kasvufee.calendar import add_months
from kasvufee.errors import ExpressionError, UsageError

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Binary",
    "Bool",
    "Call",
    "Name",
    "Node",
    "Number",
    "String",
    "Unary",
    "Value",
    "ValueType",
    "check",
    "evaluate",
    "names",
    "parse",
    "to_polars",
    "to_text",
]

# --------------------------------------------------------------------------- limits

MAX_LENGTH = 2000
"""Most characters an expression text may have."""

MAX_DEPTH = 32
"""Most levels of nesting (brackets, function calls, ``not`` and leading ``-``)."""

MAX_NODES = 256
"""Most parts (nodes of the tree) an expression may have."""

SCALE = 20
"""Decimal places every number is held with (polars ``Decimal(38, 20)``).

Event attributes have at most 10 decimals, so the product of two of them (a
growth factor times a revenue) is exact; only a division can round."""

MAX_INTEGER_DIGITS = 18
"""Digits before the decimal point a number may have (38 - 20)."""

DECIMAL_DTYPE = pl.Decimal(38, SCALE)
_DECIMAL_DTYPE = DECIMAL_DTYPE
_LIMIT = 10**MAX_INTEGER_DIGITS
_CTX = Context(prec=200)

ValueType: TypeAlias = Literal["number", "string", "boolean", "date"]
"""The kind of value an expression gives.  Dates come only from names (date
attributes) and are used by the date functions (``years_between``, ...)."""

Value: TypeAlias = Decimal | str | bool | dt.date | None
"""A value of a name or of an expression; None is a missing value."""

# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Number:
    """A number written in the expression, e.g. ``1.10``."""

    value: Decimal
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class String:
    """A text in quotes, e.g. ``"high"``."""

    value: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Bool:
    """``true`` or ``false``."""

    value: bool
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A name whose value is supplied per case, e.g. ``client.risk_class``."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """A prefix operator: ``op`` is ``"-"`` or ``"not"``."""

    op: str
    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    """An infix operator: ``or and == != < <= > >= + - * /``."""

    op: str
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of the whitelisted functions."""

    func: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


Node: TypeAlias = Number | String | Bool | Name | Unary | Binary | Call
"""Any node of an expression tree.  ``pos`` is the 0-based offset where the node's text
starts; it is ignored when nodes are compared, so trees parsed from differently spaced
texts compare equal."""

# (minimum, maximum or None for unlimited) number of values each function takes.
FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "coalesce": (2, None),
    "days_between": (2, 2),
    "if": (3, 3),
    "is_missing": (1, 1),
    "max": (2, None),
    "min": (2, None),
    "months_between": (2, 2),
    "round": (2, 2),
    "years_between": (2, 2),
}
"""The functions an expression may call, with how many values each takes."""

_DATE_FUNCTIONS = frozenset({"days_between", "months_between", "years_between"})
"""From a first date to a second: whole days; the largest whole N with first + N
calendar months (12·N for years, month ends clamped) on or before the second."""
_FUNCTION_LIST = ", ".join(sorted(FUNCTIONS))
_EXPECT_FUNCTION = f"a known function ({_FUNCTION_LIST})"
_EXPECT_VALUE = (
    "a value (a number, a name, a text in quotes, true, false, a function such as min(...), "
    "'-', 'not' or '(')"
)
_EXPECT_OPERATOR = "an operator (such as + - * / == < and or) or the end of the expression"
_EXPECT_ROUND_PLACES = (f"a whole number of decimal places from 0 to {SCALE} written directly "
                        "(like 2)")
_END = "end of expression"

_KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})
_ARITH_OPS = frozenset({"+", "-", "*", "/"})
_TWO_CHAR_OPS = frozenset({"==", "!=", "<=", ">="})
_ONE_CHAR_OPS = frozenset("+-*/<>(),")
_CHAR_HINTS: Mapping[str, str] = {
    "=": "'==' to compare two values (a single '=' is not an operator)",
    "!": "'!=' for 'not equal' (or the word 'not')",
    "&": "the word 'and'",
    "|": "the word 'or'",
    "[": "'(' (square brackets are not used)",
    "]": "')' (square brackets are not used)",
}

# Binding strength, used by to_text to decide where brackets are needed.
_PREC_OR = 1
_PREC_AND = 2
_PREC_NOT = 3
_PREC_COMPARE = 4
_PREC_SUM = 5
_PREC_PRODUCT = 6
_PREC_NEGATE = 7
_PREC_PRIMARY = 8
_BINARY_PREC: Mapping[str, int] = {
    "or": _PREC_OR,
    "and": _PREC_AND,
    **dict.fromkeys(_COMPARE_OPS, _PREC_COMPARE),
    "+": _PREC_SUM,
    "-": _PREC_SUM,
    "*": _PREC_PRODUCT,
    "/": _PREC_PRODUCT,
}

_KIND: Mapping[ValueType, str] = {
    "number": "a number",
    "string": "a text",
    "boolean": "a true/false value",
    "date": "a date",
}

# --------------------------------------------------------------------------- tokenizer

_TokenKind: TypeAlias = Literal["number", "string", "name", "keyword", "op", "end"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _TokenKind
    text: str  # operator / keyword / name / number as written; a string's value
    start: int
    end: int


def _is_word_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_word_char(ch: str) -> bool:
    return _is_word_start(ch) or ("0" <= ch <= "9")


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _quote(source: str, limit: int = 40) -> str:
    """Show a piece of the expression in quotes, shortened when long."""
    if len(source) > limit:
        source = source[: limit - 3] + "..."
    return f"'{source}'"


class _Tokenizer:
    """Reads tokens one at a time, so the earliest problem in the text is reported."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, position: int, expected: str, found: str) -> ExpressionError:
        return ExpressionError(self.text, position, expected, found)

    def next(self) -> _Token:
        text = self.text
        n = len(text)
        i = self.pos
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            self.pos = n
            return _Token("end", "", n, n)
        ch = text[i]
        start = i
        if _is_digit(ch):
            token = self._number(start)
        elif ch in "\"'":
            end = text.find(ch, start + 1)
            if end < 0:
                raise self.error(
                    n, f"a closing {ch} to end the text started at column {start + 1}", _END
                )
            token = _Token("string", text[start + 1 : end], start, end + 1)
        elif _is_word_start(ch):
            token = self._word(start)
        elif text[i : i + 2] in _TWO_CHAR_OPS:
            token = _Token("op", text[i : i + 2], start, i + 2)
        elif ch in _ONE_CHAR_OPS:
            token = _Token("op", ch, start, i + 1)
        elif ch == "." and i + 1 < n and _is_digit(text[i + 1]):
            raise self.error(
                start, "a digit before the decimal point (write 0.5, not .5)", _quote(ch)
            )
        else:
            if ch.isalpha():
                expected = "a name written with the letters A-Z and a-z, digits and _ only"
            else:
                expected = _CHAR_HINTS.get(
                    ch,
                    "a number, a name, a text in quotes, an operator "
                    "(+ - * / == != < <= > >=) or a bracket",
                )
            raise self.error(start, expected, f"the character {_quote(ch)}")
        self.pos = token.end
        return token

    def _number(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        i = start
        while i < n and _is_digit(text[i]):
            i += 1
        int_digits = text[start:i].lstrip("0")
        frac_len = 0
        if i < n and text[i] == ".":
            if i + 1 >= n or not _is_digit(text[i + 1]):
                found = _END if i + 1 >= n else _quote(text[i + 1])
                raise self.error(i + 1, "a digit after the decimal point", found)
            j = i + 1
            while j < n and _is_digit(text[j]):
                j += 1
            frac_len = j - i - 1
            i = j
            if i < n and text[i] == ".":
                raise self.error(i, "a number with one decimal point", _quote(text[start : i + 1]))
        written = text[start:i]
        if len(int_digits) > MAX_INTEGER_DIGITS:
            raise self.error(
                start,
                f"a number with at most {MAX_INTEGER_DIGITS} digits before the decimal point",
                _quote(written),
            )
        if frac_len > SCALE:
            raise self.error(
                start, f"a number with at most {SCALE} decimal places", _quote(written)
            )
        return _Token("number", written, start, i)

    def _word(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        i = start + 1
        while i < n and _is_word_char(text[i]):
            i += 1
        first = text[start:i]
        if first in _KEYWORDS:
            return _Token("keyword", first, start, i)
        while i < n and text[i] == ".":
            if i + 1 >= n or not _is_word_start(text[i + 1]):
                found = _END if i + 1 >= n else _quote(text[i + 1])
                raise self.error(i + 1, "a name part after '.' (like client.region)", found)
            i += 2
            while i < n and _is_word_char(text[i]):
                i += 1
        return _Token("name", text[start:i], start, i)


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _Tokenizer(text)
        self.token = self.tokens.next()
        self.prev_end = 0
        self.depth = 0
        self.nodes = 0

    # helpers

    def error(self, position: int, expected: str, found: str) -> ExpressionError:
        return ExpressionError(self.text, position, expected, found)

    def describe(self, token: _Token) -> str:
        if token.kind == "end":
            return _END
        return _quote(self.text[token.start : token.end])

    def advance(self) -> _Token:
        token = self.token
        self.prev_end = token.end
        self.token = self.tokens.next()
        return token

    def at_op(self, *ops: str) -> bool:
        return self.token.kind in ("op", "keyword") and self.token.text in ops

    def count(self, at: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(
                at,
                f"an expression of at most {MAX_NODES} parts (numbers, texts, names, "
                "operators and function calls); split it into smaller metrics",
                f"more than {MAX_NODES} parts",
            )

    def enter(self, at: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                at,
                f"at most {MAX_DEPTH} levels of nesting (brackets, function calls, "
                "'not' and leading '-')",
                f"more than {MAX_DEPTH} levels",
            )

    def leave(self) -> None:
        self.depth -= 1

    # grammar

    def parse(self) -> Node:
        node = self.or_expr()
        if self.token.kind != "end":
            if self.at_op(")"):
                raise self.error(
                    self.token.start,
                    "the end of the expression (this ')' has no matching '(')",
                    "')'",
                )
            raise self.error(self.token.start, _EXPECT_OPERATOR, self.describe(self.token))
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at_op("or"):
            op = self.advance()
            right = self.and_expr()
            self.count(op.start)
            node = Binary("or", node, right, node.pos)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at_op("and"):
            op = self.advance()
            right = self.not_expr()
            self.count(op.start)
            node = Binary("and", node, right, node.pos)
        return node

    def not_expr(self) -> Node:
        if self.at_op("not"):
            op = self.advance()
            self.enter(op.start)
            operand = self.not_expr()
            self.leave()
            self.count(op.start)
            return Unary("not", operand, op.start)
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        if self.token.kind == "op" and self.token.text in _COMPARE_OPS:
            op = self.advance()
            right = self.sum()
            self.count(op.start)
            node = Binary(op.text, node, right, node.pos)
            if self.token.kind == "op" and self.token.text in _COMPARE_OPS:
                raise self.error(
                    self.token.start,
                    "'and' or 'or' between comparisons (comparisons cannot be chained: "
                    "write a < b and b < c instead of a < b < c)",
                    self.describe(self.token),
                )
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.at_op("+", "-"):
            op = self.advance()
            right = self.product()
            self.count(op.start)
            node = Binary(op.text, node, right, node.pos)
        return node

    def product(self) -> Node:
        node = self.negation()
        while self.at_op("*", "/"):
            op = self.advance()
            right = self.negation()
            self.count(op.start)
            node = Binary(op.text, node, right, node.pos)
        return node

    def negation(self) -> Node:
        if self.at_op("-"):
            op = self.advance()
            self.enter(op.start)
            operand = self.negation()
            self.leave()
            self.count(op.start)
            return Unary("-", operand, op.start)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            self.count(token.start)
            return Number(Decimal(token.text), token.start)
        if token.kind == "string":
            self.advance()
            self.count(token.start)
            return String(token.text, token.start)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            self.count(token.start)
            return Bool(token.text == "true", token.start)
        if token.kind == "name":
            self.advance()
            if self.at_op("("):
                return self.call(token)
            self.count(token.start)
            return Name(token.text, token.start)
        if self.at_op("("):
            self.advance()
            self.enter(token.start)
            node = self.or_expr()
            self.leave()
            if not self.at_op(")"):
                raise self.error(
                    self.token.start,
                    f"a closing ')' for the '(' at column {token.start + 1}",
                    self.describe(self.token),
                )
            self.advance()
            return node
        raise self.error(token.start, _EXPECT_VALUE, self.describe(token))

    def call(self, name: _Token) -> Node:
        func = name.text
        if func not in FUNCTIONS:
            found = _quote(func)
            if "." in func:
                found += " (names cannot be called like functions)"
            else:
                close = difflib.get_close_matches(func.lower(), list(FUNCTIONS), n=1)
                if close:
                    found += f" (did you mean {close[0]}?)"
            raise self.error(name.start, _EXPECT_FUNCTION, found)
        self.advance()  # "("
        self.enter(name.start)
        args: list[Node] = []
        spans: list[tuple[int, int]] = []
        if not self.at_op(")"):
            while True:
                start = self.token.start
                args.append(self.or_expr())
                spans.append((start, self.prev_end))
                if self.at_op(","):
                    self.advance()
                    continue
                if self.at_op(")"):
                    break
                raise self.error(
                    self.token.start,
                    f"a ',' or a closing ')' for {func}( at column {name.start + 1}",
                    self.describe(self.token),
                )
        self.advance()  # ")"
        self.leave()
        _check_arity(self.text, func, len(args), name.start)
        if func == "round":
            start, end = spans[1]
            _check_round_places(self.text, args[1], start, self.text[start:end])
        self.count(name.start)
        return Call(func, tuple(args), name.start)


def _plural(n: int) -> str:
    if n == 0:
        return "no values"
    return "1 value" if n == 1 else f"{n} values"


def _check_arity(text: str, func: str, given: int, position: int) -> None:
    low, high = FUNCTIONS[func]
    if low <= given and (high is None or given <= high):
        return
    if high is None:
        expected = f"at least {low} values in {func}(...)"
    elif func == "if":
        expected = "exactly 3 values in if(...): a condition, a value if true, a value if false"
    elif func == "round":
        expected = "exactly 2 values in round(...): the number and the decimal places"
    else:
        expected = f"exactly {_plural(low)} in {func}(...)"
    raise ExpressionError(text, position, expected, _plural(given))


def _check_round_places(text: str, places: Node, position: int, written: str) -> None:
    ok = isinstance(places, Number) and _exponent(places.value) >= 0 and 0 <= places.value <= SCALE
    if not ok:
        raise ExpressionError(text, position, _EXPECT_ROUND_PLACES, _quote(written))


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def parse(text: str) -> Node:
    """Read an expression text into a tree of nodes.

    Raises:
        ExpressionError: the text is not a valid expression or exceeds a limit.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            text,
            MAX_LENGTH,
            f"an expression of at most {MAX_LENGTH} characters",
            f"{len(text)} characters",
        )
    return _Parser(text).parse()


# --------------------------------------------------------------------------- names


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def names(node: Node) -> frozenset[str]:
    """Every name the expression uses."""
    return frozenset(n.name for n in _walk(node) if isinstance(n, Name))


# --------------------------------------------------------------------------- check


class _Checker:
    def __init__(self, text: str, known: Mapping[str, ValueType]) -> None:
        self.text = text
        self.known = known

    def error(self, node: Node, expected: str, found: str) -> ExpressionError:
        return ExpressionError(self.text, node.pos, expected, found)

    def found(self, node: Node, kind: ValueType) -> str:
        return f"{_KIND[kind]} ({_quote(to_text(node))[1:-1]})"

    def want(self, node: Node, kind: ValueType, expected: str) -> None:
        got = self.type_of(node)
        if got != kind:
            raise self.error(node, expected, self.found(node, got))

    def type_of(self, node: Node) -> ValueType:
        if isinstance(node, Number):
            return "number"
        if isinstance(node, String):
            return "string"
        if isinstance(node, Bool):
            return "boolean"
        if isinstance(node, Name):
            if node.name in self.known:
                return self.known[node.name]
            raise _unknown_name(self.text, node, self.known)
        if isinstance(node, Unary):
            if node.op == "-":
                self.want(node.operand, "number", "a number after '-'")
                return "number"
            if node.op == "not":
                self.want(node.operand, "boolean", "a true/false value after 'not'")
                return "boolean"
            raise self.error(node, "the operator '-' or 'not'", _quote(node.op))
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def binary(self, node: Binary) -> ValueType:
        op = node.op
        if op in ("and", "or"):
            for side in (node.left, node.right):
                self.want(
                    side,
                    "boolean",
                    f"a true/false value (such as a comparison x > 0) on each side of '{op}'",
                )
            return "boolean"
        if op in _ARITH_OPS:
            for side in (node.left, node.right):
                self.want(side, "number", f"a number on each side of '{op}'")
            return "number"
        if op in _ORDER_OPS:
            for side in (node.left, node.right):
                self.want(side, "number", f"a number on each side of '{op}'")
            return "boolean"
        if op in ("==", "!="):
            left = self.type_of(node.left)
            self.want(
                node.right,
                left,
                f"{_KIND[left]} after '{op}', to match the left side "
                "(only values of the same kind can be compared)",
            )
            return "boolean"
        raise self.error(node, "a known operator", _quote(op))

    def call(self, node: Call) -> ValueType:
        func = node.func
        if func not in FUNCTIONS:
            raise self.error(node, _EXPECT_FUNCTION, _quote(func))
        _check_arity(self.text, func, len(node.args), node.pos)
        args = node.args
        if func in _DATE_FUNCTIONS:
            for arg in args:
                self.want(arg, "date", f"a date in {func}(...)")
            return "number"
        if func in ("min", "max", "abs"):
            for arg in args:
                self.want(arg, "number", f"a number in {func}(...)")
            return "number"
        if func == "round":
            places = args[1]
            _check_round_places(self.text, places, places.pos, to_text(places))
            self.want(args[0], "number", "a number as the first value of round(...)")
            return "number"
        if func == "is_missing":
            self.type_of(args[0])
            return "boolean"
        if func == "if":
            self.want(args[0], "boolean", "a true/false condition as the first value of if(...)")
            then = self.type_of(args[1])
            self.want(
                args[2],
                then,
                f"{_KIND[then]} as the third value of if(...), to match the second",
            )
            return then
        # coalesce
        first = self.type_of(args[0])
        for arg in args[1:]:
            self.want(
                arg,
                first,
                f"{_KIND[first]} in coalesce(...), to match the first value",
            )
        return first


def _unknown_name(text: str, node: Name, known: Mapping[str, object]) -> ExpressionError:
    if known:
        expected = "one of the names " + ", ".join(sorted(known))
    else:
        expected = "a known name (no names are available here)"
    found = _quote(node.name)
    close = difflib.get_close_matches(node.name, list(known), n=1)
    if close:
        found += f" (did you mean {close[0]}?)"
    return ExpressionError(text, node.pos, expected, found)


def check(
    node: Node,
    known: Mapping[str, ValueType],
    *,
    text: str | None = None,
) -> ValueType:
    """Check names and kinds of value; return the kind of value the expression gives.

    Args:
        node: a tree from :func:`parse`.
        known: the kind of every name the expression may use.
        text: the text the tree was parsed from, quoted in errors (positions always refer
            to it); defaults to ``to_text(node)``.

    Raises:
        ExpressionError: an unknown name, or a value of the wrong kind for an operator or
            function (text in arithmetic, a number as an ``if`` condition, ...).
    """
    return _Checker(to_text(node) if text is None else text, known).type_of(node)


# --------------------------------------------------------------------------- evaluate


def _fix(num: int, den: int) -> Decimal:
    """num/den rounded to SCALE places, ties to even (exactly as polars Decimal does)."""
    if den < 0:
        num, den = -num, -den
    scaled = num * 10**SCALE
    q, r = divmod(abs(scaled), den)
    twice = 2 * r
    if twice > den or (twice == den and q % 2 == 1):
        q += 1
    return Decimal(-q if scaled < 0 else q).scaleb(-SCALE, _CTX)


class _Evaluator:
    def __init__(self, text: str, env: Mapping[str, Value]) -> None:
        self.text = text
        self.env = env

    def error(self, node: Node, expected: str, found: str) -> ExpressionError:
        return ExpressionError(self.text, node.pos, expected, found)

    def number(self, node: Node, value: Value, what: str) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        raise self.error(node, what, _describe_value(value))

    def boolean(self, node: Node, value: Value, what: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise self.error(node, what, _describe_value(value))

    def date(self, node: Node, value: Value, what: str) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        raise self.error(node, what, _describe_value(value))

    def result(self, node: Node, num: int, den: int) -> Decimal:
        value = _fix(num, den)
        if abs(value) >= _LIMIT:
            raise self.error(
                node,
                f"a result with at most {MAX_INTEGER_DIGITS} digits before the decimal point",
                f"{value:f} from {_quote(to_text(node))}",
            )
        return value

    def eval(self, node: Node) -> Value:
        if isinstance(node, Number | String | Bool):
            return node.value
        if isinstance(node, Name):
            return _input(node.name, self.env[node.name])
        if isinstance(node, Unary):
            operand = self.eval(node.operand)
            if node.op == "not":
                b = self.boolean(node.operand, operand, "a true/false value after 'not'")
                return None if b is None else not b
            x = self.number(node.operand, operand, "a number after '-'")
            if x is None:
                return None
            n, d = x.as_integer_ratio()
            return self.result(node, -n, d)
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def binary(self, node: Binary) -> Value:
        op = node.op
        left = self.eval(node.left)
        right = self.eval(node.right)
        if op in ("and", "or"):
            what = f"a true/false value on each side of '{op}'"
            lb = self.boolean(node.left, left, what)
            rb = self.boolean(node.right, right, what)
            if op == "and":
                if lb is False or rb is False:
                    return False
                return None if lb is None or rb is None else True
            if lb is True or rb is True:
                return True
            return None if lb is None or rb is None else False
        if op in ("==", "!="):
            if left is None or right is None:
                return None
            if _kind_of(left) != _kind_of(right):
                raise self.error(
                    node.right,
                    f"{_KIND[_kind_of(left)]} after '{op}', to match the left side",
                    _describe_value(right),
                )
            return (left == right) == (op == "==")
        what = f"a number on each side of '{op}'"
        a = self.number(node.left, left, what)
        b = self.number(node.right, right, what)
        if a is None or b is None:
            return None
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        na, da = a.as_integer_ratio()
        nb, db = b.as_integer_ratio()
        if op == "+":
            return self.result(node, na * db + nb * da, da * db)
        if op == "-":
            return self.result(node, na * db - nb * da, da * db)
        if op == "*":
            return self.result(node, na * nb, da * db)
        if op == "/":
            if nb == 0:
                return None
            return self.result(node, na * db, da * nb)
        raise self.error(node, "a known operator", _quote(op))

    def call(self, node: Call) -> Value:
        func = node.func
        if func not in FUNCTIONS:
            raise self.error(node, _EXPECT_FUNCTION, _quote(func))
        _check_arity(self.text, func, len(node.args), node.pos)
        args = node.args
        if func == "coalesce":
            for arg in args:
                value = self.eval(arg)
                if value is not None:
                    return value
            return None
        if func == "if":
            what = "a true/false condition as the first value of if(...)"
            cond = self.boolean(args[0], self.eval(args[0]), what)
            if cond is None:
                return None
            return self.eval(args[1] if cond else args[2])
        values = [self.eval(arg) for arg in args]
        if func == "is_missing":
            return values[0] is None
        if func in _DATE_FUNCTIONS:
            first, second = (self.date(arg, value, f"a date in {func}(...)")
                             for arg, value in zip(args, values, strict=True))
            if first is None or second is None:
                return None
            return Decimal(_between(func, first, second))
        if func == "round":
            _check_round_places(self.text, node.args[1], node.args[1].pos, to_text(node.args[1]))
        nums = [
            self.number(arg, value, f"a number in {func}(...)")
            for arg, value in zip(node.args, values, strict=True)
        ]
        if func == "round":
            nums = nums[:1]
        present = [x for x in nums if x is not None]
        if len(present) < len(nums):
            return None
        if func == "min":
            return min(present)
        if func == "max":
            return max(present)
        if func == "abs":
            n, d = present[0].as_integer_ratio()
            return self.result(node, abs(n), d)
        places = node.args[1]
        if not isinstance(places, Number):  # parse() admits only a number literal here
            raise ExpressionError(to_text(node), node.pos, "a whole number of places",
                                  to_text(places))
        rounded = present[0].quantize(Decimal(1).scaleb(-int(places.value)), ROUND_HALF_UP, _CTX)
        n, d = rounded.as_integer_ratio()
        return self.result(node, n, d)


def _between(func: str, first: dt.date, second: dt.date) -> int:
    """What a date function gives for two dates (see ``_DATE_FUNCTIONS``)."""
    if func == "days_between":
        return (second - first).days
    years = second.year - first.year
    if func == "years_between":
        whole, months = years, 12 * years
    else:
        whole = months = 12 * years + second.month - first.month
    return whole - 1 if add_months(first, months) > second else whole


def _kind_of(value: Decimal | str | bool | dt.date) -> ValueType:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "string"
    return "number"


def _describe_value(value: Decimal | str | bool | dt.date) -> str:
    kind = _kind_of(value)
    if kind == "boolean":
        shown = "true" if value else "false"
    elif kind == "date" and isinstance(value, dt.date):
        shown = value.isoformat()
    elif kind == "string":
        shown = str(value)
    else:
        shown = f"{value:f}"
    return f"{_KIND[kind]} ({_quote(shown)[1:-1]})"


def _input(name: str, value: object) -> Value:
    """Validate one value of the environment."""
    if value is None or isinstance(value, bool | str | dt.date):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UsageError(f"value of {name!r} must be a finite Decimal, got {value}")
        return value
    raise UsageError(
        f"value of {name!r} must be a Decimal, str, bool, date or None, got "
        f"{type(value).__name__}"
    )


def evaluate(
    node: Node,
    env: Mapping[str, Value],
    *,
    text: str | None = None,
) -> Value:
    """Compute the expression for one case, exactly, in pure Python.

    This is the reference for :func:`to_polars`: both give the same result.  Results of
    arithmetic are exact decimals held with 20 decimal places (see the module
    documentation for rounding); None is a missing value.

    Args:
        node: a tree from :func:`parse`, normally already passed through :func:`check`.
        env: the value of every name the expression uses (None when missing).
        text: the text the tree was parsed from, quoted in errors; defaults to
            ``to_text(node)``.

    Raises:
        ExpressionError: a name is not in ``env``, a value is of the wrong kind, or a
            result is too large to hold.
        UsageError: a value in ``env`` is not a Decimal, str, bool, date or None.
    """
    source = to_text(node) if text is None else text
    for part in _walk(node):
        if isinstance(part, Name) and part.name not in env:
            raise _unknown_name(source, part, env)
    return _Evaluator(source, env).eval(node)


# --------------------------------------------------------------------------- polars


def _lit_number(value: Decimal) -> pl.Expr:
    return decimal_lit(value, _DECIMAL_DTYPE)


def decimal_lit(value: Decimal | int, dtype: pl.Decimal) -> pl.Expr:
    """An exact decimal literal, made from its text: a ``Decimal`` given to
    ``pl.lit`` goes through a Series that imports numpy (0.2 s of a run)."""
    return pl.lit(format(Decimal(value), "f"), dtype=pl.String).cast(dtype)


def _dec(expr: pl.Expr) -> pl.Expr:
    return expr.cast(_DECIMAL_DTYPE)


_DTYPES: Mapping[ValueType, pl.DataType] = {
    "number": _DECIMAL_DTYPE,
    "string": pl.String(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}


class _Compiler:
    """Builds the polars expression.

    Every sub-expression is used exactly once in the result.  polars expands an expression
    that uses a part twice into two copies of that part, so a formula nested a few levels
    deep would otherwise grow exponentially (12 nested divisions took over a minute).
    """

    def __init__(self, resolve: Callable[[str], pl.Expr]) -> None:
        self.resolve = resolve

    def error(self, node: Node, expected: str, found: str) -> ExpressionError:
        return ExpressionError(to_text(node), 0, expected, found)

    def compile(self, node: Node) -> pl.Expr:
        if isinstance(node, Unary | Binary | Call) and not names(node):
            return self.constant(node)
        if isinstance(node, Number):
            return _lit_number(node.value)
        if isinstance(node, String):
            return pl.lit(node.value, dtype=pl.String)
        if isinstance(node, Bool):
            return pl.lit(node.value, dtype=pl.Boolean)
        if isinstance(node, Name):
            return self.resolve(node.name)
        if isinstance(node, Unary):
            operand = self.compile(node.operand)
            if node.op == "not":
                return ~operand
            if node.op == "-":
                return _dec(-operand)
            raise self.error(node, "the operator '-' or 'not'", _quote(node.op))
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def constant(self, node: Node) -> pl.Expr:
        """A part without names is computed here, once, by the reference evaluator.

        Besides saving work, this keeps polars from seeing expressions like
        ``coalesce(0, x)`` or ``0 == when(...).then(1).otherwise(2)``: its eager engine
        (polars 2.1) wrongly gives one row instead of a column for some of them.
        """
        kind = check(node, {})
        value = evaluate(node, {})
        return pl.lit(value, dtype=_DTYPES[kind])

    def binary(self, node: Binary) -> pl.Expr:
        op = node.op
        left = self.compile(node.left)
        right = self.compile(node.right)
        if op == "and":
            return left & right  # polars uses three-valued (Kleene) logic here
        if op == "or":
            return left | right
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        if op == ">=":
            return left >= right
        if op == "+":
            return _dec(left + right)
        if op == "-":
            return _dec(left - right)
        if op == "*":
            return _dec(left * right)
        if op == "/":
            # polars raises on a zero Decimal divisor; a missing divisor gives a missing result.
            # (an int 0: a Decimal(0) literal makes polars import numpy)
            return _dec(left / right.replace(0, None))
        raise self.error(node, "a known operator", _quote(op))

    def call(self, node: Call) -> pl.Expr:
        func = node.func
        if func not in FUNCTIONS:
            raise self.error(node, _EXPECT_FUNCTION, _quote(func))
        text = to_text(node)
        _check_arity(text, func, len(node.args), 0)
        if func == "round":
            places = node.args[1]
            _check_round_places(text, places, 0, to_text(places))
            if not isinstance(places, Number):  # _check_round_places has said so already
                raise self.error(node, "a whole number of places", to_text(places))
            value = self.compile(node.args[0])
            return _dec(value.round(int(places.value), mode="half_away_from_zero"))
        if func == "coalesce":
            # Values after the first one that can never be missing are never used.
            kept: list[Node] = []
            for arg in node.args:
                kept.append(arg)
                if not names(arg) and evaluate(arg, {}) is not None:
                    break
            if len(kept) == 1:
                return self.compile(kept[0])
            # A chain of fill_null, not pl.coalesce: polars 2.1 gives one row instead of
            # a column for ``0 == coalesce(a, 0)`` in eager mode.
            result = self.compile(kept[0])
            for arg in kept[1:]:
                result = result.fill_null(self.compile(arg))
            return result
        if func == "if" and not names(node.args[0]):
            cond_value = evaluate(node.args[0], {})
            if cond_value is not None:
                return self.compile(node.args[1] if cond_value else node.args[2])
        args = [self.compile(arg) for arg in node.args]
        if func in _DATE_FUNCTIONS:
            return _dec(_between_expr(func, args[0], args[1]))
        if func == "abs":
            return _dec(args[0].abs())
        if func == "is_missing":
            return args[0].is_null()
        if func == "if":
            # Pick from [else, then] by the condition as 0/1; a missing condition gives a
            # missing index and so a missing result (when/then would choose "else").
            cond, then, otherwise = args
            choices = pl.concat_list([otherwise, then])
            return choices.list.get(cond.cast(pl.Int8), null_on_oob=True)
        # min / max: sorting puts a missing value first, so any missing value gives a
        # missing result (min_horizontal and max_horizontal would skip missing values).
        ordered = pl.concat_list(args).list.sort(descending=func == "max", nulls_last=False)
        return _dec(ordered.list.first())


def between_years(first: pl.Expr, second: pl.Expr) -> pl.Expr:
    """``years_between`` on two Date columns, as Int64."""
    return _between_expr("years_between", first, second)


def _between_expr(func: str, first: pl.Expr, second: pl.Expr) -> pl.Expr:
    """``_between`` on two Date columns."""
    if func == "days_between":
        return (second - first).dt.total_days()
    years = second.dt.year().cast(pl.Int64) - first.dt.year().cast(pl.Int64)
    if func == "years_between":
        whole, months = years, years * 12
    else:
        whole = months = (years * 12 + second.dt.month().cast(pl.Int64)
                          - first.dt.month().cast(pl.Int64))
    shifted = first.dt.offset_by(pl.format("{}mo", months))
    return whole - (shifted > second).cast(pl.Int64)


def to_polars(node: Node, resolve: Callable[[str], pl.Expr]) -> pl.Expr:
    """Compile the expression to a polars expression computing it for every row.

    Args:
        node: a tree from :func:`parse` that passed :func:`check`.
        resolve: gives the column expression for a name; numbers must be
            ``Decimal(38, 20)``, texts ``String``, true/false values ``Boolean``
            and dates ``Date``.

    Returns:
        An expression giving, row by row, what :func:`evaluate` gives; numbers are
        ``Decimal(38, 20)`` and a missing result is null.  Running it raises a polars
        ``ComputeError`` when a result is too large to hold, where :func:`evaluate` raises
        ``ExpressionError`` (``if`` computes both of its values here, so such an error can
        come from the value not chosen).

    Raises:
        ExpressionError: a part without names (computed once, here) gives a result too
            large to hold, or the tree did not pass :func:`check`.
    """
    return _Compiler(resolve).compile(node)


# --------------------------------------------------------------------------- to_text


def _prec(node: Node) -> int:
    if isinstance(node, Binary):
        return _BINARY_PREC.get(node.op, _PREC_PRIMARY)
    if isinstance(node, Unary):
        return _PREC_NOT if node.op == "not" else _PREC_NEGATE
    return _PREC_PRIMARY


def _wrap(node: Node, needs: bool) -> str:
    inner = to_text(node)
    return f"({inner})" if needs else inner


def to_text(node: Node) -> str:
    """Write the tree as canonical text, with brackets only where they are needed.

    ``parse(to_text(node)) == node`` for every tree :func:`parse` produces (positions are
    not compared).
    """
    if isinstance(node, Number):
        return f"{node.value:f}"
    if isinstance(node, String):
        if '"' not in node.value:
            return f'"{node.value}"'
        if "'" not in node.value:
            return f"'{node.value}'"
        raise UsageError("a text value cannot contain both kinds of quote character")
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        if node.op == "not":
            return "not " + _wrap(node.operand, _prec(node.operand) < _PREC_NOT)
        # "-(-x)" rather than "--x", which reads like a typing mistake.
        operand = node.operand
        nested = isinstance(operand, Unary) and operand.op == "-"
        return node.op + _wrap(operand, nested or _prec(operand) < _PREC_NEGATE)
    if isinstance(node, Binary):
        prec = _BINARY_PREC.get(node.op, _PREC_OR)
        # Operators group from the left; comparisons do not group at all.
        left_needs = _prec(node.left) <= prec if prec == _PREC_COMPARE else _prec(node.left) < prec
        left = _wrap(node.left, left_needs)
        right = _wrap(node.right, _prec(node.right) <= prec)
        return f"{left} {node.op} {right}"
    return f"{node.func}({', '.join(to_text(arg) for arg in node.args)})"


# --------------------------------------------------------------------------- bounds


Interval: TypeAlias = tuple[Decimal, Decimal]
_INF = Decimal("Infinity")
_ANY: Interval = (-_INF, _INF)


def bounds(node: Node) -> Interval:
    """The least and the most a number expression can give, whatever its names
    hold, as far as the text alone says: constants, ``if``, ``min``, ``max``,
    ``coalesce``, ``round``, ``abs`` and ``+ - * /`` are followed; a name can be
    anything (``-Infinity`` to ``Infinity``).  ``if(c, 400, 700) * 1.25`` is 500
    to 875; ``3200 * (score - 1) / 4`` has no bound; ``min(x, 2000) * 0.5`` is at
    most 1000."""
    if isinstance(node, Number):
        return node.value, node.value
    if isinstance(node, Unary) and node.op == "-":
        low, high = bounds(node.operand)
        return -high, -low
    if isinstance(node, Call):
        return _call_bounds(node)
    if isinstance(node, Binary) and node.op in ("+", "-", "*", "/"):
        left, right = bounds(node.left), bounds(node.right)
        if node.op == "+":
            return left[0] + right[0], left[1] + right[1]
        if node.op == "-":
            return left[0] - right[1], left[1] - right[0]
        if node.op == "/":
            if right[0] <= 0 <= right[1]:
                return _ANY  # a divisor that can come near 0
            right = (1 / right[1], 1 / right[0])
        products = [_times(a, b) for a in left for b in right]
        return min(products), max(products)
    return _ANY


def _times(a: Decimal, b: Decimal) -> Decimal:
    return Decimal(0) if a == 0 or b == 0 else a * b  # 0 x Infinity is 0 here


def _call_bounds(node: Call) -> Interval:
    args = node.args
    if node.func == "if" and len(args) == 3:
        parts = [bounds(a) for a in args[1:]]
        return min(p[0] for p in parts), max(p[1] for p in parts)
    if node.func in ("min", "max", "coalesce") and args:
        parts = [bounds(a) for a in args]
        if node.func == "min":
            return min(p[0] for p in parts), min(p[1] for p in parts)
        if node.func == "max":
            return max(p[0] for p in parts), max(p[1] for p in parts)
        return min(p[0] for p in parts), max(p[1] for p in parts)
    if node.func == "abs" and args:
        low, high = bounds(args[0])
        least = Decimal(0) if low <= 0 <= high else min(abs(low), abs(high))
        return least, max(abs(low), abs(high))
    if node.func == "round" and args:
        low, high = bounds(args[0])
        return low - 1, high + 1  # rounding moves a value by less than 1
    return _ANY
