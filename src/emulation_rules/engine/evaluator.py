"""Score one unit against a compiled guide, with a trace of every step.

:func:`evaluate` walks the criteria in the compiled order (children and referenced criteria
first). Every criterion's value is built from recorded parts and adjustment lines (caps,
forfeits, limits, rounding), and the engine checks that the value equals their sum. Numbers are
exact decimals under the engine's own decimal context, whatever the caller's context is.
"""

# The score_* construct methods share one signature for the dispatch table; not every one
# uses every argument.
# ruff: noqa: ARG002

from __future__ import annotations

import decimal
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast

from emulation_rules._support.i18n import N_
from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules.compiler.fields import NOT_APPLICABLE, TypedValues, as_plain
from emulation_rules.compiler.nodes import (
    BandsC,
    DeadlineC,
    FormulaC,
    IncrementC,
    LookupC,
    Met,
    PerEventC,
    PerItemC,
    Points,
    ProportionalC,
    TableC,
    find_band,
    register_program_builder,
)
from emulation_rules.compiler.sandbox import (
    ROUNDING_MODES,
    SCORE_KEY,
    CheckedExpression,
    ReferenceEvaluator,
    run_compiled,
)
from emulation_rules.engine import words
from emulation_rules.engine.codegen import build_program
from emulation_rules.engine.fallbacks import Fallbacks, counting_fallbacks, fell_back
from emulation_rules.engine.items import CriterionValues, criterion_index
from emulation_rules.engine.words import STAGE_WORDS
from emulation_rules.errors import EvaluationError, Issue

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from emulation_rules.compiler.nodes import CompiledRuleset, GateC, Node
    from emulation_rules.engine.cluster import CohortEntry
    from emulation_rules.engine.codegen import Program
    from emulation_rules.inputs.reviews import AppliedOverride, Departure

__all__ = [
    "ENGINE_CONTEXT",
    "SCORERS",
    "STAGE_WORDS",
    "Fallbacks",
    "TraceNode",
    "UnitScore",
    "UnitStatus",
    "counting_fallbacks",
    "evaluate_values",
    "failed_unit",
]

UnitStatus = Literal["scored", "not_classified", "error", "rejected"]
ZERO = Decimal(0)
#: ``100`` as the decimal a product with an ``int`` 100 converts it to (exactly).
_HUNDRED = Decimal(100)
#: No bonus and no deduction held (see :meth:`_Unit.content`).
_NO_CONTENT = (ZERO, ZERO)
#: The empty read-only mapping every unit without self-scores or corrections shares.
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class TraceNode(NamedTuple):
    """How one criterion got its value, for one unit.

    A named tuple: built for every criterion of every unit, it must be cheap to create.
    """

    #: Criterion id (``TOTAL`` for the unit total).
    id: str
    title: str
    kind: str
    #: Plain description of the rule applied.
    rule: str
    #: Inputs read, with the values used.
    inputs: tuple[tuple[str, Any], ...]
    #: What was summed: ``(label, amount)``; labels are child ids or the construct's name.
    parts: tuple[tuple[str, Decimal], ...]
    #: Lines added after the parts: ``(code, amount, note)``, e.g. a cap or rounding.
    adjustments: tuple[tuple[str, Decimal, str], ...]
    value: Decimal
    #: The criterion's maximum for this unit (0 when it does not apply).
    max: Decimal | None
    applicable: bool
    #: ``scored``, ``not_applicable``, ``condition_not_met``, ``waived``, ``forfeited``.
    status: str
    note: str | None
    children: tuple[TraceNode, ...]
    #: Line of the criterion in the guide file.
    line: int | None = None
    #: Cluster-phase facts: the unit's measure, the leader it was compared with, its rank.
    cohort: tuple[tuple[str, Any], ...] = ()
    #: The guide (layer) the criterion's rule came from, when the guide extends a base guide.
    layer: str | None = None

    def find(self, ident: str) -> TraceNode | None:
        """Return the trace node of criterion ``ident`` in this subtree."""
        stack = [self]
        while stack:
            node = stack.pop()
            if node.id == ident:
                return node
            stack.extend(node.children)
        return None


@dataclass(frozen=True, slots=True)
class UnitScore:
    """The score of one unit."""

    unit_id: str
    name: str
    status: UnitStatus
    total: Decimal | None
    #: The unit's applicable maximum (the scale less criteria that do not apply).
    max: Decimal | None
    percent: Decimal | None
    #: Value of every criterion, by id (0 for criteria that do not apply), in the guide's
    #: compiled order: a read-only mapping (a
    #: :class:`~emulation_rules.engine.items.CriterionValues` for a scored unit).
    items: Mapping[str, Decimal]
    #: Ids of criteria that do not apply to this unit.
    not_applicable: tuple[str, ...]
    #: Total deductions applied (a positive magnitude), for "fewer deductions" tie-breaks.
    deductions: Decimal
    #: Why the unit is not classified (gate reasons), if it is not.
    reasons: tuple[str, ...]
    classification: str | None
    #: The trace, or its flat records until it is read (see :attr:`trace`).
    _trace: TraceNode | _LazyTrace | None = field(repr=False)
    issues: tuple[Issue, ...]
    self_scores: Mapping[str, Decimal] = field(default_factory=lambda: _NOTHING)
    rank: int | None = None
    #: The ranking keys of this unit, as used, e.g. ``(("total", "97.5"), ("score:TC1", "80"))``.
    rank_keys: tuple[tuple[str, str], ...] = ()
    #: The key that placed this unit (and the units tied with it) below the units before it;
    #: None for the first.
    rank_decided_by: str | None = None
    #: Whether the unit may receive awards, and why not.
    eligible: bool = True
    eligibility_reasons: tuple[str, ...] = ()
    #: Ids of the awards proposed for this unit.
    awards: tuple[str, ...] = ()
    #: With reviews: each item's value by the written rule (with corrected inputs), before
    #: any override; ``items`` then holds the agreed values.
    computed_items: Mapping[str, Decimal] | None = None
    computed_total: Decimal | None = None
    #: Items whose agreed value departs from the written rule, with who, when and why.
    departures: tuple[Departure, ...] = ()
    #: The reviews applied, in order: ``(stage, reviewer, at)``.
    reviews: tuple[tuple[str, str, str], ...] = ()
    #: Inputs corrected by a review: ``input → (reviewer, stage, at)``.
    corrected: Mapping[str, tuple[str, str, str]] = field(default_factory=lambda: _NOTHING)

    @property
    def trace(self) -> TraceNode | None:
        """How every criterion got its value (None when scored without the trace)."""
        trace = self._trace
        if isinstance(trace, _LazyTrace):
            trace = trace.build()
            object.__setattr__(self, "_trace", trace)  # built once, then kept
        return trace

    def to_dict(self, *, trace: bool = False) -> dict[str, Any]:
        """The unit as JSON-ready data: exactly its entry in ``ClusterResult.to_dict()``.

        Decimals and dates become text (``"100"``, never ``Decimal('100.0')``); ``trace=True``
        adds the trace, when the unit was scored with one.
        """
        from emulation_rules.engine.serialize import unit_dict  # noqa: PLC0415 - see its doc

        return unit_dict(self, trace=trace)

    def to_json(self, *, trace: bool = False, indent: int | None = 2) -> str:
        """:meth:`to_dict` as canonical JSON text (sorted keys, UTF-8 characters kept)."""
        from emulation_rules._support.canonical import canonical_json_text  # noqa: PLC0415

        separators = (",", ": ") if indent else (",", ":")
        return canonical_json_text(self.to_dict(trace=trace), indent, separators)


