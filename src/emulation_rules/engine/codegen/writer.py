"""Writes one generated function, criterion by criterion, in the compiled order.

Reference: the interpreter's unit (:class:`emulation_rules.engine.evaluator._Unit`): the ways
a criterion does not apply, its parts, adjustments, forfeit, limits and checks, in the same
order and with the same operations. Kept equal by ``tests/test_codegen_differential.py`` and
``tests/test_codegen.py``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules.compiler.nodes import BandsC, Met, PerEventC, Points, ProportionalC
from emulation_rules.compiler.sandbox import ROUNDING_MODES
from emulation_rules.engine import words
from emulation_rules.engine.codegen.emit_constructs import (
    CALLED,
    ConstructWriter,
    construct_lines,
    zero_handled,
)
from emulation_rules.engine.codegen.source import ZERO

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from emulation_rules.compiler.nodes import GateC, Node

# The statuses of the trace (the interpreter writes the same words).
SCORED = "scored"
NOT_APPLICABLE_STATUS = "not_applicable"


def _inexact(value: Decimal) -> bool:
    """Whether adding it to zero in the engine's context changes it (more than 28 digits)."""
    return ZERO + value != value


def _has_deductions(node: Node) -> bool:
    """Whether the criterion's code has its capped deductions in ``cn``."""
    return node.adjusts or any(cap.deductions for cap in node.shared_caps)


