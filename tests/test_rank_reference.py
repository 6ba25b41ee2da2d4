"""rank() and rank_key() give exactly what the unit-at-a-time ranking they replace gave.

The reference below is ``ranking.py`` as it was before keys were read a column at a time and
ranked units were copied slot by slot: kept here, word for word, as the oracle. Random units
tie often (few distinct values, ``1`` and ``1.0``, ``0`` and ``-0``, missing items and
percents, repeated unit ids) and are ranked under every method, key order and a few decimal
contexts: a short precision would make the negation of a key round, and so make ties, but
rank() runs under the engine's own context, so the caller's context changes nothing.
"""

from __future__ import annotations

import dataclasses
import decimal
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules.engine import ranking as ranking_module
from emulation_rules.engine.evaluator import UnitScore
from emulation_rules.engine.ranking import Tie, key_names, rank, rank_key
from emulation_rules.errors import Issue
from emulation_rules.guide.model import Ranking

if TYPE_CHECKING:
    from collections.abc import Sequence

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------------
# The reference: ranking.py before the change (its helpers renamed, nothing else)


def reference_key_values(unit: UnitScore, ranking: Ranking) -> tuple[Decimal, ...]:
    values = []
    for key in ranking.by:
        if key.key == "total":
            value = unit.total
        elif key.key == "percent":
            value = unit.percent
        elif key.key == "score":
            value = unit.items.get(key.id or "")
        else:
            value = unit.deductions
        values.append(value if value is not None else Decimal(0))
    return tuple(values)


def reference_rank_key(unit: UnitScore, ranking: Ranking) -> tuple[Decimal, ...]:
    out = []
    for key, value in zip(ranking.by, reference_key_values(unit, ranking), strict=True):
        order = key.order or ("asc" if key.key == "deductions" else "desc")
        out.append(-value if order == "desc" else value)
    return tuple(out)


def reference_rank(
    units: Sequence[UnitScore], ranking: Ranking
) -> tuple[list[UnitScore], tuple[Tie, ...], tuple[Issue, ...]]:
    names = key_names(ranking)
    ranked = sorted(
        (u for u in units if u.status == "scored"),
        key=lambda u: (reference_rank_key(u, ranking), u.unit_id),
    )
    out: list[UnitScore] = []
    ties: list[Tie] = []
    issues: list[Issue] = []
    position = 0
    dense = 0
    index = 0
    previous: tuple[Decimal, ...] | None = None
    while index < len(ranked):
        key = reference_rank_key(ranked[index], ranking)
        decided_by = None
        if previous is not None:
            decided_by = next(n for n, a, b in zip(names, previous, key, strict=True) if a != b)
        previous = key
        group = [ranked[index]]
        while (
            index + len(group) < len(ranked)
            and reference_rank_key(ranked[index + len(group)], ranking) == key
        ):
            group.append(ranked[index + len(group)])
        dense += 1
        shown = tuple(
            (name, decimal_text(v))
            for name, v in zip(names, reference_key_values(group[0], ranking), strict=True)
        )
        for offset, unit in enumerate(group):
            if ranking.method == "competition":
                place = position + 1
            elif ranking.method == "dense":
                place = dense
            else:
                place = position + offset + 1
            out.append(
                dataclasses.replace(unit, rank=place, rank_keys=shown, rank_decided_by=decided_by)
            )
        if len(group) > 1:
            ids = tuple(u.unit_id for u in group)
            shared = position + 1 if ranking.method != "dense" else dense
            ties.append(Tie(shared, ids, shown))
            how = (
                "they are listed by unit id"
                if ranking.method == "ordinal"
                else f"they share rank {shared}"
            )
            issues.append(
                Issue(
                    "tie-unresolved",
                    f"units {', '.join(ids)} are equal on every ranking key "
                    f"({', '.join(f'{n} {v}' for n, v in shown)}); {how}",
                    severity="warning",
                    hint="add a tie-break key to 'ranking.by' if the guide has one",
                )
            )
        position += len(group)
        index += len(group)
    order = {"not_classified": 0, "error": 1, "rejected": 2}
    others = sorted(
        (u for u in units if u.status != "scored"),
        key=lambda u: (order.get(u.status, 3), u.unit_id),
    )
    return out + others, tuple(ties), tuple(issues)


