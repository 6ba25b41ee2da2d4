"""The per-guide validation plan gives exactly what coerce_value and the reporting path give.

``validate_submission`` first tries ``_without_issues`` (an ``InputPlan`` built once per
guide: one specialised checker per input, and a test of a whole group of inputs at a time
when every input is given), and takes the value-by-value reporting path only when something
would be reported. These tests hold each fast layer against the slow rule it replaces, on
random values of every input type: wrong types, bool for int, floats, NaN, sNaN, Infinity,
negative zero, huge exponents and huge ints, number texts, out of bounds and too many places.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import Submission, load_ruleset
from emulation_rules.compiler import fields as inputs_module
from emulation_rules.compiler.fields import (
    NOT_APPLICABLE,
    InputField,
    ValueProblem,
    coerce_value,
    field_checker,
    input_plan,
)
from emulation_rules.inputs import submissions as submissions_module
from emulation_rules.inputs.submissions import _validate_reporting, validate_submission

PROPERTY = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class OddDecimal(D):
    """A Decimal subclass: coerce_value's fast paths want exactly Decimal."""


class OddInt(int):
    """An int subclass, likewise."""


# --------------------------------------------------------------------------------------------
# Random inputs and values

BOUNDS = st.one_of(
    st.none(),
    st.sampled_from(
        [D(0), D(1), D(-5), D("0.5"), D("-0"), D(100), D("99.99"), D("1E+20"), D("-1E+16")]
    ),
    st.decimals(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False),
)
NAMES = [f"f{i}" for i in range(8)]


@st.composite
def input_fields(draw: st.DrawFn, name: str = "x") -> InputField:
    kind = draw(st.sampled_from(["bool", "count", "decimal", "percent", "date", "text", "enum"]))
    required = draw(st.booleans())
    missing = None
    if not required:
        missing = draw(st.sampled_from([NOT_APPLICABLE, 0, D(0), D("0.00"), False, "", "a"]))
    return InputField(
        name=name,
        type=kind,
        label=f"Nhãn {name}",
        required=required,
        missing=missing,
        min=draw(BOUNDS),
        max=draw(BOUNDS),
        places=draw(st.none() | st.integers(0, 4)),
        values=("a", "b") if kind == "enum" else (),
        evidence=False,
    )


def decimal_from_parts(sign: int, digits: list[int], exponent: int) -> D:
    return D((sign, tuple(digits), exponent))


DECIMALS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-200, max_value=200, places=2),
    st.decimals(min_value=-200, max_value=200, places=1),
    st.builds(
        decimal_from_parts,
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=30),
        st.integers(-12, 12) | st.integers(-999_999, 999_999),
    ),
    st.sampled_from(
        [
            D("-0"),
            D("-0.00"),
            D("0E+5"),
            D("0.000"),
            D("1E+15"),
            D("-1E+15"),
            D("999999999999999.99"),
            D("1.000"),
            D("1E+2"),
            D("NaN"),
            D("-NaN"),
            D("sNaN"),
            D("Infinity"),
            D("-Infinity"),
        ]
    ),
    st.builds(OddDecimal, st.sampled_from(["1.5", "0", "-0", "7"])),
)
RAW = st.one_of(
    st.booleans(),
    st.integers(-1000, 1000),
    st.integers(),
    st.sampled_from([10**20, -(10**20), 10**15, 10**5000, OddInt(3), OddInt(-1)]),
    DECIMALS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["95,5", "1.000", " 1 ", "1e3", "NaN", "yes", "true", "", "a", "b", "c"]),
    st.text(max_size=8),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["2024-02-30", "2024-01-31", "31/01/2024"]),
    st.none(),
    st.just([1]),
    st.just({"a": 1}),
)
CONTEXTS = st.sampled_from(
    [
        None,
        decimal.Context(prec=28, rounding=decimal.ROUND_HALF_UP),
        decimal.Context(prec=3, rounding=decimal.ROUND_FLOOR),
        decimal.Context(prec=6, traps=[]),
    ]
)


