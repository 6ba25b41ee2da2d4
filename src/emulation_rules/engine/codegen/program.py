"""A guide compiled into two Python functions, and the builder that writes them.

Fast path of: the interpreter; see :mod:`emulation_rules.engine.codegen` for the pair and the
tests that keep it equal.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.engine.codegen.source import ZERO
from emulation_rules.engine.codegen.trace_builder import PlanEntry, trace_plan
from emulation_rules.engine.codegen.writer import _Writer

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.nodes import BandSpec, GateC, Node, SharedCapC
    from emulation_rules.compiler.sandbox import CheckedExpression
    from emulation_rules.guide.model import Total


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
    #: Whether the functions return, last, the sums of the shared caps cut on the total.
    pooled: bool = False
    #: Whether the functions return, after the others, the unit total of a guide whose
    #: criteria all apply: ``total, amax, lines, parts, percent, (label, reasons,
    #: ineligible)`` (see ``_Writer.unit_total``).
    totals: bool = False
    _functions: dict[str, Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False
    )
    #: The applicability and maxima of a unit to which every criterion applies: the same for
    #: every such unit (computed from the guide's constants alone), so all of them share one.
    _everything_applies: list[tuple[tuple[bool, ...], tuple[Decimal, ...]]] = field(
        default_factory=list, compare=False, repr=False
    )
    #: What other modules derive from the program once and keep with it (the result's JSON
    #: writer of :mod:`emulation_rules.engine.result_json` keeps its plan here).
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def shared(
        self, flags: tuple[bool, ...], maxima: tuple[Decimal, ...]
    ) -> tuple[tuple[bool, ...], tuple[Decimal, ...]]:
        """``(flags, maxima)``, or the equal pair all units share when every criterion applies.

        A unit keeps fewer objects alive, and the garbage collector has fewer to walk.
        """
        if not self.applies_everywhere(flags):
            return flags, maxima
        if not self._everything_applies:  # two threads may both store it: they are equal
            self._everything_applies.append((flags, maxima))
        return self._everything_applies[0]

    def applies_everywhere(self, flags: tuple[bool, ...]) -> bool:
        """Whether every criterion applies (at once for the tuple of a guide fixing it).

        A function whose criteria always apply returns the same constant tuple for every unit,
        which :meth:`shared` keeps: found by identity, without reading its flags.
        """
        everything = self._everything_applies
        return (bool(everything) and flags is everything[0][0]) or False not in flags

    @property
    def source(self) -> str:
        """The generated text of both functions (for tests and curious readers)."""
        return "\n\n".join(self.sources.values()) + "\n"

    def function(self, *, traced: bool) -> Callable[..., Any]:
        """The function with or without the trace, compiled the first time it is asked for.

        ``traced(names, cohort, S) -> (V, A, M, deductions, R)``: the values, applicability
        and applicable maxima in the compiled order, the capped deductions and the records;
        ``plain`` returns the same without the records. Then, with ``pooled``, the sums of the
        shared caps cut on the total; with ``totals``, the unit total, its applicable maximum,
        its lines, its parts, its percent, its classification's label and the reasons of the
        gates and eligibility conditions that hold. Compiling costs some 20 ms for a guide
        of 200 criteria, so a guide that is only checked never pays it.
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


