"""A compact store of scored clusters: each unit kept as a few compressed bytes (issue 18).

A kept :class:`~emulation_rules.ClusterResult` holds every unit as Python objects: with the
trace some 12 KiB a unit on the anchor workload (120 criteria), mostly the ``Decimal`` objects
its scoring made (104 bytes each, about half of them values no other unit shares). A
:class:`CompactResult` keeps each unit as one ``bytes``: the unit's own data (its fields, its
validated inputs, its criterion values and its trace's flat records), pickled with everything
shared by the units of a guide left out and compressed by ``zlib`` against the first unit's own
encoding (a preset dictionary: the units of a guide share their structure, their texts and many
of their decimals). Decimals are pickled as their exact text, so a decimal read back has the
coefficient, exponent and sign it had (``-0``, ``1E+2``, ``5.000…`` and 28-digit ratios stay
as they were).

What is shared is kept once, by the store, not by each unit: the compiled guide, the index of
its criteria, the names of its inputs, the applicability and maxima every unit of a guide whose
criteria all apply shares, the values of the inputs left out, the empty mappings.

Reading a unit decodes its bytes into a new :class:`~emulation_rules.UnitScore` equal to the
original (every field, the items as a mapping, the trace the same tree, ``to_dict``/``to_json``
identical); a unit scored by the guide's generated functions keeps its trace as flat records,
built into a tree only when read, as the original did. :meth:`CompactResult.result` gives the
whole :class:`~emulation_rules.ClusterResult` back, from which the audit record written is
byte-identical to the original's.

The encoding lives in memory only, for the process that made it: it names the guide's objects
by their place in the store, and is no file format (save a result with its JSON or its audit
record).
"""

from __future__ import annotations

import pickle
import zlib
from collections import Counter
from dataclasses import fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from emulation_rules.compiler.fields import TypedValues
from emulation_rules.engine.evaluator import UnitScore, _LazyTrace, _Totals
from emulation_rules.engine.items import CriterionValues
from emulation_rules.engine.scoring import ClusterResult

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from emulation_rules.engine.awards import AwardResult
    from emulation_rules.engine.ranking import Tie
    from emulation_rules.errors import Issue
    from emulation_rules.inputs.cluster_data import ClusterData
    from emulation_rules.inputs.submissions import Rejected

__all__ = ["CompactResult"]

#: The fields of a unit, in the order of its class (the positional form of its encoding).
_UNIT_FIELDS = tuple(f.name for f in fields(UnitScore))
#: A dict with at least this many string keys (a unit's inputs) is kept as its values under
#: one shared tuple of its keys; a smaller one is pickled whole.
_SHARED_KEYS_FROM = 8
#: The positions of a unit's mapping fields and of its trace in ``_UNIT_FIELDS``.
_MAPPING_FIELDS = tuple(
    _UNIT_FIELDS.index(name) for name in ("items", "self_scores", "computed_items", "corrected")
)
_ITEMS_FIELD = _UNIT_FIELDS.index("items")
_TRACE_FIELD = _UNIT_FIELDS.index("_trace")
# What a mapping's code is (see _Shared.mapping), and a trace's.
_VALUES, _PROXY, _INPUTS, _DICT, _TYPED, _OTHER = range(6)
_LAZY, _TREE = range(2)
#: zlib's level: 6 (its default) compresses the anchor workload's units within 2 % of 9, at
#: about half the time.
_LEVEL = 3


