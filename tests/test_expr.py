"""Tests for the kasvufee expression language (kasvufee.scheme.expr)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kasvufee.errors import ExpressionError, UsageError
from kasvufee.scheme import expr
from kasvufee.scheme.expr import (
    Binary,
    Bool,
    Call,
    Name,
    Node,
    Number,
    String,
    Unary,
    Value,
    ValueType,
    bounds,
    check,
    evaluate,
    names,
    parse,
    to_polars,
    to_text,
)
from tests.conftest import examples

D = Decimal
DEC = pl.Decimal(38, 20)


def ev(text: str, **env: Value) -> Value:
    return evaluate(parse(text), env)


def run_polars(
    node: Node,
    rows: Sequence[Mapping[str, Value]],
    types: Mapping[str, ValueType],
) -> list[Value]:
    """Run the compiled form on a DataFrame with one row per environment."""
    dtypes: dict[str, pl.DataType] = {
        "number": DEC,
        "string": pl.String(),
        "boolean": pl.Boolean(),
    }
    schema = {name: dtypes[kind] for name, kind in types.items()}
    data: dict[str, list[object]] = {name: [row[name] for row in rows] for name in types}
    if not types:
        schema = {"_": pl.Int8()}
        data = {"_": [0] * len(rows)}
    df = pl.DataFrame(data, schema=schema)
    return list(df.with_columns(to_polars(node, pl.col).alias("_result"))["_result"].to_list())


def pl1(text: str, **env: Value) -> Value:
    """Compiled result for a single row; names are typed from their values."""
    types: dict[str, ValueType] = {}
    for key, value in env.items():
        types[key] = (
            "boolean"
            if isinstance(value, bool)
            else "string"
            if isinstance(value, str)
            else "number"
        )
    return run_polars(parse(text), [env], types)[0]


def both(text: str, **env: Value) -> Value:
    """Evaluate in pure Python and in polars; they must agree."""
    pure = ev(text, **env)
    compiled = pl1(text, **env)
    assert pure == compiled, (text, env, pure, compiled)
    assert type(pure) is type(compiled), (text, env, pure, compiled)
    return pure


def err(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return info.value


# --------------------------------------------------------------------------- parsing


def test_precedence_examples() -> None:
    assert parse("1 + 2 * 3") == Binary("+", Number(D(1)), Binary("*", Number(D(2)), Number(D(3))))
    assert ev("1 + 2 * 3") == 7
    assert ev("(1 + 2) * 3") == 9
    assert parse("not a and b") == Binary("and", Unary("not", Name("a")), Name("b"))
    assert parse("-x * 2") == Binary("*", Unary("-", Name("x")), Number(D(2)))
    assert parse("a or b and c") == Binary("or", Name("a"), Binary("and", Name("b"), Name("c")))
    assert parse("not a == b") == Unary("not", Binary("==", Name("a"), Name("b")))
    assert parse("a + b < c * d") == Binary(
        "<", Binary("+", Name("a"), Name("b")), Binary("*", Name("c"), Name("d"))
    )
    # left-associative
    assert parse("a - b - c") == Binary("-", Binary("-", Name("a"), Name("b")), Name("c"))
    assert ev("12 / 3 / 2") == 2
    assert ev("10 - 4 - 3") == 3
    assert ev("--2") == 2
    assert ev("- 2 * -3") == 6


def test_positions() -> None:
    node = parse("  a + round(b, 2)")
    assert isinstance(node, Binary)
    assert node.pos == 2
    assert node.left.pos == 2
    assert node.right.pos == 6
    assert isinstance(node.right, Call)
    assert node.right.args[0].pos == 12
    assert parse("(x)").pos == 1
    assert parse("not x").pos == 0
    assert parse("1 + 2") == parse("1+2")  # positions are not compared


def test_literals_and_names() -> None:
    assert parse("1.10") == Number(D("1.10"))
    assert parse("2000") == Number(D(2000))
    assert parse("0.5") == Number(D("0.5"))
    assert parse("'high'") == String("high")
    assert parse('"high"') == String("high")
    assert parse('"it\'s"') == String("it's")
    assert parse("'say \"hi\"'") == String('say "hi"')
    assert parse("''") == String("")
    assert parse("true") == Bool(True)
    assert parse("false") == Bool(False)
    assert parse("client.risk_class") == Name("client.risk_class")
    assert parse("_x9.a_b.c") == Name("_x9.a_b.c")
    assert parse("True") == Name("True")  # keywords are lower case
    assert parse("a.not") == Name("a.not")
    assert parse("\n  score\t") == Name("score")
    assert parse("min") == Name("min")  # a function name not followed by '('
    assert ev("\"a\" == 'a'") is True


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("7 + 2", D(9)),
        ("7 - 2", D(5)),
        ("7 * 2", D(14)),
        ("7 / 2", D("3.5")),
        ("-7", D(-7)),
        ("7 == 7", True),
        ("7 != 7", False),
        ("7 < 2", False),
        ("7 <= 7", True),
        ("7 > 2", True),
        ("7 >= 8", False),
        ("true and false", False),
        ("true or false", True),
        ("not true", False),
        ("'a' != 'b'", True),
        ("true == false", False),
        ("min(3, 1, 2)", D(1)),
        ("max(3, 1, 2)", D(3)),
        ("abs(-4.5)", D("4.5")),
        ("abs(4.5)", D("4.5")),
        ("if(1 < 2, 'yes', 'no')", "yes"),
        ("if(1 > 2, 'yes', 'no')", "no"),
        ("coalesce(1, 2)", D(1)),
        ("is_missing(1)", False),
        ("round(3.14159, 2)", D("3.14")),
        ("round(3.14159, 0)", D(3)),
        ("round(3.14159, 10)", D("3.14159")),
    ],
)
def test_every_operator_and_function(text: str, result: Value) -> None:
    assert both(text) == result


def test_names() -> None:
    assert names(parse("a + min(b, c.d) * if(e, a, 1)")) == {"a", "b", "c.d", "e"}
    assert names(parse("1 + 2")) == frozenset()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "position", "expected", "found"),
    [
        # unknown functions and code-like text
        (
            "exec(1)",
            0,
            "a known function (abs, coalesce, days_between, if, is_missing, max, min, "
            "months_between, round, years_between)",
            "'exec'",
        ),
        ("1 + foo(2)", 4, "a known function", "'foo'"),
        ("__import__('os')", 0, "a known function", "'__import__'"),
        ("a.b()", 0, "a known function", "'a.b' (names cannot be called like functions)"),
        ("os.system('rm -rf /')", 0, "a known function", "'os.system'"),
        ("Min(1, 2)", 0, "a known function", "'Min' (did you mean min?)"),
        ("lambda x: x", 7, "an operator", "'x'"),
        ("lambda: 1", 6, "a number, a name", "the character ':'"),
        ("[x for x in y]", 0, "'('", "the character '['"),
        ("a; b", 1, "a number, a name", "the character ';'"),
        # brackets
        ("(1 + 2", 6, "a closing ')'", "end of expression"),
        ("((1 + 2)", 8, "a closing ')' for the '(' at column 1", "end of expression"),
        ("1 + 2)", 5, "the end of the expression (this ')' has no matching '(')", "')'"),
        ("min(1, 2", 8, "a ',' or a closing ')'", "end of expression"),
        ("min(1 2)", 6, "a ',' or a closing ')'", "'2'"),
        ("min(1, 2,)", 9, "a value", "')'"),
        ("min(,)", 4, "a value", "','"),
        # comparisons
        ("a < b < c", 6, "'and' or 'or' between comparisons", "'<'"),
        ("1 == 1 == 1", 7, "'and' or 'or' between comparisons", "'=='"),
        # arity
        ("min(1)", 0, "at least 2 values in min(...)", "1 value"),
        ("max()", 0, "at least 2 values in max(...)", "no values"),
        ("coalesce(x)", 0, "at least 2 values in coalesce(...)", "1 value"),
        ("abs(1, 2)", 0, "exactly 1 value in abs(...)", "2 values"),
        ("is_missing()", 0, "exactly 1 value in is_missing(...)", "no values"),
        ("x + if(true, 1)", 4, "exactly 3 values in if(...)", "2 values"),
        ("round(1)", 0, "exactly 2 values in round(...)", "1 value"),
        # round places
        ("round(x, y)", 9, "a whole number of decimal places from 0 to 20", "'y'"),
        ("round(x, 21)", 9, "a whole number of decimal places from 0 to 20", "'21'"),
        ("round(x, 1.5)", 9, "a whole number of decimal places", "'1.5'"),
        ("round(x, 2.0)", 9, "a whole number of decimal places", "'2.0'"),
        ("round(x, -1)", 9, "a whole number of decimal places", "'-1'"),
        # trailing and missing parts
        ("1 2", 2, "an operator (such as + - * / == < and or) or the end", "'2'"),
        ("a b", 2, "an operator", "'b'"),
        ("1 +", 3, "a value", "end of expression"),
        ("", 0, "a value", "end of expression"),
        ("   ", 3, "a value", "end of expression"),
        ("* 2", 0, "a value", "'*'"),
        ("a and", 5, "a value", "end of expression"),
        # characters and literals
        ("x = 1", 2, "'=='", "the character '='"),
        ("a && b", 2, "the word 'and'", "the character '&'"),
        ("a || b", 2, "the word 'or'", "the character '|'"),
        ("!a", 0, "'!='", "the character '!'"),
        ("2 ** 3", 3, "a value", "'*'"),
        ("'abc", 4, "a closing ' to end the text started at column 1", "end of expression"),
        (".5", 0, "a digit before the decimal point", "'.'"),
        ("5.", 2, "a digit after the decimal point", "end of expression"),
        ("5.x", 2, "a digit after the decimal point", "'x'"),
        ("a.", 2, "a name part after '.'", "end of expression"),
        ("a.1", 2, "a name part after '.'", "'1'"),
        ("1.123456789012345678901", 0, "a number with at most 20 decimal places",
         "'1.123456789012345678901'"),
        ("1" * 19, 0, "a number with at most 18 digits before the decimal point", "'1111"),
        ("1.2.3", 3, "a number with one decimal point", "'1.2.'"),
        ("true.x", 4, "an operator", "the character '.'"),
    ],
)
def test_parse_errors(text: str, position: int, expected: str, found: str) -> None:
    e = err(text)
    assert e.text == text
    assert e.position == position
    assert e.expected.startswith(expected) or expected in e.expected, e.expected
    assert e.found.startswith(found), e.found
    assert str(e) == f"at column {position + 1}: expected {e.expected}, got {e.found}"


def test_limits_length() -> None:
    ok = "1+" * 999 + "1"
    assert len(ok) == 1999
    text = "1+" * 1000 + "1"
    assert len(text) == 2001
    e = err(text)
    assert (e.position, e.expected, e.found) == (
        2000,
        "an expression of at most 2000 characters",
        "2001 characters",
    )


@pytest.mark.parametrize(
    ("make", "position"),
    [
        (lambda n: "(" * n + "1" + ")" * n, 32),
        (lambda n: "-" * n + "1", 32),
        (lambda n: "not " * n + "true", 128),
        (lambda n: "abs(" * n + "1" + ")" * n, 128),
    ],
)
def test_limits_depth(make: Callable[[int], str], position: int) -> None:
    parse(make(32))
    e = err(make(33))
    assert e.position == position
    assert e.expected.startswith("at most 32 levels of nesting")
    assert e.found == "more than 32 levels"


def test_limits_nodes() -> None:
    parse("-" + "+".join(["1"] * 128))  # exactly 256 parts
    e = err("+".join(["1"] * 129))  # 257 parts; the last '+' is the 257th
    assert e.position == 255
    assert e.expected.startswith("an expression of at most 256 parts")
    assert e.found == "more than 256 parts"


def test_limits_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expr, "MAX_LENGTH", 5)
    monkeypatch.setattr(expr, "MAX_NODES", 3)
    monkeypatch.setattr(expr, "MAX_DEPTH", 1)
    assert err("1 + 2 + 3").position == 5
    assert err("1+2+3").expected.startswith("an expression of at most 3 parts")
    assert err("((1))").expected.startswith("at most 1 levels")
    parse("(1)")


# --------------------------------------------------------------------------- check

KNOWN: dict[str, ValueType] = {
    "score": "number",
    "baseline": "number",
    "client.region": "string",
    "employed": "boolean",
}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("3200 * (score - 1) / 4", "number"),
        ("score > 1 and employed", "boolean"),
        ("client.region == 'north'", "boolean"),
        ("if(employed, client.region, 'none')", "string"),
        ("coalesce(score, baseline, 0)", "number"),
        ("is_missing(client.region)", "boolean"),
        ("not employed or true", "boolean"),
        ("round(min(score, baseline) * -1, 2)", "number"),
        ("abs(score) != max(1, 2)", "boolean"),
        ("employed == false", "boolean"),
        ("'a'", "string"),
    ],
)
def test_check_types(text: str, kind: ValueType) -> None:
    assert check(parse(text), KNOWN) == kind


@pytest.mark.parametrize(
    ("text", "position", "expected", "found"),
    [
        (
            "score + scroe",
            8,
            "one of the names baseline, client.region, employed, score",
            "'scroe' (did you mean score?)",
        ),
        ("client.regoin == 'x'", 0, "one of the names", "'client.regoin' (did you mean"),
        ("'a' + 1", 0, "a number on each side of '+'", 'a text ("a")'),
        ("score * client.region", 8, "a number on each side of '*'", "a text (client.region)"),
        ("-client.region", 1, "a number after '-'", "a text"),
        (
            "if(score, 1, 2)",
            3,
            "a true/false condition as the first value of if(...)",
            "a number (score)",
        ),
        ("if(employed, 1, 'x')", 16, "a number as the third value of if(...)", 'a text ("x")'),
        (
            "score and employed",
            0,
            "a true/false value (such as a comparison x > 0) on each side of 'and'",
            "a number (score)",
        ),
        ("employed or 1", 12, "a true/false value", "a number (1)"),
        ("not score", 4, "a true/false value after 'not'", "a number (score)"),
        ("score == 'high'", 9, "a number after '==', to match the left side", 'a text ("high")'),
        ("client.region != 1", 17, "a text after '!='", "a number (1)"),
        ("'a' < 'b'", 0, "a number on each side of '<'", 'a text ("a")'),
        ("employed >= 1", 0, "a number on each side of '>='", "a true/false value (employed)"),
        ("min(score, employed)", 11, "a number in min(...)", "a true/false value"),
        ("round(client.region, 2)", 6, "a number as the first value of round(...)", "a text"),
        (
            "coalesce(score, 'x')",
            16,
            "a number in coalesce(...), to match the first value",
            'a text ("x")',
        ),
    ],
)
def test_check_errors(text: str, position: int, expected: str, found: str) -> None:
    with pytest.raises(ExpressionError) as info:
        check(parse(text), KNOWN, text=text)
    e = info.value
    assert e.text == text
    assert e.position == position
    assert e.expected.startswith(expected), e.expected
    assert e.found.startswith(found), e.found


def test_check_no_known_names() -> None:
    with pytest.raises(ExpressionError) as info:
        check(parse("x"), {})
    assert info.value.expected == "a known name (no names are available here)"
    assert info.value.text == "x"  # defaults to the canonical text


def test_check_hand_built_trees() -> None:
    with pytest.raises(ExpressionError, match="a known function"):
        check(Call("eval", (Number(D(1)),)), {})
    with pytest.raises(ExpressionError, match="exactly 1 value"):
        check(Call("abs", ()), {})
    with pytest.raises(ExpressionError, match="decimal places"):
        check(Call("round", (Number(D(1)), Name("x"))), {"x": "number"})
    with pytest.raises(ExpressionError, match="a known operator"):
        check(Binary("**", Number(D(1)), Number(D(2))), {})
    with pytest.raises(ExpressionError, match="'-' or 'not'"):
        check(Unary("+", Number(D(1))), {})


# --------------------------------------------------------------------------- exact decimals


def test_exact_decimals() -> None:
    assert both("0.1 + 0.2 == 0.3") is True
    assert both("3200 * (score - 1) / 4", score=D("3.3333333")) == D("1866.66664")
    result = both("3200 * (score - 1) / 4", score=D("3.333333333"))
    assert result == D("1866.66666640")
    assert str(result) == "1866.66666640000000000000"  # always held with 20 decimal places
    assert both("1 / 3") == D("0.33333333333333333333")
    assert both("2 / 3") == D("0.66666666666666666667")
    assert both("-2 / 3") == D("-0.66666666666666666667")
    # an exact tie at the 21st place goes to the even 20th digit, as polars does
    assert both("0.00000000000000000001 / 2") == D(0)
    assert both("0.00000000000000000003 / 2") == D("0.00000000000000000002")
    assert both("0.000025 * 0.00001") == D("0.00000000025")  # exact: 20 places
    assert both("1 / 3 * 3") == D("0.99999999999999999999")
    # a growth factor times a ten-decimal revenue is exact, so >= is decided exactly
    assert both("current >= 1.10 * baseline", current=D("110000.0000000001"),
                baseline=D("100000.0000000001")) is False
    assert both("x * 3", x=D("1.5")) == D("4.5")


def test_round_half_up() -> None:
    assert both("round(2.5, 0)") == 3
    assert both("round(-2.5, 0)") == -3
    assert both("round(0.125, 2)") == D("0.13")
    assert both("round(-0.125, 2)") == D("-0.13")
    assert both("round(1.005, 2)") == D("1.01")
    assert both("round(3.5, 0)") == 4
    assert both("round(0.49, 0)") == 0
    assert both("round(x, 2)", x=D("123.4449999999")) == D("123.44")
    assert both("round(x, 9)", x=D("-0.0000000005")) == D("-0.000000001")
    assert both("round(x, 10)", x=D("9.9999999999")) == D("9.9999999999")
    assert both("round(x, 0)", x=D("9.9999999999")) == D(10)
    assert both("round(x, 3)", x=None) is None


def test_overflow() -> None:
    big = "1" + "0" * 10
    with pytest.raises(ExpressionError) as info:
        ev(f"{big} * {big}")
    assert info.value.expected == "a result with at most 18 digits before the decimal point"
    with pytest.raises(ExpressionError):  # a part without names is computed when compiling
        to_polars(parse(f"{big} * {big}"), pl.col)
    with pytest.raises(pl.exceptions.ComputeError):
        pl1("x * x", x=D(big))
    assert ev(f"{big} * 1000000") == D(10) ** 16


# --------------------------------------------------------------------------- missing values

T, F, N = True, False, None
KLEENE = [
    (T, T, T, T),
    (T, F, F, T),
    (T, N, N, T),
    (F, T, F, T),
    (F, F, F, F),
    (F, N, F, N),
    (N, T, N, T),
    (N, F, F, N),
    (N, N, N, N),
]


@pytest.mark.parametrize(("p", "q", "p_and_q", "p_or_q"), KLEENE)
def test_kleene_logic(
    p: bool | None, q: bool | None, p_and_q: bool | None, p_or_q: bool | None
) -> None:
    types: dict[str, ValueType] = {"p": "boolean", "q": "boolean"}
    env = {"p": p, "q": q}
    for text, want in (
        ("p and q", p_and_q),
        ("p or q", p_or_q),
        ("not p", None if p is None else not p),
    ):
        node = parse(text)
        assert evaluate(node, env) is want, text
        assert run_polars(node, [env], types) == [want], text


def test_missing_values() -> None:
    x = D(2)
    assert both("x + 1", x=None) is None
    assert both("x * 0", x=None) is None
    assert both("-x", x=None) is None
    assert both("abs(x)", x=None) is None
    assert both("x > 1", x=None) is None
    assert both("x == 1", x=None) is None
    assert both("s == 'a'", s=None) is None
    assert both("min(x, y)", x=x, y=None) is None
    assert both("max(y, x, 3)", x=x, y=None) is None
    assert both("min(x, 3)", x=x, y=None) == 2
    assert both("coalesce(y, x)", x=x, y=None) == 2
    assert both("coalesce(y, z)", y=None, z=None) is None
    assert both("coalesce(s, 'none')", s=None) == "none"
    assert both("is_missing(y)", y=None) is True
    assert both("is_missing(x)", x=x) is False
    assert both("is_missing(y + 1)", y=None) is True
    assert both("if(x > 1, 'big', 'small')", x=x) == "big"
    assert both("if(x > 1, 'big', 'small')", x=None) is None
    assert both("if(b, 1, 2)", b=False) == 2
    assert both("if(b, y, 2)", b=True, y=None) is None


def test_division_by_zero() -> None:
    assert both("1 / 0") is None
    assert both("x / 0", x=D(5)) is None
    assert both("x / y", x=D(5), y=D(0)) is None
    assert both("x / y", x=None, y=D(0)) is None
    assert both("x / (y - y)", x=D(5), y=D("0.5")) is None
    assert both("coalesce(x / y, 0)", x=D(5), y=D(0)) == 0
    assert both("x / y", x=D(5), y=D(2)) == D("2.5")


# --------------------------------------------------------------------------- evaluate / compile


def test_evaluate_errors() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(parse("a + b"), {"a": D(1)}, text="a + b")
    assert (info.value.position, info.value.expected, info.value.found) == (
        4,
        "one of the names a",
        "'b'",
    )
    with pytest.raises(ExpressionError, match="a number on each side of '\\+'"):
        ev("s + 1", s="x")
    with pytest.raises(ExpressionError, match="a true/false value"):
        ev("x and true", x=D(1))
    with pytest.raises(ExpressionError, match="to match the left side"):
        ev("x == 'a'", x=D(1))
    with pytest.raises(ExpressionError, match="to match the left side"):
        ev("b == 1", b=True)  # True == 1 in Python, but not here
    with pytest.raises(UsageError, match="float"):
        evaluate(parse("x"), {"x": 1.5})  # type: ignore[dict-item]
    with pytest.raises(UsageError, match="finite"):
        evaluate(parse("x"), {"x": D("NaN")})
    assert evaluate(parse("x + 1"), {"x": 2}) == 3  # type: ignore[dict-item]


def test_strings_and_booleans_in_polars() -> None:
    assert both("s == 'north'", s="north") is True
    assert both('s != "north"', s="south") is True
    assert both("if(b, s, 'x')", b=True, s="y") == "y"
    assert both("not b or b == false", b=False) is True


@pytest.mark.parametrize(
    "text",
    [
        # shapes that polars 2.1's eager engine once got wrong (one row instead of a column)
        "0 == coalesce(0, x)",
        "1 < if(x > 0, 1, 2)",
        "0 == if(is_missing(x), 0, 1)",
        "coalesce(false, false) == coalesce(false, is_missing(x))",
        # parts without names are computed once, when compiling
        "if(1 > 0, x, 0)",
        "if(1 / 0 > 1, x, 0)",
        "coalesce(1 / 0, x, 3)",
        "coalesce(x, 1 / 0, 3)",
        "min(x, 1 / 0)",
        "x + round(2.5, 0) * (3 - 1)",
    ],
)
def test_polars_constant_parts(text: str) -> None:
    types: dict[str, ValueType] = {"x": "number"}
    rows: list[dict[str, Value]] = [{"x": D(1)}, {"x": None}, {"x": D(-2)}]
    node = parse(text)
    assert run_polars(node, rows, types) == [evaluate(node, row) for row in rows]


@pytest.mark.parametrize(
    "pattern",
    ["1 / ({})", "round({}, 2)", "min({}, 1)", "max(1, {})", "if({} > 0, 1, 2)", "abs({})"],
)
def test_polars_expression_grows_linearly(pattern: str) -> None:
    # Each part must be used once: a part used twice per level doubles the work per level.
    def nested(levels: int) -> Node:
        text = "x"
        for _ in range(levels):
            text = pattern.format(text)
        return parse(text)

    small = len(str(to_polars(nested(5), pl.col)))
    large = len(str(to_polars(nested(20), pl.col)))
    assert large < 5 * small
    rows: list[dict[str, Value]] = [{"x": D(2)}, {"x": D(0)}, {"x": None}]
    node = nested(20)
    assert run_polars(node, rows, {"x": "number"}) == [evaluate(node, row) for row in rows]


def test_to_polars_types() -> None:
    df = pl.DataFrame({"x": [D("1.5")]}, schema={"x": DEC})
    out = df.select(
        a=to_polars(parse("x * x / 3"), pl.col),
        b=to_polars(parse("round(x, 0)"), pl.col),
        c=to_polars(parse("min(x, 1) - abs(-x)"), pl.col),
        d=to_polars(parse("2"), pl.col),
        e=to_polars(parse("x / 0"), pl.col),
    )
    assert all(dtype == DEC for dtype in out.schema.values())


# --------------------------------------------------------------------------- to_text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1+2*3", "1 + 2 * 3"),
        ("(1+2)*3", "(1 + 2) * 3"),
        ("a-(b-c)", "a - (b - c)"),
        ("(a-b)-c", "a - b - c"),
        ("a/(b*c)", "a / (b * c)"),
        ("-(x*2)", "-(x * 2)"),
        ("(-x)*2", "-x * 2"),
        ("--x", "-(-x)"),
        ("not(a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("a or (b or c)", "a or (b or c)"),
        ("(a == b) == c", "(a == b) == c"),
        ("a == (b < c)", "a == (b < c)"),
        ("not not a", "not not a"),
        ("x == (not y)", "x == (not y)"),
        ("-(not a)", "-(not a)"),
        ("min( a,b , 1.50 )", "min(a, b, 1.50)"),
        ("round((x), 2)", "round(x, 2)"),
        ("'it\"s'", "'it\"s'"),
        ("'plain'", '"plain"'),
        ("TRUE == true", "TRUE == true"),
    ],
)
def test_to_text(text: str, canonical: str) -> None:
    node = parse(text)
    assert to_text(node) == canonical
    assert parse(canonical) == node


def test_to_text_unrepresentable_string() -> None:
    with pytest.raises(UsageError):
        to_text(String("both ' and \""))


# --------------------------------------------------------------------------- properties

NUM_NAMES = ("a", "b", "c", "d.e")
NUM_TYPES: dict[str, ValueType] = dict.fromkeys(NUM_NAMES, "number")

# |x| < 10**4 with at most 4 decimal places; with at most 6 leaves per tree no result
# can exceed Decimal(38, 10), even through division by tiny numbers.
small = st.integers(-(10**8) + 1, 10**8 - 1).map(lambda i: D(i).scaleb(-4))
values = st.one_of(st.none(), st.just(D(0)), st.integers(-5, 5).map(D), small)
literals = st.one_of(
    st.integers(0, 10).map(D),
    st.integers(0, 10**8 - 1).map(lambda i: D(i).scaleb(-4)),
).map(Number)


def _split(draw: st.DrawFn, budget: int) -> tuple[int, int]:
    left = draw(st.integers(1, budget - 1))
    return left, budget - left


@st.composite
def numeric(draw: st.DrawFn, budget: int = 6, depth: int = 4) -> Node:
    """A number-typed tree with at most ``budget`` leaves."""
    kinds = ["literal", "name"]
    if depth > 0:
        kinds += ["neg", "abs", "round"]
        if budget >= 2:
            kinds += ["+", "-", "*", "/", "/", "min", "max", "coalesce"]
        if budget >= 3:
            kinds += ["if"]
    kind = draw(st.sampled_from(kinds))
    if kind == "literal":
        return draw(literals)
    if kind == "name":
        return Name(draw(st.sampled_from(NUM_NAMES)))
    if kind == "neg":
        return Unary("-", draw(numeric(budget, depth - 1)))
    if kind == "abs":
        return Call("abs", (draw(numeric(budget, depth - 1)),))
    if kind == "round":
        places = Number(D(draw(st.integers(0, 10))))
        return Call("round", (draw(numeric(budget, depth - 1)), places))
    if kind == "if":
        cond_budget = draw(st.integers(1, budget - 2))
        then_budget, else_budget = _split(draw, budget - cond_budget)
        return Call(
            "if",
            (
                draw(boolean(cond_budget, depth - 1)),
                draw(numeric(then_budget, depth - 1)),
                draw(numeric(else_budget, depth - 1)),
            ),
        )
    left, right = _split(draw, budget)
    a = draw(numeric(left, depth - 1))
    b = draw(numeric(right, depth - 1))
    if kind in ("min", "max", "coalesce"):
        return Call(kind, (a, b))
    return Binary(kind, a, b)


@st.composite
def boolean(draw: st.DrawFn, budget: int = 6, depth: int = 4) -> Node:
    """A boolean-typed tree with at most ``budget`` leaves."""
    kinds = ["literal", "is_missing"]
    if depth > 0:
        kinds += ["not"]
        if budget >= 2:
            kinds += ["compare", "compare", "and", "or", "coalesce", "=="]
        if budget >= 3:
            kinds += ["if"]
    kind = draw(st.sampled_from(kinds))
    if kind == "literal":
        return Bool(draw(st.booleans()))
    if kind == "is_missing":
        return Call("is_missing", (draw(numeric(budget, max(depth - 1, 0))),))
    if kind == "not":
        return Unary("not", draw(boolean(budget, depth - 1)))
    if kind == "if":
        cond_budget = draw(st.integers(1, budget - 2))
        then_budget, else_budget = _split(draw, budget - cond_budget)
        return Call(
            "if",
            (
                draw(boolean(cond_budget, depth - 1)),
                draw(boolean(then_budget, depth - 1)),
                draw(boolean(else_budget, depth - 1)),
            ),
        )
    left, right = _split(draw, budget)
    if kind == "compare":
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return Binary(op, draw(numeric(left, depth - 1)), draw(numeric(right, depth - 1)))
    a = draw(boolean(left, depth - 1))
    b = draw(boolean(right, depth - 1))
    if kind == "coalesce":
        return Call("coalesce", (a, b))
    return Binary(kind, a, b)


envs = st.fixed_dictionaries({name: values for name in NUM_NAMES})


@settings(max_examples=examples(300), deadline=None)
@given(node=st.one_of(numeric(), boolean()), rows=st.lists(envs, min_size=1, max_size=4))
def test_evaluate_matches_polars(node: Node, rows: list[dict[str, Value]]) -> None:
    kind = check(node, NUM_TYPES)
    expected = [evaluate(node, row) for row in rows]
    got = run_polars(node, rows, NUM_TYPES)
    assert got == expected, to_text(node)
    for value in got:
        assert value is None or isinstance(value, Decimal if kind == "number" else bool)
    # and the canonical text means the same tree
    assert parse(to_text(node)) == node


def _height(node: Node) -> int:
    if isinstance(node, Unary):
        return 1 + _height(node.operand)
    if isinstance(node, Binary):
        return 1 + max(_height(node.left), _height(node.right))
    if isinstance(node, Call):
        return 1 + max(_height(arg) for arg in node.args)
    return 1


identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: s not in {"and", "or", "not", "true", "false"}
)
any_leaf = st.one_of(
    st.builds(Number, st.decimals(min_value=0, max_value=10**17, places=3)),
    st.builds(Number, st.integers(0, 10**12).map(lambda i: D(i).scaleb(-10))),
    st.builds(String, st.text(alphabet=st.characters(blacklist_characters='"'), max_size=8)),
    st.builds(String, st.text(alphabet=st.characters(blacklist_characters="'"), max_size=8)),
    st.builds(Bool, st.booleans()),
    st.builds(Name, st.lists(identifiers, min_size=1, max_size=3).map(".".join)),
)
BINARY_OPS = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/"]


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(Unary, st.sampled_from(["-", "not"]), children),
        st.builds(Binary, st.sampled_from(BINARY_OPS), children, children),
        st.builds(
            Call,
            st.sampled_from(["min", "max", "coalesce"]),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
        st.builds(Call, st.sampled_from(["abs", "is_missing"]), st.tuples(children)),
        st.builds(Call, st.just("if"), st.tuples(children, children, children)),
        st.builds(
            Call,
            st.just("round"),
            st.tuples(children, st.integers(0, 10).map(lambda i: Number(D(i)))),
        ),
    )


@settings(max_examples=examples(300), deadline=None)
@given(node=st.recursive(any_leaf, _extend, max_leaves=20))
def test_to_text_round_trips(node: Node) -> None:
    assume(_height(node) <= 30)
    text = to_text(node)
    assert parse(text) == node
    assert to_text(parse(text)) == text


@pytest.mark.parametrize("text", ["0 == coalesce(a, 0)", "coalesce(a, 0) == 0",
                                  "1 == if(a > 0, 1, 2)", "0 == coalesce(a, b, 0)"])
def test_literal_against_a_column_keeps_every_row(text: str) -> None:
    # polars 2.1 eager mode gave one row for `0 == coalesce(a, 0)` over two rows
    df = pl.DataFrame({"a": [None, None, Decimal(3)], "b": [None, None, None]},
                      schema={"a": pl.Decimal(38, 10), "b": pl.Decimal(38, 10)})
    node = parse(text)
    got = df.select(to_polars(node, pl.col).alias("x"))["x"].to_list()
    assert got == [evaluate(node, row) for row in df.iter_rows(named=True)]
    assert len(got) == 3


INF = Decimal("Infinity")


@pytest.mark.parametrize(("text", "low", "high"), [
    # jobactive's 4-week fee: 400 to 1 600 by stream and band, x 1.25, x 0.40 or 1
    ('if(s == "A", if(b < 24, 400, 700), 1600) * if(r, 1.25, 1) * if(m >= 100, 1, 0.40)',
     Decimal("160"), Decimal("2000")),
    ("3200 * (score - 1) / 4", -INF, INF),  # a name unbounded reaches the result
    ("min(x, 2000) * 0.5", -INF, Decimal("1000")),
    ("max(x, 10)", Decimal("10"), INF),
    ("round(if(a, 1, 2) * 3, 2)", Decimal("2"), Decimal("7")),  # rounding: within 1
    ("10 / if(a, 2, 4)", Decimal("2.5"), Decimal("5")),
    ("10 / if(a, -1, 1)", -INF, INF),  # a divisor that can be near 0
    ("-if(a, 1, 2) + 5 - if(b, 1, 0)", Decimal("2"), Decimal("4")),
    ("abs(if(a, -3, 2))", Decimal("0"), Decimal("3")),
    ("x * 0", Decimal("0"), Decimal("0")),
    ("coalesce(x, 5)", -INF, INF),
])
def test_bounds_follow_the_text(text: str, low: Decimal, high: Decimal) -> None:
    assert bounds(parse(text)) == (low, high)
