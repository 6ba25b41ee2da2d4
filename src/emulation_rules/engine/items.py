"""A unit's criterion values: a read-only mapping over a tuple, one shared index per guide.

Issue 18 (bounded memory of kept results): a dict of a guide's 120 criterion values costs a
unit some 3.3 KiB; a tuple of the same values 1 KiB, and the ids' positions are the same for
every unit of the guide, so one index (id → position) serves them all. :class:`CriterionValues`
is that pair, and behaves as the read-only mapping ``UnitScore.items`` always was
(``MappingProxyType`` of a dict in the guide's compiled order): same iteration order, equal to
that dict, ``dict(items)``, ``get``, ``in``, ``copy()``, ``|``, pickling, and the same repr.
Kept equal by: ``tests/test_kept_memory.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["CriterionValues", "criterion_index"]

#: The index of each order seen: ``id(order) → (order, index)``. Holding the order keeps its
#: id from being reused by another tuple while its entry lives.
_INDEXES: dict[int, tuple[tuple[str, ...], dict[str, int]]] = {}
#: A process scores with a handful of guides; past this many orders the cache starts again.
_MAX_INDEXES = 64


def criterion_index(order: tuple[str, ...]) -> dict[str, int]:
    """The position of each id of ``order`` (a guide's compiled order), built once per order.

    Never change the dict returned: every unit of the guide shares it. Thread-safe: two threads
    missing at once build equal indexes, and either is kept.
    """
    entry = _INDEXES.get(id(order))
    if entry is not None and entry[0] is order:
        return entry[1]
    index = {ident: position for position, ident in enumerate(order)}
    if len(_INDEXES) >= _MAX_INDEXES:
        _INDEXES.clear()
    _INDEXES[id(order)] = (order, index)
    return index


class CriterionValues(Mapping[str, Decimal]):
    """The value of every criterion of a unit, by id, in the guide's compiled order.

    ``values[i]`` is the value of the criterion at position ``i`` of ``index`` (which maps
    every id to its position, in that order, and is shared by every unit of the guide).
    """

    __slots__ = ("_index", "_values")

    _index: dict[str, int]
    _values: tuple[Decimal, ...]

    def __init__(self, index: dict[str, int], values: tuple[Decimal, ...]) -> None:
        self._index = index
        self._values = values

    @property
    def ordered(self) -> tuple[Decimal, ...]:
        """The values in the guide's compiled order (position ``i`` is the ``i``-th id)."""
        return self._values

    def __getitem__(self, key: str) -> Decimal:
        return self._values[self._index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of criterion ``key``, or ``default``."""
        position = self._index.get(key)
        return default if position is None else self._values[position]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def copy(self) -> dict[str, Decimal]:
        """A new dict of the same items, in the same order (as ``MappingProxyType.copy``)."""
        return dict(zip(self._index, self._values, strict=True))

    def keys(self) -> Any:
        """The ids, in the guide's compiled order (a view of the shared index's keys)."""
        return self._index.keys()

    def items(self) -> Any:
        """``(id, value)`` pairs, as ``dict.items()`` of a copy."""
        return self.copy().items()

    def values(self) -> Any:
        """The values, as ``dict.values()`` of a copy."""
        return self.copy().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CriterionValues) and other._index is self._index:
            return self._values == other._values
        if isinstance(other, CriterionValues):
            return self.copy() == other.copy()
        if isinstance(other, dict):
            return self.copy() == other
        if isinstance(other, Mapping):
            return self.copy() == dict(other.items())
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a dict

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, Mapping):
            return NotImplemented
        return self.copy() | dict(other)

    def __ror__(self, other: Any) -> Any:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(other) | self.copy()

    def __repr__(self) -> str:
        # the repr of the MappingProxyType of a dict it replaces (UnitScore's repr shows it)
        return f"mappingproxy({self.copy()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuilt, (tuple(self._index), self._values)


def _rebuilt(order: tuple[str, ...], values: tuple[Decimal, ...]) -> CriterionValues:
    """A pickled :class:`CriterionValues` again (the index of an equal order, rebuilt)."""
    return CriterionValues(criterion_index(order), values)