class _State(NamedTuple):
    value: Decimal
    applicable: bool
    amax: Decimal
    #: Capped deductions applied at this node (negative or zero).
    deductions: Decimal
    #: The points above its cap that become a bonus (``proportional: {excess: bonus}``).
    excess: Decimal = ZERO
    #: With shared caps: the bonuses and the deductions (a magnitude) its value holds, after
    #: the caps at and below it (see :meth:`_Unit.content`).
    bonus: Decimal = ZERO
    malus: Decimal = ZERO


class _Context:
    """The names and cohort facts of one unit, and the constructs computed from them.

    The generated functions of :mod:`emulation_rules.engine.codegen` call the rarer constructs
    through this class, so both evaluators share one implementation of them.
    """

    def __init__(self, names: dict[str, Any], cohort: Mapping[str, CohortEntry]) -> None:
        self.names = names
        self.cohort = cohort

    def run(self, expression: CheckedExpression) -> Any:
        return run_compiled(expression, self.names)

    def number(self, expression: CheckedExpression) -> Decimal:
        value = (
            self.names[expression.bare_name]
            if expression.bare_name is not None
            else run_compiled(expression, self.names)
        )
        return _as_number(expression, value)

    def condition(self, expression: CheckedExpression) -> bool:
        if expression.bare_name is not None:
            return bool(self.names[expression.bare_name])
        return bool(run_compiled(expression, self.names))

    def fail(self, message: str) -> EvaluationError:
        return EvaluationError(message, (Issue("eval-error", message),))

    # -- constructs ---------------------------------------------------------------------------

    def construct(self, node: Node, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        assert node.construct_name is not None
        return SCORERS[node.construct_name](self, node, node.construct, lines)

    def score_cohort(self, node: Node, c: Any, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        return self.cohort[node.id].value

    def score_met(self, node: Node, c: Met, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        return node.max if node.max is not None and self.condition(c.condition) else ZERO

    def score_points(self, node: Node, c: Points, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        return c.points

    def score_per_event(
        self, node: Node, c: PerEventC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        raw: Decimal = self.number(c.count) * c.points
        if not raw:
            return ZERO  # no event: never a negative zero
        if c.cap is not None and abs(raw) > c.cap:
            bounded = c.cap if raw > 0 else -c.cap
            lines.append(("cap_line", bounded - raw, words.cap_line(c.cap)))
        return raw

    def score_proportional(
        self, node: Node, c: ProportionalC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        achieved, target = self.number(c.achieved), self.number(c.target)
        assert node.max is not None
        if c.lower:  # a "giảm" indicator: the plan over the result
            if achieved == 0:
                return self.when_zero(node, c, lines)
            raw = node.max * c.factor * target / achieved
        else:
            if target == 0:
                return self.when_zero(node, c, lines)
            raw = node.max * c.factor * achieved / target
        cap = c.cap if c.cap is not None else node.max * c.factor
        if raw > cap:
            lines.append(("cap_line", cap - raw, words.cap_line(cap)))
            if c.excess_bonus:
                lines.append(("excess_bonus", raw - cap, words.EXCESS_BONUS))
        return raw

    def when_zero(
        self, node: Node, c: ProportionalC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        """A proportional item whose divisor is 0: its ``when_zero`` rule, on a line of 0."""
        if c.when_zero is None or c.when_zero == "error":
            if c.lower:
                issue = Issue("eval-div-zero", f"the result {c.achieved.source!r} is 0")
            else:
                issue = Issue("eval-div-zero", f"the target {c.target.source!r} is 0")
            raise EvaluationError("zero target", (issue,))
        lines.append(("when_zero", ZERO, words.when_zero(c.when_zero, lower=c.lower)))
        if c.when_zero == "zero":
            return ZERO
        assert node.max is not None
        return c.cap if c.cap is not None else node.max * c.factor

    def score_bands(self, node: Node, c: BandsC, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        x = self.number(c.of)
        index = find_band(c.bands, x)
        if index >= 0:
            points = c.bands[index].points
            assert points is not None
            return points
        if c.otherwise is not None:
            return c.otherwise
        raise self.fail(
            N_("{id}: the value {value} falls in no band and there is no 'otherwise'").format(
                id=node.id, value=x
            )
        )

    def score_table(self, node: Node, c: TableC, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        row = find_band(c.rows, self.number(c.rows_of))
        col = find_band(c.columns, self.number(c.columns_of))
        if row >= 0 and col >= 0:
            return c.values[row][col]
        if c.otherwise is not None:
            return c.otherwise
        raise self.fail(f"{node.id}: the values fall outside the table and there is no 'otherwise'")

    def score_per_item(
        self, node: Node, c: PerItemC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        """Format v2: the points of each item's band, summed; the cap as a line."""
        raw = ZERO
        for index, item in enumerate(self.names[c.of]):
            x = item[c.value]
            found = find_band(c.bands, x)
            if found >= 0:
                points = c.bands[found].points
                assert points is not None
            elif c.otherwise is not None:
                points = c.otherwise
            else:
                raise self.fail(
                    f"{node.id}: item {index + 1} of {c.of} ({c.value} = {x}) falls in no band "
                    "and there is no 'otherwise'"
                )
            raw += points
        if c.cap is not None and abs(raw) > c.cap:
            bounded = c.cap if raw > 0 else -c.cap
            lines.append(("cap_line", bounded - raw, words.cap_line(c.cap)))
        return raw

    def score_increment(
        self, node: Node, c: IncrementC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        x = self.number(c.of)
        passed = x >= c.start if c.inclusive else x > c.start
        if not passed:
            return ZERO
        steps = ((x - c.start) / c.every).to_integral_value(rounding=decimal.ROUND_FLOOR)
        if c.whole:  # only full steps count
            if not steps:
                return ZERO
        else:  # the first step counts as soon as the threshold is passed
            steps = steps + 1
        raw: Decimal = steps * c.points
        if c.cap is not None and abs(raw) > c.cap:
            bounded = c.cap if raw > 0 else -c.cap
            lines.append(("cap_line", bounded - raw, words.cap_line(c.cap)))
        return raw

    def score_deadline(
        self, node: Node, c: DeadlineC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        when = self.run(c.when)
        due = c.due if isinstance(c.due, date) else self.run(c.due)
        if not isinstance(when, date) or not isinstance(due, date):
            raise self.fail(f"{node.id}: the deadline needs two dates")
        if (
            c.early_days is not None
            and c.early_points is not None
            and when <= due - timedelta(days=c.early_days)
        ):
            return c.early_points
        return c.on_time if when <= due else c.late

    def score_lookup(
        self, node: Node, c: LookupC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        key = self.run(c.of)
        if key in c.points:
            return c.points[key]
        if c.otherwise is not None:
            return c.otherwise
        raise self.fail(f"{node.id}: no points for the value {key!r}")

    def score_formula(
        self, node: Node, c: FormulaC, lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        return self.number(c.expression)


class _Unit(_Context):
    """Evaluation of one unit by the interpreter: per-call state, never shared between threads.

    The reference for the generated functions (:mod:`emulation_rules.engine.codegen`), and the
    evaluator of units with reviewers' overrides and of units the fast path gives back.
    """

    def __init__(
        self,
        compiled: CompiledRuleset,
        values: Mapping[str, Any],
        *,
        trace: bool,
        cohort: Mapping[str, CohortEntry] | None = None,
        overrides: Mapping[str, AppliedOverride] | None = None,
    ) -> None:
        names: dict[str, Any] = dict(compiled.constants)
        names.update(as_plain(values))
        super().__init__(names, cohort or {})
        self.compiled = compiled
        self.overrides = overrides or {}
        self.values = values
        self.names[SCORE_KEY] = self.score_of
        self.states: dict[str, _State] = {}
        self.traces: dict[str, TraceNode] = {}
        self.trace = trace
        self.current: Node | None = None
        #: Whether the bonuses and deductions each value holds are counted (shared caps).
        self.tracks = bool(compiled.shared_caps)

    def score_of(self, ident: str) -> Decimal:
        state = self.states.get(ident)
        return state.value if state is not None and state.applicable else ZERO

    def close(self) -> None:
        """Drop the references back to this unit (none is left for the cyclic collector)."""
        self.names.pop(SCORE_KEY, None)

    # -- one criterion ------------------------------------------------------------------------

    def node(self, node: Node) -> None:
        self.current = node
        names = self.names
        reads = tuple([(name, names[name]) for name in node.reads]) if node.reads else ()
        facts: tuple[tuple[str, Any], ...] = ()
        if node.cluster:
            entry = self.cohort.get(node.id)
            facts = entry.facts if entry else ()
            if entry is None or not entry.applicable:
                note = entry.note if entry and entry.note else words.NOT_APPLICABLE
                self.not_applicable(node, reads, note, facts)
                return
        elif node.optional_reads:
            missing = [n for n in node.optional_reads if names[n] is NOT_APPLICABLE]
            if missing:
                self.not_applicable(node, reads, words.missing_inputs(missing))
                return
        if node.applicable_if is not None and not self.condition(node.applicable_if):
            self.not_applicable(node, reads, words.not_applicable_if(node.applicable_if.source))
            return
        states = self.states
        if (
            node.construct is None
            and node.score_children
            and not any(states[c].applicable for c in node.score_children)
        ):
            self.not_applicable(node, reads, words.ALL_CHILDREN_NOT_APPLICABLE)
            return
        amax = self.applicable_max(node) if node.max is not None else ZERO
        if node.when is not None and not self.condition(node.when):
            self.record(
                node, reads, (), (), ZERO, amax, ZERO, "condition_not_met", node.when.source, facts
            )
            return
        if node.waive_if is not None and self.condition(node.waive_if):
            self.record(
                node, reads, (), (), ZERO, amax, ZERO, "waived", node.waive_if.source, facts
            )
            return
        parts: list[tuple[str, Decimal]] = []
        lines: list[tuple[str, Decimal, str]] = []
        content = _NO_CONTENT
        if node.combine != "sum" and node.children:
            value = self.choose(node, parts)
            deductions = excess = ZERO
            if self.tracks and parts:
                chosen = self.states[parts[0][0]]
                content = (chosen.bonus, chosen.malus)
        else:
            value = self.base(node, parts, lines)
            # the points moved to bonus: the construct's last line, when it is the excess line
            excess = (
                lines[-1][1]
                if node.carries_excess and lines and lines[-1][0] == "excess_bonus"
                else ZERO
            )
            held = _NO_CONTENT
            if node.adjusts:
                adjustment, deductions, held = self.adjust(node, value, parts, lines)
                value += adjustment
            else:
                deductions = ZERO
            if self.tracks:
                content = self.content(node, value, held, excess)
        if node.shared_caps:
            value, deductions, content = self.shared(node, value, deductions, content, lines)
        status = "scored"
        if node.forfeit_if is not None and self.condition(node.forfeit_if):
            lines.append(("forfeit", node.forfeit_value - value, node.forfeit_if.source))
            value = node.forfeit_value
            status = "forfeited"
            deductions = ZERO  # it loses its points but adds no deduction
            excess = ZERO
            content = _NO_CONTENT
        if node.has_limits:
            value = self.limits(node, value, lines)
        if node.kind != "score" and not (self.overrides and node.id in self.overrides):
            self.check_sign(node, value)
        cohort_note = self.cohort[node.id].note if node.cluster else None
        self.record(
            node,
            reads,
            tuple(parts),
            tuple(lines),
            value,
            amax,
            deductions,
            status,
            cohort_note,
            facts,
            excess,
            content,
        )

    def content(
        self, node: Node, value: Decimal, held: tuple[Decimal, Decimal], excess: Decimal
    ) -> tuple[Decimal, Decimal]:
        """The bonuses and deductions a summed value holds, after the caps at and below it.

        A bonus or deduction holds its value. A score criterion holds its score children's
        (less their excess, which it counts with its own bonuses), then its own adjustments
        after its caps (``held``), then its own excess.
        """
        if node.kind != "score":
            return (max(ZERO, value), -value if value < ZERO else ZERO)
        bonus = malus = ZERO
        excess_children = node.excess_children
        for child in node.score_children:
            state = self.states[child]
            if child in excess_children:
                bonus = bonus + (state.bonus - state.excess)
            else:
                bonus = bonus + state.bonus
            malus = malus + state.malus
        if node.adjusts:
            bonus = bonus + held[0]
            malus = malus + held[1]
        if node.carries_excess:
            bonus = bonus + excess
        return bonus, malus

    def shared(
        self,
        node: Node,
        value: Decimal,
        deductions: Decimal,
        content: tuple[Decimal, Decimal],
        lines: list[tuple[str, Decimal, str]],
    ) -> tuple[Decimal, Decimal, tuple[Decimal, Decimal]]:
        """Cut what the shared caps at this criterion allow no more of, one line each."""
        bonus, malus = content
        for cap in node.shared_caps:
            total = ZERO
            for member in cap.of:
                if member == node.id:
                    total = total + (malus if cap.deductions else bonus)
                else:
                    state = self.states[member]
                    total = total + (state.malus if cap.deductions else state.bonus)
            if total > cap.max:
                if cap.deductions:
                    amount = total - cap.max
                    malus = malus - amount
                    deductions = deductions + amount
                else:
                    amount = cap.max - total
                    bonus = bonus + amount
                lines.append(("shared_cap", amount, cap.note))
                value = value + amount
        return value, deductions, (bonus, malus)

    def not_applicable(
        self,
        node: Node,
        reads: tuple[tuple[str, Any], ...],
        note: str,
        facts: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        if self.overrides and node.id in self.overrides:  # a reviewer scores it after all
            amax = self.applicable_max(node) if node.max is not None else ZERO
            self.record(node, reads, (), (), ZERO, amax, ZERO, "not_applicable", note, facts)
            return
        self.states[node.id] = _State(ZERO, False, ZERO, ZERO)  # noqa: FBT003 - a record
        if self.trace:
            self.traces[node.id] = TraceNode(
                node.id,
                node.title,
                node.kind,
                node.rule,
                _plain_inputs(reads),
                (),
                (),
                ZERO,
                ZERO,
                applicable=False,
                status="not_applicable",
                note=note,
                children=tuple(self.traces[c] for c in node.children),
                line=node.line,
                cohort=facts,
            )

    def record(
        self,
        node: Node,
        reads: tuple[tuple[str, Any], ...],
        parts: tuple[tuple[str, Decimal], ...],
        lines: tuple[tuple[str, Decimal, str], ...],
        value: Decimal,
        amax: Decimal,
        deductions: Decimal,
        status: str,
        note: str | None,
        facts: tuple[tuple[str, Any], ...] = (),
        excess: Decimal = ZERO,
        content: tuple[Decimal, Decimal] = (ZERO, ZERO),
    ) -> None:
        override = self.overrides.get(node.id) if self.overrides else None
        if override is not None:  # a reviewer's score replaces the rule's, with the reason
            stage = STAGE_WORDS.get(override.stage, override.stage)
            why = f"{override.reviewer} ({stage}, {override.at}): {override.reason}"
            lines = (*lines, ("override", override.score - value, why))
            value = override.score
            status = "overridden"
            excess = ZERO  # the agreed score is the item's points: no excess moves to bonus
        total = ZERO
        for part in parts:
            total += part[1]
        for line in lines:
            total += line[1]
        if total != value:
            raise EvaluationError(
                "internal check failed",
                (
                    Issue(
                        "total-mismatch",
                        f"{node.id}: value {value} is not the sum of its parts {total}",
                    ),
                ),
            )
        if self.tracks:
            if node.kind != "score":  # a bonus or deduction as a whole: its value
                content = (max(ZERO, value), -value if value < ZERO else ZERO)
            bonus, malus = content
            self.states[node.id] = _State(
                value,
                True,  # noqa: FBT003 - a record
                amax,
                deductions,
                excess,
                bonus,
                malus,
            )
        else:
            self.states[node.id] = _State(value, True, amax, deductions, excess)  # noqa: FBT003
        if self.trace:
            traces = self.traces
            self.traces[node.id] = TraceNode(
                node.id,
                node.title,
                node.kind,
                node.rule,
                _plain_inputs(reads) if node.optional_reads else reads,
                parts,
                lines,
                value,
                amax if node.max is not None else None,
                applicable=True,
                status=status,
                note=note,
                children=tuple([traces[c] for c in node.children]) if node.children else (),
                line=node.line,
                cohort=facts,
            )

    def applicable_max(self, node: Node) -> Decimal:
        if node.max is None:
            return ZERO
        removed = ZERO
        for child in node.score_children:
            child_node = self.compiled.nodes[child]
            state = self.states[child]
            if child_node.max is not None and node.combine == "sum":
                removed += child_node.max - state.amax
        return node.max - removed

    # -- base and adjustments -----------------------------------------------------------------

    def base(
        self, node: Node, parts: list[tuple[str, Decimal]], lines: list[tuple[str, Decimal, str]]
    ) -> Decimal:
        if node.construct is not None:
            value = self.construct(node, lines)
            parts.append((node.construct_name or "rule", value))
            for line in lines:  # a cap on the construct's own line
                value += line[1]
            return value
        if node.score_children:
            total = ZERO
            for child in node.score_children:
                state = self.states[child]
                if state.applicable:
                    parts.append((child, state.value))
                    total += state.value
            return total
        if node.max is not None:
            parts.append(("benchmark", node.max))
            return node.max
        return ZERO

    def choose(self, node: Node, parts: list[tuple[str, Decimal]]) -> Decimal:
        candidates = [(c, self.states[c]) for c in node.children if self.states[c].applicable]
        chosen: tuple[str, Decimal] | None = None
        if node.combine == "highest":
            for ident, state in candidates:
                if chosen is None or state.value > chosen[1]:
                    chosen = (ident, state.value)
        else:  # first
            for ident, state in candidates:
                if state.value != 0:
                    chosen = (ident, state.value)
                    break
        if chosen is None:
            return ZERO
        parts.append(chosen)  # the other cases simply do not count
        return chosen[1]

    def adjust(
        self,
        node: Node,
        base: Decimal,
        parts: list[tuple[str, Decimal]],
        lines: list[tuple[str, Decimal, str]],
    ) -> tuple[Decimal, Decimal, tuple[Decimal, Decimal]]:
        """Add the adjustment children; return their capped total and the capped deductions.

        The excess of score children (``excess: bonus``) counts with the bonuses; it is in
        ``base`` already, so it is taken out of the returned total. Third, the bonuses and the
        deductions (a magnitude) held after the caps, for the shared caps.
        """
        children = [(c, self.compiled.nodes[c], self.states[c]) for c in node.adjust_children]
        plain_deductions = sum(
            (
                s.value
                for _, n, s in children
                if s.applicable and s.value < 0 and not n.requires_benchmark
            ),
            ZERO,
        )
        excess = ZERO
        for excess_child in node.excess_children:
            excess_state = self.states[excess_child]
            if excess_state.applicable:
                excess = excess + excess_state.excess
        points = base - excess if node.excess_children else base
        benchmark_met = node.max is not None and points == node.max and plain_deductions == 0
        negative = ZERO
        positive = excess
        for ident, child, state in children:
            if not state.applicable:
                continue
            value = state.value
            parts.append((ident, value))
            if child.requires_benchmark and not benchmark_met and value != 0:
                lines.append(("benchmark_not_met", -value, words.benchmark_not_met(ident)))
                continue
            if value < 0:
                negative += value
            else:
                positive += value
        capped_negative, capped_positive = negative, positive
        if node.cap_deductions is not None and negative < -node.cap_deductions:
            capped_negative = -node.cap_deductions
            lines.append(
                (
                    "cap_deductions",
                    capped_negative - negative,
                    words.cap_deductions(node.cap_deductions),
                )
            )
        if node.cap_bonuses is not None and positive > node.cap_bonuses:
            capped_positive = node.cap_bonuses
            lines.append(
                ("cap_bonuses", capped_positive - positive, words.cap_bonuses(node.cap_bonuses))
            )
        combined = capped_negative + capped_positive
        cap = node.cap_adjustments
        if cap is not None and abs(combined) > cap:
            bounded = cap if combined > 0 else -cap
            lines.append(("cap_adjustments", bounded - combined, words.cap_adjustments(cap)))
            combined = bounded
            capped_negative = min(combined, ZERO)
        held = (combined - capped_negative, -capped_negative)
        if node.excess_children:
            combined = combined - excess
        return combined, capped_negative, held

    def limits(self, node: Node, value: Decimal, lines: list[tuple[str, Decimal, str]]) -> Decimal:
        if node.cap_at_max and node.max is not None and value > node.max:
            lines.append(("cap_at_max", node.max - value, words.cap_at_max(node.max)))
            value = node.max
        if node.floor is not None and value < node.floor:
            lines.append(("floor", node.floor - value, words.floor(node.floor)))
            value = node.floor
        if node.rounding is not None:
            places, mode = node.rounding
            # a formula over counts gives an int: Decimal(int) is exact
            exponent = Decimal(1).scaleb(-places)
            rounded = Decimal(value).quantize(exponent, rounding=ROUNDING_MODES[mode])
            if rounded != value:
                lines.append(("rounding", rounded - value, words.rounding(places, mode)))
            value = rounded
        return value

    def check_sign(self, node: Node, value: Decimal) -> None:
        if (node.kind == "bonus" and value < 0) or (node.kind == "deduction" and value > 0):
            word = "bonus" if node.kind == "bonus" else "deduction"
            raise EvaluationError(
                "wrong sign",
                (Issue("eval-sign", f"{word} {node.id!r} came out as {value}"),),
            )


class _ReferenceUnit(_Unit):
    """The interpreter with every expression evaluated by simpleeval: the reference mode.

    The same walk of the criteria as :class:`_Unit`, but no expression runs as a compiled
    closure (nor as the generated code, which this class never calls): simpleeval evaluates
    each checked tree, bare names included. Per call, like :class:`_Unit`.
    """

    def __init__(
        self,
        compiled: CompiledRuleset,
        values: Mapping[str, Any],
        *,
        trace: bool,
        cohort: Mapping[str, CohortEntry] | None = None,
        overrides: Mapping[str, AppliedOverride] | None = None,
    ) -> None:
        super().__init__(compiled, values, trace=trace, cohort=cohort, overrides=overrides)
        self.reference: ReferenceEvaluator | None = ReferenceEvaluator(self.names, self.score_of)

    def run(self, expression: CheckedExpression) -> Any:
        assert self.reference is not None
        return self.reference.run(expression)

    def number(self, expression: CheckedExpression) -> Decimal:
        return _as_number(expression, self.run(expression))

    def condition(self, expression: CheckedExpression) -> bool:
        return bool(self.run(expression))

    def close(self) -> None:
        super().close()
        self.reference = None  # it holds score_of, hence this unit: no cycle left


def _as_number(expression: CheckedExpression, value: Any) -> Decimal:
    """``value`` if it is a number (Decimal or int; a bool is not one)."""
    cls = type(value)
    if cls is Decimal or cls is int:  # the usual case
        return value  # type: ignore[no-any-return]
    raise EvaluationError(
        "not a number",
        (Issue("eval-error", f"{expression.source!r} did not give a number"),),
    )


#: The interpreter's scorer of each construct, by its name in the guide (the reference of the
#: code generator's ``EMITTERS``; the generated code calls the rarer ones from here).
SCORERS: Mapping[str, Callable[..., Decimal]] = MappingProxyType(
    {
        "target": _Context.score_cohort,
        "rank_points": _Context.score_cohort,
        "met": _Context.score_met,
        "points": _Context.score_points,
        "per_event": _Context.score_per_event,
        "proportional": _Context.score_proportional,
        "bands": _Context.score_bands,
        "table": _Context.score_table,
        "increment": _Context.score_increment,
        "deadline": _Context.score_deadline,
        "lookup": _Context.score_lookup,
        "formula": _Context.score_formula,
        "per_item": _Context.score_per_item,
    }
)


def _plain_inputs(reads: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    return tuple((name, None if value is NOT_APPLICABLE else value) for name, value in reads)


@dataclass(slots=True)  # not frozen: built once per unit, never changed (a faster __init__)
class _Totals:
    total: Decimal
    amax: Decimal
    deductions: Decimal
    parts: tuple[tuple[str, Decimal], ...]
    lines: tuple[tuple[str, Decimal, str], ...]


def _totals(
    compiled: CompiledRuleset,
    roots: list[tuple[str, Decimal, bool, Decimal, bool]],
    deductions: Decimal,
    pooled: tuple[Decimal, ...] = (),
) -> _Totals:
    """The unit total from its top-level criteria ``(id, value, applicable, amax, is score)``.

    ``deductions`` is the sum of the capped deductions of the criteria of kind score;
    ``pooled`` the sums of the shared caps cut on the total, in the guide's order.
    """
    parts = []
    amax = ZERO
    for root, value, applicable, root_max, is_score in roots:
        if applicable:
            parts.append((root, value))
            if is_score:
                amax += root_max
    total = sum((p[1] for p in parts), ZERO)
    return _finish_totals(compiled, total, amax, deductions, tuple(parts), pooled)


def _finish_totals(
    compiled: CompiledRuleset,
    total: Decimal,
    amax: Decimal,
    deductions: Decimal,
    parts: tuple[tuple[str, Decimal], ...],
    pooled: tuple[Decimal, ...],
) -> _Totals:
    """:func:`_totals` from the sum of the applicable top-level criteria and their maximum."""
    lines: list[tuple[str, Decimal, str]] = []
    if pooled:
        at_total = [cap for cap in compiled.shared_caps if cap.at is None]
        for cap, held in zip(at_total, pooled, strict=True):
            if held > cap.max:
                if cap.deductions:
                    amount = held - cap.max
                    deductions = deductions + amount
                else:
                    amount = cap.max - held
                lines.append(("shared_cap", amount, cap.note))
                total = total + amount
    spec = compiled.ruleset.total
    if not spec.may_exceed_scale and total > amax:
        lines.append(("cap_scale", amax - total, words.total_cap_scale(amax)))
        total = amax
    if spec.floor is not None and total < spec.floor:
        lines.append(("floor", spec.floor - total, words.floor(spec.floor)))
        total = spec.floor
    if spec.rounding is not None:
        rounded = total.quantize(
            Decimal(1).scaleb(-spec.rounding.places), rounding=ROUNDING_MODES[spec.rounding.mode]
        )
        if rounded != total:
            lines.append(("rounding", rounded - total, words.total_rounding(spec.rounding.places)))
        total = rounded
    return _Totals(total, amax, -deductions, parts, tuple(lines) if lines else ())


def _unit_totals(compiled: CompiledRuleset, unit: _Unit) -> _Totals:
    states = unit.states
    roots = [
        (
            r,
            states[r].value,
            states[r].applicable,
            states[r].amax,
            compiled.nodes[r].kind == "score",
        )
        for r in compiled.roots
    ]
    deductions = sum(
        (s.deductions for i, s in states.items() if compiled.nodes[i].kind == "score"), ZERO
    )
    pooled = []
    for cap in compiled.shared_caps:
        if cap.at is None:  # under different top-level criteria: cut on the total
            total = ZERO
            for member in cap.of:
                state = states[member]
                total = total + (state.malus if cap.deductions else state.bonus)
            pooled.append(total)
    return _totals(compiled, roots, deductions, tuple(pooled))


def _root_trace(
    compiled: CompiledRuleset, totals: _Totals, children: tuple[TraceNode, ...]
) -> TraceNode:
    return TraceNode(
        "TOTAL",
        compiled.ruleset.title,
        "total",
        words.TOTAL_RULE,
        (),
        totals.parts,
        totals.lines,
        totals.total,
        totals.amax,
        applicable=True,
        status="scored",
        note=None,
        children=children,
    )


class _LazyTrace:
    """The trace of a unit scored by a generated function, as flat records.

    Fast path of: the :class:`TraceNode` tree :class:`_Unit` records. Kept equal by:
    ``tests/test_codegen.py`` (the trace read, pickled and compared with the interpreter's) and
    ``tests/test_codegen_differential.py``.

    The :class:`TraceNode` tree is built the first time it is read (most batches are ranked
    and summarised without reading every trace); it is the tree the interpreter builds.
    """

    __slots__ = ("compiled", "flags", "maxima", "names", "records", "totals", "values")

    def __init__(
        self,
        compiled: CompiledRuleset,
        names: Mapping[str, Any],
        values: CriterionValues,
        flags: Sequence[bool],
        maxima: Sequence[Decimal],
        records: Sequence[Any],
        totals: _Totals,
    ) -> None:
        self.compiled = compiled
        self.names = names
        self.values = values
        self.flags = flags
        self.maxima = maxima
        self.records = records
        self.totals = totals

    def build(self) -> TraceNode:
        compiled, names = self.compiled, self.names
        assert compiled.program is not None
        values, flags, maxima, records = self.values.ordered, self.flags, self.maxima, self.records
        # TraceNode's fields in order, made as the tuple they are, without the keyword handling
        # of its __new__. Measured (timeit, Python 3.11, this machine): 459 ns per node this
        # way, 619 ns with TraceNode._make (its length check), 957 ns with TraceNode(*fields);
        # a unit's trace builds one node per criterion, on every trace read.
        new = tuple.__new__
        built: list[TraceNode] = []
        for i, entry in enumerate(compiled.program.plan):
            (ident, title, kind, rule, reads, optional, children, line, has_max, shown) = entry[:10]
            record = records[i]
            lines: tuple[tuple[str, Any, Any], ...]
            if type(record) is not tuple:  # scored, no adjustment line: the record is the part
                status, parts, lines, note, facts = "scored", record, (), None, ()
            elif len(record) == 2:  # a leaf capped by its construct: (part, amount)
                parts, amount = record
                status, lines, note, facts = (
                    "scored",
                    (("cap_line", amount, entry.cap_note),),
                    None,
                    (),
                )
            else:
                status, parts, lines, note, facts = record
            inputs = tuple([(n, names[n]) for n in reads]) if reads else ()
            kids = tuple([built[c] for c in children]) if children else ()
            if not flags[i]:
                fields: tuple[Any, ...] = (ident, title, kind, rule, _plain_inputs(inputs))
                fields += ((), (), ZERO, ZERO, False, status, note, kids, line, facts, None)
                built.append(new(TraceNode, fields))
                continue
            if status in ("condition_not_met", "waived"):
                items: tuple[tuple[str, Decimal], ...] = ()
            elif shown == "chosen":
                items = parts
            else:  # the interpreter's base, then its adjustments
                if shown == "construct":
                    items = ((entry.construct_label, parts),)
                elif shown == "children":
                    items = tuple([(c, values[k]) for c, k in entry.score_children if flags[k]])
                else:  # the benchmark, or nothing
                    items = entry.benchmark
                if entry.adjust_children:
                    items += tuple([(c, values[k]) for c, k in entry.adjust_children if flags[k]])
            if optional:
                inputs = _plain_inputs(inputs)
            fields = (ident, title, kind, rule, inputs, items, lines, values[i])
            fields += (maxima[i] if has_max else None, True, status, note, kids, line, facts, None)
            built.append(new(TraceNode, fields))
        roots = tuple(built[i] for i, _, _ in compiled.program.roots)
        return _root_trace(compiled, self.totals, roots)

    def __eq__(self, other: object) -> bool:
        built = self.build()
        return built == (other.build() if isinstance(other, _LazyTrace) else other)

    def __hash__(self) -> int:
        return hash(self.build())

    def __reduce__(self) -> tuple[Any, ...]:
        return _identity, (self.build(),)


def _identity(value: Any) -> Any:
    return value


def failed_unit(
    unit_id: str,
    name: str,
    issues: tuple[Issue, ...],
    self_scores: Mapping[str, Decimal] | None = None,
) -> UnitScore:
    """A unit that could not be scored (status ``error``), with the issues that say why."""
    return UnitScore(
        unit_id=unit_id,
        name=name,
        status="error",
        total=None,
        max=None,
        percent=None,
        items=MappingProxyType({}),
        not_applicable=(),
        deductions=ZERO,
        reasons=(),
        classification=None,
        _trace=None,
        issues=issues,
        self_scores=MappingProxyType(dict(self_scores)) if self_scores else _NOTHING,
        eligible=False,
    )


def evaluate_values(
    compiled: CompiledRuleset,
    unit_id: str,
    name: str,
    values: Mapping[str, Any],
    *,
    trace: bool = True,
    issues: tuple[Issue, ...] = (),
    self_scores: Mapping[str, Decimal] | None = None,
    cohort: Mapping[str, CohortEntry] | None = None,
    overrides: Mapping[str, AppliedOverride] | None = None,
    interpreter: bool = False,
    reference: bool = False,
    owned: bool = False,
    in_context: bool = False,
) -> UnitScore:
    """Score one unit whose values are already validated and typed.

    The guide's generated functions score the unit when they can (not with reviewers'
    overrides, nor with ``interpreter=True`` or ``reference=True``); the interpreter scores it
    otherwise, and whenever the generated functions meet anything unusual. Both give identical
    results. ``reference=True`` is the reference mode: the interpreter with every expression
    evaluated by simpleeval, never by the generated code or the compiled closures.
    ``owned=True`` hands ``values`` over to the result, and ``in_context=True`` says that the
    caller runs in a copy of the engine's decimal context (see :func:`program_unit`).

    A failure in a criterion gives a unit with status ``error`` and a located issue; it never
    raises for bad data.
    """
    fallback: Exception | None = None
    if compiled.program is not None and not overrides and not interpreter and not reference:
        try:
            return program_unit(
                compiled,
                unit_id,
                name,
                values,
                trace=trace,
                issues=issues,
                self_scores=self_scores,
                cohort=cohort,
                owned=owned,
                in_context=in_context,
            )
        except Exception as error:  # noqa: BLE001 - the interpreter scores it again and says why
            fallback = error
    kind = _ReferenceUnit if reference else _Unit
    unit = kind(compiled, values, trace=trace, cohort=cohort, overrides=overrides)
    try:
        result = _evaluate_unit(compiled, unit, unit_id, name, issues, self_scores, trace=trace)
    finally:
        unit.close()  # no reference cycle left for the collector
    if fallback is not None:
        fell_back(compiled, unit_id, fallback, data_error=result.status == "error")
    return result


def program_unit(
    compiled: CompiledRuleset,
    unit_id: str,
    name: str,
    values: Mapping[str, Any],
    *,
    trace: bool = True,
    issues: tuple[Issue, ...] = (),
    self_scores: Mapping[str, Decimal] | None = None,
    cohort: Mapping[str, CohortEntry] | None = None,
    owned: bool = False,
    in_context: bool = False,
) -> UnitScore:
    """Score one unit with the guide's generated functions only.

    With ``owned=True`` the caller hands ``values`` over and never changes it again (as
    :func:`~emulation_rules.engine.scoring.score` does with the values it validated): the
    unit's trace then reads its inputs from it instead of from a copy. ``in_context=True``:
    the caller already runs in a copy of the engine's decimal context (``score()`` enters one
    for its whole batch), so the unit does not enter its own.

    Raises:
        Exception: anything the generated functions meet (the interpreter then takes over in
        :func:`evaluate_values`); tests call this to check that the fast path is taken.
    """
    program: Program | None = compiled.program
    assert program is not None
    kept: Mapping[str, Any]  # what the trace reads the inputs from
    plain = owned and not compiled.constants and not program.uses_score
    if plain and type(values) is dict:
        names = kept = values  # handed over: the trace reads its inputs from it later
    elif plain and type(values) is TypedValues:
        names = values.as_dict()  # for the run only: the trace reads the overlay (issue 18)
        kept = values
    else:
        names = kept = dict(compiled.constants)
        names.update(as_plain(values))
    if in_context:
        return _run_program(
            compiled, program, unit_id, name, names, kept, trace, issues, self_scores, cohort
        )
    with decimal.localcontext(ENGINE_CONTEXT):
        return _run_program(
            compiled, program, unit_id, name, names, kept, trace, issues, self_scores, cohort
        )


#: The cohort of a unit without cluster-phase criteria (the generated code only reads it).
_NO_COHORT: Mapping[str, CohortEntry] = MappingProxyType({})


def _run_program(
    compiled: CompiledRuleset,
    program: Program,
    unit_id: str,
    name: str,
    names: dict[str, Any],
    kept: Mapping[str, Any],
    trace: bool,
    issues: tuple[Issue, ...],
    self_scores: Mapping[str, Decimal] | None,
    cohort: Mapping[str, CohortEntry] | None,
) -> UnitScore:
    """:func:`program_unit` in the engine's decimal context, ``names`` made."""
    scores: dict[str, Decimal] = {}
    if program.uses_score:
        names[SCORE_KEY] = lambda ident: scores.get(ident, ZERO)
    run = program.function(traced=trace)
    pooled: tuple[Decimal, ...] = ()
    records: Sequence[Any] = ()
    percent: Decimal | None
    label: str | None
    if program.totals:  # every criterion applies: the function made the total (issue 18)
        if trace:
            (
                items,
                flags,
                maxima,
                deductions,
                records,
                total,
                amax,
                lines,
                parts,
                percent,
                judged,
            ) = run(names, cohort or _NO_COHORT, scores)
        else:
            (
                items,
                flags,
                maxima,
                deductions,
                total,
                amax,
                lines,
                parts,
                percent,
                judged,
            ) = run(names, cohort or _NO_COHORT, scores)
        label, reasons, ineligible = judged
        totals = _Totals(total, amax, -deductions, parts, lines)
        known = program._everything_applies  # noqa: SLF001 - read here, kept by Program.shared
        if known and flags is known[0][0]:  # the function's constant flags, seen before
            flags, maxima = known[0]
        else:
            flags, maxima = program.shared(flags, maxima)
        everything = True
    else:
        if trace:
            if program.pooled:
                items, flags, maxima, deductions, records, pooled = run(
                    names, cohort or _NO_COHORT, scores
                )
            else:
                items, flags, maxima, deductions, records = run(names, cohort or _NO_COHORT, scores)
        elif program.pooled:
            items, flags, maxima, deductions, pooled = run(names, cohort or _NO_COHORT, scores)
        else:
            items, flags, maxima, deductions = run(names, cohort or _NO_COHORT, scores)
        known = program._everything_applies  # noqa: SLF001 - read here, kept by Program.shared
        if known and flags is known[0][0]:  # the constant flags of a guide whose criteria all apply
            flags, maxima = known[0]
            everything = True
        else:
            flags, maxima = program.shared(flags, maxima)
            everything = program.applies_everywhere(flags)
        if everything:
            totals = _all_roots_totals(compiled, program, items, maxima, deductions, pooled)
        else:
            totals = _totals(
                compiled,
                [(r, items[i], flags[i], maxima[i], is_score) for i, r, is_score in program.roots],
                deductions,
                pooled,
            )
        percent = _percent(compiled, totals)
        reasons = _gates(compiled.gates, names) if compiled.gates else ()
        ineligible = _gates(compiled.eligibility, names) if compiled.eligibility else ()
        label = (
            None
            if reasons or compiled.classification is None
            else _classify(compiled, totals.total, percent)
        )
    if program.uses_score:
        del names[SCORE_KEY]
    criteria = CriterionValues(criterion_index(compiled.order), items)
    return _scored_unit(
        unit_id,
        name,
        totals,
        percent,
        None if reasons else label,
        reasons,
        ineligible,
        criteria,
        ()
        if everything
        else tuple([i for i, a in zip(compiled.order, flags, strict=True) if not a]),
        _LazyTrace(compiled, kept, criteria, flags, maxima, records, totals) if trace else None,
        issues,
        self_scores,
    )


def _roots_plan(
    program: Program,
) -> tuple[tuple[str, ...], Callable[[Sequence[Any]], tuple[Any, ...]], tuple[int, ...]]:
    """The top-level criteria's ids, a getter of their values, the indexes of those of kind score.

    Kept with the program (``derived``), built once.
    """
    plan: Any = program.derived.get("roots")
    if plan is None:  # two threads may both build it: the plans are equal
        indexes = tuple(i for i, _, _ in program.roots)
        get: Callable[[Sequence[Any]], tuple[Any, ...]]
        if len(indexes) == 1:
            only = indexes[0]
            get = lambda values: (values[only],)  # noqa: E731 - a one-line getter
        elif indexes:
            get = itemgetter(*indexes)
        else:
            get = lambda _values: ()  # noqa: E731 - a one-line getter
        scored = tuple(i for i, _, is_score in program.roots if is_score)
        plan = program.derived["roots"] = (tuple(r for _, r, _ in program.roots), get, scored)
    return plan  # type: ignore[no-any-return]


def _all_roots_totals(
    compiled: CompiledRuleset,
    program: Program,
    items: tuple[Decimal, ...],
    maxima: tuple[Decimal, ...],
    deductions: Decimal,
    pooled: tuple[Decimal, ...],
) -> _Totals:
    """:func:`_totals` of a unit to which every criterion applies, without a tuple per root.

    The same sums in the same order (``ZERO`` plus each value, plus each maximum of a root of
    kind score); the applicable maximum is computed once for the maxima all such units share.
    """
    names, get, scored = _roots_plan(program)
    values = get(items)
    total = sum(values, ZERO)
    known = program.derived.get("amax")
    if known is not None and known[0] is maxima:
        amax = known[1]
    else:
        amax = ZERO
        for i in scored:
            amax += maxima[i]
        program.derived["amax"] = (maxima, amax)  # one tuple: a thread reads both or neither
    return _finish_totals(
        compiled, total, amax, deductions, tuple(zip(names, values, strict=True)), pooled
    )


class _UnitScoreInTheMaking(UnitScore):
    """A :class:`UnitScore` while :func:`_unit_score_maker`'s function fills its slots.

    The same slots (it adds none), without the frozen ``__setattr__``: each field is stored by
    a plain attribute store, which the interpreter specialises to a slot store. The finished
    object is then made a :class:`UnitScore` by ``__class__`` assignment (allowed: the two
    classes have the same layout), so no instance of this class is ever seen outside.
    """

    __slots__ = ()
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__


def _unit_score_maker() -> Callable[..., UnitScore]:
    """A function building a :class:`UnitScore` from every field by keyword, without ``__init__``.

    A frozen dataclass's ``__init__`` sets each of its 25 fields through
    ``object.__setattr__`` (some 45,000 instructions a unit under callgrind); this stores each
    slot by an attribute store of :class:`_UnitScoreInTheMaking`, then gives the object its
    class (issue 18): the same object, every field given (a field left out is a
    ``TypeError``, never a default). The text names only the fields' own identifiers.
    """
    names = [f.name for f in fields(UnitScore)]
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "UnitScore": UnitScore,
        "Making": _UnitScoreInTheMaking,
    }
    lines = [f"def make(*, {', '.join(names)}):", "    self = new(Making)"]
    lines += [f"    self.{name} = {name}" for name in names]
    lines += ["    self.__class__ = UnitScore", "    return self"]
    exec(compile("\n".join(lines) + "\n", "<UnitScore maker>", "exec"), namespace)  # noqa: S102
    return cast("Callable[..., UnitScore]", namespace["make"])


_make_unit_score = _unit_score_maker()


def _percent(compiled: CompiledRuleset, totals: _Totals) -> Decimal | None:
    """The unit's percent of its applicable maximum, rounded where the guide says (format v2).

    In the engine's decimal context; a guide's generated function computes the same for a
    unit to which every criterion applies (``_Writer.unit_total``).
    """
    amax = totals.amax
    percent = totals.total * _HUNDRED / amax if amax else None  # the same as ``* 100``
    percent_rounding = compiled.ruleset.total.percent_rounding
    if percent is not None and percent_rounding is not None:  # format v2
        percent = percent.quantize(
            Decimal(1).scaleb(-percent_rounding.places),
            rounding=ROUNDING_MODES[percent_rounding.mode],
        )
    return percent


def _scored_unit(
    unit_id: str,
    name: str,
    totals: _Totals,
    percent: Decimal | None,
    classification: str | None,
    reasons: tuple[str, ...],
    ineligible: tuple[str, ...],
    items: CriterionValues,
    not_applicable: tuple[str, ...],
    trace: TraceNode | _LazyTrace | None,
    issues: tuple[Issue, ...],
    self_scores: Mapping[str, Decimal] | None,
) -> UnitScore:
    """The unit's result from its totals, percent, classification's label and gates.

    In the engine's decimal context; ``classification`` is None when a gate holds.
    """
    return _make_unit_score(
        unit_id=unit_id,
        name=name,
        status="not_classified" if reasons else "scored",
        total=totals.total,
        max=totals.amax,
        percent=percent,
        items=items,
        not_applicable=not_applicable,
        deductions=totals.deductions,
        reasons=reasons,
        classification=classification,
        _trace=trace,
        issues=issues,
        self_scores=MappingProxyType(dict(self_scores)) if self_scores else _NOTHING,
        rank=None,
        rank_keys=(),
        rank_decided_by=None,
        eligible=not ineligible,
        eligibility_reasons=ineligible,
        awards=(),
        computed_items=None,
        computed_total=None,
        departures=(),
        reviews=(),
        corrected=_NOTHING,
    )


def _evaluate_unit(
    compiled: CompiledRuleset,
    unit: _Unit,
    unit_id: str,
    name: str,
    issues: tuple[Issue, ...],
    self_scores: Mapping[str, Decimal] | None,
    *,
    trace: bool,
) -> UnitScore:
    with decimal.localcontext(ENGINE_CONTEXT):
        try:
            for ident in compiled.order:
                unit.node(compiled.nodes[ident])
            totals = _unit_totals(compiled, unit)
            reasons = _gates(compiled.gates, unit.names, unit.run)
            ineligible = _gates(compiled.eligibility, unit.names, unit.run)
        except EvaluationError as exc:
            node = unit.current
            located = tuple(
                i.evolve(
                    unit_id=unit_id,
                    rule_id=node.id if node else None,
                    source=compiled.source,
                    line=node.line if node else None,
                    path=node.path if node else (),
                )
                for i in exc.issues
            )
            return failed_unit(unit_id, name, issues + located, self_scores)
        states = unit.states
        percent = _percent(compiled, totals)
        return _scored_unit(
            unit_id,
            name,
            totals,
            percent,
            None
            if reasons or compiled.classification is None
            else _classify(compiled, totals.total, percent),
            reasons,
            ineligible,
            CriterionValues(
                criterion_index(compiled.order), tuple([states[i].value for i in compiled.order])
            ),
            tuple(i for i in compiled.order if not states[i].applicable),
            _root_trace(compiled, totals, tuple(unit.traces[r] for r in compiled.roots))
            if trace
            else None,
            issues,
            self_scores,
        )


def _gates(
    gates: tuple[GateC, ...],
    names: Mapping[str, Any],
    run: Callable[[CheckedExpression], Any] | None = None,
) -> tuple[str, ...]:
    """The reasons of the gates that hold; ``run`` evaluates a condition (default: closures)."""
    reasons = []
    for gate in gates:
        if any(names.get(n) is NOT_APPLICABLE for n in gate.when.names):
            continue
        if bool(run(gate.when) if run is not None else run_compiled(gate.when, names)):
            reasons.append(f"{gate.id}: {gate.reason}")
    return tuple(reasons)


def _classify(compiled: CompiledRuleset, total: Decimal, percent: Decimal | None) -> str | None:
    if compiled.classification is None:
        return None
    on, bands, otherwise = compiled.classification
    value = total if on == "total" else percent
    if value is None:
        return otherwise
    index = find_band(bands, value)
    return bands[index].label if index >= 0 else otherwise


def _build_program(compiled: CompiledRuleset) -> Program | None:
    """A guide's generated program: the compiled nodes, and the constructs it calls from here."""
    return build_program(
        compiled.nodes,
        compiled.order,
        compiled.roots,
        compiled.gates,
        SCORERS,
        _Context,
        ENGINE_CONTEXT,
        compiled.shared_caps,
        compiled.inputs,
        compiled.ruleset.total,
        compiled.eligibility,
        compiled.classification,
    )


# the compiler never imports the engine: the engine tells it how to build a guide's program
register_program_builder(_build_program)