# --------------------------------------------------------------------------------------------
# Random units and rankings

#: The trace field, whatever the evaluator calls it (``trace``, or ``_trace`` when lazy).
NO_TRACE = {
    next(f.name for f in dataclasses.fields(UnitScore) if f.name.lstrip("_") == "trace"): None
}

VALUES = st.sampled_from(
    [
        Decimal(0),
        Decimal("-0"),
        Decimal("0.00"),
        Decimal(1),
        Decimal("1.0"),
        Decimal("1.2345"),
        Decimal("1.2349"),
        Decimal(2),
        Decimal("-3.5"),
        Decimal(10),
        Decimal("1E+1"),
        Decimal("299.0189418393183598360795735"),
        Decimal("299.0189418393183598360795736"),
    ]
)


@st.composite
def unit_scores(draw: st.DrawFn, cls: type[UnitScore] = UnitScore) -> UnitScore:
    items = {ident: draw(VALUES) for ident in ("A", "B") if draw(st.booleans())}
    return cls(
        unit_id=draw(st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6", "U1", "a"])),
        name="Đơn vị",
        status=draw(st.sampled_from(["scored"] * 6 + ["not_classified", "error", "rejected"])),
        total=draw(VALUES),
        max=Decimal(100),
        percent=draw(st.none() | VALUES),
        items=MappingProxyType(items),
        not_applicable=(),
        deductions=draw(VALUES),
        reasons=(),
        classification=draw(st.none() | st.just("Khá")),
        issues=(),
        **NO_TRACE,
        awards=draw(st.sampled_from([(), ("a1",)])),
    )


KEYS = st.sampled_from(["total", "percent", "deductions", {"score": "A"}, {"score": "B"}])


@st.composite
def rankings(draw: st.DrawFn) -> Ranking:
    keys = []
    for key in draw(st.lists(KEYS, min_size=1, max_size=3)):
        order = draw(st.sampled_from([None, "asc", "desc"]))
        if order is None:
            keys.append(key)
        elif isinstance(key, str):
            keys.append({"key": key, "order": order})
        else:
            keys.append({**key, "order": order})
    method = draw(st.sampled_from(["competition", "dense", "ordinal"]))
    return Ranking.model_validate({"by": keys, "method": method})


CONTEXTS = st.sampled_from(
    [None, decimal.Context(prec=3, rounding=decimal.ROUND_FLOOR), decimal.Context(prec=2)]
)


def in_context(context: decimal.Context | None, function: Any, *args: Any) -> Any:
    if context is None:
        return function(*args)
    with decimal.localcontext(context):
        return function(*args)


def exactly(result: tuple[list[UnitScore], Any, Any]) -> tuple[Any, ...]:
    """A ranking result with the type and repr of every unit (repr tells -0 from 0)."""
    units, ties, issues = result
    return [(type(u), repr(u)) for u in units], units, ties, issues


# --------------------------------------------------------------------------------------------
# The properties


def test_the_units_here_take_the_fast_copy() -> None:
    plan = ranking_module._slot_fields(UnitScore)
    assert plan is not None, "UnitScore no longer qualifies for the slot-by-slot copy"
    assert [name for name, _read, _store in plan] == [f.name for f in dataclasses.fields(UnitScore)]


@PROPERTY
@given(units=st.lists(unit_scores(), max_size=12), ranking=rankings(), context=CONTEXTS)
def test_rank_is_the_reference(units: list[UnitScore], ranking: Ranking, context: Any) -> None:
    # rank() runs under the engine's context whatever the caller's (issue 19): the reference
    # is computed there too, and the caller's context must not change the result
    expected = in_context(ENGINE_CONTEXT, reference_rank, units, ranking)
    assert exactly(in_context(context, rank, units, ranking)) == exactly(expected)


@PROPERTY
@given(units=st.lists(unit_scores(), max_size=12), ranking=rankings(), context=CONTEXTS)
def test_rank_of_owned_units_is_the_reference(
    units: list[UnitScore], ranking: Ranking, context: Any
) -> None:
    # issue 18: units only the caller holds (fresh ones, as score() makes) are ranked in place
    expected = in_context(ENGINE_CONTEXT, reference_rank, units, ranking)
    fresh = [dataclasses.replace(u) for u in units]
    got = in_context(context, lambda: rank(fresh, ranking, owned=True))
    assert exactly(got) == exactly(expected)
    ranked = {id(u) for u in got[0] if u.status == "scored"}
    assert ranked <= {id(u) for u in fresh}  # the same objects, not copies


@PROPERTY
@given(unit=unit_scores(), ranking=rankings(), context=CONTEXTS)
def test_rank_key_is_the_reference(unit: UnitScore, ranking: Ranking, context: Any) -> None:
    expected = in_context(ENGINE_CONTEXT, reference_rank_key, unit, ranking)
    got = in_context(context, rank_key, unit, ranking)
    assert repr(got) == repr(expected)
    assert ranking_module._key_values(unit, ranking) == reference_key_values(unit, ranking)


@dataclass(frozen=True)
class TaggedScore(UnitScore):
    """A subclass with an instance dict and a field of its own: copied by replace()."""

    tag: str = "t"


@dataclass(frozen=True, slots=True)
class CheckedScore(UnitScore):
    """A subclass whose __init__ does more than store its arguments."""

    seen: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", self.seen + 1)


def _counted_post_init(self: Any) -> None:
    object.__setattr__(self, "seen", self.seen + 1)


def _like(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return dataclasses.field(default=field.default)
    if field.default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=field.default_factory)
    return dataclasses.field()


#: UnitScore's fields in a class of its own (every slot its own), with a __post_init__.
CountedScore = dataclasses.make_dataclass(
    "CountedScore",
    [(f.name, Any, _like(f)) for f in dataclasses.fields(UnitScore)]
    + [("seen", int, dataclasses.field(default=0))],
    frozen=True,
    slots=True,
    namespace={"__post_init__": _counted_post_init},
)


@PROPERTY
@given(
    units=st.lists(
        unit_scores()
        | unit_scores(TaggedScore)
        | unit_scores(CheckedScore)
        | unit_scores(CountedScore),
        max_size=8,
    ),
    ranking=rankings(),
)
def test_other_unit_classes_are_copied_as_replace_copies_them(
    units: list[UnitScore], ranking: Ranking
) -> None:
    assert exactly(rank(units, ranking)) == exactly(reference_rank(units, ranking))


def test_a_tie_and_its_report() -> None:
    def unit(uid: str, total: str) -> UnitScore:
        return UnitScore(
            unit_id=uid,
            name=uid,
            status="scored",
            total=Decimal(total),
            max=None,
            percent=None,
            items=MappingProxyType({}),
            not_applicable=(),
            deductions=Decimal(0),
            reasons=(),
            classification=None,
            issues=(),
            **NO_TRACE,
        )

    ranking = Ranking.model_validate({"by": ["total"], "method": "competition"})
    units = [unit("c", "90"), unit("a", "90.0"), unit("b", "95")]
    got = rank(units, ranking)
    assert exactly(got) == exactly(reference_rank(units, ranking))
    assert [(u.unit_id, u.rank, u.rank_decided_by) for u in got[0]] == [
        ("b", 1, None),
        ("a", 2, "total"),
        ("c", 2, "total"),
    ]
    assert got[1] == (Tie(2, ("a", "c"), (("total", "90"),)),)
