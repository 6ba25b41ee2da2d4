"""Differential tests: the generated guide code (``compiled.program``) against the interpreter.

The interpreter (``_Unit`` in :mod:`emulation_rules.engine.evaluator`) is the reference. For random
but valid submissions, built the way ``validate_submission`` builds them, the generated
functions must give the identical :class:`UnitScore` — every field, and the whole trace,
decimals compared by their text so that ``5``, ``5.0`` and ``5.00`` differ — including for
units that fail. Compared on every shipped guide (``rulesets/``), on small guides written to
exercise every feature of the evaluator (``tests/data/codegen/``), one unit at a time and as a
cluster (the cluster phase needs the other units), with and without the trace. Finally the
fast path must really be taken: :func:`program_unit` scores every unit the interpreter scores,
and raises for every unit the interpreter fails.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import decimal
import difflib
import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import (
    CompiledRuleset,
    SandboxConfig,
    Submission,
    TraceNode,
    UnitScore,
    load_cluster,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules.authoring.guidetests import TESTS_SUFFIX, load_suite
from emulation_rules.authoring.guidetests.run import _cluster, _inputs
from emulation_rules.compiler.fields import NOT_APPLICABLE, InputField, ValueProblem, coerce_value
from emulation_rules.compiler.nodes import (
    BandsC,
    DeadlineC,
    IncrementC,
    PerEventC,
    ProportionalC,
    TableC,
    TargetC,
)
from emulation_rules.compiler.sandbox import FUNCTIONS
from emulation_rules.engine.cluster import cohort_values
from emulation_rules.engine.codegen.emit_expressions import INLINE_DEPTH as _INLINE_DEPTH
from emulation_rules.engine.codegen.emit_expressions import depth as _depth
from emulation_rules.engine.evaluator import evaluate_values, program_unit
from emulation_rules.guide.model import MAX_MAGNITUDE, MAX_PLACES, NamedValue
from emulation_rules.inputs.cluster_data import ClusterData, unit_facts
from emulation_rules.inputs.reviews import Override, Review
from emulation_rules.inputs.submissions import validate_submission

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
SHIPPED = sorted(
    p
    for p in [*RULESETS.glob("*.yaml"), *RULESETS.glob("templates/*.yaml")]
    if not p.name.endswith(TESTS_SUFFIX)
)
WRITTEN = sorted((ROOT / "tests" / "data" / "codegen").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*/submissions.yaml"))
SUITES = sorted(RULESETS.rglob(f"*{TESTS_SUFFIX}"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def budget(examples: int) -> settings:
    """Deterministic examples (as the other property tests), within the suite's time."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


#: Written guides that need a sandbox allowing deeper expressions than the default.
CONFIGS = {"sau.yaml": SandboxConfig(max_depth=120, max_length=2000)}


@cache
def guide(path: Path) -> CompiledRuleset:
    return load_ruleset(path, config=CONFIGS.get(path.name) if path in WRITTEN else None)


@cache
def interpreter_only(path: Path) -> CompiledRuleset:
    """The same guide without its generated functions: ``score`` then uses the interpreter."""
    return dataclasses.replace(guide(path), program=None)


# --------------------------------------------------------------------------------------------
# Exact comparison: every field, decimals by their text (exponent included), types kept apart