class _Writer(ConstructWriter):
    """Writes one function; every value from the guide becomes a constant ``kN``."""

    def function(
        self,
        order: tuple[str, ...],
        constructs: Mapping[str, Callable[..., Decimal]],
        context_class: type,
    ) -> None:
        """Write the whole function: every criterion, then the return of its results."""
        self.constructs = constructs
        self.context_class = context_class
        name = "traced" if self.traced else "plain"
        self.indent = 0
        self.write(f"def {name}(names, cohort, S):")
        self.indent = 1
        self.write("ds = ZERO")
        generic = any(self.nodes[ident].construct_name in CALLED for ident in order)
        if generic:
            self.write(f"ctx = {self.constant(context_class)}(names, cohort)")
        for ident in order:
            self.node(self.index[ident], self.nodes[ident])
        count = len(order)
        values = ", ".join(f"v{position}" for position in range(count))
        flags, maxima = self.applicability(count)
        pooled = ""
        if self.at_total:  # the sums of the shared caps cut on the total, in order
            sums = []
            for cap in self.at_total:
                held = "g" if cap.deductions else "b"
                sums.append("ZERO" + "".join(f" + {held}{self.index[m]}" for m in cap.of))
            pooled = ", (" + ", ".join(sums) + ",)"
        totals = ""
        constant = all(
            self.static_applies[position] and self.applied_max[position] is not None
            for position in range(count)
        )
        if (
            constant
            and self.total is not None
            and self.total.percent_rounding is None  # format v2: the evaluator rounds it
            and not self.at_total
        ):
            totals = self.unit_total()
        self.gives_totals = bool(totals)
        if self.traced:
            records = ", ".join(f"r{position}" for position in range(count))
            self.write(f"return ({values},), {flags}, {maxima}, ds, ({records},){pooled}{totals}")
        else:
            self.write(f"return ({values},), {flags}, {maxima}, ds{pooled}{totals}")
        self.drop_unread()

    def unit_total(self) -> str:
        """The unit total of a unit to which every criterion applies (``_all_roots_totals``).

        Written when every criterion applies with a fixed maximum and no shared cap is cut on
        the total: the sum of the top-level criteria (``ZERO`` plus each value, in order), the
        applicable maximum (a constant, folded here with the same additions), then the
        scale cap, floor and rounding of ``_finish_totals`` with the same operations, the
        percent (a guide that rounds it, format v2, keeps the evaluator's path), the
        classification's label and the reasons of the gates and of the eligibility
        conditions that hold. Returns the text appended to the return: ``, total, amax,
        lines, parts, percent, (label, reasons, ineligible)`` (a constant
        ``(None, (), ())`` for a guide with none of them). The evaluator's path stays the
        reference (``tests/test_codegen_differential.py``).
        """
        spec = self.total
        assert spec is not None
        write = self.write
        amax = ZERO
        for position, _, is_score in self.roots:
            if is_score:
                fixed = self.applied_max[position]
                assert fixed is not None
                amax += fixed
        top = self.constant(amax)
        write("tt = ZERO" + "".join(f" + v{position}" for position, _, _ in self.roots))
        write("TL = ()")
        if not spec.may_exceed_scale:
            write(f"if tt > {top}:")
            note = self.constant(words.total_cap_scale(amax))
            write(f"    TL = (({self.constant('cap_scale')}, {top} - tt, {note}),)")
            write(f"    tt = {top}")
        if spec.floor is not None:
            low = self.constant(spec.floor)
            write(f"if tt < {low}:")
            note = self.constant(words.floor(spec.floor))
            write(f"    TL = TL + (({self.constant('floor')}, {low} - tt, {note}),)")
            write(f"    tt = {low}")
        if spec.rounding is not None:
            exponent = self.constant(Decimal(1).scaleb(-spec.rounding.places))
            mode = self.constant(ROUNDING_MODES[spec.rounding.mode])
            write(f"rd = tt.quantize({exponent}, rounding={mode})")
            write("if rd != tt:")
            note = self.constant(words.total_rounding(spec.rounding.places))
            write(f"    TL = TL + (({self.constant('rounding')}, rd - tt, {note}),)")
            write("tt = rd")
        parts = "".join(
            f"({self.constant(root)}, v{position}), " for position, root, _ in self.roots
        )
        # ``total * 100 / amax`` as ``_percent`` computes it, None for a zero maximum
        write(f"PC = tt * {self.constant(Decimal(100))} / {top}" if amax else "PC = None")
        if self.classification is None and not self.gates and not self.eligibility:
            # nothing to judge: the same constant for every unit (no local, no tuple made)
            return f", tt, {top}, TL, ({parts}), PC, {self.constant((None, (), ()))}"
        self.classify(
            "tt"
            if self.classification is None or self.classification[0] == "total"
            else ("PC" if amax else None)
        )
        self.gate_reasons("GR", self.gates)
        self.gate_reasons("GE", self.eligibility)
        return f", tt, {top}, TL, ({parts}), PC, (CL, GR, GE)"

    def classify(self, value: str | None) -> None:
        """``CL``: the classification's label (``_classify``) of ``value``.

        The label of the first band holding it, else the classification's ``otherwise``; None
        for a guide without a classification. ``value`` is None when it is a percent of a zero
        maximum (then ``otherwise``). The evaluator drops the label when a gate holds, as it
        does.
        """
        if self.classification is None:
            self.write("CL = None")
            return
        _, bands, otherwise = self.classification
        self.write(f"CL = {self.constant(otherwise) if otherwise is not None else 'None'}")
        if value is None:
            return
        for number, band in enumerate(bands):
            tests = []
            if band.low is not None:
                tests.append(
                    f"{value} {'>=' if band.low_inclusive else '>'} {self.constant(band.low)}"
                )
            if band.high is not None:
                tests.append(
                    f"{value} {'<=' if band.high_inclusive else '<'} {self.constant(band.high)}"
                )
            self.write(f"{'if' if number == 0 else 'elif'} {' and '.join(tests) or 'True'}:")
            self.write(f"    CL = {self.constant(band.label)}")

    def gate_reasons(self, local: str, gates: tuple[GateC, ...]) -> None:
        """``local``: the reasons of the gates that hold, in order (``_gates``).

        A gate reading a name that is not applicable does not hold, as in the evaluator.
        """
        self.write(f"{local} = ()")
        for gate in gates:
            tests = [f"names.get({self.constant(n)}) is not NA" for n in gate.when.names]
            tests.append(f"({self.condition(gate.when)})")
            self.write(f"if {' and '.join(tests)}:")
            reason = self.constant(f"{gate.id}: {gate.reason}")
            self.write(f"    {local} = {local} + ({reason},)")

    def applicability(self, count: int) -> tuple[str, str]:
        """The returned applicability and maxima: constants where the guide fixes them.

        A criterion that always applies with a fixed maximum gives ``True`` and that constant;
        when every criterion does, both tuples are constants, the same objects for every unit.
        """
        fixed = [
            self.applied_max[position] if self.static_applies[position] else None
            for position in range(count)
        ]
        if all(value is not None for value in fixed):
            return self.fresh_constant((True,) * count), self.fresh_constant(tuple(fixed))
        flags = ", ".join(
            "True" if self.static_applies[position] else f"a{position}" for position in range(count)
        )
        maxima = ", ".join(
            f"m{position}" if value is None else self.constant(value)
            for position, value in enumerate(fixed)
        )
        return f"({flags},)", f"({maxima},)"

    def drop_unread(self) -> None:
        """Leave out the assignments of a fixed ``aN``/``mN`` that nothing reads."""
        fixed = re.compile(r"\s*([am]\d+) = (?:True|[tp]k\d+|ZERO)")
        read = {
            name
            for line in self.out
            if not fixed.fullmatch(line)
            for name in re.findall(r"\b[am]\d+\b", line)
        }
        self.out = [
            line
            for line in self.out
            if (match := fixed.fullmatch(line)) is None or match.group(1) in read
        ]

    def node(self, position: int, node: Node) -> None:
        write = self.write
        if node.carries_excess:
            write(f"x{position} = ZERO")
        if self.tracks:
            write(f"b{position} = ZERO")
            write(f"g{position} = ZERO")
        # the ways a criterion does not apply, in the interpreter's order
        branches: list[tuple[str, str]] = []
        facts = "()"
        if node.cluster:
            write(f"e = cohort.get({self.constant(node.id)})")
            write("f = () if e is None else e.facts")
            facts = "f"
            branches.append(
                (
                    "e is None or not e.applicable",
                    "e.note if e is not None and e.note else "
                    + self.constant(words.NOT_APPLICABLE),
                )
            )
        elif node.optional_reads:
            write(f"ms = [n for n in {self.constant(node.optional_reads)} if names[n] is NA]")
            branches.append(("ms", f"{self.constant(words.missing_inputs)}(ms)"))
        if node.applicable_if is not None:
            branches.append(
                (
                    f"not {self.condition(node.applicable_if)}",
                    self.constant(words.not_applicable_if(node.applicable_if.source)),
                )
            )
        # a child that always applies makes this test always false: it is not written
        if (
            node.construct is None
            and node.score_children
            and not any(self.static_applies[self.index[c]] for c in node.score_children)
        ):
            anyone = " or ".join(self.applies_of(child) for child in node.score_children)
            note = self.constant(words.ALL_CHILDREN_NOT_APPLICABLE)
            branches.append((f"not ({anyone})", note))
        opened = False
        for number, (condition, note) in enumerate(branches):
            write(f"{'if' if number == 0 else 'elif'} {condition}:")
            self.indent += 1
            write(f"v{position} = ZERO")
            write(f"a{position} = False")
            write(f"m{position} = ZERO")
            if self.traced:
                status = self.constant(NOT_APPLICABLE_STATUS)
                write(f"r{position} = ({status}, None, (), {note}, {facts})")
            self.indent -= 1
            opened = True
        self.static_applies[position] = not opened
        if opened:
            write("else:")
            self.indent += 1
        write(f"m{position} = {self.amax(node, position)}")
        write(f"a{position} = True")
        closes = 0
        if node.when is not None:
            write(f"if not {self.condition(node.when)}:")
            self.zero(position, "condition_not_met", node.when.source, facts)
            closes = 1
        if node.waive_if is not None:
            write(f"{'elif' if closes else 'if'} {self.condition(node.waive_if)}:")
            self.zero(position, "waived", node.waive_if.source, facts)
            closes = 1
        if closes:
            write("else:")
            self.indent += 1
        self.body(position, node, facts)
        if closes:
            self.indent -= 1
        if opened:
            self.indent -= 1
        if self.tracks and node.kind != "score":  # a bonus or deduction as a whole: its value
            write(f"b{position} = v{position} if v{position} > ZERO else ZERO")
            write(f"g{position} = -v{position} if v{position} < ZERO else ZERO")
        if self.uses_score:
            write(f"S[{self.constant(node.id)}] = v{position}")

    def zero(self, position: int, status: str, note: str, facts: str) -> None:
        self.indent += 1
        self.write(f"v{position} = ZERO")
        if self.traced:
            self.write(
                f"r{position} = ({self.constant(status)}, None, (), {self.constant(note)}, {facts})"
            )
        self.indent -= 1

    def amax(self, node: Node, position: int) -> str:
        """The applicable maximum (``_Unit.applicable_max``), folded where constants fix it.

        With every child's maximum fixed when it applies, the value for a unit to which every
        child applies is computed here, with the same operations in the same order (so the
        same digits and exponent); the code computes it only when a child may not apply and
        does not.
        """
        if node.max is None:
            self.applied_max[position] = ZERO
            return "ZERO"
        removed = [
            (self.nodes[child].max, child)
            for child in node.score_children
            if self.nodes[child].max is not None and node.combine == "sum"
        ]
        if not removed:
            self.applied_max[position] = node.max - ZERO
            return self.constant(node.max - ZERO)
        terms = "".join(
            f" + ({self.constant(child_max)} - {self.maximum_of(child)})"
            for child_max, child in removed
        )
        computed = f"{self.constant(node.max)} - (ZERO{terms})"
        self.applied_max[position] = None
        fixed = [(child_max, self.applied_max[self.index[child]]) for child_max, child in removed]
        try:
            total = ZERO
            for child_max, child_fixed in fixed:
                if child_max is None or child_fixed is None:
                    return computed
                total = total + (child_max - child_fixed)
            folded = node.max - total
        except ArithmeticError:  # left to the code, which then falls back
            return computed
        varying = [
            self.applies_of(child)
            for _, child in removed
            if not self.static_applies[self.index[child]]
        ]
        if not varying:
            self.applied_max[position] = folded
            return self.constant(folded)
        return f"{self.constant(folded)} if {' and '.join(varying)} else ({computed})"

    def single_line_leaf(self, position: int, node: Node) -> None:
        """A leaf whose only possible line is its construct's cap: no list, no loop.

        The construct's writer calls :meth:`uncapped` on each path where the part is the value
        and :meth:`capped` in its cap branch; the value and record are set on each path.
        """
        self.single_line_note = ""
        self.single_line_position = position
        self.single_line_kind = node.kind
        self.construct(node)
        note, self.single_line_note = self.single_line_note, None
        self.single_line_position = None
        if self.traced:  # the builder knows the line's code and note: record the amount only
            self.cap_notes[position] = note

    def body(self, position: int, node: Node, facts: str) -> None:
        write = self.write
        if (
            isinstance(node.construct, PerEventC | ProportionalC)
            and (not isinstance(node.construct, PerEventC) or node.construct.cap is not None)
            and not node.cluster
            and not node.adjust_children
            and node.forfeit_if is None
            and not node.has_limits
            and not node.carries_excess
            and not (isinstance(node.construct, ProportionalC) and zero_handled(node.construct))
            and not node.shared_caps
        ):
            self.single_line_leaf(position, node)
            return
        lined = self.may_have_lines(node)
        if lined:
            write("L = []")
        parts = "None"
        value = "v"  # the local holding the value (``raw`` for a construct with nothing after)
        checked = lined or self.always_check(node)
        if node.combine != "sum" and node.children:
            self.choose(node, position)
            parts = "P"
            check = "ZERO + cv if P else ZERO"
        else:
            if node.construct is not None:
                # with nothing that changes the part after it, it is the value: no ``v = raw``
                plain = not (lined or node.adjusts or self.tracks or node.carries_excess)
                self.part_is_value = plain
                self.construct(node)
                self.part_is_value = False
                if plain:
                    value = "raw"
                parts = "raw"
                check = "ZERO + raw"
                if node.carries_excess:  # the construct's last line, when it is the excess
                    code = self.constant("excess_bonus")
                    write(f"x{position} = L[-1][1] if L and L[-1][0] == {code} else ZERO")
            elif node.score_children:
                total = "".join(f" + {self.value_of(child)}" for child in node.score_children)
                if checked:  # the check's sum starts with the same additions: made once
                    write(f"t = ZERO{total}")
                    write("v = t")
                    check = "t"
                else:
                    write(f"v = ZERO{total}")
                    check = f"ZERO{total}"
            elif node.max is not None:
                write(f"v = {self.constant(node.max)}")
                check = f"ZERO + {self.constant(node.max)}"
            else:
                write("v = ZERO")
                check = "ZERO"
            if node.adjusts:
                self.adjust(node)
                write("v = v + cmb")
                check += "".join(f" + {self.value_of(child)}" for child in node.adjust_children)
            if self.tracks:
                self.content(position, node)
        if node.shared_caps:
            self.shared(position, node)
        status = self.constant(SCORED)
        if node.forfeit_if is not None:
            write(f"st = {status}")
            status = "st"
            write(f"if {self.condition(node.forfeit_if)}:")
            code, forfeit_value = self.constant("forfeit"), self.constant(node.forfeit_value)
            write(
                f"    L.append(({code}, {forfeit_value} - v, "
                f"{self.constant(node.forfeit_if.source)}))"
            )
            write(f"    v = {self.constant(node.forfeit_value)}")
            write(f"    st = {self.constant('forfeited')}")
            if _has_deductions(node):
                write("    cn = ZERO")  # it loses its points but adds no deduction
            if node.carries_excess:
                write(f"    x{position} = ZERO")
            if self.tracks:
                write(f"    b{position} = ZERO")
                write(f"    g{position} = ZERO")
        if _has_deductions(node) and node.kind == "score" and node.combine == "sum":
            write("ds = ds + cn")
        if node.has_limits:
            self.limits(node)
        self.sign_check(value, node.kind)
        if self.always_check(node):  # the sum of the parts may round differently
            if check != "t":
                write(f"t = {check}")
            if lined:
                write("for l in L:")
                write("    t += l[1]")
            write(f"if t != {value}:")
            write("    raise FB")
        elif lined:  # with no line the value is its part, exactly
            write("if L:")
            write(f"    t = {check}")
            write("    for l in L:")
            write("        t += l[1]")
            write("    if t != v:")
            write("        raise FB")
        write(f"v{position} = {value}")
        if not self.traced:
            return
        note = "e.note" if node.cluster else "None"
        if node.cluster or parts == "P" or node.forfeit_if is not None:
            lines = "tuple(L)" if lined else "()"
            write(f"r{position} = ({status}, {parts}, {lines}, {note}, {facts})")
        elif lined:  # the usual record is its part alone: no tuple for the collector to track
            write(f"r{position} = ({status}, {parts}, tuple(L), None, ()) if L else {parts}")
        else:
            write(f"r{position} = {parts}")

    def always_check(self, node: Node) -> bool:
        """Whether the interpreter's check (value = sum of parts and lines) can fail without a line.

        Sums round to the engine's 28 digits: a part with more digits (an input given with 31
        digits, read by a formula) or parts summed in another order (a group with adjustments)
        can make the check fail where the value has no line at all.
        """
        construct = node.construct
        if node.combine != "sum" and node.children:
            return True
        if construct is None:
            if node.adjusts:
                return True
            return node.max is not None and not node.score_children and _inexact(node.max)
        if isinstance(construct, Points):
            return _inexact(construct.points)
        if isinstance(construct, Met):
            return node.max is not None and _inexact(node.max)
        if isinstance(construct, BandsC):
            points = [band.points for band in construct.bands if band.points is not None]
            return any(
                _inexact(point)
                for point in [*points, *([construct.otherwise] if construct.otherwise else [])]
            )
        # the single-line leaves compute their part (rounded); the others may pass a value on
        return not isinstance(construct, PerEventC | ProportionalC)

    def may_have_lines(self, node: Node) -> bool:
        if node.construct is not None and construct_lines(node):
            return True
        if node.adjusts and (
            node.cap_deductions is not None
            or node.cap_bonuses is not None
            or node.cap_adjustments is not None
            or any(self.nodes[child].requires_benchmark for child in node.adjust_children)
        ):
            return True
        return node.forfeit_if is not None or node.has_limits or bool(node.shared_caps)

    def content(self, position: int, node: Node) -> None:
        """The bonuses and deductions the summed value holds (``_Unit.content``)."""
        if node.kind != "score":  # a bonus or deduction as a whole: its value
            self.write(f"b{position} = v if v > ZERO else ZERO")
            self.write(f"g{position} = -v if v < ZERO else ZERO")
            return
        bonus, malus = [f"b{position} = ZERO"], [f"g{position} = ZERO"]
        for child in node.score_children:
            at = self.index[child]
            bonus.append(f"(b{at} - x{at})" if child in node.excess_children else f"b{at}")
            malus.append(f"g{at}")
        if node.adjusts:
            bonus.append("hb")
            malus.append("hg")
        if node.carries_excess:
            bonus.append(f"x{position}")
        self.write(" + ".join(bonus))
        self.write(" + ".join(malus))

    def shared(self, position: int, node: Node) -> None:
        """The shared caps cut at this criterion (``_Unit.shared``), one line each."""
        write = self.write
        if any(cap.deductions for cap in node.shared_caps) and not node.adjusts:
            write("cn = ZERO")
        for cap in node.shared_caps:
            held = "g" if cap.deductions else "b"
            terms = "".join(f" + {held}{self.index[member]}" for member in cap.of)
            write(f"ps = ZERO{terms}")
            top = self.constant(cap.max)
            write(f"if ps > {top}:")
            if cap.deductions:
                write(f"    pc = ps - {top}")
                write(f"    g{position} = g{position} - pc")
                write("    cn = cn + pc")
            else:
                write(f"    pc = {top} - ps")
                write(f"    b{position} = b{position} + pc")
            write(f"    L.append(({self.constant('shared_cap')}, pc, {self.constant(cap.note)}))")
            write("    v = v + pc")

    def choose(self, node: Node, position: int) -> None:
        write = self.write
        write("cv = None")
        for child in node.children:
            if node.combine == "highest":
                write(
                    f"if {self.applies_of(child)} and (cv is None or {self.value_of(child)} > cv):"
                )
            else:  # first
                applies, value = self.applies_of(child), self.value_of(child)
                write(f"if cv is None and {applies} and {value} != ZERO:")
            write(f"    cid = {self.constant(child)}")
            write(f"    cv = {self.value_of(child)}")
            if self.tracks:
                write(f"    cb = b{self.index[child]}")
                write(f"    cg = g{self.index[child]}")
        write("if cv is None:")
        write("    v = ZERO")
        write("    P = ()")
        write("else:")
        write("    v = cv")
        write("    P = ((cid, cv),)")
        if self.tracks:
            write(f"    b{position} = cb")
            write(f"    g{position} = cg")

    def adjust(self, node: Node) -> None:
        write = self.write
        children = [(child, self.nodes[child]) for child in node.adjust_children]
        if node.excess_children:  # the excess of score children counts with the bonuses
            write("ex = ZERO")
            for child in node.excess_children:
                write(f"if {self.applies_of(child)}:")
                write(f"    ex = ex + x{self.index[child]}")
        if any(child_node.requires_benchmark for _, child_node in children):
            write("pd = ZERO")
            for child, child_node in children:
                if not child_node.requires_benchmark:
                    write(f"if {self.applies_of(child)} and {self.value_of(child)} < ZERO:")
                    write(f"    pd = pd + {self.value_of(child)}")
            if node.max is None:
                write("bm = False")
            elif node.excess_children:
                write(f"bm = v - ex == {self.constant(node.max)} and pd == ZERO")
            else:
                write(f"bm = v == {self.constant(node.max)} and pd == ZERO")
        write("neg = ZERO")
        write("pos = ex" if node.excess_children else "pos = ZERO")
        for child, child_node in children:
            static = self.static_applies[self.index[child]]
            if not static:  # a child that always applies needs no test
                write(f"if {self.applies_of(child)}:")
                self.indent += 1
            if child_node.kind == "bonus" and not child_node.requires_benchmark:
                # a bonus below zero has made the code fall back (its sign check)
                write(f"pos = pos + {self.value_of(child)}")
                if not static:
                    self.indent -= 1
                continue
            if child_node.requires_benchmark:
                note = words.benchmark_not_met(child)
                write(f"if not bm and {self.value_of(child)} != ZERO:")
                code = self.constant("benchmark_not_met")
                write(f"    L.append(({code}, -{self.value_of(child)}, {self.constant(note)}))")
                write(f"elif {self.value_of(child)} < ZERO:")
            else:
                write(f"if {self.value_of(child)} < ZERO:")
            write(f"    neg = neg + {self.value_of(child)}")
            write("else:")
            write(f"    pos = pos + {self.value_of(child)}")
            if not static:
                self.indent -= 1
        write("cn = neg")
        write("cp = pos")
        if node.cap_deductions is not None:
            write(f"if neg < {self.constant(-node.cap_deductions)}:")
            write(f"    cn = {self.constant(-node.cap_deductions)}")
            note = words.cap_deductions(node.cap_deductions)
            code = self.constant("cap_deductions")
            write(f"    L.append(({code}, cn - neg, {self.constant(note)}))")
        if node.cap_bonuses is not None:
            write(f"if pos > {self.constant(node.cap_bonuses)}:")
            write(f"    cp = {self.constant(node.cap_bonuses)}")
            note = words.cap_bonuses(node.cap_bonuses)
            write(
                f"    L.append(({self.constant('cap_bonuses')}, cp - pos, {self.constant(note)}))"
            )
        write("cmb = cn + cp")
        cap = node.cap_adjustments
        if cap is not None:
            write(f"if abs(cmb) > {self.constant(cap)}:")
            write(f"    b = {self.constant(cap)} if cmb > ZERO else {self.constant(-cap)}")
            note = words.cap_adjustments(cap)
            code = self.constant("cap_adjustments")
            write(f"    L.append(({code}, b - cmb, {self.constant(note)}))")
            write("    cmb = b")
            write("    cn = ZERO if ZERO < cmb else cmb")  # min(cmb, ZERO), as the interpreter
        if self.tracks:  # the bonuses and deductions held after the caps
            write("hb = cmb - cn")
            write("hg = -cn")
        if node.excess_children:  # already in the base
            write("cmb = cmb - ex")

    def limits(self, node: Node) -> None:
        write = self.write
        if node.cap_at_max and node.max is not None:
            top = self.constant(node.max)
            write(f"if v > {top}:")
            note = words.cap_at_max(node.max)
            write(
                f"    L.append(({self.constant('cap_at_max')}, {top} - v, {self.constant(note)}))"
            )
            write(f"    v = {top}")
        if node.floor is not None:
            low = self.constant(node.floor)
            write(f"if v < {low}:")
            note = words.floor(node.floor)
            write(f"    L.append(({self.constant('floor')}, {low} - v, {self.constant(note)}))")
            write(f"    v = {low}")
        if node.rounding is not None:
            places, mode = node.rounding
            exponent = self.constant(Decimal(1).scaleb(-places))
            write(f"rd = D(v).quantize({exponent}, rounding={self.constant(ROUNDING_MODES[mode])})")
            write("if rd != v:")
            note = words.rounding(places, mode)
            write(f"    L.append(({self.constant('rounding')}, rd - v, {self.constant(note)}))")
            write("v = rd")
