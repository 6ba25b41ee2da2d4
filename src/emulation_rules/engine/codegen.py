"""Compile a guide into Python functions: the evaluator's fast path.

Fast path of: the interpreter (:class:`emulation_rules.engine.evaluator._Unit`, whose
``SCORERS`` are the reference of this module's ``EMITTERS``, construct by construct). Kept equal
by: ``tests/test_codegen_differential.py`` (results and traces of both, guide by guide and on
generated guides) and ``tests/test_codegen.py``. A fallback to the interpreter is counted and
logged (:func:`emulation_rules.engine.evaluator.counting_fallbacks`).

:func:`build_program` turns a compiled guide into two Python functions (one that records the
trace, one that does not) that score one unit with straight-line code: one block per
criterion, in the compiled order, with every value in a local variable. They do what the
interpreter in :mod:`emulation_rules.engine.evaluator` does, step for step and operation for
operation, so that the decimals are the same to the last digit and exponent; the interpreter
stays the reference, and the tests check that both give identical results and traces.

Only this module writes the code, and it writes nothing that comes from the guide: ids, titles,
numbers, expressions and notes are all handed to the code as opaque constants ``k0, k1, …``;
the code's own text is made of local names, those constant names and fixed Python syntax (a
test parses every generated program and checks that it holds no other literal). Expressions
run as the closures the sandbox compiled from their checked trees.

The functions return the value of every criterion by id, its applicability and applicable
maximum in the compiled order, the unit's capped deductions and, with the trace, one small
record per criterion ``(status, parts, lines, note, facts)``; for a leaf capped by its own
construct, ``(part, amount of the cap line)``; for the usual criterion scored with no
adjustment line, its part alone (a decimal or None: no tuple for the collector to
track); :class:`~emulation_rules.engine.evaluator.TraceNode` objects are built from the records only
when the trace is read.

Any exception in a generated function (an expression that fails, a value of the wrong type,
an internal check) makes the evaluator score that unit again with the interpreter, which
raises and locates the error as it always has: the fast path never decides a failure.
"""

# The emit_* construct methods share one signature for the EMITTERS table; not every one
# uses every argument.
# ruff: noqa: ARG002

from __future__ import annotations

import ast
import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from emulation_rules.compiler import sandbox as _sandbox
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.compiler.nodes import (
    BandsC,
    DeadlineC,
    FormulaC,
    IncrementC,
    LookupC,
    Met,
    PerEventC,
    Points,
    ProportionalC,
    RankPointsC,
    TableC,
    TargetC,
)
from emulation_rules.compiler.sandbox import ROUNDING_MODES
from emulation_rules.engine import words

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from emulation_rules.compiler.nodes import BandSpec, GateC, Node
    from emulation_rules.compiler.sandbox import CheckedExpression

__all__ = ["EMITTERS", "FastPathFailed", "Program", "build_program"]

ZERO = Decimal(0)

# The statuses and fixed notes of the trace (the interpreter writes the same words).
SCORED = "scored"
NOT_APPLICABLE_STATUS = "not_applicable"


class FastPathFailed(Exception):  # noqa: N818 - not an error the user sees
    """A generated function met something it leaves to the interpreter."""


