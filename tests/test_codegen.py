"""The generated functions of a guide: nothing of the guide in their text, and they are used."""

from __future__ import annotations

import ast
import dataclasses
import decimal
import logging
import pickle
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emulation_rules
from emulation_rules import load_ruleset
from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules.engine import evaluator
from emulation_rules.engine.codegen import FastPathFailed
from emulation_rules.engine.codegen.emit_expressions import ExpressionWriter
from emulation_rules.engine.codegen.program import nonnegative_inputs, number_inputs
from emulation_rules.engine.evaluator import counting_fallbacks, evaluate_values, program_unit
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.submissions import Submission, validate_submission

ROOT = Path(__file__).resolve().parent.parent
GUIDES = sorted(
    p
    for p in [*ROOT.glob("rulesets/*.yaml"), *ROOT.glob("rulesets/templates/*.yaml")]
    if not p.name.endswith(".tests.yaml")
)
#: The names the generated code may use: its arguments and helpers, per-criterion locals
#: (value, applicable, maximum, record), temporaries, and the constants ``tkN`` / ``pkN``.
ALLOWED_NAME = re.compile(
    r"(names|cohort|S|ZERO|NA|NUM|FB|D|tuple|abs|type|ctx|ds|[vamrxbg]\d+|[tp]k\d+"
    r"|e|f|ms|n|L|l|v|raw|x|y|t|neg|pos|cn|cp|cmb|b|pd|bm|st|rd|cv|cid|P|d|ex|hb|hg|cb|cg|ps|pc"
    r"|o\d+|tt|TL|PC|CL|GR|GE)"
)


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: p.name)
def test_generated_text_holds_nothing_from_the_guide(path: Path) -> None:
    compiled = load_ruleset(path)
    assert compiled.program is not None
    assert not compiled.program._functions  # compiled when first used
    for traced in (True, False):
        assert callable(compiled.program.function(traced=traced))
    tree = ast.parse(compiled.program.source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            assert node.value in (None, True, False, 0, 1), ast.dump(node)
            assert type(node.value) in (type(None), bool, int)
        elif isinstance(node, ast.Name):
            assert ALLOWED_NAME.fullmatch(node.id), node.id
        elif isinstance(node, ast.FunctionDef):
            assert node.name in ("traced", "plain")
        else:
            assert not isinstance(
                node, ast.JoinedStr | ast.Import | ast.ImportFrom | ast.Lambda | ast.Attribute
            ) or (isinstance(node, ast.Attribute) and node.attr in ACCESS), ast.dump(node)


#: Attributes the generated code reads: cohort entries, list methods, decimal methods.
ACCESS = frozenset(
    {"facts", "applicable", "note", "value", "append", "join", "get", "quantize", "__class__"}
)


def test_the_trace_is_built_when_read_and_pickles_whole() -> None:
    compiled = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    batch = load_submissions([ROOT / "examples/tiengiang-2022/submissions.yaml"])
    values, _ = validate_submission(compiled, batch.submissions[0])
    assert values is not None
    program_unit(compiled, "u", "U", values)  # the fast path takes this unit
    unit = evaluate_values(compiled, "u", "U", values)
    reference = evaluate_values(compiled, "u", "U", values, interpreter=True)
    assert unit.status == reference.status
    # the flat records pickle as the tree they stand for
    assert pickle.loads(pickle.dumps(unit._trace)) == reference.trace  # noqa: S301
    assert unit.trace == reference.trace
    assert unit == reference
    assert unit.trace is unit.trace  # built once


def test_a_fallback_to_the_interpreter_is_counted_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    compiled = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    batch = load_submissions([ROOT / "examples/tiengiang-2022/submissions.yaml"])
    values, _ = validate_submission(compiled, batch.submissions[0])
    assert values is not None
    with counting_fallbacks() as fallbacks:
        fast = evaluate_values(compiled, "u", "U", values)
    assert fallbacks.count == 0  # the generated code scores this unit

    def broken(*args: object, **kwargs: object) -> None:
        raise FastPathFailed("a bug of the code generator")

    monkeypatch.setattr(evaluator, "program_unit", broken)
    with (
        caplog.at_level(logging.DEBUG, logger="emulation_rules.engine"),
        counting_fallbacks() as fallbacks,
    ):
        unit = evaluate_values(compiled, "u", "U", values)
    assert unit == fast  # the interpreter gives the same result...
    assert fallbacks.units == [("u", "FastPathFailed: a bug of the code generator")]  # ...counted
    assert "generated code fell back (FastPathFailed: a bug of the code generator)" in caplog.text


def test_a_forced_fallback_in_score_is_counted_warned_once_and_changes_no_byte(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    compiled = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    batch = load_submissions([ROOT / "examples/tiengiang-2022/submissions.yaml"])
    units = len(batch.submissions)
    assert units >= 2
    with emulation_rules.counting_fallbacks() as fallbacks:
        expected = emulation_rules.score(compiled, batch).to_json(trace=True)
    assert fallbacks.count == 0

    def broken(*args: object, **kwargs: object) -> None:
        raise FastPathFailed("forced by the test")

    monkeypatch.setattr(evaluator, "program_unit", broken)
    before = emulation_rules.fallback_count()
    with (
        caplog.at_level(logging.DEBUG, logger="emulation_rules.engine"),
        emulation_rules.counting_fallbacks() as fallbacks,
    ):
        first = emulation_rules.score(compiled, batch).to_json(trace=True)
        second = emulation_rules.score(compiled, batch).to_json(trace=True)
    assert first == second == expected  # the interpreter gives the same bytes
    assert fallbacks.count == 2 * units  # every unit of both calls, counted
    assert {reason for _, reason in fallbacks.units} == {"FastPathFailed: forced by the test"}
    assert emulation_rules.fallback_count() - before == 2 * units  # the process's total
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(warnings) == 1  # once for this guide and reason, however many units
    assert "tiengiang-stnmt-2022" in warnings[0].getMessage()
    assert "FastPathFailed: forced by the test" in warnings[0].getMessage()
    assert len(debug) == 2 * units  # and one line per unit at DEBUG


def test_fallbacks_are_counted_by_the_thread_that_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    batch = load_submissions([ROOT / "examples/tiengiang-2022/submissions.yaml"])

    def broken(*args: object, **kwargs: object) -> None:
        raise FastPathFailed("forced by the test")

    monkeypatch.setattr(evaluator, "program_unit", broken)
    seen: list[int] = []

    def other() -> None:
        with emulation_rules.counting_fallbacks() as mine:
            emulation_rules.score(compiled, batch)
        seen.append(mine.count)

    with emulation_rules.counting_fallbacks() as outer:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen == [len(batch.submissions)]  # the scoring thread's own counter
    assert outer.count == 0  # not the counter another thread opened


def test_a_unit_whose_own_data_fails_is_counted_but_not_warned_about(
    make_guide: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # a target of 0: the generated code hands the unit over, the interpreter reports the error
    guide = make_guide(
        """
        inputs:
          a: {type: decimal, label: Kết quả, required: true}
          t: {type: decimal, label: Chỉ tiêu, required: true}
        criteria:
          - {id: "1", title: Chỉ tiêu, max: 5, proportional: {achieved: a, target: t}}
        """,
        scale=5,
    )
    units = [
        Submission(unit_id="x", name="X", values={"a": 3, "t": 0}),
        Submission(unit_id="y", name="Y", values={"a": 3, "t": 6}),
    ]
    with (
        caplog.at_level(logging.DEBUG, logger="emulation_rules.engine"),
        emulation_rules.counting_fallbacks() as fallbacks,
    ):
        result = emulation_rules.score(guide, units)
    assert result.unit("x").status == "error"
    assert [i.code for i in result.unit("x").issues] == ["eval-div-zero"]
    assert [unit for unit, _ in fallbacks.units] == ["x"]  # counted...
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]  # ...logged, not warned


# --------------------------------------------------------------------------------------------
# What the generated code folds or leaves out (issue 18); tests/data/codegen/toi-da-gop.yaml
# checks the results against the interpreter (tests/test_codegen_differential.py).

FOLDED = ROOT / "tests/data/codegen/toi-da-gop.yaml"


def test_a_group_maximum_fixed_by_the_guide_is_a_constant_of_the_interpreter_s_exponent() -> None:
    compiled = load_ruleset(FOLDED)
    program = compiled.program
    assert program is not None
    source = program.sources["traced"]
    position = {ident: i for i, ident in enumerate(compiled.order)}
    g1, g2, g3 = position["G1"], position["G2"], position["G3"]
    # every child of G1 always applies: a constant (returned as such), no sum, no test
    assert f"m{g1} = " not in source
    assert f"a{g1} = " not in source
    assert f"not (a{position['G1.1']}" not in source
    # G2 and G3 have children that may not apply: the sum is computed only then
    for group in (g2, g3):
        assert re.search(rf"m{group} = tk\d+ if a\d+ and a\d+ else \(tk\d+ - \(ZERO", source)
    # the folded value keeps the exponent of the interpreter's computation: 20 - (0 + 0.0 + …)
    values = {"co_a": True, "co_b": True, "dat": 1, "tong": 1, "ct": Decimal(1)}
    unit = evaluate_values(compiled, "u", "U", _typed(compiled, values))
    reference = evaluate_values(compiled, "u", "U", _typed(compiled, values), interpreter=True)
    assert unit.trace is not None
    assert reference.trace is not None
    folded, expected = unit.trace.find("G1"), reference.trace.find("G1")
    assert folded is not None
    assert expected is not None
    assert str(folded.max) == str(expected.max) == "20.00"


TOTAL_IN_FUNCTION = ROOT / "tests/data/codegen/tong-co-dinh.yaml"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"a": Decimal(12), "b": Decimal(6), "e": 9, "dat": True}, "cap_scale"),
        ({"a": Decimal(0), "d": 40}, "floor"),
        ({"a": Decimal("7.123"), "b": Decimal("1.33"), "dat": True, "d": 3, "e": 1}, "rounding"),
    ],
)
def test_the_function_computes_the_total_of_a_guide_whose_criteria_all_apply(
    values: dict[str, Any], code: str
) -> None:
    compiled = load_ruleset(TOTAL_IN_FUNCTION)
    program = compiled.program
    assert program is not None
    assert program.totals
    for source in program.sources.values():
        assert re.search(r"\n    tt = ZERO( \+ v\d+){5}\n", source)
    typed = _typed(compiled, values)
    unit = program_unit(compiled, "u", "U", typed)  # raises if the generated code falls back
    reference = evaluate_values(compiled, "u", "U", typed, interpreter=True)
    assert unit.trace is not None
    assert reference.trace is not None
    assert [line[0] for line in unit.trace.adjustments] == [code]
    assert repr(unit.trace.adjustments) == repr(reference.trace.adjustments)
    for field in ("total", "max", "percent", "classification", "deductions", "status"):
        assert str(getattr(unit, field)) == str(getattr(reference, field)), field


