"""Rank scored units by the guide's declared keys.

The order comes from one function, :func:`rank_key`, whose tuple order *is* the ranking. A tie
that no declared key breaks is never put in an arbitrary order: the units share a rank and the
result reports the tie.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules._canonical import decimal_text
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emulation_rules.evaluator import UnitScore
    from emulation_rules.model import Ranking

__all__ = ["Tie", "key_names", "rank", "rank_key"]


@dataclass(frozen=True, slots=True)
class Tie:
    """Units that no declared key separates, and the rank they share."""

    rank: int
    unit_ids: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]


def key_names(ranking: Ranking) -> tuple[str, ...]:
    """Names of the ranking keys, e.g. ``('total', 'score:TC1', 'deductions')``."""
    return tuple(f"score:{k.id}" if k.key == "score" else k.key for k in ranking.by)


def _key_values(unit: UnitScore, ranking: Ranking) -> tuple[Decimal, ...]:
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


def rank_key(unit: UnitScore, ranking: Ranking) -> tuple[Decimal, ...]:
    """The sort key of a unit: smaller sorts first (ranks better).

    One slot per declared key, in order: ``total`` and ``percent`` and ``score`` keys are
    negated (higher is better) unless their ``order`` is ``asc``; ``deductions`` is kept as is
    (fewer deductions is better) unless its ``order`` is ``desc``. The unit id is *not* part of
    the key: units with equal keys tie.
    """
    out = []
    for key, value in zip(ranking.by, _key_values(unit, ranking), strict=True):
        order = key.order or ("asc" if key.key == "deductions" else "desc")
        out.append(-value if order == "desc" else value)
    return tuple(out)


def rank(
    units: Sequence[UnitScore], ranking: Ranking
) -> tuple[list[UnitScore], tuple[Tie, ...], tuple[Issue, ...]]:
    """Rank the units whose status is ``scored``; the others keep ``rank=None``.

    Returns the units in result order (ranked ones by rank then unit id, then the others by
    status and unit id), the ties, and a warning issue per tie.
    """
    names = key_names(ranking)
    ranked = sorted(
        (u for u in units if u.status == "scored"),
        key=lambda u: (rank_key(u, ranking), u.unit_id),
    )
    out: list[UnitScore] = []
    ties: list[Tie] = []
    issues: list[Issue] = []
    position = 0
    dense = 0
    index = 0
    previous: tuple[Decimal, ...] | None = None
    while index < len(ranked):
        key = rank_key(ranked[index], ranking)
        decided_by = None
        if previous is not None:
            decided_by = next(n for n, a, b in zip(names, previous, key, strict=True) if a != b)
        previous = key
        group = [ranked[index]]
        while (
            index + len(group) < len(ranked)
            and rank_key(ranked[index + len(group)], ranking) == key
        ):
            group.append(ranked[index + len(group)])
        dense += 1
        shown = tuple(
            (name, decimal_text(v))
            for name, v in zip(names, _key_values(group[0], ranking), strict=True)
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