@dataclass(frozen=True, slots=True)
class Program:
    """A guide compiled into Python functions, with the facts the evaluator needs around them."""

    #: The generated text of the functions ``traced`` and ``plain``.
    sources: Mapping[str, str]
    #: The constants and helpers the text names.
    namespace: Mapping[str, Any]
    #: ``(index in the order, id, is of kind score)`` of every top-level criterion.
    roots: tuple[tuple[int, str, bool], ...]
    #: Whether any expression calls ``score(...)`` (then ``S`` must be in the names).
    uses_score: bool
    #: What the trace builder needs of each criterion, in the compiled order (see
    #: :func:`trace_plan`).
    plan: tuple[PlanEntry, ...] = ()
    _functions: dict[str, Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False
    )
    #: The applicability and maxima of a unit to which every criterion applies: the same for
    #: every such unit (computed from the guide's constants alone), so all of them share one.
    _everything_applies: list[tuple[tuple[bool, ...], tuple[Decimal, ...]]] = field(
        default_factory=list, compare=False, repr=False
    )

    def shared(
        self, flags: tuple[bool, ...], maxima: tuple[Decimal, ...]
    ) -> tuple[tuple[bool, ...], tuple[Decimal, ...]]:
        """``(flags, maxima)``, or the equal pair all units share when every criterion applies.

        A unit keeps fewer objects alive, and the garbage collector has fewer to walk.
        """
        if False in flags:
            return flags, maxima
        if not self._everything_applies:  # two threads may both store it: they are equal
            self._everything_applies.append((flags, maxima))
        return self._everything_applies[0]

    @property
    def source(self) -> str:
        """The generated text of both functions (for tests and curious readers)."""
        return "\n\n".join(self.sources.values()) + "\n"

    def function(self, *, traced: bool) -> Callable[..., Any]:
        """The function with or without the trace, compiled the first time it is asked for.

        ``traced(names, cohort, S) -> (V, A, M, deductions, R)``: the values by id, then the
        applicability and applicable maxima in the compiled order, the capped deductions and
        the records; ``plain`` returns the same without the records. Compiling costs some
        20 ms for a guide of 200 criteria, so a guide that is only checked never pays it.
        """
        name = "traced" if traced else "plain"
        function = self._functions.get(name)
        if function is None:  # two threads may both compile it: the results are the same
            namespace = dict(self.namespace)
            # The text is built from local names, constant names and fixed syntax only:
            # nothing of the guide is in it (tests/test_codegen.py parses it and checks).
            code = compile(self.sources[name], "<emulation-rules program>", "exec")
            exec(code, namespace)  # noqa: S102 - our own generated code, see above
            function = self._functions[name] = namespace[name]
        return function


class PlanEntry(NamedTuple):
    """What the trace builder needs of one criterion: its static facts, in the compiled order.

    Children are given as indexes in the compiled order.
    """

    id: str
    title: str
    kind: str
    rule: str
    reads: tuple[str, ...]
    #: Whether it reads inputs that may be missing as not applicable.
    optional: bool
    children: tuple[int, ...]
    line: int | None
    has_max: bool
    #: How its parts are shown: ``chosen``, ``construct``, ``children``, ``benchmark``, ``nothing``.
    shown: str
    score_children: tuple[tuple[str, int], ...]
    adjust_children: tuple[tuple[str, int], ...]
    #: The benchmark part, ``(("benchmark", max),)``, or ``()``.
    benchmark: tuple[tuple[str, Decimal], ...]
    #: The label of the construct's part (its name, or ``rule``).
    construct_label: str
    #: The note of its cap line when its record of a capped value is ``(part, amount)``.
    cap_note: str | None


def trace_plan(
    nodes: Mapping[str, Node],
    order: tuple[str, ...],
    index: Mapping[str, int],
    cap_notes: Mapping[int, str],
) -> tuple[PlanEntry, ...]:
    """The static facts of every criterion that a trace node shows.

    ``cap_notes`` are the notes of the leaves whose record of a capped value is
    ``(part, amount of the cap line)``.
    """
    plan: list[PlanEntry] = []
    for ident in order:
        node = nodes[ident]
        if node.combine != "sum" and node.children:
            shown = "chosen"
        elif node.construct is not None:
            shown = "construct"
        elif node.score_children:
            shown = "children"
        elif node.max is not None:
            shown = "benchmark"
        else:
            shown = "nothing"
        plan.append(
            PlanEntry(
                ident,
                node.title,
                node.kind,
                node.rule,
                node.reads,
                bool(node.optional_reads),
                tuple(index[c] for c in node.children),
                node.line,
                node.max is not None,
                shown,
                tuple((c, index[c]) for c in node.score_children),
                tuple((c, index[c]) for c in node.adjust_children),
                (("benchmark", node.max),) if node.max is not None else (),
                node.construct_name or "rule",
                cap_notes.get(len(plan)),
            )
        )
    return tuple(plan)


