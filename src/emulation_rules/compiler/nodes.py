"""Compile a validated guide: check its meaning, parse every expression once, order the work.

:func:`compile_ruleset` turns a :class:`~emulation_rules.guide.model.Ruleset` into an immutable
:class:`CompiledRuleset` that the evaluator runs for every unit. All semantic checks happen
here, and every issue is collected before anything is raised.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from emulation_rules._support.text import suggest
from emulation_rules._version import __version__
from emulation_rules.compiler.fields import (
    NOT_APPLICABLE,
    InputField,
    ValueProblem,
    coerce_value,
    expr_type,
)
from emulation_rules.compiler.sandbox import (
    CheckedExpression,
    ExprType,
    SandboxConfig,
    check_expression,
)
from emulation_rules.errors import Issue, IssueCollector
from emulation_rules.guide.model import CONSTRUCTS
from emulation_rules.guide.read import located

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from emulation_rules._support.yaml import Positions
    from emulation_rules.guide.model import Band, ClassBand, Criterion, Gate, Ruleset

__all__ = [
    "BandSpec",
    "CompiledRuleset",
    "Node",
    "register_program_builder",
]

DocPath = tuple[str | int, ...]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def _find_band(bands: tuple[BandSpec, ...], value: Decimal) -> int:
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
)


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
    #: The bases reached through a shipped template's name: ``(source file, where the name
    #: puts it seen from the guide, text)`` (kept in audit records, see ``audit._bases``).
    shipped_bases: tuple[tuple[str, str, str], ...] = ()
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


# --------------------------------------------------------------------------------------------
# The compiler


@dataclass
class _Compiler:
    ruleset: Ruleset
    source: str | None
    positions: Positions | None
    text: str | None
    config: SandboxConfig
    issues: IssueCollector = field(default_factory=IssueCollector)
    names: dict[str, ExprType] = field(default_factory=dict)
    criteria: frozenset[str] = frozenset()
    used_inputs: set[str] = field(default_factory=set)
    #: Inputs whose missing value means "not applicable".
    optional_inputs: set[str] = field(default_factory=set)

    # -- issues -----------------------------------------------------------------------------

    def add(
        self,
        code: str,
        message: str,
        path: DocPath,
        *,
        rule_id: str | None = None,
        hint: str | None = None,
        severity: str = "error",
        key: bool = False,
    ) -> None:
        issue = Issue(
            code,
            message,
            source=self.source,
            path=path,
            rule_id=rule_id,
            hint=hint,
            severity="warning" if severity in ("warn", "warning") else "error",
        )
        if self.positions is not None:
            issue = located(issue, self.positions, key=key)
        self.issues.add(issue)

    # -- expressions --------------------------------------------------------------------------

    def expr(
        self, source: str, path: DocPath, expect: ExprType, rule_id: str | None
    ) -> CheckedExpression | None:
        checked, issues = check_expression(
            source, names=self.names, criteria=self.criteria, expect=expect, config=self.config
        )
        line, column, known = self._expression_start(path)
        bare_name = _IDENTIFIER.fullmatch(source.strip()) is not None
        for issue in issues:
            at_line, col = line, column
            if line is not None and column is not None and known:
                offset = issue.column - 1 if issue.column else len(source) - len(source.lstrip())
                mapped = scalar_position(self._text_at(path), line, column, offset, len(source))
                if mapped is not None:
                    at_line, col = mapped
            code, message = issue.code, issue.message
            if code == "expr-unknown-name" and bare_name and "criterion" not in message:
                code, message = "unknown-input", f"{source.strip()!r} is not a declared input"
            elif len(source) <= 80:
                message = f"{message} in {source.strip()!r}"
            self.issues.add(
                issue.evolve(
                    code=code,
                    source=self._source_at(path),
                    path=path,
                    rule_id=rule_id,
                    line=at_line,
                    column=col,
                    message=message,
                )
            )
        if checked is not None:
            self.used_inputs.update(checked.names)
        else:  # a broken expression still "reads" the inputs it names: no unused-input noise
            self.used_inputs.update(n for n in _IDENTIFIER.findall(source) if n in self.names)
        return checked

    def _source_at(self, path: DocPath) -> str | None:
        """The file a path comes from: a base guide's for a rule inherited from it."""
        find = getattr(self.positions, "source_at", None)
        return (find(path) if find else None) or self.source

    def _text_at(self, path: DocPath) -> str:
        find = getattr(self.positions, "text_at", None)
        text = (find(path) if find else None) or self.text
        assert text is not None
        return text

    def _layer_at(self, path: DocPath) -> str | None:
        """The layer (guide id) a criterion comes from, in a guide that extends another."""
        find = getattr(self.positions, "layer_at", None)
        return find(path) if find else None

    def _expression_start(self, path: DocPath) -> tuple[int | None, int | None, bool]:
        """Where the expression's value starts in the file (line, column), if known."""
        if self.positions is None:
            return None, None, False
        found = self.positions.values.get(path) or self.positions.find(path)
        if found is None:
            return None, None, False
        return found[0], found[1], self.text is not None

    # -- inputs -------------------------------------------------------------------------------

    def inputs(self) -> dict[str, InputField]:
        out: dict[str, InputField] = {}
        for name, spec in self.ruleset.inputs.items():
            path: DocPath = ("inputs", name)
            fld = InputField.from_spec(name, spec)
            if name in self.ruleset.constants:
                self.add(
                    "duplicate-id", f"{name!r} is both an input and a constant", path, key=True
                )
            if spec.type == "enum":
                if not fld.values:
                    self.add("missing-field", "an enum input needs 'values'", path)
                elif len(set(fld.values)) != len(fld.values):
                    self.add("invalid-value", "the enum values repeat", (*path, "values"))
            elif spec.values is not None:
                self.add("invalid-value", "'values' is only for enum inputs", (*path, "values"))
            if spec.type not in ("count", "decimal", "percent"):
                for key in ("min", "max", "places"):
                    if getattr(spec, key) is not None:
                        self.add(
                            "invalid-value", f"'{key}' is only for number inputs", (*path, key)
                        )
            if spec.type == "count" and spec.places is not None:
                self.add("invalid-value", "a count has no decimal places", (*path, "places"))
            if fld.min is not None and fld.max is not None and fld.min > fld.max:
                self.add("invalid-value", f"min {fld.min} is above max {fld.max}", (*path, "min"))
            fld = self._missing(fld, spec.missing, path)
            out[name] = fld
            self.names[name] = expr_type(spec.type)
        for name in self.ruleset.constants:
            self.names.setdefault(name, "number")
        return out

    def _missing(self, fld: InputField, missing: Any, path: DocPath) -> InputField:
        if fld.required:
            if missing is not None:
                self.add(
                    "invalid-value",
                    "a required input cannot also say what a missing value means",
                    (*path, "missing"),
                )
            return fld
        if missing is None:
            self.add(
                "missing-meaning",
                f"input {fld.name!r} is optional but does not say what a missing value means",
                path,
                key=True,
                hint="add 'missing: 0' (or false, not_applicable), or 'required: true'",
            )
            return fld
        if missing == "not_applicable":
            self.optional_inputs.add(fld.name)
            return _replace(fld, missing=NOT_APPLICABLE)
        try:
            value = coerce_value(fld, missing)
        except ValueProblem as problem:
            self.add("input-type", f"'missing': {problem.message}", (*path, "missing"))
            return fld
        return _replace(fld, missing=value)

    # -- criteria -----------------------------------------------------------------------------

    def criteria_nodes(self) -> dict[str, Node]:
        seen: dict[str, DocPath] = {}
        walked = self.ruleset.walk()
        for path, crit in walked:
            if crit.id in seen:
                first = self.positions.find(seen[crit.id]) if self.positions else None
                where = f" (first at line {first[0]})" if first else ""
                self.add(
                    "duplicate-id", f"criterion id {crit.id!r} is used twice{where}", (*path, "id")
                )
            else:
                seen[crit.id] = path
        self.criteria = frozenset(seen)
        by_path: dict[DocPath, Node] = {}
        for path, crit in reversed(walked):  # children before parents, for derived maxima
            by_path[path] = self.node(crit, path, by_path)
        # with duplicate ids compiling fails anyway; keep the first occurrence of each id
        return {crit.id: by_path[path] for path, crit in walked if seen[crit.id] == path}

    def node(self, crit: Criterion, path: DocPath, done: dict[DocPath, Node]) -> Node:
        rid = crit.id
        names = [n for n in _CONSTRUCT_KEYS if getattr(crit, n) is not None]
        score_children = tuple(c.id for c in crit.children if c.kind == "score")
        adjust_children = tuple(c.id for c in crit.children if c.kind != "score")
        if len(names) > 1:
            self.add(
                "construct-conflict",
                f"criterion {rid!r} has several scoring constructs: {', '.join(names)}; keep one",
                (*path, names[1]),
                rule_id=rid,
                key=True,
            )
        if names and score_children and crit.combine == "sum":
            self.add(
                "construct-conflict",
                f"criterion {rid!r} has both a scoring construct ({names[0]}) and score children; "
                "make the children bonuses/deductions or drop the construct",
                (*path, names[0]),
                rule_id=rid,
                key=True,
            )
        reads: dict[str, None] = {}
        refs: dict[str, None] = {}

        def expr(text: str | None, sub: DocPath, expect: ExprType) -> CheckedExpression | None:
            if text is None:
                return None
            checked = self.expr(text, (*path, *sub), expect, rid)
            if checked is not None:
                reads.update(dict.fromkeys(checked.names))
                refs.update(dict.fromkeys(checked.refs))
            return checked

        construct, rule = self.construct(crit, path, expr)
        when = expr(crit.when, ("when",), "bool")
        waive = expr(crit.waive_if, ("waive_if",), "bool")
        forfeit = expr(crit.forfeit_if, ("forfeit_if",), "bool")
        applicable = expr(crit.applicable_if, ("applicable_if",), "bool")
        child_nodes = [done[(*path, "children", i)] for i in range(len(crit.children))]
        max_value, declared = self._max(crit, child_nodes)
        self._checks(crit, path, child_nodes, max_value)
        caps = crit.caps
        return Node(
            id=rid,
            title=crit.title,
            kind=crit.kind,
            max=max_value,
            declared_max=declared,
            path=path,
            line=self._line(path),
            construct_name=names[0] if names else None,
            construct=construct,
            when=when,
            waive_if=waive,
            forfeit_if=forfeit,
            forfeit_value=crit.forfeit_value,
            applicable_if=applicable,
            requires_benchmark=crit.requires_benchmark,
            cap_deductions=caps.deductions if caps else None,
            cap_bonuses=caps.bonuses if caps else None,
            cap_adjustments=caps.adjustments if caps else None,
            cap_at_max=crit.cap_at_max,
            floor=crit.floor,
            combine=crit.combine,
            rounding=(crit.rounding.places, crit.rounding.mode) if crit.rounding else None,
            score_children=score_children,
            adjust_children=adjust_children,
            reads=tuple(reads),
            refs=tuple(refs),
            rule=rule,
            reviewed_by=crit.reviewed_by,
            cluster=isinstance(construct, TargetC | RankPointsC),
            optional_reads=tuple(n for n in reads if n in self.optional_inputs),
            has_limits=crit.cap_at_max or crit.floor is not None or crit.rounding is not None,
            layer=self._layer_at(path),
        )

    def _line(self, path: DocPath) -> int | None:
        found = self.positions.find(path) if self.positions else None
        return found[0] if found else None

    def construct(self, crit: Criterion, path: DocPath, expr: Any) -> tuple[Construct | None, str]:
        rid = crit.id
        if crit.met is not None:
            if crit.max is None:
                self.add(
                    "missing-field", f"'met' needs the criterion's 'max' ({rid})", path, rule_id=rid
                )
            cond = expr(crit.met, ("met",), "bool")
            return (Met(cond) if cond else None), f"{crit.max} nếu đạt ({crit.met}), nếu không 0"
        if crit.points is not None:
            self._sign(crit, path + ("points",), [crit.points])
            return Points(crit.points), f"{crit.points} điểm"
        if crit.per_event is not None:
            pe = crit.per_event
            self._sign(crit, path + ("per_event", "points"), [pe.points])
            count = expr(pe.count, ("per_event", "count"), "number")
            cap = f", tối đa {pe.cap}" if pe.cap is not None else ""
            rule = f"{pe.points} × ({pe.count}){cap}"
            return (PerEventC(count, pe.points, pe.cap) if count else None), rule
        if crit.proportional is not None:
            pr = crit.proportional
            if crit.max is None:
                self.add(
                    "missing-field",
                    f"'proportional' needs the criterion's 'max' ({rid})",
                    path,
                    rule_id=rid,
                )
            achieved = expr(pr.achieved, ("proportional", "achieved"), "number")
            target = expr(pr.target, ("proportional", "target"), "number")
            rule = f"min(cap, {crit.max} × {pr.factor} × ({pr.achieved}) / ({pr.target}))"
            if achieved and target:
                return ProportionalC(achieved, target, pr.factor, pr.cap), rule
            return None, rule
        if crit.bands is not None:
            bd = crit.bands
            bands = tuple(BandSpec.from_model(b, b.points) for b in bd.bands)
            for index, band in enumerate(bd.bands):
                if band.points is None:
                    self.add(
                        "missing-field",
                        "each band needs 'points'",
                        path + ("bands", "bands", index),
                        rule_id=rid,
                    )
            self._band_checks(
                bands, path + ("bands", "bands"), rid, has_otherwise=bd.otherwise is not None
            )
            self._sign(
                crit,
                path + ("bands",),
                [b.points for b in bands if b.points is not None] + _opt(bd.otherwise),
            )
            of = expr(bd.of, ("bands", "of"), "number")
            rule = f"theo khoảng của ({bd.of}): " + "; ".join(
                f"{b.describe()} → {b.points}" for b in bands
            )
            return (BandsC(of, bands, bd.otherwise) if of else None), rule
        if crit.table is not None:
            tb = crit.table
            rows = tuple(BandSpec.from_model(b) for b in tb.rows.bands)
            cols = tuple(BandSpec.from_model(b) for b in tb.columns.bands)
            self._band_checks(
                rows, path + ("table", "rows", "bands"), rid, has_otherwise=tb.otherwise is not None
            )
            self._band_checks(
                cols,
                path + ("table", "columns", "bands"),
                rid,
                has_otherwise=tb.otherwise is not None,
            )
            if len(tb.values) != len(rows) or any(len(r) != len(cols) for r in tb.values):
                self.add(
                    "table-shape",
                    f"the table has {len(rows)} row bands and {len(cols)} column bands, "
                    "so 'values' "
                    f"needs {len(rows)} rows of {len(cols)} numbers",
                    path + ("table", "values"),
                    rule_id=rid,
                )
            self._sign(
                crit,
                path + ("table", "values"),
                [v for r in tb.values for v in r] + _opt(tb.otherwise),
            )
            rows_of = expr(tb.rows.of, ("table", "rows", "of"), "number")
            cols_of = expr(tb.columns.of, ("table", "columns", "of"), "number")
            rule = f"bảng hai chiều: ({tb.rows.of}) × ({tb.columns.of})"
            if rows_of and cols_of:
                return TableC(rows_of, rows, cols_of, cols, tb.values, tb.otherwise), rule
            return None, rule
        if crit.increment is not None:
            inc = crit.increment
            self._sign(crit, path + ("increment", "points"), [inc.points])
            of = expr(inc.of, ("increment", "of"), "number")
            start, inclusive = (inc.from_, True) if inc.from_ is not None else (inc.above, False)
            assert start is not None
            cap = f", tối đa {inc.cap}" if inc.cap is not None else ""
            word = "từ" if inclusive else "trên"
            rule = f"{word} {start}: {inc.points}, cứ thêm {inc.every} cộng {inc.points}{cap}"
            return (
                IncrementC(of, start, inclusive, inc.every, inc.points, inc.cap) if of else None
            ), rule
        if crit.deadline is not None:
            dl = crit.deadline
            early = dl.early
            self._sign(
                crit,
                path + ("deadline",),
                [dl.on_time, dl.late] + ([early.points] if early else []),
            )
            when = expr(dl.date, ("deadline", "date"), "date")
            due: CheckedExpression | date | None
            try:
                due = date.fromisoformat(dl.due) if _looks_like_date(dl.due) else None
            except ValueError:
                self.add(
                    "date-format",
                    f"{dl.due!r} is not a real date",
                    path + ("deadline", "due"),
                    rule_id=rid,
                )
                due = None
            if due is None and not _looks_like_date(dl.due):
                due = expr(dl.due, ("deadline", "due"), "date")
            rule = f"hạn {dl.due}: đúng hạn {dl.on_time}, trễ hạn {dl.late}"
            if early:
                rule += f", sớm {early.days} ngày {early.points}"
            if when and due is not None:
                return DeadlineC(
                    when,
                    due,
                    dl.on_time,
                    dl.late,
                    early.days if early else None,
                    early.points if early else None,
                ), rule
            return None, rule
        if crit.lookup is not None:
            lk = crit.lookup
            self._sign(
                crit, path + ("lookup", "points"), list(lk.points.values()) + _opt(lk.otherwise)
            )
            of = expr(lk.of, ("lookup", "of"), "text")
            if of is not None and of.source in self.ruleset.inputs:
                spec = self.ruleset.inputs[of.source]
                allowed = set(spec.values or ())
                for key in lk.points:
                    if allowed and key not in allowed:
                        close = difflib.get_close_matches(key, sorted(allowed), n=1)
                        self.add(
                            "input-type",
                            f"{key!r} is not a value of input {of.source!r}",
                            path + ("lookup", "points", key),
                            rule_id=rid,
                            hint=f"did you mean {close[0]!r}?" if close else None,
                            key=True,
                        )
                uncovered = sorted(allowed - set(lk.points))
                if uncovered and lk.otherwise is None:
                    self.add(
                        "input-type",
                        f"no points for {', '.join(map(repr, uncovered))}; add them or 'otherwise'",
                        path + ("lookup",),
                        rule_id=rid,
                    )
            rule = f"theo giá trị của ({lk.of}): " + "; ".join(
                f"{k} → {v}" for k, v in lk.points.items()
            )
            return (
                LookupC(of, MappingProxyType(dict(lk.points)), lk.otherwise) if of else None
            ), rule
        if crit.formula is not None:
            formula = expr(crit.formula, ("formula",), "number")
            return (FormulaC(formula) if formula else None), crit.formula
        if crit.target is not None:
            return self._target(crit, path, expr)
        if crit.rank_points is not None:
            return self._rank_points(crit, path, expr)
        if crit.children and crit.combine != "sum":
            word = "cao nhất" if crit.combine == "highest" else "đầu tiên có điểm"
            return None, f"một trong các trường hợp ({word})"
        if any(c.kind == "score" for c in crit.children):
            return None, "tổng các tiêu chí con"
        if crit.max is not None:
            return None, f"điểm chuẩn {crit.max} (đạt mặc định)"
        return None, ""

    def _target(self, crit: Criterion, path: DocPath, expr: Any) -> tuple[Construct | None, str]:
        tg = crit.target
        assert tg is not None
        if crit.max is None:
            self.add("missing-field", f"'target' needs the criterion's 'max' ({crit.id})", path)
        achieved = expr(tg.achieved, ("target", "achieved"), "number")
        target = expr(tg.target, ("target", "target"), "number")
        self._no_refs(crit, path, [achieved, target])
        rule = (
            f"Điều 6: thang điểm {crit.max}, chỉ tiêu ({tg.target}), kết quả ({tg.achieved}): "
            "chưa đạt ½·S·A/T; đạt ½·S; vượt và dẫn đầu S; vượt không dẫn đầu "
            "½·S + (tỷ lệ vượt / tỷ lệ vượt dẫn đầu)·½·S"
        )
        if tg.no_target == "leader":
            rule += "; không giao chỉ tiêu: S·A / A dẫn đầu"
        if achieved and target:
            return TargetC(achieved, target, tg.no_target), rule
        return None, rule

    def _rank_points(
        self, crit: Criterion, path: DocPath, expr: Any
    ) -> tuple[Construct | None, str]:
        rp = crit.rank_points
        assert rp is not None
        of = expr(rp.of, ("rank_points", "of"), "number") if rp.of is not None else None
        self._no_refs(crit, path, [of])
        averaged = rp.average_of or ()
        for index, name in enumerate(averaged):
            spec = self.ruleset.inputs.get(name)
            where = (*path, "rank_points", "average_of", index)
            if spec is None:
                close = difflib.get_close_matches(name, list(self.ruleset.inputs), n=1)
                self.add(
                    "unknown-input",
                    f"{name!r} is not a declared input",
                    where,
                    rule_id=crit.id,
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
            elif spec.type not in ("count", "decimal", "percent"):
                self.add("input-type", f"input {name!r} is not a number", where, rule_id=crit.id)
            self.used_inputs.add(name)
        self._sign(crit, path + ("rank_points", "points"), [*rp.points, rp.otherwise])
        source = rp.of if rp.of is not None else f"trung bình ({', '.join(averaged)})"
        listed = ", ".join(f"hạng {i + 1}: {p}" for i, p in enumerate(rp.points))
        rule = f"xếp hạng trong cụm theo {source}: {listed}; hạng khác: {rp.otherwise}"
        if rp.of is not None and of is None:
            return None, rule
        return RankPointsC(of, tuple(averaged), rp.points, rp.otherwise, rp.order), rule

    def _no_refs(
        self, crit: Criterion, path: DocPath, checked: list[CheckedExpression | None]
    ) -> None:
        if any(c is not None and c.refs for c in checked):
            self.add(
                "invalid-value",
                f"cluster-phase criterion {crit.id!r} may read inputs and constants only, "
                "not other criteria through score()",
                path,
                rule_id=crit.id,
            )

    def _max(self, crit: Criterion, children: list[Node]) -> tuple[Decimal | None, bool]:
        if crit.max is not None:
            return crit.max, True
        scores = [c for c in children if c.kind == "score"]
        if scores and all(c.max is not None for c in scores):
            values = [c.max for c in scores if c.max is not None]
            return (sum(values, Decimal(0)) if crit.combine == "sum" else max(values)), False
        return None, False

    def _checks(
        self, crit: Criterion, path: DocPath, children: list[Node], max_value: Decimal | None
    ) -> None:
        rid = crit.id
        mode = crit.children_sum or self.ruleset.children_sum
        scores = [c for c in children if c.kind == "score"]
        if crit.max is not None and scores and crit.combine == "sum" and mode != "off":
            maxima = [c.max for c in scores]
            if all(m is not None for m in maxima):
                total = sum((m for m in maxima if m is not None), Decimal(0))
                if total != crit.max:
                    self.add(
                        "sum-mismatch",
                        f"the children of {rid!r} add up to {total}, not its maximum {crit.max}",
                        (*path, "max"),
                        rule_id=rid,
                        severity=mode,
                        hint="fix a maximum, or set 'children_sum: warn' or 'off' "
                        "if the guide intends it",
                    )
        for child in crit.children:
            if child.requires_benchmark:
                child_path = (*path, "children", crit.children.index(child), "requires_benchmark")
                if child.kind == "score":
                    self.add(
                        "invalid-value",
                        "'requires_benchmark' is for bonus children",
                        child_path,
                        rule_id=child.id,
                    )
                if max_value is None:
                    self.add(
                        "invalid-value",
                        f"'requires_benchmark' needs a maximum (benchmark) on the parent {rid!r}",
                        child_path,
                        rule_id=child.id,
                    )

    def _sign(self, crit: Criterion, path: DocPath, values: list[Decimal]) -> None:
        if crit.kind == "bonus" and any(v < 0 for v in values):
            self.add(
                "sign",
                f"bonus {crit.id!r} has negative points; use kind: deduction or adjustment",
                path,
                rule_id=crit.id,
            )
        if crit.kind == "deduction" and any(v > 0 for v in values):
            self.add(
                "sign",
                f"deduction {crit.id!r} has positive points; "
                "write deductions as negative numbers (-0.5)",
                path,
                rule_id=crit.id,
            )

    def _band_checks(
        self, bands: tuple[BandSpec, ...], path: DocPath, rid: str | None, *, has_otherwise: bool
    ) -> None:
        for i, a in enumerate(bands):
            for j in range(i + 1, len(bands)):
                if _overlap(a, bands[j]):
                    self.add(
                        "band-overlap",
                        f"bands {a.describe()} and {bands[j].describe()} overlap",
                        (*path, j),
                        rule_id=rid,
                    )
        ordered = sorted(bands, key=lambda b: (b.low is not None, b.low or 0, not b.low_inclusive))
        for a, b in itertools.pairwise(ordered):
            if a.high is None or b.low is None:
                continue
            if a.high < b.low or (a.high == b.low and not a.high_inclusive and not b.low_inclusive):
                gap = (
                    f"the value {a.high} falls"
                    if a.high == b.low
                    else f"values between {a.high} and {b.low} fall"
                )
                fallback = "'otherwise'" if has_otherwise else "no points: an error for the unit"
                self.add(
                    "band-gap",
                    f"{gap} in no band ({a.describe()} then {b.describe()}) and get {fallback}",
                    path,
                    rule_id=rid,
                    severity="warning",
                )

    # -- guide level --------------------------------------------------------------------------

    def top_level(self, nodes: dict[str, Node]) -> None:
        rs = self.ruleset
        roots = [nodes[c.id] for c in rs.criteria if c.id in nodes and c.kind == "score"]
        if rs.children_sum != "off" and roots and all(r.max is not None for r in roots):
            total = sum((r.max for r in roots if r.max is not None), Decimal(0))
            if total != rs.scale:
                self.add(
                    "scale-mismatch",
                    f"the top-level criteria add up to {total}, not the scale {rs.scale}",
                    ("scale",),
                    severity=rs.children_sum,
                )
        for index, key in enumerate(rs.ranking.by):
            if key.key == "score":
                if key.id is None:
                    self.add(
                        "missing-field",
                        "a 'score' ranking key needs the criterion id",
                        ("ranking", "by", index),
                    )
                elif key.id not in nodes:
                    close = difflib.get_close_matches(key.id, list(nodes), n=1)
                    self.add(
                        "unknown-criterion",
                        f"ranking key names {key.id!r}, which is not a criterion",
                        ("ranking", "by", index),
                        hint=f"did you mean {close[0]!r}?" if close else None,
                    )

    def checks(self) -> tuple[GateC, ...]:
        out = []
        seen: set[str] = set()
        for index, check in enumerate(self.ruleset.checks):
            if check.id in seen:
                self.add(
                    "duplicate-id", f"check id {check.id!r} is used twice", ("checks", index, "id")
                )
            seen.add(check.id)
            checked = self.expr(check.require, ("checks", index, "require"), "bool", check.id)
            if checked is not None:
                if checked.refs:
                    self.add(
                        "invalid-value",
                        "a check reads inputs only, not criteria through score()",
                        ("checks", index, "require"),
                    )
                out.append(GateC(check.id, checked, check.message))
        return tuple(out)

    def gates(self, key: str = "not_classified") -> tuple[GateC, ...]:
        out = []
        gates: tuple[Gate, ...] = (
            self.ruleset.not_classified if key == "not_classified" else self.ruleset.eligibility
        )
        seen: set[str] = set()
        for index, gate in enumerate(gates):
            if gate.id in seen:
                self.add("duplicate-id", f"gate id {gate.id!r} is used twice", (key, index, "id"))
            seen.add(gate.id)
            checked = self.expr(gate.when, (key, index, "when"), "bool", gate.id)
            if checked is not None:
                out.append(GateC(gate.id, checked, gate.reason))
        return tuple(out)

    def awards(self) -> None:
        rs = self.ruleset
        ids = [a.id for a in rs.awards]
        labels = {b.label for b in rs.classification.bands} if rs.classification else set()
        if rs.classification and rs.classification.otherwise:
            labels.add(rs.classification.otherwise)
        for index, award in enumerate(rs.awards):
            path: DocPath = ("awards", index)
            if ids.count(award.id) > 1 and ids.index(award.id) != index:
                self.add("duplicate-id", f"award id {award.id!r} is used twice", (*path, "id"))
            for j, other in enumerate(award.allow_with):
                if other not in ids:
                    close = difflib.get_close_matches(other, ids, n=1)
                    self.add(
                        "unknown-criterion",
                        f"'allow_with' names {other!r}, which is not an award",
                        (*path, "allow_with", j),
                        hint=f"did you mean {close[0]!r}?" if close else None,
                    )
            for j, label in enumerate(award.requires.classification or ()):
                if label not in labels:
                    self.add(
                        "invalid-value",
                        f"{label!r} is not a classification label of the guide",
                        (*path, "requires", "classification", j),
                        hint=suggest(label, labels),
                    )

    def classification(self) -> tuple[str, tuple[BandSpec, ...], str | None] | None:
        spec = self.ruleset.classification
        if spec is None:
            return None
        bands = tuple(BandSpec.from_model(b) for b in spec.bands)
        labelled = tuple(
            BandSpec(b.low, b.low_inclusive, b.high, b.high_inclusive, None, s.label)
            for b, s in zip(bands, spec.bands, strict=True)
        )
        self._band_checks(
            labelled, ("classification", "bands"), None, has_otherwise=spec.otherwise is not None
        )
        return spec.on, labelled, spec.otherwise

    def order(self, nodes: dict[str, Node], roots: list[str]) -> tuple[str, ...]:
        """Depth-first post-order over children and references; report cycles."""
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        order: list[str] = []
        for root in roots:
            if root in state:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            trail: list[str] = []
            while stack:
                ident, index = stack.pop()
                node = nodes[ident]
                deps = node.children + node.refs
                if index == 0:
                    if state.get(ident) == 2:
                        continue
                    state[ident] = 1
                    trail.append(ident)
                if index < len(deps):
                    stack.append((ident, index + 1))
                    dep = deps[index]
                    if dep not in nodes:
                        continue
                    if state.get(dep) == 1:
                        cycle = [*trail[trail.index(dep) :], dep]
                        self.add(
                            "cycle",
                            "criteria depend on each other in a cycle: " + " → ".join(cycle),
                            node.path,
                            rule_id=ident,
                            hint="a criterion cannot read its own value, "
                            "or an ancestor's, through score()",
                        )
                        continue
                    if state.get(dep) != 2:
                        stack.append((dep, 0))
                else:
                    state[ident] = 2
                    trail.pop()
                    order.append(ident)
        return tuple(order)

    def unused(self, inputs: dict[str, InputField]) -> None:
        if any(i.code.startswith("expr-") for i in self.issues.errors):
            return  # a broken expression probably meant to read them: no follow-on warnings
        for name in inputs:
            if name not in self.used_inputs:
                self.add(
                    "unused-input",
                    f"input {name!r} is declared but no criterion reads it",
                    ("inputs", name),
                    severity="warning",
                    key=True,
                )


_CONSTRUCT_KEYS = CONSTRUCTS


def scalar_position(
    text: str, line: int, column: int, offset: int, length: int | None = None
) -> tuple[int, int] | None:
    r"""Map an offset inside a YAML scalar's value to its line and column in the file.

    ``line`` and ``column`` (1-based) are where the scalar starts. Plain and quoted scalars
    may span lines (each line break folds into one space); quoted scalars may hold escapes
    (``\"``, ``''``); block scalars (``|``, ``>``) start on the next line.

    Example:
        >>> scalar_position('met: a and\n  bb == 0\n', 1, 6, 6)
        (2, 3)
    """
    if length is not None and length > 0 and offset >= length:  # just after the last character
        last = scalar_position(text, line, column, length - 1)
        return (last[0], last[1] + 1) if last else None
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    row_index, pos = line - 1, column - 1
    row = lines[row_index]
    quote = row[pos : pos + 1]
    if quote in ("|", ">"):
        if row_index + 1 >= len(lines):
            return None
        row_index += 1
        row = lines[row_index]
        pos = len(row) - len(row.lstrip())
        quote = ""
    elif quote in ("'", '"'):
        pos += 1
    else:
        quote = ""
    count = 0
    while True:
        row = lines[row_index]
        end = len(row.rstrip()) if not quote else len(row)
        while pos < end:
            if count == offset:
                return row_index + 1, pos + 1
            char = row[pos]
            escaped = (quote == '"' and char == "\\") or (
                quote == "'" and row[pos : pos + 2] == "''"
            )
            if escaped:
                pos += 2
            elif quote and char == quote:
                return None
            else:
                pos += 1
            count += 1
        row_index += 1  # the line break folds into one space of the value
        if row_index >= len(lines):
            return None
        count += 1
        nxt = lines[row_index]
        pos = len(nxt) - len(nxt.lstrip())
        if count > offset:
            return row_index + 1, pos + 1


def _opt(value: Decimal | None) -> list[Decimal]:
    return [] if value is None else [value]


def _looks_like_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()


def _overlap(a: BandSpec, b: BandSpec) -> bool:
    # lower bound of the intersection
    if a.low is None:
        low, low_inc = b.low, b.low_inclusive
    elif b.low is None or a.low > b.low:
        low, low_inc = a.low, a.low_inclusive
    elif b.low > a.low:
        low, low_inc = b.low, b.low_inclusive
    else:
        low, low_inc = a.low, a.low_inclusive and b.low_inclusive
    if a.high is None:
        high, high_inc = b.high, b.high_inclusive
    elif b.high is None or a.high < b.high:
        high, high_inc = a.high, a.high_inclusive
    elif b.high < a.high:
        high, high_inc = b.high, b.high_inclusive
    else:
        high, high_inc = a.high, a.high_inclusive and b.high_inclusive
    if low is None or high is None:
        return True
    return low < high or (low == high and low_inc and high_inc)


def _replace(fld: InputField, **changes: Any) -> InputField:
    return dataclasses.replace(fld, **changes)