def outcome(function: Any, *args: Any) -> tuple[Any, ...]:
    """What a call gives, exactly: the value's type and repr, or the problem, or the error."""
    try:
        value = function(*args)
    except ValueProblem as problem:
        return ("problem", problem.code, problem.message, problem.hint)
    except Exception as error:  # noqa: BLE001 - the slow path's other errors must match too
        return ("raised", type(error), str(error))
    return ("value", type(value), repr(value))


def described(typed: dict[str, Any] | None) -> list[tuple[str, type, str]] | None:
    """Typed values with their order, types and reprs (Decimal('-0') != Decimal('0') here)."""
    if typed is None:
        return None
    return [(name, type(value), repr(value)) for name, value in typed.items()]


def in_context(context: decimal.Context | None, function: Any, *args: Any) -> Any:
    if context is None:
        return function(*args)
    with decimal.localcontext(context):
        return function(*args)


# --------------------------------------------------------------------------------------------
# One input: field_checker(field) is coerce_value(field, ·)


@PROPERTY
@given(field=input_fields(), raw=RAW, context=CONTEXTS)
def test_field_checker_is_coerce_value(field: InputField, raw: Any, context: Any) -> None:
    check = field_checker(field)
    fast = in_context(context, outcome, check, raw)
    slow = in_context(context, outcome, coerce_value, field, raw)
    assert fast == slow


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (InputField("n", "count", "Số", True, None, D(0), None, None, (), False), 5, "5"),
        (InputField("n", "count", "Số", True, None, D(1), D(9), None, (), False), 9, "9"),
        (
            InputField("d", "decimal", "Điểm", True, None, D(0), None, 2, (), False),
            D("-0.00"),
            "Decimal('0.00')",
        ),
        (
            InputField("d", "decimal", "Điểm", True, None, None, None, 2, (), False),
            D("1E+2"),
            "Decimal('1E+2')",
        ),
        (InputField("b", "bool", "Có", True, None, None, None, None, (), False), False, "False"),
    ],
)
def test_field_checker_keeps_well_typed_values(field: InputField, raw: Any, expected: str) -> None:
    assert repr(field_checker(field)(raw)) == expected == repr(coerce_value(field, raw))


@pytest.mark.parametrize("kind", ["bool", "count", "decimal", "percent"])
@pytest.mark.parametrize(("low", "high"), [(None, None), (D(0), None), (None, D(5)), (D(0), D(5))])
@pytest.mark.parametrize(
    "raw",
    [True, False, 0, 1, 3, OddInt(3), D(3), D("3.0"), OddDecimal(3), OddDecimal("-0"), 3.0, "3"],
)
def test_checkers_want_exactly_the_type(kind: str, low: Any, high: Any, raw: Any) -> None:
    """A bool for a count, an int for a decimal, subclasses: what coerce_value says."""
    field = InputField("x", kind, "Nhãn", True, None, low, high, 2, (), False)
    assert outcome(field_checker(field), raw) == outcome(coerce_value, field, raw)


# --------------------------------------------------------------------------------------------
# All the inputs of a guide: InputPlan.typed is "coerce every value, then fill the missing"


def reference_typed(inputs: dict[str, InputField], values: dict[str, Any]) -> dict[str, Any] | None:
    """The value part of validate_submission as written before the plan: None if it reports."""
    typed: dict[str, Any] = {}
    for name, raw in values.items():
        spec = inputs.get(name)
        if spec is None:
            return None
        if raw is None:
            continue
        try:
            typed[name] = coerce_value(spec, raw)
        except ValueProblem:
            return None
    for name, spec in inputs.items():
        if name not in typed:
            if spec.required:
                return None
            typed[name] = spec.missing
    return typed