def build_program(
    nodes: Mapping[str, Node],
    order: tuple[str, ...],
    roots: tuple[str, ...],
    gates: tuple[GateC, ...],
    constructs: Mapping[str, Callable[..., Decimal]],
    context_class: type,
    engine_context: decimal.Context,
) -> Program | None:
    """Generate the functions of a guide, or None when an expression has no compiled form.

    ``constructs`` and ``context_class`` are the interpreter's construct functions and the
    context they run with, for the rarer constructs the generated code calls rather than
    inlines; ``engine_context`` is the decimal context the constants are folded in.
    """
    expressions = [e for n in nodes.values() for e in _expressions(n)]
    expressions += [g.when for g in gates]
    if any(e.fn is None for e in expressions) or not order:
        return None
    uses_score = any(e.refs for e in expressions)
    index = {ident: i for i, ident in enumerate(order)}
    with decimal.localcontext(engine_context):
        sources = {}
        cap_notes: dict[int, str] = {}
        namespace: dict[str, Any] = {}
        for traced in (True, False):
            writer = _Writer(nodes, index, traced=traced, uses_score=uses_score)
            writer.function(order, constructs, context_class)
            sources["traced" if traced else "plain"] = "\n".join(writer.out) + "\n"
            namespace.update(writer.constants)
            cap_notes.update(writer.cap_notes)
    namespace.update(
        {
            "ZERO": ZERO,
            "NA": NOT_APPLICABLE,
            "D": Decimal,
            "NUM": frozenset((Decimal, int)),
            "FB": FastPathFailed,
            "__builtins__": {"tuple": tuple, "abs": abs},
        }
    )
    root_info = tuple((index[r], r, nodes[r].kind == "score") for r in roots)
    return Program(
        MappingProxyType(sources),
        MappingProxyType(namespace),
        root_info,
        uses_score,
        trace_plan(nodes, order, index, cap_notes),
    )


def _expressions(node: Node) -> list[CheckedExpression]:
    out = [e for e in (node.when, node.waive_if, node.forfeit_if, node.applicable_if) if e]
    for name in _EXPRESSION_FIELDS:
        value = getattr(node.construct, name, None)
        if value is not None and hasattr(value, "fn"):  # a deadline's due may be a date
            out.append(value)
    return out


#: The fields of the constructs that hold an expression.
_EXPRESSION_FIELDS = (
    "condition",
    "count",
    "achieved",
    "target",
    "of",
    "expression",
    "when",
    "rows_of",
    "columns_of",
    "due",
)