@pytest.mark.parametrize(
    ("values", "reasons", "ineligible"),
    [
        ({"a": Decimal(9), "dat": True}, (), ()),
        ({"a": Decimal(9), "dat": True, "vp": 3}, ("K1",), ("E2",)),
        # E2 reads vp, not applicable when missing: it does not hold, though dat is false
        ({"a": Decimal(9), "d": 31}, (), ("E1",)),
        ({"a": Decimal(9), "d": 31, "vp": 0}, (), ("E1", "E2")),
    ],
)
def test_the_function_gives_the_gates_and_eligibility_of_a_guide_whose_criteria_all_apply(
    values: dict[str, Any], reasons: tuple[str, ...], ineligible: tuple[str, ...]
) -> None:
    compiled = load_ruleset(TOTAL_IN_FUNCTION)
    typed = _typed(compiled, values)
    unit = program_unit(compiled, "u", "U", typed)  # raises if the generated code falls back
    reference = evaluate_values(compiled, "u", "U", typed, interpreter=True)
    assert tuple(reason.split(":")[0] for reason in unit.reasons) == reasons
    assert tuple(reason.split(":")[0] for reason in unit.eligibility_reasons) == ineligible
    assert (unit.classification is None) == bool(reasons)  # a gate that holds: no label
    for field in ("reasons", "eligibility_reasons", "eligible", "classification", "status"):
        assert getattr(unit, field) == getattr(reference, field), field