class _Shared:
    """The objects the units of one store share, kept once: a unit's encoding names them.

    ``objects[i]`` is named ``i``; ``positions`` maps the ``id`` of each to its position (the
    objects are held, so their ids stay theirs). ``keys`` is every tuple of dict keys seen.
    """

    __slots__ = ("key_positions", "keys", "objects", "positions")

    def __init__(self) -> None:
        self.objects: list[Any] = []
        self.positions: dict[int, int] = {}
        self.keys: list[tuple[str, ...]] = []
        self.key_positions: dict[tuple[str, ...], int] = {}

    def add(self, obj: Any) -> int:
        """The position of ``obj``, added when it is not there yet."""
        position = self.positions.get(id(obj))
        if position is None:
            position = self.positions[id(obj)] = len(self.objects)
            self.objects.append(obj)
        return position

    def key_tuple(self, keys: tuple[str, ...]) -> int:
        """The position of a tuple of dict keys (by value: every unit's inputs have theirs)."""
        position = self.key_positions.get(keys)
        if position is None:
            position = self.key_positions[keys] = len(self.keys)
            self.keys.append(keys)
        return position

    # A unit is encoded as a tuple of plain data (pickled at C speed, without a hook per
    # object): its fields in order, each mapping and its trace by the codes below. A shared
    # object is its position (an ``int``); anything else is a tuple whose first item says
    # what it was.

    def mapping(self, obj: Any) -> Any:
        """The code of a mapping a unit holds (its items, self-scores, inputs …)."""
        position = self.positions.get(id(obj))
        if position is not None:
            return position
        kind = type(obj)
        if kind is CriterionValues:
            return (_VALUES, self.add(obj._index), obj.ordered)  # noqa: SLF001
        if kind is MappingProxyType:
            return (_PROXY, dict(obj))
        if kind is dict:
            if len(obj) >= _SHARED_KEYS_FROM and all(type(k) is str for k in obj):
                return (_INPUTS, self.key_tuple(tuple(obj)), tuple(obj.values()))
            return (_DICT, obj)
        if kind is TypedValues:
            return (
                _TYPED,
                self.mapping(obj.base),
                self.mapping(obj.overlay),
                self.mapping(obj.defaults),
            )
        return (_OTHER, obj)

    def unmapping(self, code: Any) -> Any:
        """The mapping of a code (a new one, equal to the original, or the shared one)."""
        if code is None:
            return None
        if type(code) is int:
            return self.objects[code]
        tag = code[0]
        if tag == _VALUES:
            return CriterionValues(self.objects[code[1]], code[2])
        if tag == _PROXY:
            return MappingProxyType(code[1])
        if tag == _INPUTS:
            return dict(zip(self.keys[code[1]], code[2], strict=True))
        if tag == _TYPED:
            return TypedValues(*[self.unmapping(part) for part in code[1:]])
        return code[1]  # _DICT, _OTHER

    def shared_or(self, obj: Any) -> Any:
        """A shared object's position, or the object itself (a tuple: flags, maxima)."""
        position = self.positions.get(id(obj))
        return obj if position is None else position

    def unshared(self, code: Any) -> Any:
        """The object of :meth:`shared_or`."""
        return self.objects[code] if type(code) is int else code

    def encode(self, unit: UnitScore) -> tuple[Any, ...]:
        """A unit as plain data (see :meth:`decode`)."""
        out = [getattr(unit, name) for name in _UNIT_FIELDS]
        for position in _MAPPING_FIELDS:
            if out[position] is not None:
                out[position] = self.mapping(out[position])
        trace = out[_TRACE_FIELD]
        if type(trace) is _LazyTrace:
            totals = trace.totals
            out[_TRACE_FIELD] = (
                _LAZY,
                self.add(trace.compiled),
                self.mapping(trace.names),
                None if trace.values is unit.items else self.mapping(trace.values),
                self.shared_or(trace.flags),
                self.shared_or(trace.maxima),
                trace.records,
                (totals.total, totals.amax, totals.deductions, totals.parts, totals.lines),
            )
        elif trace is not None:  # a tree (the interpreter's, or a flat trace once read)
            out[_TRACE_FIELD] = (_TREE, trace)
        return tuple(out)

    def decode(self, data: tuple[Any, ...]) -> UnitScore:
        """The unit of :meth:`encode`'s plain data: a new unit, equal to the original."""
        values = list(data)
        for position in _MAPPING_FIELDS:
            values[position] = self.unmapping(values[position])
        trace = values[_TRACE_FIELD]
        if trace is not None and trace[0] == _LAZY:
            _, compiled, names, criteria, flags, maxima, records, totals = trace
            values[_TRACE_FIELD] = _LazyTrace(
                self.objects[compiled],
                self.unmapping(names),
                values[_ITEMS_FIELD] if criteria is None else self.unmapping(criteria),
                self.unshared(flags),
                self.unshared(maxima),
                records,
                _Totals(*totals),
            )
        elif trace is not None:
            values[_TRACE_FIELD] = trace[1]
        unit = object.__new__(UnitScore)
        for name, value in zip(_UNIT_FIELDS, values, strict=True):
            object.__setattr__(unit, name, value)  # the fields as they were, not re-made
        return unit


