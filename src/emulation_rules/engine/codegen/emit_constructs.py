"""One writer per construct: the generated code's part of each construct.

Reference: the interpreter's scorer of the same name
(:data:`emulation_rules.engine.evaluator.SCORERS`), construct by construct. Kept equal by
``tests/test_codegen_differential.py``; ``tests/test_construct_registry.py`` checks that every
construct has its row in :data:`EMITTERS`.
"""

# The emit_* methods share one signature for the EMITTERS table; not every one uses every
# argument.
# ruff: noqa: ARG002

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

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
    RankPointsC,
    TableC,
    TargetC,
)
from emulation_rules.engine import words
from emulation_rules.engine.codegen.emit_expressions import ExpressionWriter

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from emulation_rules.compiler.nodes import BandSpec, Node


class ConstructWriter(ExpressionWriter):
    """Writes a criterion's construct: sets ``raw`` (the part) and ``v`` (with its cap line)."""

    def cap_line(self, amount: str, note: str) -> None:
        """The construct's own cap line: into ``L``, or into ``d`` for a single-line leaf."""
        if self.single_line_note is not None:
            self.write(f"    d = {amount}")
            self.single_line_note = note
        else:
            self.write(
                f"    L.append(({self.constant('cap_line')}, {amount}, {self.constant(note)}))"
            )

    def construct(self, node: Node) -> None:
        """The construct's part in ``raw`` and, unless a single-line leaf, its value in ``v``."""
        assert node.construct_name is not None
        EMITTERS[node.construct_name](self, node, node.construct)
        if self.single_line_note is not None:
            return
        write = self.write
        write("v = raw")
        if construct_lines(node):
            write("for l in L:")
            write("    v = v + l[1]")

    def emit_cohort(self, node: Node, construct: TargetC | RankPointsC) -> None:
        """``target``, ``rank_points``: the value the cluster phase computed."""
        self.write("raw = e.value")

    def emit_met(self, node: Node, construct: Met) -> None:
        """``met``: the maximum when the condition holds."""
        if node.max is None:
            self.write("raw = ZERO")
        else:
            maximum = self.constant(node.max)  # named first: the constants are numbered in order
            condition = self.condition(construct.condition)
            self.write(f"raw = {maximum} if {condition} else ZERO")

    def emit_points(self, node: Node, construct: Points) -> None:
        """``points``: a constant."""
        self.write(f"raw = {self.constant(construct.points)}")

    def emit_formula(self, node: Node, construct: FormulaC) -> None:
        """``formula``: the expression, checked to be a number."""
        self.number(construct.expression, "raw")

    def emit_per_event(self, node: Node, construct: PerEventC) -> None:
        """``per_event``: points times the count, with its cap line."""
        write = self.write
        if self.single_line_note is not None:
            write("d = None")
        self.number(construct.count, "x")
        write(f"raw = x * {self.constant(construct.points)}")
        write("if not raw:")
        write("    raw = ZERO")
        if construct.cap is not None:
            write(f"elif abs(raw) > {self.constant(construct.cap)}:")
            high, low = self.constant(construct.cap), self.constant(-construct.cap)
            amount = f"({high} if raw > ZERO else {low}) - raw"
            self.cap_line(amount, words.cap_line(construct.cap))

    def emit_proportional(self, node: Node, construct: ProportionalC) -> None:
        """``proportional``: the maximum times achieved over target, with its cap line."""
        write = self.write
        assert node.max is not None
        self.number(construct.achieved, "x")
        self.number(construct.target, "y")
        # better: lower divides the plan (y) by the result (x)
        dividend, divisor = ("y", "x") if construct.lower else ("x", "y")
        cap = construct.cap if construct.cap is not None else node.max * construct.factor
        handled = zero_handled(construct)
        write(f"if not {divisor}:")
        if handled:  # never a single-line leaf: its lines are in L
            assert construct.when_zero is not None
            scored = "ZERO" if construct.when_zero == "zero" else self.constant(cap)
            note = words.when_zero(construct.when_zero, lower=construct.lower)
            write(f"    raw = {scored}")
            write(f"    L.append(({self.constant('when_zero')}, ZERO, {self.constant(note)}))")
            write("else:")
            self.indent += 1
        else:
            write("    raise FB")
        if self.single_line_note is not None:
            write("d = None")
        write(f"raw = {self.constant(node.max * construct.factor)} * {dividend} / {divisor}")
        write(f"if raw > {self.constant(cap)}:")
        self.cap_line(f"{self.constant(cap)} - raw", words.cap_line(cap))
        if construct.excess_bonus:  # never a single-line leaf: its lines are in L
            code, note = self.constant("excess_bonus"), self.constant(words.EXCESS_BONUS)
            write(f"    L.append(({code}, raw - {self.constant(cap)}, {note}))")
        if handled:
            self.indent -= 1

    def emit_bands(self, node: Node, construct: BandsC) -> None:
        """``bands``: one test per band, in order, then ``otherwise``."""
        write = self.write
        self.number(construct.of, "x")
        for number, band in enumerate(construct.bands):
            assert band.points is not None
            write(f"{'if' if number == 0 else 'elif'} {self.band(band, 'x')}:")
            write(f"    raw = {self.constant(band.points)}")
        if construct.bands:
            write("else:")
            self.indent += 1
        if construct.otherwise is not None:
            write(f"raw = {self.constant(construct.otherwise)}")
        else:
            write("raise FB")
        if construct.bands:
            self.indent -= 1

    def emit_called(
        self, node: Node, construct: TableC | IncrementC | DeadlineC | LookupC | PerItemC
    ) -> None:
        """``table``, ``increment``, ``deadline``, ``lookup``, ``per_item``: its scorer."""
        assert node.construct_name is not None
        scorer = self.constructs[node.construct_name]
        function = self.constant(scorer)  # named first: the constants are numbered in order
        arguments = f"ctx, {self.constant(node)}, {self.constant(construct)}, L"
        self.write(f"raw = {function}({arguments})")

    def band(self, band: BandSpec, x: str) -> str:
        """The test that ``x`` falls in a band."""
        tests = []
        if band.low is not None:
            tests.append(f"{x} {'>=' if band.low_inclusive else '>'} {self.constant(band.low)}")
        if band.high is not None:
            tests.append(f"{x} {'<=' if band.high_inclusive else '<'} {self.constant(band.high)}")
        return " and ".join(tests) or "True"


