"""Rank scored units by the guide's declared keys.

The order is the order of the sort keys :func:`rank_key` gives (computed for every unit at once
by ``_key_columns``, which ``rank_key`` itself uses): their tuple order *is* the ranking. A tie
that no declared key breaks is never put in an arbitrary order: the units share a rank and the
result reports the tie.

Fast path of: the unit-at-a-time ranking it replaced (keys read one unit at a time, ranked
units copied with ``dataclasses.replace``), kept word for word in ``tests/test_rank_reference.py``
as the oracle. The fast path reads the keys a column at a time and copies ranked units slot
by slot (``_slot_fields``). Kept equal by: ``tests/test_rank_reference.py`` (random units that
tie often, every method, key order and a few decimal contexts). A unit class whose copy is not
a plain slot copy is copied with ``dataclasses.replace``, the reference's own copy (by design,
not counted).
"""

from __future__ import annotations

import dataclasses
import decimal
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from operator import attrgetter, methodcaller, ne, neg
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, TypeVar

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.i18n import N_
from emulation_rules.compiler.sandbox import ROUNDING_MODES
from emulation_rules.engine.evaluator import ENGINE_CONTEXT
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.guide.model import Ranking

__all__ = ["Tie", "key_names", "rank", "rank_key"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Tie:
    """Units that no declared key separates, and the rank they share."""

    rank: int
    unit_ids: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]


def key_names(ranking: Ranking) -> tuple[str, ...]:
    """Names of the ranking keys, e.g. ``('total', 'score:TC1', 'deductions')``."""
    return tuple(f"score:{k.id}" if k.key == "score" else k.key for k in ranking.by)


_ZERO = Decimal(0)


def _key_columns(
    units: Sequence[UnitScore], ranking: Ranking
) -> tuple[list[list[Decimal]], list[list[Decimal]]]:
    """Per declared key, each unit's value (a missing one is 0), and its slot of the sort key.

    Built a key at a time over all the units (C loops: ``map``) rather than a unit at a time;
    each value is read, and negated, exactly as :func:`rank_key` describes.
    """
    values: list[list[Decimal]] = []
    keys: list[list[Decimal]] = []
    for key in ranking.by:
        column: Iterable[Decimal | None]
        if key.key == "total":
            column = map(_TOTAL, units)
        elif key.key == "percent":
            column = map(_PERCENT, units)
        elif key.key == "score":
            column = map(methodcaller("get", key.id or ""), map(_ITEMS, units))
        else:
            column = map(_DEDUCTIONS, units)
        shown = [_ZERO if value is None else value for value in column]
        if key.rounding is not None:  # format v2: compared as rounded
            exponent = Decimal(1).scaleb(-key.rounding.places)
            mode = ROUNDING_MODES[key.rounding.mode]
            shown = [value.quantize(exponent, rounding=mode) for value in shown]
        order = key.order or ("asc" if key.key == "deductions" else "desc")
        values.append(shown)
        keys.append(list(map(neg, shown)) if order == "desc" else shown)
    return values, keys


def _rows(columns: list[list[_T]], count: int) -> list[tuple[_T, ...]]:
    """Columns (one per key) as rows (one per unit)."""
    return list(zip(*columns, strict=True)) if columns else [()] * count


_TOTAL = attrgetter("total")
_PERCENT = attrgetter("percent")
_DEDUCTIONS = attrgetter("deductions")
_ITEMS = attrgetter("items")


def _key_values(unit: UnitScore, ranking: Ranking) -> tuple[Decimal, ...]:
    """The unit's value for each declared key, as shown (a missing value is 0)."""
    return _rows(_key_columns([unit], ranking)[0], 1)[0]