def _typed(compiled: Any, values: dict[str, Any]) -> dict[str, Any]:
    typed, issues = validate_submission(compiled, Submission(unit_id="u", name="U", values=values))
    assert typed is not None, issues
    return typed


PERCENT_VALUES = st.one_of(
    st.integers(-(10**30), 10**30),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("-0"), Decimal("0E+3"), Decimal("1E+30"), True, False, 0, -0]),
)


@settings(max_examples=400, deadline=None)
@given(part=PERCENT_VALUES, whole=PERCENT_VALUES)
def test_an_inline_percent_is_the_sandbox_s_to_the_exponent(part: Any, whole: Any) -> None:
    """``part * Decimal(100) / whole`` is ``D(D(part) * 100) / D(whole)``, the code before."""
    writer = ExpressionWriter({}, {}, traced=True, uses_score=False)
    text = writer.percent("part", "whole")
    namespace = {**writer.constants, "part": part, "whole": whole, "D": Decimal}
    with decimal.localcontext(ENGINE_CONTEXT):
        try:
            expected: Any = Decimal(Decimal(part) * 100) / Decimal(whole) if whole else None
        except ArithmeticError:
            expected = ArithmeticError
        try:
            got: Any = eval(text, namespace) if whole else None  # noqa: S307 - our own text
        except ArithmeticError:
            got = ArithmeticError
    assert str(got) == str(expected)