class _Writer:
    """Writes one function; every value from the guide becomes a constant ``kN``."""

    def __init__(
        self, nodes: Mapping[str, Node], index: Mapping[str, int], *, traced: bool, uses_score: bool
    ) -> None:
        self.nodes = nodes
        self.index = index
        self.traced = traced
        self.uses_score = uses_score
        self.out: list[str] = []
        self.indent = 1
        self.constants: dict[str, Any] = {}
        self._by_key: dict[tuple[Any, ...], str] = {}
        self.prefix = "t" if traced else "p"
        self.temporaries = 0
        #: While a single-line leaf is written: the note of its cap line (else None).
        self.single: str | None = None
        #: The note of each single-line leaf's cap line, by index in the order.
        self.cap_notes: dict[int, str] = {}

    # -- text ---------------------------------------------------------------------------------

    def w(self, line: str) -> None:
        self.out.append("    " * self.indent + line)

    def k(self, value: Any) -> str:
        """The name of a constant holding ``value`` (equal values share one name)."""
        key: tuple[Any, ...]
        if type(value) is Decimal:  # equal decimals may differ in exponent: keep each as given
            key = (Decimal, str(value))
        elif type(value) in (str, tuple, bool, int):
            key = (type(value), value)
        else:
            key = (type(value), id(value))
        name = self._by_key.get(key)
        if name is None:
            name = f"{self.prefix}k{len(self._by_key)}"
            self._by_key[key] = name
            self.constants[name] = value
        return name

    def v(self, ident: str) -> str:
        return f"v{self.index[ident]}"

    def a(self, ident: str) -> str:
        return f"a{self.index[ident]}"

    def m(self, ident: str) -> str:
        return f"m{self.index[ident]}"

    # -- expressions --------------------------------------------------------------------------

    def condition(self, expression: CheckedExpression) -> str:
        return self.expression(expression)

    def number(self, expression: CheckedExpression, target: str) -> None:
        self.w(f"{target} = {self.expression(expression)}")
        self.w(f"if {target}.__class__ not in NUM:")
        self.w("    raise FB")

    def expression(self, expression: CheckedExpression) -> str:
        """Python code for a checked expression: the sandbox's closures, written inline.

        Each node does what :func:`~emulation_rules.compiler.sandbox.compile_tree` makes it do, with
        the same helper functions (operands checked as numbers, division through the
        sandbox's ``_div``, the function table's implementations); a tree deeper than
        ``_INLINE_DEPTH`` runs as its closure instead.
        """
        if expression.bare_name is not None:
            return f"names[{self.k(expression.bare_name)}]"
        if _depth(expression.tree) > _INLINE_DEPTH:
            return f"{self.k(expression.fn)}(names)"
        return self.tree(expression.tree)

    def tree(self, tree: ast.expr) -> str:
        if isinstance(tree, ast.Constant):
            return self.k(tree.value)
        if isinstance(tree, ast.Name):
            return f"names[{self.k(tree.id)}]"
        if isinstance(tree, ast.BinOp):
            left, right = self.operand(tree.left), self.operand(tree.right)
            if isinstance(tree.op, ast.Div):
                return self.divide(left, right)
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(tree.op)]
            return f"({left} {symbol} {right})"
        if isinstance(tree, ast.UnaryOp):
            if isinstance(tree.op, ast.Not):
                return f"(not {self.tree(tree.operand)})"
            return f"({'-' if isinstance(tree.op, ast.USub) else '+'}{self.operand(tree.operand)})"
        if isinstance(tree, ast.BoolOp):
            word = " and " if isinstance(tree.op, ast.And) else " or "
            return "(" + word.join(self.tree(v) for v in tree.values) + ")"
        if isinstance(tree, ast.Compare):
            text = self.tree(tree.left)
            for op, comparator in zip(tree.ops, tree.comparators, strict=True):
                text += f" {_COMPARE_TEXT[type(op)]} {self.tree(comparator)}"
            return f"({text})"
        if isinstance(tree, ast.IfExp):
            test, body, orelse = self.tree(tree.test), self.tree(tree.body), self.tree(tree.orelse)
            return f"({body} if {test} else {orelse})"
        assert isinstance(tree, ast.Call)
        assert isinstance(tree.func, ast.Name)
        args = ", ".join(self.tree(a) for a in tree.args)
        if tree.func.id == "score":
            return f"names[{self.k(_sandbox.SCORE_KEY)}]({args})"
        if tree.func.id in ("percent", "ratio") and len(tree.args) == 2:
            # as the sandbox defines them: a percent is a division of the part times 100
            part, whole = (self.tree(a) for a in tree.args)
            if tree.func.id == "percent":
                part = f"D({part}) * {self.k(100)}"
            return self.divide(part, whole)
        return f"{self.k(_sandbox.FUNCTIONS[tree.func.id].impl)}({args})"

    def divide(self, left: str, right: str) -> str:
        """The sandbox's ``_div(left, right)``: a zero divisor goes to ``_div`` itself, to raise."""
        self.temporaries += 1
        name = f"o{self.temporaries}"
        divide = self.k(_sandbox._div)  # noqa: SLF001
        return f"(D({left}) / D({name}) if ({name} := {right}) else {divide}({left}, {name}))"

    def operand(self, tree: ast.expr) -> str:
        """An arithmetic operand, checked to be a number as the sandbox checks it."""
        self.temporaries += 1
        name = f"o{self.temporaries}"
        check = self.k(_sandbox._number_value)  # noqa: SLF001
        return f"({name} if ({name} := {self.tree(tree)}).__class__ in NUM else {check}({name}))"

    # -- the function -------------------------------------------------------------------------

    def function(
        self,
        order: tuple[str, ...],
        constructs: Mapping[str, Callable[..., Decimal]],
        context_class: type,
    ) -> None:
        self.constructs = constructs
        self.context_class = context_class
        name = "traced" if self.traced else "plain"
        self.indent = 0
        self.w(f"def {name}(names, cohort, S):")
        self.indent = 1
        self.w("ds = ZERO")
        generic = any(self.nodes[i].construct_name in _CALLED for i in order)
        if generic:
            self.w(f"ctx = {self.k(context_class)}(names, cohort)")
        for ident in order:
            self.node(self.index[ident], self.nodes[ident])
        n = len(order)
        values = ", ".join(f"{self.k(ident)}: v{i}" for i, ident in enumerate(order))
        flags = ", ".join(f"a{i}" for i in range(n))
        maxima = ", ".join(f"m{i}" for i in range(n))
        if self.traced:
            records = ", ".join(f"r{i}" for i in range(n))
            self.w(f"return {{{values}}}, ({flags},), ({maxima},), ds, ({records},)")
        else:
            self.w(f"return {{{values}}}, ({flags},), ({maxima},), ds")

    # -- one criterion ------------------------------------------------------------------------

    def node(self, i: int, node: Node) -> None:
        w = self.w
        # the ways a criterion does not apply, in the interpreter's order
        branches: list[tuple[str, str]] = []
        facts = "()"
        if node.cluster:
            w(f"e = cohort.get({self.k(node.id)})")
            w("f = () if e is None else e.facts")
            facts = "f"
            branches.append(
                (
                    "e is None or not e.applicable",
                    f"e.note if e is not None and e.note else {self.k(words.NOT_APPLICABLE)}",
                )
            )
        elif node.optional_reads:
            w(f"ms = [n for n in {self.k(node.optional_reads)} if names[n] is NA]")
            branches.append(("ms", f"{self.k(words.missing_inputs)}(ms)"))
        if node.applicable_if is not None:
            branches.append(
                (
                    f"not {self.condition(node.applicable_if)}",
                    self.k(words.not_applicable_if(node.applicable_if.source)),
                )
            )
        if node.construct is None and node.score_children:
            anyone = " or ".join(self.a(c) for c in node.score_children)
            branches.append((f"not ({anyone})", self.k(words.ALL_CHILDREN_NOT_APPLICABLE)))
        opened = False
        for number, (condition, note) in enumerate(branches):
            w(f"{'if' if number == 0 else 'elif'} {condition}:")
            self.indent += 1
            w(f"v{i} = ZERO")
            w(f"a{i} = False")
            w(f"m{i} = ZERO")
            if self.traced:
                w(f"r{i} = ({self.k(NOT_APPLICABLE_STATUS)}, None, (), {note}, {facts})")
            self.indent -= 1
            opened = True
        if opened:
            w("else:")
            self.indent += 1
        w(f"m{i} = {self.amax(node)}")
        w(f"a{i} = True")
        closes = 0
        if node.when is not None:
            w(f"if not {self.condition(node.when)}:")
            self.zero(i, "condition_not_met", node.when.source, facts)
            closes = 1
        if node.waive_if is not None:
            w(f"{'elif' if closes else 'if'} {self.condition(node.waive_if)}:")
            self.zero(i, "waived", node.waive_if.source, facts)
            closes = 1
        if closes:
            w("else:")
            self.indent += 1
        self.body(i, node, facts)
        if closes:
            self.indent -= 1
        if opened:
            self.indent -= 1
        if self.uses_score:
            w(f"S[{self.k(node.id)}] = v{i}")

    def zero(self, i: int, status: str, note: str, facts: str) -> None:
        self.indent += 1
        self.w(f"v{i} = ZERO")
        if self.traced:
            self.w(f"r{i} = ({self.k(status)}, None, (), {self.k(note)}, {facts})")
        self.indent -= 1

    def amax(self, node: Node) -> str:
        if node.max is None:
            return "ZERO"
        removed = [
            (self.nodes[c].max, c)
            for c in node.score_children
            if self.nodes[c].max is not None and node.combine == "sum"
        ]
        if not removed:
            return self.k(node.max - ZERO)
        terms = "".join(f" + ({self.k(cmax)} - {self.m(c)})" for cmax, c in removed)
        return f"{self.k(node.max)} - (ZERO{terms})"

    def single_line_leaf(self, i: int, node: Node) -> None:
        """A leaf whose only possible line is its construct's cap: no list, no loop."""
        w = self.w
        self.single = ""
        self.construct(node)
        note, self.single = self.single, None
        w("if d is None:")
        w("    v = raw")
        w("else:")
        w("    v = raw + d")
        w("    if ZERO + raw + d != v:")
        w("        raise FB")
        if node.kind in ("bonus", "deduction"):
            w(f"if v {'<' if node.kind == 'bonus' else '>'} ZERO:")
            w("    raise FB")
        w(f"v{i} = v")
        if self.traced:  # the builder knows the line's code and note: record the amount only
            self.cap_notes[i] = note
            w(f"r{i} = raw if d is None else (raw, d)")

    def body(self, i: int, node: Node, facts: str) -> None:
        w = self.w
        if (
            isinstance(node.construct, PerEventC | ProportionalC)
            and (not isinstance(node.construct, PerEventC) or node.construct.cap is not None)
            and not node.cluster
            and not node.adjust_children
            and node.forfeit_if is None
            and not node.has_limits
        ):
            self.single_line_leaf(i, node)
            return
        lined = self.may_have_lines(node)
        if lined:
            w("L = []")
        parts = "None"
        if node.combine != "sum" and node.children:
            self.choose(node)
            parts = "P"
            check = "ZERO + cv if P else ZERO"
        else:
            if node.construct is not None:
                self.construct(node)
                parts = "raw"
                check = "ZERO + raw"
            elif node.score_children:
                total = "".join(f" + {self.v(c)}" for c in node.score_children)
                w(f"v = ZERO{total}")
                check = f"ZERO{total}"
            elif node.max is not None:
                w(f"v = {self.k(node.max)}")
                check = f"ZERO + {self.k(node.max)}"
            else:
                w("v = ZERO")
                check = "ZERO"
            if node.adjust_children:
                self.adjust(node)
                w("v = v + cmb")
                check += "".join(f" + {self.v(c)}" for c in node.adjust_children)
        status = self.k(SCORED)
        if node.forfeit_if is not None:
            w(f"st = {status}")
            status = "st"
            w(f"if {self.condition(node.forfeit_if)}:")
            w(
                f"    L.append(({self.k('forfeit')}, {self.k(node.forfeit_value)} - v, "
                f"{self.k(node.forfeit_if.source)}))"
            )
            w(f"    v = {self.k(node.forfeit_value)}")
            w(f"    st = {self.k('forfeited')}")
            if node.adjust_children:
                w("    cn = ZERO")  # it loses its points but adds no deduction
        if node.adjust_children and node.kind == "score" and node.combine == "sum":
            w("ds = ds + cn")
        if node.has_limits:
            self.limits(node)
        if node.kind in ("bonus", "deduction"):
            w(f"if v {'<' if node.kind == 'bonus' else '>'} ZERO:")
            w("    raise FB")
        if self.always_check(node):  # the sum of the parts may round differently
            w(f"t = {check}")
            if lined:
                w("for l in L:")
                w("    t += l[1]")
            w("if t != v:")
            w("    raise FB")
        elif lined:  # with no line the value is its part, exactly
            w("if L:")
            w(f"    t = {check}")
            w("    for l in L:")
            w("        t += l[1]")
            w("    if t != v:")
            w("        raise FB")
        w(f"v{i} = v")
        if not self.traced:
            return
        note = "e.note" if node.cluster else "None"
        if node.cluster or parts == "P" or node.forfeit_if is not None:
            w(f"r{i} = ({status}, {parts}, {'tuple(L)' if lined else '()'}, {note}, {facts})")
        elif lined:  # the usual record is its part alone: no tuple for the collector to track
            w(f"r{i} = ({status}, {parts}, tuple(L), None, ()) if L else {parts}")
        else:
            w(f"r{i} = {parts}")

    def always_check(self, node: Node) -> bool:
        """Whether the interpreter's check (value = sum of parts and lines) can fail without a line.

        Sums round to the engine's 28 digits: a part with more digits (an input given with 31
        digits, read by a formula) or parts summed in another order (a group with adjustments)
        can make the check fail where the value has no line at all.
        """
        c = node.construct
        if node.combine != "sum" and node.children:
            return True
        if c is None:
            if node.adjust_children:
                return True
            return node.max is not None and not node.score_children and _inexact(node.max)
        if isinstance(c, Points):
            return _inexact(c.points)
        if isinstance(c, Met):
            return node.max is not None and _inexact(node.max)
        if isinstance(c, BandsC):
            points = [b.points for b in c.bands if b.points is not None]
            return any(_inexact(p) for p in [*points, *([c.otherwise] if c.otherwise else [])])
        # the single-line leaves compute their part (rounded); the others may pass a value on
        return not isinstance(c, PerEventC | ProportionalC)

    def may_have_lines(self, node: Node) -> bool:
        if node.construct is not None and _construct_lines(node):
            return True
        if node.adjust_children and (
            node.cap_deductions is not None
            or node.cap_bonuses is not None
            or node.cap_adjustments is not None
            or any(self.nodes[c].requires_benchmark for c in node.adjust_children)
        ):
            return True
        return node.forfeit_if is not None or node.has_limits

    def choose(self, node: Node) -> None:
        w = self.w
        w("cv = None")
        for c in node.children:
            if node.combine == "highest":
                w(f"if {self.a(c)} and (cv is None or {self.v(c)} > cv):")
            else:  # first
                w(f"if cv is None and {self.a(c)} and {self.v(c)} != ZERO:")
            w(f"    cid = {self.k(c)}")
            w(f"    cv = {self.v(c)}")
        w("if cv is None:")
        w("    v = ZERO")
        w("    P = ()")
        w("else:")
        w("    v = cv")
        w("    P = ((cid, cv),)")

    def adjust(self, node: Node) -> None:
        w = self.w
        children = [(c, self.nodes[c]) for c in node.adjust_children]
        if any(child.requires_benchmark for _, child in children):
            w("pd = ZERO")
            for c, child in children:
                if not child.requires_benchmark:
                    w(f"if {self.a(c)} and {self.v(c)} < ZERO:")
                    w(f"    pd = pd + {self.v(c)}")
            if node.max is None:
                w("bm = False")
            else:
                w(f"bm = v == {self.k(node.max)} and pd == ZERO")
        w("neg = ZERO")
        w("pos = ZERO")
        for c, child in children:
            w(f"if {self.a(c)}:")
            if child.requires_benchmark:
                note = words.benchmark_not_met(c)
                w(f"    if not bm and {self.v(c)} != ZERO:")
                code = self.k("benchmark_not_met")
                w(f"        L.append(({code}, -{self.v(c)}, {self.k(note)}))")
                w(f"    elif {self.v(c)} < ZERO:")
            else:
                w(f"    if {self.v(c)} < ZERO:")
            w(f"        neg = neg + {self.v(c)}")
            w("    else:")
            w(f"        pos = pos + {self.v(c)}")
        w("cn = neg")
        w("cp = pos")
        if node.cap_deductions is not None:
            w(f"if neg < {self.k(-node.cap_deductions)}:")
            w(f"    cn = {self.k(-node.cap_deductions)}")
            note = words.cap_deductions(node.cap_deductions)
            w(f"    L.append(({self.k('cap_deductions')}, cn - neg, {self.k(note)}))")
        if node.cap_bonuses is not None:
            w(f"if pos > {self.k(node.cap_bonuses)}:")
            w(f"    cp = {self.k(node.cap_bonuses)}")
            note = words.cap_bonuses(node.cap_bonuses)
            w(f"    L.append(({self.k('cap_bonuses')}, cp - pos, {self.k(note)}))")
        w("cmb = cn + cp")
        cap = node.cap_adjustments
        if cap is not None:
            w(f"if abs(cmb) > {self.k(cap)}:")
            w(f"    b = {self.k(cap)} if cmb > ZERO else {self.k(-cap)}")
            note = words.cap_adjustments(cap)
            w(f"    L.append(({self.k('cap_adjustments')}, b - cmb, {self.k(note)}))")
            w("    cmb = b")
            w("    cn = ZERO if ZERO < cmb else cmb")  # min(cmb, ZERO), as the interpreter

    def limits(self, node: Node) -> None:
        w = self.w
        if node.cap_at_max and node.max is not None:
            top = self.k(node.max)
            w(f"if v > {top}:")
            note = words.cap_at_max(node.max)
            w(f"    L.append(({self.k('cap_at_max')}, {top} - v, {self.k(note)}))")
            w(f"    v = {top}")
        if node.floor is not None:
            low = self.k(node.floor)
            w(f"if v < {low}:")
            note = words.floor(node.floor)
            w(f"    L.append(({self.k('floor')}, {low} - v, {self.k(note)}))")
            w(f"    v = {low}")
        if node.rounding is not None:
            places, mode = node.rounding
            exponent = self.k(Decimal(1).scaleb(-places))
            w(f"rd = D(v).quantize({exponent}, rounding={self.k(ROUNDING_MODES[mode])})")
            w("if rd != v:")
            note = words.rounding(places, mode)
            w(f"    L.append(({self.k('rounding')}, rd - v, {self.k(note)}))")
            w("v = rd")

    # -- constructs: set ``raw`` (the part) and ``v`` (the part and its cap line) -------------

    def cap_line(self, amount: str, note: str) -> None:
        """The construct's own cap line: into ``L``, or into ``d`` for a single-line leaf."""
        if self.single is not None:
            self.w(f"    d = {amount}")
            self.single = note
        else:
            self.w(f"    L.append(({self.k('cap_line')}, {amount}, {self.k(note)}))")

    def construct(self, node: Node) -> None:
        """The construct's part in ``raw`` and, unless a single-line leaf, its value in ``v``."""
        assert node.construct_name is not None
        EMITTERS[node.construct_name](self, node, node.construct)
        if self.single is not None:
            return
        w = self.w
        w("v = raw")
        if _construct_lines(node):
            w("for l in L:")
            w("    v = v + l[1]")

    def emit_cohort(self, node: Node, c: TargetC | RankPointsC) -> None:
        """``target``, ``rank_points``: the value the cluster phase computed."""
        self.w("raw = e.value")

    def emit_met(self, node: Node, c: Met) -> None:
        """``met``: the maximum when the condition holds."""
        if node.max is None:
            self.w("raw = ZERO")
        else:
            self.w(f"raw = {self.k(node.max)} if {self.condition(c.condition)} else ZERO")

    def emit_points(self, node: Node, c: Points) -> None:
        """``points``: a constant."""
        self.w(f"raw = {self.k(c.points)}")

    def emit_formula(self, node: Node, c: FormulaC) -> None:
        """``formula``: the expression, checked to be a number."""
        self.number(c.expression, "raw")

    def emit_per_event(self, node: Node, c: PerEventC) -> None:
        """``per_event``: points times the count, with its cap line."""
        w = self.w
        if self.single is not None:
            w("d = None")
        self.number(c.count, "x")
        w(f"raw = x * {self.k(c.points)}")
        w("if not raw:")
        w("    raw = ZERO")
        if c.cap is not None:
            w(f"elif abs(raw) > {self.k(c.cap)}:")
            amount = f"({self.k(c.cap)} if raw > ZERO else {self.k(-c.cap)}) - raw"
            self.cap_line(amount, words.cap_line(c.cap))

    def emit_proportional(self, node: Node, c: ProportionalC) -> None:
        """``proportional``: the maximum times achieved over target, with its cap line."""
        w = self.w
        assert node.max is not None
        self.number(c.achieved, "x")
        self.number(c.target, "y")
        w("if not y:")
        w("    raise FB")
        if self.single is not None:
            w("d = None")
        w(f"raw = {self.k(node.max * c.factor)} * x / y")
        cap = c.cap if c.cap is not None else node.max * c.factor
        w(f"if raw > {self.k(cap)}:")
        self.cap_line(f"{self.k(cap)} - raw", words.cap_line(cap))

    def emit_bands(self, node: Node, c: BandsC) -> None:
        """``bands``: one test per band, in order, then ``otherwise``."""
        w = self.w
        self.number(c.of, "x")
        for number, band in enumerate(c.bands):
            assert band.points is not None
            w(f"{'if' if number == 0 else 'elif'} {self.band(band, 'x')}:")
            w(f"    raw = {self.k(band.points)}")
        if c.bands:
            w("else:")
            self.indent += 1
        if c.otherwise is not None:
            w(f"raw = {self.k(c.otherwise)}")
        else:
            w("raise FB")
        if c.bands:
            self.indent -= 1

    def emit_called(self, node: Node, c: TableC | IncrementC | DeadlineC | LookupC) -> None:
        """``table``, ``increment``, ``deadline``, ``lookup``: the interpreter's own scorer."""
        assert node.construct_name is not None
        scorer = self.constructs[node.construct_name]
        self.w(f"raw = {self.k(scorer)}(ctx, {self.k(node)}, {self.k(c)}, L)")

    def band(self, band: BandSpec, x: str) -> str:
        tests = []
        if band.low is not None:
            tests.append(f"{x} {'>=' if band.low_inclusive else '>'} {self.k(band.low)}")
        if band.high is not None:
            tests.append(f"{x} {'<=' if band.high_inclusive else '<'} {self.k(band.high)}")
        return " and ".join(tests) or "True"


