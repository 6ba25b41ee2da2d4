"""The compiled forms of a guide: THE interface the later stages read.

:class:`CompiledRuleset` (the guide ready to score), its :class:`Node` per criterion, the
compiled constructs (``Met``, ``BandsC``, …, one class per construct) and :class:`BandSpec`
with :func:`find_band`. The compiler that builds them is
:mod:`~emulation_rules.compiler.declarations`, :mod:`~emulation_rules.compiler.constructs`,
:mod:`~emulation_rules.compiler.checks` and :mod:`~emulation_rules.compiler.order`; this module
holds data only, so the engine, the lint and the reports read it without the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulation_rules._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import date
    from decimal import Decimal

    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.sandbox import CheckedExpression
    from emulation_rules.errors import Issue
    from emulation_rules.guide.model import Band, ClassBand, Ruleset

__all__ = [
    "BandSpec",
    "CompiledRuleset",
    "Construct",
    "Node",
    "SharedCapC",
    "find_band",
    "register_program_builder",
]

DocPath = tuple[str | int, ...]


# --------------------------------------------------------------------------------------------
# Compiled forms


@dataclass(frozen=True, slots=True)
class BandSpec:
    """A compiled band: an interval and its points (points unused on table axes)."""

    low: Decimal | None
    low_inclusive: bool
    high: Decimal | None
    high_inclusive: bool
    points: Decimal | None
    label: str | None

    def contains(self, value: Decimal) -> bool:
        """Whether ``value`` lies in the band."""
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )

    def describe(self) -> str:
        """Human form, e.g. ``[97, 98)``.

        Example:
            >>> from decimal import Decimal
            >>> BandSpec(Decimal(97), True, Decimal(98), False, None, None).describe()
            '[97, 98)'
        """
        low = "(-∞" if self.low is None else ("[" if self.low_inclusive else "(") + str(self.low)
        high = (
            "+∞)" if self.high is None else str(self.high) + ("]" if self.high_inclusive else ")")
        )
        return f"{low}, {high}"

    @classmethod
    def from_model(cls, band: Band | ClassBand, points: Decimal | None = None) -> BandSpec:
        """Build from a model band."""
        low, low_inc = (band.from_, True) if band.from_ is not None else (band.above, False)
        high, high_inc = (band.to, True) if band.to is not None else (band.below, False)
        label = getattr(band, "label", None)
        return cls(low, low_inc, high, high_inc, points, label)


def find_band(bands: tuple[BandSpec, ...], value: Decimal) -> int:
    """The index of the first band that holds ``value``, or -1 when none does."""
    for index, band in enumerate(bands):
        if band.contains(value):
            return index
    return -1


@dataclass(frozen=True, slots=True)
class Met:
    condition: CheckedExpression


@dataclass(frozen=True, slots=True)
class Points:
    points: Decimal


@dataclass(frozen=True, slots=True)
class PerEventC:
    count: CheckedExpression
    points: Decimal
    cap: Decimal | None


@dataclass(frozen=True, slots=True)
class ProportionalC:
    achieved: CheckedExpression
    target: CheckedExpression
    factor: Decimal
    cap: Decimal | None
    #: ``excess: bonus``: the points above the cap are a bonus line of the criterion.
    excess_bonus: bool = False
    #: ``better: lower``: target ÷ achieved (the plan over the result).
    lower: bool = False
    #: The points when the divisor is 0: ``max``, ``zero`` or ``error`` (None: ``error``).
    when_zero: str | None = None


@dataclass(frozen=True, slots=True)
class BandsC:
    of: CheckedExpression
    bands: tuple[BandSpec, ...]
    otherwise: Decimal | None


@dataclass(frozen=True, slots=True)
class TableC:
    rows_of: CheckedExpression
    rows: tuple[BandSpec, ...]
    columns_of: CheckedExpression
    columns: tuple[BandSpec, ...]
    values: tuple[tuple[Decimal, ...], ...]
    otherwise: Decimal | None


@dataclass(frozen=True, slots=True)
class IncrementC:
    of: CheckedExpression
    start: Decimal
    inclusive: bool
    every: Decimal
    points: Decimal
    cap: Decimal | None
    #: ``steps: whole``: only full steps count (else the first, partial step counts too).
    whole: bool = False


@dataclass(frozen=True, slots=True)
class DeadlineC:
    when: CheckedExpression
    due: CheckedExpression | date
    on_time: Decimal
    late: Decimal
    early_days: int | None
    early_points: Decimal | None


@dataclass(frozen=True, slots=True)
class LookupC:
    of: CheckedExpression
    points: Mapping[str, Decimal]
    otherwise: Decimal | None


@dataclass(frozen=True, slots=True)
class FormulaC:
    expression: CheckedExpression


@dataclass(frozen=True, slots=True)
class TargetC:
    """Cluster phase: the police target rule."""

    achieved: CheckedExpression
    target: CheckedExpression
    no_target: str


@dataclass(frozen=True, slots=True)
class RankPointsC:
    """Cluster phase: points by rank among the units."""

    of: CheckedExpression | None
    average_of: tuple[str, ...]
    points: tuple[Decimal, ...]
    otherwise: Decimal
    order: str
    #: The rank given from outside (v2): no ranking within the run.
    rank: CheckedExpression | None = None


@dataclass(frozen=True, slots=True)
class PerItemC:
    """(format v2) Points for each item of a list input by band, summed and capped."""

    of: str
    value: str
    bands: tuple[BandSpec, ...]
    otherwise: Decimal | None
    cap: Decimal | None


Construct = (
    TargetC
    | RankPointsC
    | Met
    | Points
    | PerEventC
    | ProportionalC
    | BandsC
    | TableC
    | IncrementC
    | DeadlineC
    | LookupC
    | FormulaC
    | PerItemC
)


@dataclass(frozen=True, slots=True)
class SharedCapC:
    """A compiled shared cap (``shared_caps``): the criteria it sums and where it cuts."""

    id: str
    title: str
    #: The criteria whose bonuses (or deductions) it sums, in the guide's order.
    of: tuple[str, ...]
    #: True for ``part: deductions``, False for ``part: bonuses``.
    deductions: bool
    max: Decimal
    #: The lowest criterion holding them all, where the cut shows; None: the unit total.
    at: str | None
    #: The note of its line in the trace.
    note: str


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled criterion."""

    id: str
    title: str
    kind: str
    #: Declared maximum, or derived from children.
    max: Decimal | None
    declared_max: bool
    path: DocPath
    line: int | None
    construct_name: str | None
    construct: Construct | None
    when: CheckedExpression | None
    waive_if: CheckedExpression | None
    forfeit_if: CheckedExpression | None
    forfeit_value: Decimal
    applicable_if: CheckedExpression | None
    requires_benchmark: bool
    cap_deductions: Decimal | None
    cap_bonuses: Decimal | None
    cap_adjustments: Decimal | None
    cap_at_max: bool
    floor: Decimal | None
    combine: str
    rounding: tuple[int, str] | None
    score_children: tuple[str, ...]
    adjust_children: tuple[str, ...]
    #: Every input read by the construct or a condition, in first-use order.
    reads: tuple[str, ...]
    #: Criteria read through ``score('id')``.
    refs: tuple[str, ...]
    #: Plain description of the rule, for traces and explanations.
    rule: str
    reviewed_by: str | None
    #: Scored in the cluster phase, against the other units.
    cluster: bool = False
    #: The inputs it reads that may be missing as not applicable (checked per unit).
    optional_reads: tuple[str, ...] = ()
    #: Whether ``cap_at_max``, ``floor`` or ``rounding`` applies.
    has_limits: bool = False
    #: The guide (layer) this criterion's rule came from, when the guide extends a base guide.
    layer: str | None = None
    #: The score children whose excess becomes bonus (``proportional: {excess: bonus}``): their
    #: excess counts with this criterion's bonuses, under its ``caps``.
    excess_children: tuple[str, ...] = ()
    #: The shared caps that cut at this criterion (the lowest holding all their criteria).
    shared_caps: tuple[SharedCapC, ...] = ()
    #: Whether its points above the cap become a bonus (``proportional: {excess: bonus}``).
    carries_excess: bool = False
    #: Whether it adds adjustments to its base: bonus/deduction children, or excesses
    #: (``adjust_children or excess_children``: a field, read for every criterion of every unit).
    adjusts: bool = False

    @property
    def children(self) -> tuple[str, ...]:
        """All children, score children first."""
        return self.score_children + self.adjust_children