def exact(value: Any) -> Any:
    """JSON-ready data that tells apart every difference ``==`` on decimals would hide."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return f"Decimal:{value}"
    if isinstance(value, int):
        return f"int:{value}"
    if isinstance(value, date):
        return f"date:{value.isoformat()}"
    if value is NOT_APPLICABLE:
        return "NOT_APPLICABLE"
    if isinstance(value, TraceNode):
        return {name: exact(getattr(value, name)) for name in TraceNode._fields}
    if isinstance(value, UnitScore):
        out = {
            f.name: exact(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "_trace"
        }
        out["trace"] = exact(value.trace)
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "@": type(value).__name__,
            **{f.name: exact(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, Mapping):  # in order: both evaluators build them in the compiled order
        return [[exact(k), exact(v)] for k, v in value.items()]
    if isinstance(value, tuple | list):
        return [exact(v) for v in value]
    msg = f"no exact form for {type(value).__name__}"
    raise TypeError(msg)


def assert_same(fast: Any, slow: Any, what: str) -> None:
    left, right = exact(fast), exact(slow)
    if left == right:
        return
    a = json.dumps(left, indent=1, ensure_ascii=False).splitlines()
    b = json.dumps(right, indent=1, ensure_ascii=False).splitlines()
    diff = "\n".join(
        list(difflib.unified_diff(a, b, "generated code", "interpreter", lineterm="", n=6))[:120]
    )
    pytest.fail(f"{what}: the generated code and the interpreter differ\n{diff}")


# --------------------------------------------------------------------------------------------
# Random submissions: values of every declared input, near the guide's own numbers and dates

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w-])")
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
BIG = (Decimal(999999999999999), Decimal("123456789012.345"), Decimal(100000000000000))
TEXTS = ("", "ok", "Có báo cáo", "a")
#: As many digits as a submitted number may have (10 places, 15 before the point): their
#: products and quotients round to the engine's 28 digits.
LONG = (Decimal("0.1234567891"), Decimal("987654321012345.1234567891"))
OVERRIDES = (Decimal(0), Decimal("2.5"), Decimal("-1.00"), Decimal(7))


@cache
def landmarks(path: Path) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...], tuple[date, ...]]:
    """The guide's numbers to draw values at and near, and its dates.

    Returns the pivots (band edges, thresholds, the counts whose points reach a cap exactly),
    every number of the guide's text and expressions with its neighbours, and the dates.
    """
    compiled = guide(path)
    texts = [compiled.text or ""]
    numbers: set[Decimal] = set()
    dates: set[date] = set()
    for node in compiled.nodes.values():
        c = node.construct
        bands = []
        if isinstance(c, BandsC):
            bands = list(c.bands)
        elif isinstance(c, TableC):
            bands = [*c.rows, *c.columns]
        elif isinstance(c, IncrementC):
            numbers.update(c.start + c.every * k for k in range(3))
            if c.cap is not None:  # the value whose steps reach the cap exactly
                whole = 0 if c.whole else 1  # whole steps: one step later
                numbers.add(c.start + c.every * (c.cap / abs(c.points) - whole))
        elif isinstance(c, PerEventC) and c.points:
            # counts whose points reach a cap exactly: the line's own, or the parent's
            caps = [c.cap] if c.cap is not None else []
            parent = compiled.nodes.get(compiled.parents.get(node.id) or "")
            if parent is not None:
                caps += [parent.cap_deductions, parent.cap_bonuses, parent.cap_adjustments]
            caps += [cap.max for cap in compiled.shared_caps]  # and a shared cap's (v2)
            numbers.update(cap / abs(c.points) for cap in caps if cap is not None)
        elif isinstance(c, DeadlineC) and isinstance(c.due, date):
            dates.add(c.due)
        for band in bands:
            numbers.update(edge for edge in (band.low, band.high) if edge is not None)
        texts += [e.source for e in (node.when, node.waive_if, node.forfeit_if) if e]
        texts += [
            getattr(c, name).source
            for name in ("condition", "count", "achieved", "target", "of", "expression")
            if hasattr(getattr(c, name, None), "source")
        ]
    for gate in (*compiled.gates, *compiled.eligibility, *compiled.checks):
        texts.append(gate.when.source)
    pivots = tuple(sorted(numbers))
    for text in texts:
        for match in _DATE.finditer(text):
            with contextlib.suppress(ValueError):  # not a real date: not one of the guide's
                dates.add(date(*map(int, match.groups())))
        numbers.update(Decimal(m) for m in _NUMBER.findall(_DATE.sub(" ", text)))
    near = {n + d for n in numbers for d in (0, 1, -1, Decimal("0.01"), Decimal("-0.01"))}
    return pivots, tuple(sorted(near)), tuple(sorted(dates))


_DIVISOR = re.compile(r"(?:/\s*\(?\s*|(?:percent|ratio)\([^,()]+,\s*)([A-Za-z_]\w*)")


@cache
def divisors(path: Path) -> frozenset[str]:
    """Inputs the guide divides by: drawn as 0 less often, or most units would fail."""
    names: set[str] = set()
    for node in guide(path).nodes.values():
        c = node.construct
        if isinstance(c, ProportionalC) and c.when_zero not in ("max", "zero"):
            names.update(c.achieved.names if c.lower else c.target.names)
        elif isinstance(c, TargetC):
            names.update(c.target.names)
        for e in (
            node.when,
            node.forfeit_if,
            getattr(c, "expression", None),
            getattr(c, "of", None),
        ):
            if hasattr(e, "source"):
                names.update(_DIVISOR.findall(e.source))
    return frozenset(names)


def _fit(spec: InputField, value: Decimal) -> Decimal:
    """``value`` moved inside the input's bounds and places (the submission stays valid).

    A value out of bounds is folded back in (not clamped: the bounds are drawn often enough).
    """
    low, high = spec.min, spec.max
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        if value.copy_abs() >= MAX_MAGNITUDE:
            value = BIG[0].copy_sign(value)
        if low is not None and high is not None and high > low and not low <= value <= high:
            value = low + (value - low).copy_abs() % (high - low)
        elif low is not None and value < low:
            value = low + (low - value)
        elif high is not None and value > high:
            value = high - (value - high)
        places = spec.places if spec.places is not None else MAX_PLACES
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            value = value.quantize(Decimal(1).scaleb(-places), decimal.ROUND_DOWN)
        if spec.min is not None and value < spec.min:
            value = spec.min
        if spec.max is not None and value > spec.max:
            value = spec.max
    return value


@st.composite
def _decimal(
    draw: st.DrawFn,
    spec: InputField,
    pivots: tuple[Decimal, ...],
    numbers: tuple[Decimal, ...],
    divisor: bool,
) -> Any:
    edges = [Decimal(0), Decimal(1), Decimal(5)]
    edges += BIG if spec.max is None else [spec.max]
    edges += LONG if spec.places is None else []
    if spec.min is None or spec.min < 0:
        edges += [-b for b in BIG] if spec.min is None else [Decimal(-1), spec.min]
    low = spec.min if spec.min is not None else Decimal(-1000)
    high = spec.max if spec.max is not None else Decimal(100000)
    base = draw(
        st.one_of(
            st.sampled_from(edges),
            st.sampled_from(pivots or edges),
            st.sampled_from(numbers or edges),
            st.integers(-20, 120).map(lambda n: Decimal(abs(n) if low >= 0 else n)),
            st.decimals(low, high, places=draw(st.integers(0, 4)), allow_nan=False),
        )
    )
    # the same number with another exponent: 5, 5.0, 5.00 (or 5E+1 for 50)
    extra = draw(st.sampled_from((0, 0, 1, 2, 3, -1)))
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        exponent = base.as_tuple().exponent
        assert isinstance(exponent, int)
        with contextlib.suppress(decimal.InvalidOperation):  # too many digits: keep it
            base = base.quantize(Decimal(1).scaleb(exponent - extra))
    value = _fit(spec, base)
    if value == 0 and divisor and draw(st.integers(0, 5)):
        value = _fit(spec, Decimal(draw(st.integers(1, 50))))
    if value == 0 and draw(st.booleans()):
        value = -value  # negative zero: validation makes it positive, keeping the exponent
    form = draw(st.sampled_from(("decimal", "decimal", "text", "int")))
    if form == "text":
        text = format(value, "f")
        try:  # "1.010" is refused as ambiguous (a thousands separator?): then give the number
            coerce_value(spec, text)
        except ValueProblem:
            return value
        return text
    if form == "int" and value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    return value


@st.composite
def _count(
    draw: st.DrawFn,
    spec: InputField,
    pivots: tuple[Decimal, ...],
    numbers: tuple[Decimal, ...],
    divisor: bool,
) -> Any:
    low = int(spec.min) if spec.min is not None else 0
    high = int(spec.max) if spec.max is not None else 10**14

    def whole(found: tuple[Decimal, ...]) -> list[int]:
        return [int(n) for n in found if n == n.to_integral_value() and low <= n <= high]

    value = draw(
        st.one_of(
            st.sampled_from(sorted({low, low + 1, high, high - 1, 2, 3, 10**14})),
            st.sampled_from(whole(pivots) or [low]),
            st.sampled_from(whole(numbers) or [low]),
            st.integers(low, min(high, low + 25)),
        )
    )
    if not low <= value <= high:
        value = low + abs(value - low) % (high - low + 1)
    if value == 0 and divisor and draw(st.integers(0, 5)):
        value = min(draw(st.integers(1, 50)), high)
    return Decimal(value) if draw(st.integers(0, 5)) == 0 else value


@st.composite
def _date(draw: st.DrawFn, dates: tuple[date, ...]) -> Any:
    if dates and draw(st.integers(0, 4)):
        value = draw(st.sampled_from(dates)) + timedelta(days=draw(st.integers(-5, 5)))
    else:
        value = draw(st.dates(date(2015, 1, 1), date(2030, 12, 31)))
    return value.isoformat() if draw(st.booleans()) else value


def raw_value(spec: InputField, path: Path) -> st.SearchStrategy[Any]:
    """A value as a submission gives it (a YAML or JSON number, a text, a date…)."""
    pivots, numbers, dates = landmarks(path)
    divisor = spec.name in divisors(path)
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "count":
        return _count(spec, pivots, numbers, divisor)
    if spec.type in ("decimal", "percent"):
        return _decimal(spec, pivots, numbers, divisor)
    if spec.type == "date":
        return _date(dates)
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "list":  # format v2: items with their declared fields, some left out
        item = st.fixed_dictionaries(
            {f.name: raw_value(f, path) for f in spec.items if f.required},
            optional={f.name: raw_value(f, path) for f in spec.items if not f.required},
        )
        return st.lists(item, max_size=6)
    return st.sampled_from(TEXTS)


@cache
def ratios(path: Path) -> tuple[tuple[str, str, tuple[Decimal, ...]], ...]:
    """``(achieved, target, multipliers)`` of the v2 proportional items over two inputs.

    An achieved value drawn as the target times a multiplier reaches the edges of the v2
    options: exactly the plan (no excess; a ratio of 1 read either way), an excess exactly at
    the parent's bonus cap, twice the plan, half the plan and (``better: lower``, or a target
    of 0) the divisor 0 of ``when_zero``.
    """
    compiled = guide(path)
    out = []
    for node in compiled.nodes.values():
        c = node.construct
        if not isinstance(c, ProportionalC) or not (c.excess_bonus or c.lower or c.when_zero):
            continue
        achieved, target = c.achieved.bare_name, c.target.bare_name
        if achieved is None or target is None or node.max is None:
            continue
        multipliers = {Decimal(1), Decimal(2), Decimal("0.5"), Decimal(0)}
        parent = compiled.nodes.get(compiled.parents.get(node.id) or "")
        scale = c.cap if c.cap is not None else node.max * c.factor
        if parent is not None and parent.cap_bonuses is not None and scale:
            edge = 1 + parent.cap_bonuses / scale  # plan × edge reaches the parent's cap
            multipliers.add(1 / edge if c.lower else edge)
        out.append((achieved, target, tuple(sorted(multipliers))))
    return tuple(out)


@st.composite
def submissions(draw: st.DrawFn, path: Path, unit_id: str) -> Submission:
    """A valid submission: required inputs given, optional ones given, missing or null."""
    inputs = guide(path).inputs
    values: dict[str, Any] = {}
    for name, spec in inputs.items():
        if not spec.required:
            how = draw(st.sampled_from(("given", "given", "given", "missing", "null")))
            if how == "missing":
                continue
            if how == "null":
                values[name] = None
                continue
        raw = draw(raw_value(spec, path))
        try:
            coerce_value(spec, raw)
        except ValueProblem as problem:  # pragma: no cover - the strategies keep values valid
            pytest.fail(f"{name}={raw!r} is not valid: {problem.message}")
        values[name] = raw
    for achieved, target, multipliers in ratios(path):
        if values.get(target) is None or achieved not in values or draw(st.integers(0, 2)):
            continue
        planned = coerce_value(inputs[target], values[target])
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            wanted = Decimal(planned) * draw(st.sampled_from(multipliers))
        fitted = _fit(inputs[achieved], wanted)
        if inputs[achieved].type == "count":
            if fitted != fitted.to_integral_value():
                continue
            values[achieved] = int(fitted)
        else:
            values[achieved] = fitted
    evidence = {
        name: ["12/BC"] for name, spec in inputs.items() if spec.evidence and draw(st.booleans())
    }
    return Submission(unit_id=unit_id, name=f"Đơn vị {unit_id}", values=values, evidence=evidence)


@st.composite
def cluster_files(draw: st.DrawFn, path: Path, unit_ids: list[str]) -> ClusterData | None:
    """The cluster file of a guide that reads cluster facts (format v2): each unit's value of
    each fact, given or (when the fact has a ``missing`` value) left out; None otherwise."""
    facts = guide(path).cluster_facts
    if not facts:
        return None
    given: dict[str, dict[str, Any]] = {}
    for name, spec in facts.items():
        given[name] = {
            unit_id: draw(raw_value(spec, path))
            for unit_id in unit_ids
            if spec.required or draw(st.integers(0, 3))
        }
    return ClusterData(facts=given)


@st.composite
def cohorts(draw: st.DrawFn, path: Path) -> tuple[list[Submission], list[Review]]:
    """2–6 units; sometimes one repeats another's values (ties, shared leaders); sometimes a
    review corrects a value of one unit and overrides one of its criteria."""
    size = draw(st.integers(2, 6))
    subs = [draw(submissions(path, f"u{i}")) for i in range(size)]
    for i in range(1, size):
        if draw(st.integers(0, 5)) == 0:
            j = draw(st.integers(0, i - 1))
            subs[i] = subs[j].model_copy(update={"unit_id": f"u{i}", "name": f"Đơn vị u{i}"})
    reviews = []
    if draw(st.integers(0, 3)) == 0:
        compiled = guide(path)
        name, spec = draw(st.sampled_from(list(compiled.inputs.items())))
        item = draw(st.sampled_from(compiled.order))
        reviews.append(
            Review(
                unit_id=f"u{draw(st.integers(0, size - 1))}",
                stage=draw(st.sampled_from(("appraisal", "agreed"))),
                reviewer="Tổ thẩm định",
                at="2024-12-20",
                corrections={name: draw(raw_value(spec, path))},
                overrides=[Override(item=item, score=draw(st.sampled_from(OVERRIDES)), reason="-")]
                if draw(st.booleans())
                else [],
            )
        )
    return subs, reviews


# --------------------------------------------------------------------------------------------
# The property, for one unit and for a cluster


def check_unit(path: Path, sub: Submission, cluster: ClusterData | None = None) -> None:
    """Both evaluators on one validated unit (its own cohort), traced and not; and the fast
    path raises exactly when the interpreter fails."""
    compiled = guide(path)
    values, issues = validate_submission(compiled, sub)
    if values is None:  # an input check refused the unit: nothing to score
        assert any(i.code == "input-check" for i in issues), issues
        return
    facts, problems = unit_facts(compiled, cluster, sub.unit_id)
    assert facts is not None, problems  # the strategies give every fact a unit needs
    values = {**values, **facts}
    entries, failures = cohort_values(compiled, [(sub.unit_id, values)])
    cohort = None if failures else entries[sub.unit_id]
    found = tuple(issues)
    for trace in (True, False):
        fast = evaluate_values(
            compiled, sub.unit_id, sub.name, values, trace=trace, issues=found, cohort=cohort
        )
        slow = evaluate_values(
            compiled,
            sub.unit_id,
            sub.name,
            values,
            trace=trace,
            issues=found,
            cohort=cohort,
            interpreter=True,
        )
        assert_same(fast, slow, f"{_name(path)}, trace={trace}, values={values}")
        if slow.status == "error":
            with pytest.raises(Exception):  # noqa: B017 - any exception hands it back
                program_unit(compiled, sub.unit_id, sub.name, values, trace=trace, cohort=cohort)
        else:
            direct = program_unit(
                compiled, sub.unit_id, sub.name, values, trace=trace, issues=found, cohort=cohort
            )
            assert_same(direct, slow, f"{_name(path)}: program_unit, trace={trace}")


def check_cluster(
    path: Path, subs: list[Submission], reviews: list[Review], cluster: ClusterData | None = None
) -> None:
    """``score`` with and without the generated functions: the whole result, traced and not."""
    for trace in (True, False):
        fast = score(guide(path), subs, trace=trace, reviews=reviews, cluster=cluster)
        slow = score(interpreter_only(path), subs, trace=trace, reviews=reviews, cluster=cluster)
        what = f"{_name(path)}, trace={trace}, units={[s.values for s in subs]}"
        assert fast.to_json(trace=trace) == slow.to_json(trace=trace), what
        assert_same(fast.units, slow.units, what)
        assert_same(fast.rejected, slow.rejected, what)
        assert_same(fast.ties, slow.ties, what)


# The shipped guides are large (up to 233 criteria): fewer examples, each a bigger unit. The
# small guides written for these tests run more examples to reach their edges.
SHIPPED_IDS = [pytest.param(p, id=_name(p)) for p in SHIPPED]
WRITTEN_IDS = [pytest.param(p, id=_name(p)) for p in WRITTEN]


@pytest.mark.parametrize("path", SHIPPED_IDS)
@budget(25)
@given(data=st.data())
def test_one_unit_shipped_guides(path: Path, data: st.DataObject) -> None:
    sub = data.draw(submissions(path, "u"), label="submission")
    check_unit(path, sub, data.draw(cluster_files(path, ["u"]), label="cluster"))


@pytest.mark.parametrize("path", SHIPPED_IDS)
@budget(12)
@given(data=st.data())
def test_cluster_shipped_guides(path: Path, data: st.DataObject) -> None:
    subs, reviews = data.draw(cohorts(path), label="cohort")
    cluster = data.draw(cluster_files(path, [s.unit_id for s in subs]), label="cluster")
    check_cluster(path, subs, reviews, cluster)


@pytest.mark.parametrize("path", WRITTEN_IDS)
@budget(100)
@given(data=st.data())
def test_one_unit_written_guides(path: Path, data: st.DataObject) -> None:
    sub = data.draw(submissions(path, "u"), label="submission")
    check_unit(path, sub, data.draw(cluster_files(path, ["u"]), label="cluster"))


@pytest.mark.parametrize("path", WRITTEN_IDS)
@budget(40)
@given(data=st.data())
def test_cluster_written_guides(path: Path, data: st.DataObject) -> None:
    subs, reviews = data.draw(cohorts(path), label="cohort")
    cluster = data.draw(cluster_files(path, [s.unit_id for s in subs]), label="cluster")
    check_cluster(path, subs, reviews, cluster)


# --------------------------------------------------------------------------------------------
# The guides written for these tests load cleanly and cover every feature


def test_written_guides_load_without_issues_and_have_a_program() -> None:
    assert len(WRITTEN) >= 4
    for path in WRITTEN:
        compiled = guide(path)
        assert compiled.issues == (), (path, compiled.issues)
        assert compiled.program is not None, path


def test_written_guides_cover_every_feature() -> None:
    nodes = [n for p in WRITTEN for n in guide(p).nodes.values()]
    constructs = {type(n.construct).__name__ for n in nodes if n.construct is not None}
    assert constructs == {
        "PerItemC",
        "Met",
        "Points",
        "PerEventC",
        "ProportionalC",
        "BandsC",
        "TableC",
        "IncrementC",
        "DeadlineC",
        "LookupC",
        "FormulaC",
        "TargetC",
        "RankPointsC",
    }
    modes = {n.rounding[1] for n in nodes if n.rounding}
    totals = [guide(p).ruleset.total for p in WRITTEN]
    modes |= {t.rounding.mode for t in totals if t.rounding}
    assert modes == {"half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"}
    assert {n.combine for n in nodes} == {"sum", "highest", "first"}
    assert {n.kind for n in nodes} == {"score", "bonus", "deduction", "adjustment"}
    for feature in (
        "when",
        "waive_if",
        "forfeit_if",
        "applicable_if",
        "optional_reads",
        "requires_benchmark",
        "cap_deductions",
        "cap_bonuses",
        "cap_adjustments",
        "cap_at_max",
        "floor",
        "refs",
        "carries_excess",
        "excess_children",
    ):
        assert any(getattr(n, feature) for n in nodes), feature
    proportional = [n.construct for n in nodes if isinstance(n.construct, ProportionalC)]
    assert {c.lower for c in proportional} == {True, False}
    assert {c.when_zero for c in proportional} == {None, "max", "zero", "error"}
    guides = [guide(p) for p in WRITTEN]
    shared = [cap for c in guides for cap in c.shared_caps]
    assert {cap.deductions for cap in shared} == {True, False}
    assert {cap.at is None for cap in shared} == {True, False}
    at = {cap.at: c.nodes[cap.at] for c in guides for cap in c.shared_caps if cap.at}
    assert {node.kind for node in at.values()} == {"score", "bonus"}
    assert any(cap.of == (cap.at,) for cap in shared)  # a section capping all its bonuses
    increments = [n.construct for n in nodes if isinstance(n.construct, IncrementC)]
    assert {(c.whole, c.inclusive) for c in increments} == {
        (whole, inclusive) for whole in (True, False) for inclusive in (True, False)
    }
    compiled = [guide(p) for p in WRITTEN]
    # every form of expression the generated code writes inline, and the closures beyond
    expressions = [
        e
        for n in nodes
        for e in (
            n.when,
            n.waive_if,
            n.forfeit_if,
            n.applicable_if,
            *(getattr(n.construct, f, None) for f in ("condition", "count", "of", "expression")),
            *(getattr(n.construct, f, None) for f in ("achieved", "target", "rows_of", "when")),
        )
        if hasattr(e, "tree")
    ]
    seen: set[str] = set()
    for e in expressions:
        for part in ast.walk(e.tree):
            seen.add(type(part).__name__)
            if isinstance(part, ast.Call) and isinstance(part.func, ast.Name):
                seen.add(f"{part.func.id}()")
            if isinstance(part, ast.Constant) and isinstance(part.value, tuple):
                seen.add("tuple")
    wanted = {"BinOp", "Add", "Sub", "Mult", "Div", "UnaryOp", "USub", "UAdd", "Not", "IfExp"}
    wanted |= {"BoolOp", "And", "Or", "Compare", "Eq", "NotEq", "Lt", "LtE", "Gt", "GtE", "In"}
    wanted |= {"NotIn", "tuple"} | {f"{name}()" for name in FUNCTIONS}
    assert wanted <= seen, wanted - seen
    assert any(_depth(e.tree) > _INLINE_DEPTH for e in expressions)  # run as closures
    assert any(c.gates for c in compiled)
    assert any(c.eligibility for c in compiled)
    assert any(c.checks for c in compiled)
    assert {c.classification[0] for c in compiled if c.classification} == {"total", "percent"}
    assert {t.may_exceed_scale for t in totals} == {True, False}
    assert any(t.floor is not None for t in totals)
    # named values (guide format v2, issue 14 rule 4): caps that keep their name for the trace
    assert any(isinstance(n.cap_deductions, NamedValue) for n in nodes)
    assert any(isinstance(getattr(n.construct, "cap", None), NamedValue) for n in nodes)
    # cluster facts (format v2, rule 6): read by criteria, one with a missing value, one not
    facts = [f for c in compiled for f in c.cluster_facts.values()]
    assert {f.required for f in facts} == {True, False}
    assert any(set(n.reads) & {f.name for f in facts} for n in nodes)
    # declared rounding of the percentage and of a ranking key (format v2, rule 8)
    assert any(t.percent_rounding is not None for t in totals)
    assert any(k.rounding is not None for c in compiled for k in c.ruleset.ranking.by)


# --------------------------------------------------------------------------------------------
# A difference these tests found (fixed in 90ff1c1): values of more than 28 digits. A formula
# may pass an input on unrounded; the interpreter's check (a value is the sum of its parts and
# lines) sums under the 28-digit context and fails the unit, and the generated code, which
# checked the sum only when a line was added, scored it.

LONG_GUIDE = """\
format: emulation-rules/v1
id: codegen-so-dai
version: "1"
title: Thử nghiệm mã sinh ra - số nhiều chữ số
period: "2024"
scale: 10
inputs:
  w: {type: decimal, label: Điểm thẩm định, min: 0, max: 10, missing: 0}