#: The writer of each construct, by its name in the guide: sets ``raw`` (the part), and its cap
#: line in ``L`` (or ``d`` for a single-line leaf). The reference of each is the interpreter's
#: scorer of the same name (``evaluator.SCORERS``).
EMITTERS: Mapping[str, Callable[[ConstructWriter, Node, Any], None]] = MappingProxyType(
    {
        "target": ConstructWriter.emit_cohort,
        "rank_points": ConstructWriter.emit_cohort,
        "met": ConstructWriter.emit_met,
        "points": ConstructWriter.emit_points,
        "per_event": ConstructWriter.emit_per_event,
        "proportional": ConstructWriter.emit_proportional,
        "bands": ConstructWriter.emit_bands,
        "table": ConstructWriter.emit_called,
        "increment": ConstructWriter.emit_called,
        "deadline": ConstructWriter.emit_called,
        "lookup": ConstructWriter.emit_called,
        "formula": ConstructWriter.emit_formula,
        "per_item": ConstructWriter.emit_called,
    }
)

#: Constructs the generated code calls through the interpreter's scorers.
CALLED: frozenset[str] = frozenset(
    name for name, emit in EMITTERS.items() if emit is ConstructWriter.emit_called
)


def zero_handled(construct: ProportionalC) -> bool:
    """Whether a divisor of 0 scores by a rule (``when_zero: max | zero``), on a line of 0."""
    return construct.when_zero in ("max", "zero")


def construct_lines(node: Node) -> bool:
    """Whether a criterion's construct may add lines of its own (a cap line, a table's)."""
    construct = node.construct
    if isinstance(construct, PerEventC):
        return construct.cap is not None
    if isinstance(construct, ProportionalC):
        return True
    return not isinstance(construct, TargetC | RankPointsC | Met | Points | FormulaC | BandsC)