@dataclass(frozen=True, slots=True)
class GateC:
    id: str
    when: CheckedExpression
    reason: str


#: The default of :attr:`CompiledRuleset.program`: the engine's builder makes it.
ENGINE_BUILDS: Any = object()


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """A guide ready to score: parsed expressions, evaluation order and digests."""

    ruleset: Ruleset
    source: str | None
    #: ``sha256:`` of the canonical form of the guide (formatting and comments do not count).
    digest: str
    #: ``sha256:`` of the source file's exact text, when loaded from a file.
    source_digest: str | None
    inputs: Mapping[str, InputField]
    constants: Mapping[str, Decimal]
    nodes: Mapping[str, Node]
    #: Node ids in evaluation order: children and referenced criteria first.
    order: tuple[str, ...]
    roots: tuple[str, ...]
    parents: Mapping[str, str | None]
    gates: tuple[GateC, ...]
    #: Facts that make a unit ineligible for awards.
    eligibility: tuple[GateC, ...]
    #: Consistency rules between inputs (the gate's ``reason`` is the message).
    checks: tuple[GateC, ...]
    classification: tuple[str, tuple[BandSpec, ...], str | None] | None
    #: Warnings found while compiling (errors raise).
    issues: tuple[Issue, ...]
    engine_version: str = __version__
    #: The guide's source text, when loaded from a file or bytes (kept in audit records).
    text: str | None = None
    #: The layers of a composed guide, base first: ``(guide id, source file)``.
    layers: tuple[tuple[str, str], ...] = ()
    #: The facts of each unit read from the cluster file (format v2), declared like inputs.
    cluster_facts: Mapping[str, InputField] = field(default_factory=dict)
    #: The bases reached through a shipped template's name: ``(source file, where the name
    #: puts it seen from the guide, text)`` (kept in audit records, see ``audit._bases``).
    shipped_bases: tuple[tuple[str, str, str], ...] = ()
    #: Every shared cap (``shared_caps``), in the guide's order.
    shared_caps: tuple[SharedCapC, ...] = ()
    #: The guide compiled into Python functions by the engine
    #: (:mod:`emulation_rules.engine.codegen`); None when the interpreter alone scores it. Left
    #: out, the builder the engine registered builds it (:func:`register_program_builder`):
    #: the compiler imports nothing of the engine.
    program: Any = field(default=ENGINE_BUILDS, compare=False, repr=False)

    @property
    def id(self) -> str:
        """The guide id."""
        return self.ruleset.id

    @property
    def version(self) -> str:
        """The guide version."""
        return self.ruleset.version

    @property
    def scale(self) -> Decimal:
        """The total scale."""
        return self.ruleset.scale

    def __post_init__(self) -> None:
        if self.program is ENGINE_BUILDS:
            if not _PROGRAM_BUILDER:
                raise RuntimeError("the engine is not loaded: no program builder")
            object.__setattr__(self, "program", _PROGRAM_BUILDER[0](self))


#: The engine's builder of a guide's program (one at most): see register_program_builder.
_PROGRAM_BUILDER: list[Callable[[CompiledRuleset], Any]] = []


def register_program_builder(builder: Callable[[CompiledRuleset], Any]) -> None:
    """Let the engine build the program of each guide the compiler makes.

    The engine (:mod:`emulation_rules.engine.evaluator`) calls this when it is imported; the
    dependency points from the engine to the compiler, never back. The first builder stays.
    """
    if not _PROGRAM_BUILDER:
        _PROGRAM_BUILDER.append(builder)