def build_program(
    nodes: Mapping[str, Node],
    order: tuple[str, ...],
    roots: tuple[str, ...],
    gates: tuple[GateC, ...],
    constructs: Mapping[str, Callable[..., Decimal]],
    context_class: type,
    engine_context: decimal.Context,
    shared_caps: tuple[SharedCapC, ...] = (),
    inputs: Mapping[str, InputField] | None = None,
    total: Total | None = None,
    eligibility: tuple[GateC, ...] = (),
    classification: tuple[str, tuple[BandSpec, ...], str | None] | None = None,
) -> Program | None:
    """Generate the functions of a guide, or None when an expression has no compiled form.

    ``constructs`` and ``context_class`` are the interpreter's construct functions and the
    context they run with, for the rarer constructs the generated code calls rather than
    inlines; ``engine_context`` is the decimal context the constants are folded in.
    ``inputs`` are the guide's declared inputs: a value of a number input (a count, decimal
    or percent that is never missing) is read without a type check, validation having made
    it an ``int`` or a ``Decimal`` (see :func:`number_inputs`). ``total``: the guide's unit
    total, computed by the functions when the guide fixes enough of it (else by the
    evaluator), with the ``gates``' and ``eligibility`` conditions' reasons and the
    ``classification``'s label.
    """
    expressions = [e for node in nodes.values() for e in _expressions(node)]
    expressions += [gate.when for gate in gates + eligibility]
    if any(expression.fn is None for expression in expressions) or not order:
        return None
    uses_score = any(expression.refs for expression in expressions)
    index = {ident: i for i, ident in enumerate(order)}
    root_info = tuple((index[root], root, nodes[root].kind == "score") for root in roots)
    gives_totals: set[bool] = set()
    with decimal.localcontext(engine_context):
        sources = {}
        cap_notes: dict[int, str] = {}
        namespace: dict[str, Any] = {}
        for traced in (True, False):
            writer = _Writer(nodes, index, traced=traced, uses_score=uses_score)
            writer.numbers = number_inputs(inputs or {})
            writer.nonnegative = nonnegative_inputs(inputs or {})
            writer.counts = frozenset(
                n for n in writer.numbers if inputs and inputs[n].type == "count"
            )
            writer.tracks = bool(shared_caps)
            writer.at_total = tuple(cap for cap in shared_caps if cap.at is None)
            writer.roots = root_info
            writer.total = total
            writer.gates = gates
            writer.eligibility = eligibility
            writer.classification = classification
            writer.function(order, constructs, context_class)
            sources["traced" if traced else "plain"] = "\n".join(writer.out) + "\n"
            namespace.update(writer.constants)
            cap_notes.update(writer.cap_notes)
            gives_totals.add(writer.gives_totals)
    namespace.update(
        {
            "ZERO": ZERO,
            "NA": NOT_APPLICABLE,
            "D": Decimal,
            "NUM": frozenset((Decimal, int)),
            "FB": FastPathFailed,
            "__builtins__": {"tuple": tuple, "abs": abs, "type": type},
        }
    )
    (totals,) = gives_totals  # both functions or neither
    return Program(
        MappingProxyType(sources),
        MappingProxyType(namespace),
        root_info,
        uses_score,
        trace_plan(nodes, order, index, cap_notes),
        pooled=any(cap.at is None for cap in shared_caps),
        totals=totals,
    )


def number_inputs(inputs: Mapping[str, InputField]) -> frozenset[str]:
    """The inputs whose every validated value is an ``int`` or a ``Decimal``.

    Counts, decimals and percents, required or filled with a number when missing (not with
    the not-applicable marker). Validation (``compiler.fields``: ``coerce_value`` and the
    ``InputPlan``) gives such an input an ``int`` (a count, never a ``bool``) or a
    ``Decimal``, whatever path the unit takes (``score``, ``evaluate``, what-if, reviews'
    corrections), so the generated code reads it without the type check of other values.
    """
    return frozenset(
        name
        for name, spec in inputs.items()
        if spec.type in ("count", "decimal", "percent")
        and (
            spec.required
            or (type(spec.missing) in (int, Decimal) and spec.missing is not NOT_APPLICABLE)
        )
    )


def nonnegative_inputs(inputs: Mapping[str, InputField]) -> frozenset[str]:
    """The number inputs (:func:`number_inputs`) never below zero once validated.

    Their minimum is zero or more (counts and percents have 0 unless another is declared),
    and so is the value filled in when they are missing.
    """
    out = set()
    for name in number_inputs(inputs):
        spec = inputs[name]
        low, missing = spec.min, spec.missing
        if low is not None and low >= 0 and (spec.required or missing >= 0):
            out.add(name)
    return frozenset(out)


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