@st.composite
def good_value(draw: st.DrawFn, field: InputField) -> Any:
    """A value the field accepts as it is, most of the time (the bounds may be empty)."""
    low, high = field.min, field.max
    if field.type == "bool":
        return draw(st.booleans())
    if field.type == "count":
        least = int(low.to_integral_value(decimal.ROUND_CEILING)) if low is not None else -50
        most = int(high.to_integral_value(decimal.ROUND_FLOOR)) if high is not None else 500
        if least > most:
            return draw(st.integers(-5, 5))
        most = min(most, least + 1000)
        return draw(st.sampled_from([least, most]) | st.integers(least, most))  # bounds too
    if field.type in ("decimal", "percent"):
        places = field.places if field.places is not None else draw(st.integers(0, 3))
        least = low.scaleb(places) if low is not None else D(-50_000)
        most = high.scaleb(places) if high is not None else D(50_000)
        first = int(least.to_integral_value(decimal.ROUND_CEILING))
        last = int(most.to_integral_value(decimal.ROUND_FLOOR))
        if first > last:
            return draw(DECIMALS)
        last = min(last, first + 100_000)
        units = draw(st.sampled_from([first, last]) | st.integers(first, last))  # bounds too
        value = D(units).scaleb(-places)
        if units == 0 and draw(st.booleans()):
            value = D("-0").scaleb(-places)  # a negative zero within the bounds
        return value
    if field.type == "date":
        return draw(st.dates())
    if field.type == "enum":
        return draw(st.sampled_from(field.values))
    return draw(st.text(alphabet="abc xyz", max_size=6))


@st.composite
def guides_and_values(draw: st.DrawFn) -> tuple[dict[str, InputField], dict[str, Any]]:
    count = draw(st.integers(1, len(NAMES)))
    fields = {name: draw(input_fields(name)) for name in NAMES[:count]}
    # the type of each group is what matters to the group tests: some guides all numbers
    if draw(st.booleans()):
        fields = {n: f for n, f in fields.items() if f.type not in ("date", "text", "enum")}
        fields = fields or {"f0": draw(input_fields("f0"))}
    values: dict[str, Any] = {}
    complete = draw(st.booleans())  # every input given, well typed: the grouped tests
    for name, field in fields.items():
        if complete:
            values[name] = draw(good_value(field))
            continue
        choice = draw(st.sampled_from(["good", "good", "absent", "none", "raw"]))
        if choice == "good":
            values[name] = draw(good_value(field))
        elif choice == "none":
            values[name] = None
        elif choice == "raw":
            values[name] = draw(RAW)
    if complete and draw(st.booleans()):  # one value made wrong, maybe
        victim = draw(st.sampled_from(sorted(values)))
        values[victim] = draw(RAW)
    if draw(st.integers(0, 9)) == 0:
        values["khong_co"] = draw(RAW)  # not an input
    order = draw(st.permutations(list(values)))
    return fields, {name: values[name] for name in order}


@PROPERTY
@given(case=guides_and_values(), context=CONTEXTS)
def test_plan_gives_the_reference_typed_values(case: Any, context: Any) -> None:
    fields, values = case
    plan = inputs_module.InputPlan(fields)
    expected = in_context(context, outcome, lambda: described(reference_typed(fields, values)))
    assert in_context(context, outcome, lambda: described(plan.typed(values))) == expected
    # each layer on its own: the value-by-value one always, the grouped one when it answers
    assert in_context(context, outcome, lambda: described(plan._each(values))) == expected
    grouped = in_context(context, outcome, lambda: described(plan._all_given(values)))
    if grouped != ("value", type(None), "None"):
        assert grouped == expected