def rank_key(unit: UnitScore, ranking: Ranking) -> tuple[Decimal, ...]:
    """The sort key of a unit: smaller sorts first (ranks better).

    One slot per declared key, in order: ``total`` and ``percent`` and ``score`` keys are
    negated (higher is better) unless their ``order`` is ``asc``; ``deductions`` is kept as is
    (fewer deductions is better) unless its ``order`` is ``desc``. The unit id is *not* part of
    the key: units with equal keys tie.
    """
    with decimal.localcontext(ENGINE_CONTEXT):
        return _rows(_key_columns([unit], ranking)[1], 1)[0]


_RANK_FIELDS = ("rank", "rank_keys", "rank_decided_by")


def _slot_fields(cls: type) -> tuple[tuple[str, Callable[[Any], Any], Any], ...] | None:
    """How to copy an instance of ``cls`` slot by slot, or None when that is not ``replace``.

    ``dataclasses.replace`` calls the class with every field, and a dataclass ``__init__``
    with no ``__post_init__``, no ``init=False`` field and no ``InitVar`` only stores each
    argument in its slot (through ``object.__setattr__`` when frozen). For such a class whose
    every field is a slot of its own, storing the same values in the same slots of a new
    instance is the same copy. Per field: its name, how to read it, and how to store it.
    """
    if not dataclasses.is_dataclass(cls):
        return None
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    descriptors: list[Any] = [cls.__dict__.get(name) for name in names]
    if not (
        all(f.init for f in fields)
        and len(fields) == len(cls.__dataclass_fields__)  # no InitVar or ClassVar pseudo-field
        and not hasattr(cls, "__post_init__")
        and cls.__new__ is object.__new__
        and all(type(d) is MemberDescriptorType for d in descriptors)  # a slot per field
        and all(name in names for name in _RANK_FIELDS)
    ):
        return None
    return tuple(
        (name, attrgetter(name), descriptor.__set__)
        for name, descriptor in zip(names, descriptors, strict=True)
    )


def _ranked(
    units: list[UnitScore],
    places: list[int],
    shown: list[tuple[tuple[str, str], ...]],
    decided_by: list[str | None],
    *,
    owned: bool = False,
) -> list[UnitScore]:
    """``dataclasses.replace(unit, rank=…, rank_keys=…, rank_decided_by=…)`` of each unit.

    When every unit is of one class that :func:`_slot_fields` can copy, the copies are made a
    field at a time over all the units (C loops: ``map``), about a third of the time of the
    ``__init__`` of a UnitScore's 25 fields per unit; otherwise by ``replace`` itself. With
    ``owned=True`` (units no one else holds yet) such units are not copied: the three fields
    are stored in their slots, a field at a time over all the units.
    """
    classes = set(map(type, units))
    cls = classes.pop() if len(classes) == 1 else None
    plan = _slot_fields(cls) if cls is not None else None
    if cls is None or plan is None:
        return [
            dataclasses.replace(unit, rank=place, rank_keys=keys, rank_decided_by=decided)
            for unit, place, keys, decided in zip(units, places, shown, decided_by, strict=True)
        ]
    given: dict[str, list[Any]] = dict(zip(_RANK_FIELDS, (places, shown, decided_by), strict=True))
    sink: deque[object] = deque(maxlen=0)  # runs a map for its effect, keeps nothing
    if owned:
        for name, _, store in plan:
            column = given.get(name)
            if column is not None:
                sink.extend(map(store, units, column))
        return list(units)
    copies: list[UnitScore] = [object.__new__(cls) for _ in units]
    for name, read, store in plan:
        column = given.get(name)
        sink.extend(map(store, copies, map(read, units) if column is None else column))
    return copies


def rank(
    units: Sequence[UnitScore], ranking: Ranking, *, owned: bool = False
) -> tuple[list[UnitScore], tuple[Tie, ...], tuple[Issue, ...]]:
    """Rank the units whose status is ``scored``; the others keep ``rank=None``.

    Returns the units in result order (ranked ones by rank then unit id, then the others by
    status and unit id), the ties, and a warning issue per tie. The arithmetic runs under
    the engine's own decimal context, whatever the caller's.

    ``owned=True``: the caller made the units and no one else holds them yet (as in
    ``score()``); the ranked ones are then given their rank, keys shown and deciding key in
    place instead of being copied (issue 18). The units returned are equal either way.
    """
    with decimal.localcontext(ENGINE_CONTEXT):
        return _rank(units, ranking, owned=owned)


