"""What the trace builder needs of each criterion: the static half of a trace node.

The generated code records per criterion only what depends on the unit (status, parts, lines,
note, facts); the rest of a :class:`~emulation_rules.engine.evaluator.TraceNode` (id, title,
rule, inputs read, children, how its parts are shown) is the same for every unit and is read
from the plan here. The builder is :class:`emulation_rules.engine.evaluator._LazyTrace`; its
reference is the tree the interpreter records, kept equal by ``tests/test_codegen.py`` and
``tests/test_codegen_differential.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping
    from decimal import Decimal

    from emulation_rules.compiler.nodes import Node


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
                tuple(index[child] for child in node.children),
                node.line,
                node.max is not None,
                shown,
                tuple((child, index[child]) for child in node.score_children),
                tuple((child, index[child]) for child in node.adjust_children),
                (("benchmark", node.max),) if node.max is not None else (),
                node.construct_name or "rule",
                cap_notes.get(len(plan)),
            )
        )
    return tuple(plan)
