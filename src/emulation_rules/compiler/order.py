"""The evaluation order of the criteria: children and referenced criteria first.

A depth-first post-order over each criterion's children and its ``score('id')`` references;
a cycle is reported (through the compiler's ``add``) rather than followed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulation_rules._support.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Mapping

    from emulation_rules.compiler.checks import Add
    from emulation_rules.compiler.nodes import Node

__all__ = ["evaluation_order"]

_ON_STACK, _DONE = 1, 2


def evaluation_order(nodes: Mapping[str, Node], roots: list[str], add: Add) -> tuple[str, ...]:
    """Depth-first post-order over children and references; report cycles."""
    state: dict[str, int] = {}
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
                if state.get(ident) == _DONE:
                    continue
                state[ident] = _ON_STACK
                trail.append(ident)
            if index < len(deps):
                stack.append((ident, index + 1))
                dep = deps[index]
                if dep not in nodes:
                    continue
                if state.get(dep) == _ON_STACK:
                    cycle = [*trail[trail.index(dep) :], dep]
                    add(
                        "cycle",
                        N_("criteria depend on each other in a cycle: {cycle}").format(
                            cycle=" → ".join(cycle)
                        ),
                        node.path,
                        rule_id=ident,
                        hint=N_(
                            "a criterion cannot read its own value, "
                            "or an ancestor's, through score()"
                        ),
                    )
                    continue
                if state.get(dep) != _DONE:
                    stack.append((dep, 0))
            else:
                state[ident] = _DONE
                trail.pop()
                order.append(ident)
    return tuple(order)