def test_the_grouped_test_answers_for_a_complete_well_typed_submission() -> None:
    fields = {
        "ok": InputField("ok", "bool", "Có", True, None, None, None, None, (), False),
        "n": InputField("n", "count", "Số", True, None, D(0), D(10), None, (), False),
        "m": InputField("m", "count", "Số", False, 0, D(1), None, None, (), False),
        "a": InputField("a", "decimal", "Điểm", True, None, D(0), None, 2, (), False),
        "b": InputField("b", "percent", "Tỷ lệ", True, None, D(0), D(100), 2, (), False),
        "d": InputField("d", "date", "Ngày", False, NOT_APPLICABLE, None, None, None, (), False),
    }
    values = {
        "b": D("-0.00"),
        "a": D("999999999999999.99"),  # just below MAX_MAGNITUDE
        "n": 10,  # the maximum
        "ok": True,
        "m": 1,  # the minimum
        "d": "2024-01-31",
    }
    plan = inputs_module.InputPlan(fields)
    typed = plan._all_given(values)
    assert typed is not None
    assert described(typed) == described(reference_typed(fields, values))
    assert repr(typed["b"]) == "Decimal('0.00')"  # the zero lost its sign, as coerce_value does
    assert typed["d"] == dt.date(2024, 1, 31)
    # one value out of its bounds, or of the wrong type: the grouped test says no
    assert plan._all_given({**values, "n": 11}) is None
    assert plan._all_given({**values, "n": True}) is None
    assert plan._all_given({**values, "a": D("12.501")}) is None
    assert plan._all_given({**values, "a": 12.5}) is None
    assert plan._all_given({**values, "a": D("1E+15")}) is None  # far too large
    assert plan._all_given({**values, "m": 0}) is None
    assert plan._all_given({**values, "b": D("NaN")}) is None
    for wrong in ({"a": D("1E+15")}, {"m": 0}, {"b": D("NaN")}):
        assert reference_typed(fields, {**values, **wrong}) is None


def test_a_decimal_group_is_tested_by_one_exact_sum() -> None:
    """Issue 18: the places of a decimal group come from the exponent of its exact sum."""
    field = InputField("x", "decimal", "Điểm", True, None, D(0), None, 2, (), False)
    fields = {name: dataclasses.replace(field, name=name) for name in ("x", "y", "z")}
    plan = inputs_module.InputPlan(fields)

    def grouped(x: Any, y: Any, z: Any) -> Any:
        values = {"x": x, "y": y, "z": z}
        typed = plan._all_given(values)
        expected = reference_typed(fields, values)
        if typed is not None:  # the grouped test keeps only what coerce_value keeps as is
            assert described(typed) == described(expected)
        whole = plan.typed(values)  # else the per-value path decides, as coerce_value
        assert (whole is None) == (expected is None)
        if whole is not None:
            assert described(whole) == described(expected)
        return typed

    assert grouped(D("1.5"), D(2), D("0.25")) is not None  # exponents -1, 0, -2
    assert grouped(D("1.5"), D(2), D("0.255")) is None  # one value with 3 places
    assert grouped(D("1E-30"), D("-1E-30"), D(1)) is None  # cancels out, still 30 places
    assert grouped(D("99999999999999.99"), D("0.001"), D(1)) is None  # 3 places beside 16 digits
    # a sum that cannot be exact in 100 digits: left to the per-value path
    assert grouped(D("1E+200"), D("0.01"), D(1)) is None
    assert grouped(D(1), D("sNaN"), D(1)) is None
    assert grouped(D("Infinity"), D("-Infinity"), D(1)) is None
    assert grouped(D("NaN"), D(1), D(1)) is None
    # each below MAX_MAGNITUDE though their sum is not: max() decides, and they are kept
    big = D("999999999999999.99")
    assert grouped(big, big, D(0)) is not None
    assert grouped(big, D("1E+15"), D(0)) is None
    typed = grouped(D("-0.00"), D(1), D(2))  # a zero, negative: made positive
    assert typed is not None
    assert repr(typed["x"]) == "Decimal('0.00')"


# --------------------------------------------------------------------------------------------
# A whole submission: validate_submission is the reporting path, issues and all

