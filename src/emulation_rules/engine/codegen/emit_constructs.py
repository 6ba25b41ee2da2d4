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
    from decimal import Decimal

    from emulation_rules.compiler.nodes import BandSpec, Node


class ConstructWriter(ExpressionWriter):
    """Writes a criterion's construct: sets ``raw`` (the part) and ``v`` (with its cap line)."""

    def uncapped(self, sign: int = 0) -> None:
        """A single-line leaf's path without its cap line: the value is the part.

        ``sign`` is the part's sign when the guide and validation fix it (1: never below zero,
        -1: never above, 0: unknown); a bonus never below zero or a deduction never above
        needs no check of its sign.
        """
        position = self.single_line_position
        self.indent += 1
        kind = self.single_line_kind
        if not ((kind == "bonus" and sign > 0) or (kind == "deduction" and sign < 0)):
            self.sign_check("raw", kind)
        self.write(f"v{position} = raw")
        if self.traced:
            self.write(f"r{position} = raw")
        self.indent -= 1

    def capped(self, amount: str) -> None:
        """A single-line leaf's cap branch: the part, its cap line ``d`` and their sum.

        The interpreter checks that the value equals the sum of the part and the line,
        ``ZERO + raw + d``; that check cannot fail here, so it is not written (issue 18). The
        part ``raw`` of the two constructs with a cap line (``per_event``, ``proportional``)
        is a ``Decimal`` made by an operation in the engine's context, and ``d`` one too:
        finite (an infinity cannot come of finite values without the trapped overflow) and
        of at most 28 digits. ``ZERO + raw`` is then ``raw``'s value exactly (it can only
        drop zeros), so ``ZERO + raw + d`` and ``v = raw + d`` round the same exact sum in
        the same context: equal values, and ``!=`` compares values.
        """
        position = self.single_line_position
        self.indent += 1
        write = self.write
        write(f"d = {amount}")
        write("v = raw + d")
        self.sign_check("v", self.single_line_kind)
        write(f"v{position} = v")
        if self.traced:
            write(f"r{position} = (raw, d)")
        self.indent -= 1

    def sign_check(self, value: str, kind: str) -> None:
        """A bonus below zero or a deduction above it: left to the interpreter, which says so."""
        if kind in ("bonus", "deduction"):
            self.write(f"if {value} {'<' if kind == 'bonus' else '>'} ZERO:")
            self.write("    raise FB")

    def cap_line(self, amount: str, note: str) -> None:
        """The construct's own cap line: into ``L``, or into ``d`` for a single-line leaf."""
        if self.single_line_note is not None:
            self.capped(amount)
            self.single_line_note = note
        else:
            self.write(
                f"    L.append(({self.constant('cap_line')}, {amount}, {self.constant(note)}))"
            )

    def construct(self, node: Node) -> None:
        """The construct's part in ``raw`` and, unless it is the value, its value in ``v``.

        The part is the value (no ``v = raw``) for a single-line leaf (which sets its value on
        each path) and when :attr:`part_is_value` is set (nothing comes after the part).
        """
        assert node.construct_name is not None
        EMITTERS[node.construct_name](self, node, node.construct)
        if self.single_line_note is not None or self.part_is_value:
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
        single = self.single_line_note is not None
        self.number(construct.count, "x")
        count = construct.count.bare_name
        if count in self.counts:
            write(f"raw = {self.times(count, 'x', construct.points)}")
        else:
            write(f"raw = x * {self.constant(construct.points)}")
        write("if not raw:")
        write("    raw = ZERO")
        # a count never below zero (validated) times the points: the part has their sign
        sign = 0
        if construct.count.bare_name in self.nonnegative:
            sign = (construct.points > 0) - (construct.points < 0)
        if single:
            self.uncapped(sign)
        if construct.cap is not None:
            high, low = self.constant(construct.cap), self.constant(-construct.cap)
            # abs(raw) > cap, for a part whose sign is known (exact comparisons either way)
            test = {1: f"raw > {high}", -1: f"raw < {low}"}.get(sign, f"abs(raw) > {high}")
            write(f"elif {test}:")
            amount = f"({high} if raw > ZERO else {low}) - raw"
            self.cap_line(amount, words.cap_line(construct.cap))
        if single:
            write("else:")
            self.uncapped(sign)

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
        write(f"raw = {self.constant(node.max * construct.factor)} * {dividend} / {divisor}")
        write(f"if raw > {self.constant(cap)}:")
        self.cap_line(f"{self.constant(cap)} - raw", words.cap_line(cap))
        if self.single_line_note is not None:
            write("else:")
            self.uncapped()
        if construct.excess_bonus:  # never a single-line leaf: its lines are in L
            code, note = self.constant("excess_bonus"), self.constant(words.EXCESS_BONUS)
            write(f"    L.append(({code}, raw - {self.constant(cap)}, {note}))")
        if handled:
            self.indent -= 1

    def emit_bands(self, node: Node, construct: BandsC) -> None:
        """``bands``: one test per band, in order, then ``otherwise``."""
        write = self.write
        self.number(construct.of, "x")
        known: set[tuple[str, Decimal]] = set()  # what the bands tested before imply
        for number, band in enumerate(construct.bands):
            assert band.points is not None
            tests, low = self.band_tests(band, "x", known)
            write(f"{'if' if number == 0 else 'elif'} {' and '.join(tests) or 'True'}:")
            write(f"    raw = {self.constant(band.points)}")
            if low is not None and len(tests) == 1:  # ``x >= b`` failed: ``x < b`` from now on
                known.add(low)
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

    @staticmethod
    def band_bounds(band: BandSpec) -> list[tuple[str, str, Decimal]]:
        """A band's comparisons ``(side, operator, bound)``, low first."""
        bounds = []
        if band.low is not None:
            bounds.append(("low", ">=" if band.low_inclusive else ">", band.low))
        if band.high is not None:
            bounds.append(("high", "<=" if band.high_inclusive else "<", band.high))
        return bounds

    def band_tests(
        self, band: BandSpec, x: str, known: set[tuple[str, Decimal]]
    ) -> tuple[list[str], tuple[str, Decimal] | None]:
        """The comparisons that ``x`` falls in a band, less those the bands before imply.

        ``known`` holds ``(operator, bound)`` facts about ``x`` (a number, so ordered: a failed
        ``x >= b`` means ``x < b``); a test of the high side that one of them implies is left
        out. The band that catches the value is the same, and the comparisons left out are
        ones the interpreter's ``find_band`` makes and passes. Also returned: what a failure
        of the low side's test means (``(operator, bound)``), or None without one.
        """
        tests = []
        low = None
        for side, operator, bound in self.band_bounds(band):
            if side == "low":
                low = ("<" if operator == ">=" else "<=", bound)
            elif ("<", bound) in known or (operator == "<=" and ("<=", bound) in known):
                continue
            tests.append(f"{x} {operator} {self.constant(bound)}")
        return tests, low


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