#: Deeper expression trees run as their closures (Python's parser has its own nesting limit).
_INLINE_DEPTH = 40

_COMPARE_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _inexact(value: Decimal) -> bool:
    """Whether adding it to zero in the engine's context changes it (more than 28 digits)."""
    return ZERO + value != value


def _depth(tree: ast.expr) -> int:
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


#: The writer of each construct, by its name in the guide: sets ``raw`` (the part), and its cap
#: line in ``L`` (or ``d`` for a single-line leaf). The reference of each is the interpreter's
#: scorer of the same name (``evaluator.SCORERS``).
EMITTERS: Mapping[str, Callable[[_Writer, Node, Any], None]] = MappingProxyType(
    {
        "target": _Writer.emit_cohort,
        "rank_points": _Writer.emit_cohort,
        "met": _Writer.emit_met,
        "points": _Writer.emit_points,
        "per_event": _Writer.emit_per_event,
        "proportional": _Writer.emit_proportional,
        "bands": _Writer.emit_bands,
        "table": _Writer.emit_called,
        "increment": _Writer.emit_called,
        "deadline": _Writer.emit_called,
        "lookup": _Writer.emit_called,
        "formula": _Writer.emit_formula,
    }
)

#: Constructs the generated code calls through the interpreter's scorers.
_CALLED: frozenset[str] = frozenset(
    name for name, emit in EMITTERS.items() if emit is _Writer.emit_called
)


def _construct_lines(node: Node) -> bool:
    c = node.construct
    if isinstance(c, PerEventC):
        return c.cap is not None
    if isinstance(c, ProportionalC):
        return True
    return not isinstance(c, TargetC | RankPointsC | Met | Points | FormulaC | BandsC)