GUIDE = """\
format: emulation-rules/v1
id: thu-nghiem
version: "1"
title: Hướng dẫn thử nghiệm
period: "2024"
scale: 10
inputs:
  co_bao_cao: {type: bool, label: Có gửi báo cáo, required: true}
  so_ca: {type: count, label: Số trường hợp, missing: 0, max: 50}
  so_ho_so: {type: count, label: Số hồ sơ, missing: 0}
  ty_le: {type: percent, label: Tỷ lệ thu gom, missing: 0, places: 2, max: 100}
  diem: {type: decimal, label: Điểm thẩm định, missing: 0, min: -5, max: 5}
  khen: {type: count, label: Số lần khen, missing: 0, evidence: true}
  ngay: {type: date, label: Ngày ban hành kế hoạch, missing: not_applicable}
  muc: {type: enum, label: Hình thức kỷ luật, values: [khong, khien_trach], missing: khong}
  ghi_chu: {type: text, label: Ghi chú, missing: ""}
checks:
  - id: K1
    require: so_ca <= so_ho_so
    message: Số trường hợp không thể nhiều hơn số hồ sơ
criteria:
  - id: A
    title: Báo cáo
    max: 10
    children:
      - {id: A.1, title: Mỗi trường hợp, kind: deduction, per_event: {count: so_ca, points: -0.5}}
      - {id: A.2, title: Tỷ lệ, kind: adjustment, formula: ty_le / 100 + diem + khen}
      - {id: A.3, title: Không báo cáo, kind: deduction, points: -1, when: not co_bao_cao}
      - id: A.4
        title: Kỷ luật
        kind: deduction
        lookup: {of: muc, points: {khong: 0, khien_trach: -1}}
      - id: A.5
        title: Ban hành sau 31/1
        kind: deduction
        deadline: {date: ngay, due: 2024-01-31, late: -0.5}
      - {id: A.6, title: Ghi chú, kind: deduction, points: 0, when: ghi_chu == "x"}
"""


COMPILED = load_ruleset(GUIDE.encode(), name="guide.yaml")


def test_one_plan_per_guide_and_a_bounded_cache() -> None:
    first = load_ruleset(GUIDE.encode(), name="a.yaml")
    again = load_ruleset(GUIDE.encode(), name="a.yaml")
    assert input_plan(first.inputs) is input_plan(first.inputs)
    assert input_plan(first.inputs).inputs is first.inputs
    assert input_plan(again.inputs) is not input_plan(first.inputs)  # another mapping
    for _ in range(10):
        input_plan(dict(first.inputs))
    assert inputs_module._plan.cache_info().currsize <= 8


GOOD: dict[str, st.SearchStrategy[Any]] = {
    "co_bao_cao": st.booleans(),
    "so_ca": st.integers(0, 50),
    "so_ho_so": st.integers(0, 60),
    "ty_le": st.decimals(min_value=0, max_value=100, places=2),
    "diem": st.decimals(min_value=-5, max_value=5, places=3),
    "khen": st.integers(0, 3),
    "ngay": st.dates().map(dt.date.isoformat),
    "muc": st.sampled_from(["khong", "khien_trach"]),
    "ghi_chu": st.text(alphabet="ab x", max_size=5),
}


PERTURBATIONS = [
    None,
    None,
    "evidence-missing",
    "unknown-criterion",
    "unknown-evidence",
    "unknown-field",
    "ruleset",
    "version",
    "period",
    "value",
    "missing-value",
    "input-check",
]


