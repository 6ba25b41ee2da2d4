"""The expression sandbox: allowed language, static checks, hostile input, evaluation."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal

import pytest
import simpleeval

from emulation_rules import EvaluationError
from emulation_rules.compiler.sandbox import (
    FUNCTIONS,
    SandboxConfig,
    check_expression,
    evaluate_expression,
)

NAMES = {"a": "number", "b": "number", "ok": "bool", "d": "date", "muc": "text"}


def check(source: str, **kwargs):
    return check_expression(source, names=NAMES, criteria=frozenset({"TC1", "a1.2"}), **kwargs)


def codes(source: str, **kwargs) -> list[str]:
    return [i.code for i in check(source, **kwargs)[1]]


def run(source: str, **values):
    checked, issues = check(source)
    assert checked is not None, issues
    return evaluate_expression(checked, values, lambda ident: Decimal(7))


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("a + 0.1", {"a": Decimal("0.2")}, Decimal("0.3")),
        ("0.1 + 0.1 + 0.1", {}, Decimal("0.3")),
        ("a / 3", {"a": Decimal(1)}, Decimal(1) / Decimal(3)),
        ("min(a, 5, b)", {"a": Decimal(9), "b": Decimal(6)}, Decimal(5)),
        ("clamp(a, 0, 10)", {"a": Decimal(12)}, Decimal(10)),
        ("round(2.675, 2)", {}, Decimal("2.68")),
        ("round(2.665, 2, 'half_even')", {}, Decimal("2.66")),
        ("percent(a, b)", {"a": Decimal(3), "b": Decimal(4)}, Decimal(75)),
        ("floor(a)", {"a": Decimal("-2.5")}, Decimal(-3)),
        ("ceil(a)", {"a": Decimal("2.1")}, Decimal(3)),
        ("days_between(date('2022-01-31'), d)", {"d": date(2022, 2, 3)}, Decimal(3)),
        ("a if ok else b", {"a": Decimal(1), "b": Decimal(2), "ok": False}, Decimal(2)),
        ("90 <= a < 95", {"a": Decimal(95)}, False),
        ("muc in ('khien_trach', 'canh_cao')", {"muc": "canh_cao"}, True),
        ("not ok or a > 1", {"ok": True, "a": Decimal(2)}, True),
        ("true and ok", {"ok": True}, True),
        ("score('a1.2') * 2", {}, Decimal(14)),
    ],
)
def test_allowed_language(source, values, expected):
    result = run(source, **values)
    assert result == expected
    assert not isinstance(result, float)


def test_number_literals_become_exact_decimals():
    checked, _ = check("0.1")
    assert checked is not None
    assert checked.tree.value == Decimal("0.1")  # type: ignore[attr-defined]


def test_names_and_references_are_collected():
    checked, _ = check("a + score('TC1') if ok else b")
    assert checked is not None
    assert checked.names == ("ok", "a", "b")
    assert checked.refs == ("TC1",)


HOSTILE = [
    # attributes and dunders
    ("x.__class__", "expr-forbidden"),
    ("a.real", "expr-forbidden"),
    ("().__class__.__bases__[0].__subclasses__()", "expr-forbidden"),
    ("'{0.__class__}'.format(a)", "expr-forbidden"),
    ("a[0]", "expr-forbidden"),
    # functions outside the table
    ("rand()", "expr-unknown-function"),
    ("randint(100)", "expr-unknown-function"),
    ("float('nan')", "expr-unknown-function"),
    ("int('9' * 5000)", "expr-unknown-function"),
    ("str(a)", "expr-unknown-function"),
    ("open('/etc/passwd')", "expr-unknown-function"),
    ("eval('1')", "expr-unknown-function"),
    ("exec('import os')", "expr-unknown-function"),
    ("__import__('os')", "expr-unknown-function"),
    ("getattr(a, 'real')", "expr-unknown-function"),
    ("type(a)", "expr-unknown-function"),
    # operators
    ("4000000 ** 4000000", "expr-forbidden"),
    ("9 ** 9 ** 9", "expr-forbidden"),
    ("a % 3", "expr-forbidden"),
    ("a // 3", "expr-forbidden"),
    ("1 << 10000", "expr-forbidden"),
    ("a & b", "expr-forbidden"),
    ("~a", "expr-forbidden"),
    ("a is b", "expr-forbidden"),
    ("'%999999999d' % 1", "expr-forbidden"),
    # structures
    ("[x for x in range(10)]", "expr-forbidden"),
    ("{x: 1 for x in a}", "expr-forbidden"),
    ("(x for x in a)", "expr-forbidden"),
    ("lambda: 1", "expr-forbidden"),
    ("f'{a}'", "expr-forbidden"),
    ("(y := 5)", "expr-forbidden"),
    ("[1, 2]", "expr-forbidden"),
    ("{'a': 1}", "expr-forbidden"),
    ("{1, 2}", "expr-forbidden"),
    ("min(*[a, b])", "expr-forbidden"),
    ("min(a, b, key=a)", "expr-forbidden"),
    ("(a, b)", "expr-forbidden"),
    ("None", "expr-forbidden"),
    # statements
    ("a = 5", "expr-not-expression"),
    ("a += 1", "expr-not-expression"),
    ("a; b", "expr-not-expression"),
    ("import os", "expr-not-expression"),
    ("del a", "expr-not-expression"),
    # syntax, size, numbers
    ("a +* b", "expr-syntax"),
    ("(" * 250 + "1" + ")" * 250, "expr-syntax"),
    ("-" * 500 + "1", "expr-too-complex"),
    ("not " * 200 + "ok", "expr-too-complex"),
    ("1" + " + 1" * 240, "expr-too-complex"),
    ("a" * 1001, "expr-too-long"),
    ("'" + "x" * 300 + "'", "expr-too-long"),
    ("1e400", "expr-number"),
    ("1j", "expr-number"),
    ("b'x'", "expr-number"),
    ("a / 0", "expr-div-zero"),
    ("a / (0)", "expr-div-zero"),
    # names and types
    ("unknown_name + 1", "expr-unknown-name"),
    ("True * 5", "expr-type"),
    ("'a' + 1", "expr-type"),
    ("d + 1", "expr-type"),
    ("ok > 1", "expr-type"),
    ("muc < 3", "expr-type"),
    ("not a", "expr-type"),
    ("a and ok", "expr-type"),
    ("a if a else b", "expr-type"),
    ("min(ok, a)", "expr-type"),
    ("min(a)", "expr-type"),
    ("round(a, 2, 'bankers')", "expr-type"),
    ("score('nope')", "unknown-criterion"),
    ("score(muc)", "expr-type"),
    ("date('2025-02-30')", "date-format"),
    ("min", "expr-forbidden"),
    ("a\x00", "control-char"),
]


@pytest.mark.parametrize(("source", "code"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_expressions_are_rejected_before_evaluation(source, code):
    checked, issues = check(source)
    assert checked is None
    assert code in [i.code for i in issues]


def test_unknown_names_get_a_suggestion():
    [issue] = check("muc_do == 'x'")[1]
    assert issue.hint == "did you mean 'muc'?"
    assert issue.column == 1


def test_criterion_used_as_a_name_suggests_score():
    [issue] = check("TC1 + 1")[1]
    assert issue.hint == "write score('TC1')"


def test_limits_are_configurable_per_call():
    config = SandboxConfig(max_length=10)
    assert codes("a + b + a + b", config=config) == ["expr-too-long"]
    assert codes("a + b + a + b") == []


def test_expected_type_is_checked():
    assert codes("a + 1", expect="bool") == ["expr-type"]
    assert codes("ok", expect="number") == ["expr-type"]


def test_division_by_zero_at_run_time_is_translated():
    checked, _ = check("a / b")
    assert checked is not None
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.DivisionByZero] = True
        with pytest.raises(EvaluationError) as caught:
            evaluate_expression(checked, {"a": Decimal(1), "b": Decimal(0)}, lambda _: Decimal(0))
    assert caught.value.issues[0].code == "eval-div-zero"


def test_no_raw_exception_escapes_evaluation():
    checked, _ = check("a + b")
    assert checked is not None
    with pytest.raises(EvaluationError):
        evaluate_expression(checked, {"a": Decimal(1), "b": "x"}, lambda _: Decimal(0))


def test_function_table_has_no_nondeterministic_or_unsafe_functions():
    assert set(FUNCTIONS) == {
        "abs",
        "ceil",
        "clamp",
        "date",
        "days_between",
        "floor",
        "max",
        "min",
        "percent",
        "ratio",
        "round",
        "score",
    }


def test_simpleeval_is_a_patched_version():
    # simpleeval 1.0.8 closed the operator.attrgetter escape; a downgrade must fail here
    import operator

    assert operator.attrgetter in simpleeval.DISALLOW_FUNCTIONS


# --------------------------------------------------------------------------------------------
# The compiled closures agree with simpleeval, the reference evaluator

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NUMBER_LEAVES = st.sampled_from(["a", "b", "0", "1", "2.5", "0.1", "100", "score('TC1')"])
_BOOL_LEAVES = st.sampled_from(["ok", "true", "false", "a > b", "a == 2.5", "b <= 0"])


def _numbers(depth: int):
    if depth <= 0:
        return _NUMBER_LEAVES
    sub = _numbers(depth - 1)
    return st.one_of(
        _NUMBER_LEAVES,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        sub.map(lambda e: f"-{e}"),
        st.tuples(sub, sub).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"max({t[0]}, {t[1]}, 3)"),
        sub.map(lambda e: f"round({e}, 2)"),
        st.tuples(_booleans(depth - 1), sub, sub).map(lambda t: f"({t[1]} if {t[0]} else {t[2]})"),
    )


def _booleans(depth: int):
    if depth <= 0:
        return _BOOL_LEAVES
    sub = _numbers(depth - 1)
    return st.one_of(
        _BOOL_LEAVES,
        st.tuples(sub, st.sampled_from(["<", "<=", "==", "!=", ">", ">="]), sub).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
        st.tuples(sub, sub, sub).map(lambda t: f"{t[0]} <= {t[1]} < {t[2]}"),
        _BOOL_LEAVES.map(lambda e: f"not ({e})"),
        st.tuples(_BOOL_LEAVES, _BOOL_LEAVES).map(lambda t: f"({t[0]}) and ({t[1]})"),
        st.tuples(_BOOL_LEAVES, _BOOL_LEAVES).map(lambda t: f"({t[0]}) or ({t[1]})"),
    )


def _outcome(checked, values, *, reference):
    try:
        with decimal.localcontext() as ctx:
            ctx.prec = 28
            ctx.traps[decimal.DivisionByZero] = True
            ctx.traps[decimal.InvalidOperation] = True
            return (
                "ok",
                evaluate_expression(checked, values, lambda _: Decimal(7), reference=reference),
            )
    except EvaluationError as exc:
        return ("error", exc.issues[0].code)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    source=st.one_of(_numbers(3), _booleans(3)),
    a=st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    b=st.sampled_from([Decimal(0), Decimal("2.5"), Decimal(-3), Decimal("0.001")]),
    ok=st.booleans(),
)
def test_closures_agree_with_simpleeval(source, a, b, ok):
    checked, issues = check(source)
    assert checked is not None, issues
    values = {"a": a, "b": b, "ok": ok, "d": date(2022, 1, 1), "muc": "x"}
    assert _outcome(checked, values, reference=False) == _outcome(checked, values, reference=True)


@pytest.mark.parametrize(
    ("source", "folded"),
    [("ｓｏ + 1", "so"), ("𝐚 * 2", "a"), ("ª + 1", "a"), ("ⁿ", "n"), ("ｍｉｎ(so, 1)", "min")],
)
def test_names_python_would_fold_are_refused(source, folded):
    # Python reads identifiers through NFKC: without this check, 'ｓｏ' would read the input 'so'
    checked, issues = check_expression(source, names={"so": "number", "a": "number", "n": "number"})
    assert checked is None
    assert [(i.code, i.column) for i in issues] == [("expr-lookalike", 1)]
    assert repr(folded) in issues[0].message


@pytest.mark.parametrize("literal", ["1e-999999999", "0e-999999999", "0.000000000000000000001"])
def test_literals_with_extreme_exponents_are_refused(literal):
    # 1e-999999999 underflowed to a silent 0; 0e-999999999 printed a megabyte of zeros
    checked, issues = check_expression(f"a * {literal}", names={"a": "number"})
    assert checked is None
    assert [i.code for i in issues] == ["expr-number"]
    assert "decimal places" in issues[0].message


def test_a_literal_with_twenty_places_is_still_a_number():
    checked, issues = check_expression("a * 0.00000000000000000001", names={"a": "number"})
    assert issues == []
    assert checked is not None


def test_a_literal_with_more_digits_than_the_engine_keeps_is_refused():
    # 1234567890.1234567890123456789 has 29 significant digits: it would be rounded silently
    checked, issues = check_expression("a * 1234567890.1234567890123456789", names={"a": "number"})
    assert checked is None
    assert [i.code for i in issues] == ["expr-number"]
    assert "significant digits" in issues[0].message
    checked, issues = check_expression("a * 123456789.1234567890123456789", names={"a": "number"})
    assert issues == []


def test_a_day_first_date_in_an_expression_is_refused_with_its_iso_form():
    checked, issues = check_expression("d <= date('31/3/2024')", names={"d": "date"})
    assert checked is None
    assert [(i.code, i.hint) for i in issues] == [("date-format", "write date('2024-03-31')")]