criteria:
  - id: A
    title: Điểm thẩm định chấm trực tiếp
    max: 10
    children:
      - {id: A.1, title: Điểm thẩm định, max: 10, formula: w, %s}
      - {id: A.2, title: Điều chỉnh, kind: adjustment, formula: %s}
"""
#: 31 digits: refused by validation (more than 10 places), but an embedding program may hand
#: such a value to the evaluators directly.
LONG_VALUE = Decimal("1.234567890123456789012345678901")


@pytest.mark.parametrize("limit", ["note: no limit", "cap_at_max: true", "floor: 0"])
@pytest.mark.parametrize("adjustment", ["w - w", "w / 7", "0 - w / 3"])
def test_long_input_value_as_a_criterion_value(limit: str, adjustment: str) -> None:
    compiled = load_ruleset((LONG_GUIDE % (limit, adjustment)).encode(), name="so-dai.yaml")
    refused, issues = validate_submission(
        compiled, Submission(unit_id="u", name="U", values={"w": LONG_VALUE})
    )
    assert refused is None
    assert [i.code for i in issues] == ["number-places"]
    values = {"w": LONG_VALUE}
    slow = evaluate_values(compiled, "u", "U", values, interpreter=True)
    assert slow.status == "error"  # total-mismatch: the reference refuses the unit
    assert_same(evaluate_values(compiled, "u", "U", values), slow, f"w={LONG_VALUE}")
    with pytest.raises(Exception):  # noqa: B017 - the fast path hands it back
        program_unit(compiled, "u", "U", values)


# --------------------------------------------------------------------------------------------
# The fast path is really taken for ordinary units


def _fast_path_taken(
    compiled: CompiledRuleset, subs: list[Submission], cluster: ClusterData | None = None
) -> int:
    """Score ``subs`` as ``score`` does; program_unit must take every unit the interpreter
    scores (and refuse every unit it fails), with identical results. Returns the units taken."""
    assert compiled.program is not None
    valid = []
    for sub in subs:
        values, issues = validate_submission(compiled, sub)
        if values is not None:
            facts, problems = unit_facts(compiled, cluster, sub.unit_id)
            assert facts is not None, problems
            valid.append((sub, {**values, **facts}, tuple(issues)))
    entries, failures = cohort_values(compiled, [(s.unit_id, v) for s, v, _ in valid])
    taken = 0
    for sub, values, found in valid:
        if sub.unit_id in failures:
            continue
        cohort = entries[sub.unit_id]
        for trace in (True, False):
            slow = evaluate_values(
                compiled,
                sub.unit_id,
                sub.name,
                values,
                trace=trace,
                issues=found,
                cohort=cohort,
                interpreter=True,
            )
            if slow.status == "error":
                with pytest.raises(Exception):  # noqa: B017
                    program_unit(
                        compiled, sub.unit_id, sub.name, values, trace=trace, cohort=cohort
                    )
                continue
            fast = program_unit(
                compiled, sub.unit_id, sub.name, values, trace=trace, issues=found, cohort=cohort
            )
            assert_same(fast, slow, f"{compiled.id}, unit {sub.unit_id}, trace={trace}")
            taken += 1
    return taken


@pytest.mark.parametrize("path", SHIPPED, ids=_name)
def test_shipped_guides_have_a_program(path: Path) -> None:
    assert guide(path).program is not None


@pytest.mark.parametrize("example", EXAMPLES, ids=_name)
def test_examples_take_the_fast_path(example: Path) -> None:
    batch = load_submissions([example])
    assert not batch.rejected
    (guide_id,) = {s.ruleset for s in batch.submissions}
    path = next(p for p in SHIPPED if guide(p).id == guide_id)
    subs = list(batch.submissions)
    file = example.parent / "cluster.yaml"
    cluster = load_cluster(file) if file.exists() else None
    assert _fast_path_taken(guide(path), subs, cluster) == 2 * len(subs)


@pytest.mark.parametrize("suite_path", SUITES, ids=_name)
def test_guide_suite_units_take_the_fast_path(suite_path: Path) -> None:
    suite = load_suite(suite_path)
    compiled = suite.guide
    taken = 0
    for index in range(len(suite.tests.cases)):
        subs, _, _ = _inputs(suite, index)
        cluster = _cluster(suite, suite.tests.cases[index])
        taken += _fast_path_taken(compiled, subs, cluster)
    assert taken > 0