@st.composite
def submissions(draw: st.DrawFn) -> Submission:
    """Mostly clean submissions with at most one thing to report, and some of anything."""
    clean = draw(st.booleans())
    values: dict[str, Any] = {}
    for name, strategy in GOOD.items():
        options = ["good"] * 5 + ["absent"] if clean else ["good", "good", "absent", "raw"]
        choice = draw(st.sampled_from(options))
        if name == "co_bao_cao" and clean:
            choice = "good"  # required
        if choice == "good":
            values[name] = draw(strategy)
        elif choice == "raw":
            values[name] = draw(RAW)
    header = {
        "ruleset": draw(st.sampled_from([None, "thu-nghiem"])),
        "ruleset_version": draw(st.sampled_from([None, "1"])),
        "period": draw(st.sampled_from([None, "2024"])),
    }
    evidence: dict[str, Any] = draw(st.sampled_from([{}, {"khen": "QĐ 12"}]))
    self_scores: dict[str, Any] = draw(st.sampled_from([{}, {"A": D(1)}]))
    if clean:
        if values.get("so_ca", 0) > values.get("so_ho_so", 0):
            values["so_ho_so"] = values.get("so_ca", 0)
        if values.get("khen"):
            evidence = {"khen": "QĐ 12"}
    perturbation = draw(st.sampled_from(PERTURBATIONS)) if clean else None
    if perturbation == "evidence-missing":
        values["khen"] = 2
        evidence = {}
    elif perturbation == "unknown-criterion":
        self_scores = {"Z": D(1)}
    elif perturbation == "unknown-evidence":
        evidence = {**evidence, "khen_": "QĐ 1"}
    elif perturbation == "unknown-field":
        values["so_ca_"] = 1
    elif perturbation == "ruleset":
        header["ruleset"] = "khac"
    elif perturbation == "version":
        header["ruleset_version"] = "2"
    elif perturbation == "period":
        header["period"] = "2023"
    elif perturbation == "value":
        values[draw(st.sampled_from(sorted(GOOD)))] = draw(RAW)
    elif perturbation == "missing-value":
        values.pop("co_bao_cao")
    elif perturbation == "input-check":
        values["so_ca"], values["so_ho_so"] = 2, 1
    order = draw(st.permutations(list(values)))
    return Submission(
        unit_id="u1",
        name="Đơn vị",
        values={name: values[name] for name in order},
        evidence=evidence,
        self_scores=self_scores,
        **header,
        source="don-vi.yaml",
        locations={"so_ca": (3, 5), "@unit": (1, 1)},
        cells={"diem": "sheet 'Đơn vị', cell D7"},
    )


def validated(function: Any, submission: Submission, allow: bool) -> tuple[Any, ...]:
    def run() -> tuple[Any, ...]:
        typed, issues = function(COMPILED, submission, allow_version_mismatch=allow)
        return described(typed), issues

    return outcome(run)


@PROPERTY
@given(submission=submissions(), allow=st.booleans())
def test_validate_submission_is_the_reporting_path(submission: Submission, allow: bool) -> None:
    assert validated(validate_submission, submission, allow) == validated(
        _validate_reporting, submission, allow
    )


def test_a_clean_submission_does_not_take_the_reporting_path(monkeypatch) -> None:
    clean = Submission(
        unit_id="u1",
        name="Đơn vị",
        values={"co_bao_cao": True, "so_ca": 2, "so_ho_so": 3, "ty_le": D("-0.00"), "khen": 1},
        evidence={"khen": "QĐ 12"},
    )
    expected = _validate_reporting(COMPILED, clean)
    assert expected[0] is not None
    assert not expected[1]

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the reporting path was taken")

    monkeypatch.setattr(submissions_module, "_validate_reporting", refuse)
    typed, issues = validate_submission(COMPILED, clean)
    assert described(typed) == described(expected[0])
    assert issues == expected[1]
    other_version = clean.model_copy(update={"ruleset_version": "2"})
    typed, issues = validate_submission(COMPILED, other_version, allow_version_mismatch=True)
    assert described(typed) == described(expected[0])
    assert issues == []
    # anything to report (here the check K1 fails) goes to the reporting path
    with pytest.raises(AssertionError, match="reporting path"):
        validate_submission(
            COMPILED, clean.model_copy(update={"values": {**clean.values, "so_ca": 4}})
        )