def test_number_inputs_are_read_without_a_type_check_the_others_with_one() -> None:
    compiled = load_ruleset(FOLDED)
    assert number_inputs(compiled.inputs) == {"dat", "tong", "kq", "ct", "vp", "sk"}
    # kq's minimum is -5: a part it counts may have either sign
    assert nonnegative_inputs(compiled.inputs) == {"dat", "tong", "ct", "vp", "sk"}
    program = compiled.program
    assert program is not None
    source = program.sources["traced"]
    names = {
        value: name
        for name, value in program.namespace.items()
        if isinstance(value, str) and name.startswith("tk")
    }
    # tuy_chon may be not applicable: its value is checked; kq and ct are numbers once validated
    assert f"x = names[{names['tuy_chon']}]\n        if x.__class__ not in NUM:" in source
    assert f"x = names[{names['kq']}]\n        y = names[{names['ct']}]\n" in source
    # a deduction per violation (a count never below zero): no sign check, no abs()
    position = {ident: i for i, ident in enumerate(compiled.order)}["G2.4"]
    block = source.split(f"x = names[{names['vp']}]\n")[1].split(f"r{position} = raw\n")[0]
    assert "abs(" not in block
    assert "raw > ZERO:\n" not in block.replace("if raw > ZERO else", "")


def test_the_unit_score_maker_is_the_dataclass() -> None:
    """Issue 18: the fast constructor sets every field, as ``UnitScore(...)`` does."""
    names = [f.name for f in dataclasses.fields(evaluator.UnitScore)]
    given = {name: (name, i) for i, name in enumerate(names)}  # a distinct value per field
    made = evaluator._make_unit_score(**given)
    assert type(made) is evaluator.UnitScore
    assert made == evaluator.UnitScore(**given)
    assert {name: getattr(made, name) for name in names} == given
    with pytest.raises(TypeError):  # a field left out is an error, never a default
        evaluator._make_unit_score(**{n: v for n, v in given.items() if n != "corrected"})
    with pytest.raises(dataclasses.FrozenInstanceError):  # still frozen
        made.total = Decimal(1)  # type: ignore[misc]


def test_a_count_times_a_constant_is_read_from_a_table_of_the_same_products() -> None:
    """Issue 18: ``per_event`` and ``percent()`` of a count read ``n * k`` from a table.

    Made when the code is written, in the engine's context: each entry is the decimal the
    multiplication gives at run time, digit for digit and exponent; other values (a
    ``Decimal``, a ``bool``, 256 and more) are multiplied as before.
    """
    compiled = load_ruleset(ROOT / "tests" / "data" / "codegen" / "cach-cham.yaml")
    program = compiled.program
    assert program is not None
    source = program.sources["traced"]
    assert "raw = (tk" in source
    assert "if type(x) is tk" in source
    writer_tables = [
        (name, value)
        for name, value in program.namespace.items()
        if type(value) is tuple and len(value) == 256
    ]
    assert writer_tables
    points = [getattr(n.construct, "points", None) for n in compiled.nodes.values()]
    factors = [p for p in points if type(p) is Decimal] + [Decimal(100)]
    for name, table in writer_tables:
        with decimal.localcontext(ENGINE_CONTEXT):
            expected = [[repr(n * k) for n in range(256)] for k in factors]
        assert [repr(t) for t in table] in expected, name


_DIGITS = st.integers(-(10**40), 10**40)
_EXPONENTS = st.integers(-60, 60)


@settings(max_examples=400, deadline=None)
@given(
    a=st.tuples(_DIGITS, _EXPONENTS),
    b=st.tuples(_DIGITS, _EXPONENTS),
    c=st.tuples(_DIGITS.filter(bool), _EXPONENTS),
    cap=st.tuples(_DIGITS, _EXPONENTS),
)
def test_a_capped_leaf_s_check_cannot_fail(a: Any, b: Any, c: Any, cap: Any) -> None:
    """Issue 18: why a single-line leaf's cap branch no longer checks ``ZERO + raw + d``.

    Its part is a decimal an operation made in the engine's context (``k * x / y``, ``x * k``)
    and its line ``cap - raw`` another: the check equals the value whatever their digits.
    """
    a_, b_, c_, cap_ = (Decimal(n).scaleb(e) for n, e in (a, b, c, cap))
    with decimal.localcontext(ENGINE_CONTEXT):
        for raw in (a_ * b_ / c_, a_ * b_, a_ + b_):
            d = cap_ - raw
            assert Decimal(0) + raw + d == raw + d