class CompactResult:
    """A :class:`~emulation_rules.ClusterResult` kept in little memory; units built on access.

    Made by ``CompactResult(result)`` (or :meth:`from_result`). Each unit is kept as one
    compressed ``bytes`` (about 1.8 KB with its trace on the anchor workload of 120 criteria,
    against 12.4 KB as objects); the compiled guide and everything else the units share are
    kept once. :meth:`unit` and iteration build units one at a time, each equal to the
    original; :meth:`result` builds the whole result back. The cluster's own fields
    (``ruleset_id``, ``rejected``, ``ties``, ``issues``, ``awards``, ``cluster``, ``as_of``
    …) are kept as they were.

    Immutable, and safe to read from several threads at once.
    """

    __slots__ = (
        "_errors",
        "_positions",
        "_shared",
        "_units",
        "_zdict",
        "as_of",
        "awards",
        "cluster",
        "engine_version",
        "issues",
        "rejected",
        "ruleset_digest",
        "ruleset_id",
        "ruleset_source_digest",
        "ruleset_title",
        "ruleset_version",
        "ties",
        "unit_ids",
    )

    ruleset_id: str
    ruleset_version: str
    ruleset_title: str
    ruleset_digest: str
    ruleset_source_digest: str | None
    engine_version: str
    rejected: tuple[Rejected, ...]
    ties: tuple[Tie, ...]
    issues: tuple[Issue, ...]
    awards: tuple[AwardResult, ...]
    cluster: ClusterData | None
    as_of: date | None
    #: The ids of the units, in the result's order (rank order; units not ranked follow).
    unit_ids: tuple[str, ...]
    _shared: _Shared
    _zdict: bytes
    _units: tuple[bytes, ...]
    _positions: dict[str, int]
    _errors: bool

    def __init__(self, result: ClusterResult) -> None:
        """Compact ``result`` (see :meth:`from_result`)."""
        if not isinstance(result, ClusterResult):
            raise TypeError(f"CompactResult() takes a ClusterResult, not {type(result).__name__}")
        for name in _HEAD_FIELDS:
            object.__setattr__(self, name, getattr(result, name))
        shared = _Shared()
        _share_common(shared, result)
        encoded = [_pickled(unit, shared) for unit in result.units]
        zdict = encoded[0] if encoded else b""
        units = tuple(_compressed(data, zdict) for data in encoded)
        ids = tuple(unit.unit_id for unit in result.units)
        positions: dict[str, int] = {}
        for position, unit_id in enumerate(ids):
            positions.setdefault(unit_id, position)
        object.__setattr__(self, "_shared", shared)
        object.__setattr__(self, "_zdict", zdict)
        object.__setattr__(self, "_units", units)
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(self, "unit_ids", ids)
        object.__setattr__(self, "_errors", any(u.status == "error" for u in result.units))

    @classmethod
    def from_result(cls, result: ClusterResult) -> CompactResult:
        """``result`` kept compactly (the same as ``CompactResult(result)``).

        Raises:
            TypeError: ``result`` is not a ``ClusterResult``.
        """
        return cls(result)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CompactResult is immutable: cannot set {name!r}")

    def __len__(self) -> int:
        """The number of units kept (rejected units are in :attr:`rejected`)."""
        return len(self._units)

    def __iter__(self) -> Iterator[UnitScore]:
        """Every unit, in the result's order, each built when it is reached."""
        for position in range(len(self._units)):
            yield self.unit_at(position)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._positions

    def unit_at(self, position: int) -> UnitScore:
        """The unit at ``position`` in the result's order (``result.units[position]``).

        Raises:
            IndexError: no unit is at that position.
        """
        data = zlib.decompressobj(zdict=self._zdict).decompress(self._units[position])
        return self._shared.decode(pickle.loads(data))  # noqa: S301 - bytes this store made

    def unit(self, unit_id: str) -> UnitScore:
        """The score of ``unit_id``, built from its compact form (``result.unit(unit_id)``).

        Raises:
            KeyError: if no unit has that id (rejected units included).
        """
        position = self._positions.get(unit_id)
        if position is None:
            raise KeyError(unit_id)
        return self.unit_at(position)

    def result(self) -> ClusterResult:
        """The whole :class:`~emulation_rules.ClusterResult` back, equal to the original."""
        head = {name: getattr(self, name) for name in _HEAD_FIELDS}
        return ClusterResult(units=tuple(self), **head)

    #: :meth:`result` by another name.
    expand = result

    @property
    def ok(self) -> bool:
        """Whether every unit was scored (none rejected or failed) and no file failed."""
        return (
            not self.rejected
            and not self._errors
            and not any(i.severity == "error" for i in self.issues)
        )

    @property
    def nbytes(self) -> int:
        """The bytes of the units' compressed encodings and of the shared dictionary."""
        return sum(len(data) for data in self._units) + len(self._zdict)

    def __repr__(self) -> str:
        return (
            f"<CompactResult {self.ruleset_id!r} {self.ruleset_version!r}: "
            f"{len(self._units)} units in {self.nbytes:,} bytes>"
        )

    def __reduce__(self) -> Any:
        raise TypeError(
            "a CompactResult is not pickled (its encoding names objects of this process); "
            "pickle its result() or write its JSON"
        )


