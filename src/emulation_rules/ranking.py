"""Rank scored units by the guide's declared keys.

The order is the order of the sort keys :func:`rank_key` gives (computed for every unit at once
by ``_key_columns``, which ``rank_key`` itself uses): their tuple order *is* the ranking. A tie
that no declared key breaks is never put in an arbitrary order: the units share a rank and the
result reports the tie.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from operator import attrgetter, call, methodcaller, ne, neg
from types import MemberDescriptorType
from typing import TYPE_CHECKING, TypeVar

from emulation_rules._canonical import decimal_text
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from emulation_rules.evaluator import UnitScore
    from emulation_rules.model import Ranking

    #: A copy of a unit with its rank, rank keys and deciding key set.
    _Copier = Callable[[UnitScore, int, tuple[tuple[str, str], ...], str | None], UnitScore]

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
    return _rows(_key_columns([unit], ranking)[1], 1)[0]


_RANK_FIELDS = ("rank", "rank_keys", "rank_decided_by")


def _ranked_copier(cls: type[UnitScore]) -> _Copier:
    """``dataclasses.replace(unit, rank=…, rank_keys=…, rank_decided_by=…)``, faster.

    ``replace`` calls the class with every field, and a dataclass ``__init__`` with no
    ``__post_init__``, no ``init=False`` field and no ``InitVar`` only stores each argument
    in its slot (through ``object.__setattr__`` when frozen). For such a class with
    ``__slots__``, the copy stores the same values in the same slots, with C loops (about
    half the time of the ``__init__`` of the 25 fields of a UnitScore); any other class gets
    ``dataclasses.replace`` itself.
    """
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    descriptors = [cls.__dict__.get(name) for name in names]
    if not (
        all(f.init for f in fields)
        and len(fields) == len(cls.__dataclass_fields__)  # no InitVar or ClassVar pseudo-field
        and not hasattr(cls, "__post_init__")
        and cls.__new__ is object.__new__
        and all(type(d) is MemberDescriptorType for d in descriptors)  # a slot per field
        and all(name in names for name in _RANK_FIELDS)
    ):

        def replace(
            unit: UnitScore,
            place: int,
            shown: tuple[tuple[str, str], ...],
            decided_by: str | None,
        ) -> UnitScore:
            return dataclasses.replace(
                unit, rank=place, rank_keys=shown, rank_decided_by=decided_by
            )

        return replace
    kept = [name for name in names if name not in _RANK_FIELDS]
    read = attrgetter(*kept)
    setters = tuple(cls.__dict__[name].__set__ for name in kept)  # bound to each slot
    count = len(setters)
    set_rank, set_keys, set_decided_by = (cls.__dict__[name].__set__ for name in _RANK_FIELDS)
    new = object.__new__

    def copy(
        unit: UnitScore,
        place: int,
        shown: tuple[tuple[str, str], ...],
        decided_by: str | None,
    ) -> UnitScore:
        ranked = new(cls)
        deque(map(call, setters, repeat(ranked, count), read(unit)), maxlen=0)
        set_rank(ranked, place)
        set_keys(ranked, shown)
        set_decided_by(ranked, decided_by)
        return ranked

    return copy


def rank(
    units: Sequence[UnitScore], ranking: Ranking
) -> tuple[list[UnitScore], tuple[Tie, ...], tuple[Issue, ...]]:
    """Rank the units whose status is ``scored``; the others keep ``rank=None``.

    Returns the units in result order (ranked ones by rank then unit id, then the others by
    status and unit id), the ties, and a warning issue per tie.
    """
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
    classes = set(map(type, scored))
    same_copy = _ranked_copier(classes.pop()) if len(classes) == 1 else None
    out: list[UnitScore] = []
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
        if end == index + 1:  # a unit alone: the usual case
            unit = in_order[index]
            copy = same_copy or _ranked_copier(type(unit))
            out.append(copy(unit, dense if method == "dense" else position + 1, shown, decided_by))
            position += 1
            index = end
            continue
        group = in_order[index:end]
        for offset, unit in enumerate(group):
            if method == "competition":
                place = position + 1
            elif method == "dense":
                place = dense
            else:
                place = position + offset + 1
            copy = same_copy or _ranked_copier(type(unit))
            out.append(copy(unit, place, shown, decided_by))
        ids = tuple(u.unit_id for u in group)
        shared = position + 1 if method != "dense" else dense
        ties.append(Tie(shared, ids, shown))
        how = "they are listed by unit id" if method == "ordinal" else f"they share rank {shared}"
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
        index = end
    order = {"not_classified": 0, "error": 1, "rejected": 2}
    others = sorted(
        (u for u in units if u.status != "scored"),
        key=lambda u: (order.get(u.status, 3), u.unit_id),
    )
    return out + others, tuple(ties), tuple(issues)


_UNIT_ID = attrgetter("unit_id")