def _rank(
    units: Sequence[UnitScore], ranking: Ranking, *, owned: bool = False
) -> tuple[list[UnitScore], tuple[Tie, ...], tuple[Issue, ...]]:
    names = key_names(ranking)
    method = ranking.method
    scored = [u for u in units if u.status == "scored"]
    value_columns, key_columns = _key_columns(scored, ranking)
    keys = _rows(key_columns, len(scored))
    # sorted by (rank_key, unit id); (k1, k2, id) orders as ((k1, k2), id), comparing the
    # same values in the same order, and the sort is stable either way
    flat = [(*key, unit_id) for key, unit_id in zip(keys, map(_UNIT_ID, scored), strict=True)]
    ordered = sorted(range(len(scored)), key=flat.__getitem__)
    in_order = [scored[i] for i in ordered]
    keys_in_order = [keys[i] for i in ordered]
    # each unit's keys as shown, ((name, text), …); a tie shows its first unit's
    shown_by_unit = _rows(
        [
            list(zip(repeat(name), map(decimal_text, column)))
            for name, column in zip(names, value_columns, strict=True)
        ],
        len(scored),
    )
    # each ranked unit's place, keys shown and deciding key, in result order
    places: list[int] = []
    shown_keys: list[tuple[tuple[str, str], ...]] = []
    decided: list[str | None] = []
    ties: list[Tie] = []
    issues: list[Issue] = []
    position = 0
    dense = 0
    index = 0
    count = len(ordered)
    previous: tuple[Decimal, ...] | None = None
    while index < count:
        key = keys_in_order[index]
        # the first key on which this unit differs from the one before, compared in the
        # declared order (StopIteration if none: cannot happen, equal keys are one group)
        if previous is None:
            decided_by = None
        elif previous[0] != key[0]:
            decided_by = names[0]
        else:
            decided_by = next(compress(names, map(ne, previous, key)))
        previous = key
        end = index + 1
        while end < count and keys_in_order[end] == key:
            end += 1
        dense += 1
        shown = shown_by_unit[ordered[index]]
        size = end - index
        if size == 1:  # a unit alone: the usual case
            places.append(dense if method == "dense" else position + 1)
            shown_keys.append(shown)
            decided.append(decided_by)
            position += 1
            index = end
            continue
        if method == "competition":
            places.extend(repeat(position + 1, size))
        elif method == "dense":
            places.extend(repeat(dense, size))
        else:
            places.extend(range(position + 1, position + size + 1))
        shown_keys.extend(repeat(shown, size))
        decided.extend(repeat(decided_by, size))
        # a tie: the units share the group's keys, and the result reports it
        ids = tuple(u.unit_id for u in in_order[index:end])
        shared = position + 1 if method != "dense" else dense
        ties.append(Tie(shared, ids, shown))
        if method == "ordinal":
            how = N_("they are listed by unit id")
        else:
            how = N_("they share rank {rank}").format(rank=shared)
        issues.append(
            Issue(
                "tie-unresolved",
                N_("units {units} are equal on every ranking key ({keys}); {how}").format(
                    units=", ".join(ids), keys=", ".join(f"{n} {v}" for n, v in shown), how=how
                ),
                severity="warning",
                hint=N_("add a tie-break key to 'ranking.by' if the guide has one"),
            )
        )
        position += size
        index = end
    out = _ranked(in_order, places, shown_keys, decided, owned=owned)
    order = {"not_classified": 0, "error": 1, "rejected": 2}
    others = sorted(
        (u for u in units if u.status != "scored"),
        key=lambda u: (order.get(u.status, 3), u.unit_id),
    )
    return out + others, tuple(ties), tuple(issues)


_UNIT_ID = attrgetter("unit_id")
