"""Issue 18: the memory a kept result holds, and the compact views that bound it.

- ``UnitScore.items`` is a :class:`CriterionValues` (a tuple under one index per guide) that
  behaves as the ``MappingProxyType`` of a dict it replaces;
- a unit's trace reads the submission's own values, with only what validation changed as an
  overlay (:class:`TypedValues`), instead of a copy per unit;
- a bound on the Python memory a kept result holds per unit (tracemalloc; not a timed test).
"""

from __future__ import annotations

import copy
import gc
import pickle
import tracemalloc
from decimal import Decimal
from types import MappingProxyType

import pytest

from emulation_rules import (
    Submission,
    load_ruleset,
    load_submissions,
    parse_submissions,
    score,
    validate_submission,
)
from emulation_rules.compiler.fields import TypedValues, input_plan
from emulation_rules.engine.items import CriterionValues, criterion_index
from emulation_rules.inputs.submissions import _validate_reporting, validated_values

GUIDE = "rulesets/tiengiang-stnmt-2022.yaml"
SUBMISSIONS = "examples/tiengiang-2022/submissions.yaml"


@pytest.fixture(scope="module")
def guide(root):
    return load_ruleset(root / GUIDE)


@pytest.fixture(scope="module")
def batch(root):
    return load_submissions(root / SUBMISSIONS)


def _many(batch, count: int):
    """``count`` units: the example's, over and over, each read anew from its own data."""
    units = []
    for n in range(count):
        sub = batch.submissions[n % len(batch.submissions)]
        data = sub.model_dump(mode="json")
        data["unit_id"] = f"u{n:05d}"
        units.append(data)
    doc = {"ruleset": "tiengiang-stnmt-2022", "ruleset_version": "2022.1", "period": "2022"}
    parsed = parse_submissions({**doc, "units": units})
    assert not parsed.rejected, parsed.rejected[:1]
    return parsed


# -- the items: a view equal to the dict in every way the API shows -------------------------


def test_items_behave_as_the_mapping_proxy_of_a_dict(guide, batch):
    result = score(guide, batch)
    for unit in result.units:
        items = unit.items
        assert type(items) is CriterionValues
        plain = {ident: items[ident] for ident in guide.order}
        proxy = MappingProxyType(plain)
        assert list(items) == list(guide.order) == list(plain)
        assert list(reversed(items)) == list(reversed(plain))
        assert len(items) == len(plain)
        assert items == plain
        assert plain == items
        assert items == proxy
        assert proxy == items
        assert items == plain
        assert plain == items
        assert dict(items) == plain
        assert list(dict(items)) == list(plain)
        assert items.copy() == plain
        assert list(items.copy()) == list(plain)
        assert list(items.items()) == list(plain.items())
        assert list(items.keys()) == list(plain.keys())
        assert list(items.values()) == list(plain.values())
        assert repr(items) == repr(proxy)
        assert items.get(guide.order[0]) is plain[guide.order[0]]
        assert items.get("no-such-criterion") is None
        assert items.get("no-such-criterion", Decimal(7)) == Decimal(7)
        assert "no-such-criterion" not in items
        assert guide.order[-1] in items
        with pytest.raises(KeyError):
            items["no-such-criterion"]
        with pytest.raises(TypeError):
            items["x"] = Decimal(1)  # type: ignore[index]
        with pytest.raises(TypeError):
            hash(items)
        assert (items | {"x": Decimal(1)}) == {**plain, "x": Decimal(1)}
        assert ({"x": Decimal(1)} | items) == {"x": Decimal(1), **plain}
        again = pickle.loads(pickle.dumps(items))  # noqa: S301
        assert again == items
        assert list(again) == list(items)
        assert [str(v) for v in again.values()] == [str(v) for v in plain.values()]
        assert copy.deepcopy(items) == items
        # the exact decimals, digits and exponent, of the position in the compiled order
        assert items.ordered == tuple(plain.values())


def test_items_compare_by_content_not_by_order():
    index = criterion_index(("a", "b"))
    other = criterion_index(("b", "a"))
    one = CriterionValues(index, (Decimal(1), Decimal(2)))
    assert one == CriterionValues(other, (Decimal(2), Decimal(1)))
    assert one != CriterionValues(other, (Decimal(1), Decimal(2)))
    assert one == {"b": Decimal("2.0"), "a": Decimal(1)}  # as dicts compare
    assert one != {"a": Decimal(1)}
    assert one != [("a", Decimal(1)), ("b", Decimal(2))]


def test_one_index_per_guide(guide, batch):
    result = score(guide, batch)
    indexes = {id(u.items._index) for u in result.units}
    assert len(indexes) == 1