#: The fields of a :class:`ClusterResult` other than its units, kept as they are.
_HEAD_FIELDS = tuple(f.name for f in fields(ClusterResult) if f.name != "units")


def _share_common(shared: _Shared, result: ClusterResult) -> None:
    """Add the objects the units share to ``shared``: each guide, and what units hold alike.

    An object is shared when two units hold it (the same object, not equal ones: a decimal's
    exponent is part of its value here): the applicability and maxima of a guide whose
    criteria all apply, the values of the inputs left out, the empty mappings.
    """
    seen: Counter[int] = Counter()
    held: dict[int, Any] = {}
    for unit in result.units:
        trace = unit._trace  # noqa: SLF001 - the flat records, not the tree built from them
        candidates: list[Any] = [unit.self_scores, unit.corrected]
        if type(trace) is _LazyTrace:
            shared.add(trace.compiled)
            candidates += [trace.flags, trace.maxima, getattr(trace.names, "defaults", None)]
        for obj in candidates:
            if obj is not None:
                seen[id(obj)] += 1
                held[id(obj)] = obj
    for key, count in seen.items():
        if count > 1:
            shared.add(held[key])


def _pickled(unit: UnitScore, shared: _Shared) -> bytes:
    """One unit's pickle, naming the store's shared objects."""
    return pickle.dumps(shared.encode(unit), protocol=5)


def _compressed(data: bytes, zdict: bytes) -> bytes:
    """``data`` compressed against ``zdict`` (zlib's preset dictionary: the first unit)."""
    compressor = zlib.compressobj(_LEVEL, zdict=zdict) if zdict else zlib.compressobj(_LEVEL)
    return compressor.compress(data) + compressor.flush()