def test_interpreter_and_generated_code_give_equal_items(guide, batch):
    fast = score(guide, batch)
    slow = score(guide, batch, reference=True)
    for a, b in zip(fast.units, slow.units, strict=True):
        assert a.items == b.items
        assert [str(v) for v in a.items.values()] == [str(v) for v in b.items.values()]
        assert repr(a) == repr(b)


# -- the inputs the trace reads: the submission's own, with an overlay -------------------------


def test_the_trace_reads_the_submissions_own_values(guide, batch):
    result = score(guide, batch)
    by_id = {s.unit_id: s for s in batch.submissions}
    for unit in result.units:
        names = unit._trace.names
        sub = by_id[unit.unit_id]
        _, issues = validated_values(guide, sub)
        if issues:  # validated value by value, with the issues: a new dict
            assert type(names) is dict
            assert names is not sub.values
        else:
            assert type(names) is TypedValues
            assert names.base is sub.values
            assert names.defaults  # the example leaves inputs out
            assert len(names.overlay) <= 5  # its dates given as text, 98 for a decimal 98
        assert dict(names) == validate_submission(guide, sub)[0]


def test_validate_submission_still_gives_a_dict_of_its_own(guide, batch):
    for sub in batch.submissions:
        values, issues = validate_submission(guide, sub)
        assert all(i.severity == "warning" for i in issues)
        assert type(values) is dict
        assert values is not sub.values
        values["changed"] = 1  # the caller's to change
        assert "changed" not in sub.values


def _reference(guide, values):
    """The typed values as the reporting path (the reference) builds them: a new dict."""
    sub = Submission(unit_id="x", name="x", values=values)
    typed, issues = _validate_reporting(guide, sub)
    assert typed is not None, issues
    return typed


@pytest.mark.parametrize("whole", [False, True], ids=["inputs-left-out", "every-input"])
def test_only_changed_values_are_an_overlay(guide, batch, whole):
    plan = input_plan(guide.inputs)
    values = dict(batch.submissions[0].values)
    if whole:  # every input given, well typed: the fast path of the plan
        values = dict(_reference(guide, values))
        assert plan.typed(values) is values
    name = next(n for n, v in values.items() if type(v) is Decimal)
    values[name] = Decimal("-0.00")  # a negative zero loses its sign in validation
    typed = plan.typed(values)
    assert type(typed) is TypedValues
    assert typed.base is values
    assert str(typed.overlay[name]) == "0.00"
    if whole:
        assert dict(typed.overlay) == {name: Decimal("0.00")}
        assert not typed.defaults
    else:
        assert typed.defaults
        assert len(typed.overlay) < len(values)
    expected = _reference(guide, values)
    assert str(typed[name]) == str(expected[name]) == "0.00"
    assert typed == expected
    assert expected == typed
    assert list(typed) == list(expected)
    assert list(typed.items()) == list(expected.items())
    assert typed.as_dict() == expected
    assert list(typed.as_dict()) == list(expected)
    assert len(typed) == len(expected)
    assert all(k in typed for k in expected)
    assert "no-such-input" not in typed
    assert pickle.loads(pickle.dumps(typed)) == expected  # noqa: S301


def test_a_changed_value_scores_as_before(guide, batch):
    """A negative zero given: the same result and trace as its validated copy gives."""
    sub = batch.submissions[0]
    decimals = [n for n, v in sub.values.items() if type(v) is Decimal]
    values = dict(sub.values)
    values[decimals[0]] = Decimal("-0")
    zeroed = sub.model_copy(update={"values": values})
    typed, _ = validated_values(guide, zeroed)
    assert type(typed) is TypedValues
    plain = sub.model_copy(update={"values": typed.as_dict()})
    one, two = score(guide, [zeroed]), score(guide, [plain])
    assert type(one.units[0]._trace.names) is TypedValues
    assert one.to_json(trace=True) == two.to_json(trace=True)


# -- the bound ----------------------------------------------------------------------------------

#: Bytes a unit of the Tiền Giang guide (125 criteria) keeps with its trace: 13,143 measured on
#: 2026-12-07 (16,412 before issue 18's views: the inputs copied per unit, the items a dict).
#: Most of what is left is the decimals the scoring creates (docs/performance.md).
KEPT_PER_UNIT_BOUND = 14_000


def test_kept_memory_per_unit_is_bounded(guide, batch):
    """Python memory held by a kept result with the trace, per unit, 600 units (tracemalloc)."""
    many = _many(batch, 600)
    score(guide, many)  # the generated functions, caches and interned texts are not the result's
    gc.collect()
    tracemalloc.start()
    try:
        result = score(guide, many)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    per_unit = kept / len(result.units)
    assert len(result.units) == 600
    assert per_unit < KEPT_PER_UNIT_BOUND, f"{per_unit:.0f} bytes per kept unit"
