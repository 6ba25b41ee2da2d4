"""Shared caps (``shared_caps``, format v2): one cap over criteria that are not siblings.

"Tổng số điểm thưởng các chỉ tiêu định lượng không quá 20 điểm" (Hưng Yên 2021, V.2.a). A
shared cap names criteria (``of``); the bonuses (or deductions) they hold are summed, and what
passes ``max`` is cut at one place, decided here once: the lowest criterion holding them all
(their lowest common ancestor), or the unit total when they are under different top-level
criteria. The criteria of a cap may not hold one another, nor be held by another cap's
criteria of the same part: every bonus is counted by one cap at most.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import TYPE_CHECKING

from emulation_rules._support.i18n import N_
from emulation_rules.compiler.nodes import SharedCapC

if TYPE_CHECKING:
    from collections.abc import Mapping

    from emulation_rules.compiler.checks import Add
    from emulation_rules.compiler.nodes import Node
    from emulation_rules.guide.model import Ruleset

__all__ = ["shared_cap_note", "shared_caps"]


def shared_cap_note(title: str, maximum: object, *, deductions: bool) -> str:
    """The note of a shared cap's line in the trace."""
    part = "điểm trừ" if deductions else "điểm thưởng"
    return f"{title}: tổng {part} tối đa {maximum}"


def _ancestors(ident: str, parents: Mapping[str, str | None]) -> list[str]:
    """``ident`` and its ancestors, from itself up to its top-level criterion."""
    chain = [ident]
    parent = parents.get(ident)
    while parent is not None:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def _lowest_common(members: tuple[str, ...], parents: Mapping[str, str | None]) -> str | None:
    chains = [_ancestors(m, parents) for m in members]
    common = set(chains[0]).intersection(*chains[1:])
    for ident in chains[0]:  # from the lowest up
        if ident in common:
            return ident
    return None


def shared_caps(
    ruleset: Ruleset, nodes: dict[str, Node], add: Add
) -> tuple[dict[str, Node], tuple[SharedCapC, ...]]:
    """Compile the guide's shared caps: the nodes with the caps that cut at them, and all caps.

    Reports an unknown criterion, a repeated id, criteria of one cap that hold one another,
    a criterion counted by two caps of the same part, and a cut that would fall on a criterion
    that picks one case (``combine``).
    """
    if not ruleset.shared_caps:
        return nodes, ()
    parents: dict[str, str | None] = {}
    for node in nodes.values():
        for child in node.children:
            parents[child] = node.id
    compiled: list[SharedCapC] = []
    seen: set[str] = set()
    covered: dict[bool, list[tuple[str, str]]] = {True: [], False: []}
    for index, spec in enumerate(ruleset.shared_caps):
        path = ("shared_caps", index)
        if spec.id in seen:
            add("duplicate-id", f"shared cap id {spec.id!r} is used twice", (*path, "id"))
        seen.add(spec.id)
        known = True
        for position, member in enumerate(spec.of):
            if member not in nodes:
                close = difflib.get_close_matches(member, list(nodes), n=1)
                add(
                    "unknown-criterion",
                    N_("shared cap {cap} names {member}, which is not a criterion").format(
                        cap=repr(spec.id), member=repr(member)
                    ),
                    (*path, "of", position),
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
                known = False
        if not known:
            continue
        deductions = spec.part == "deductions"
        if not _members_apart(spec.id, spec.of, parents, add, path):
            continue
        if not _counted_once(spec.id, spec.of, parents, covered[deductions], add, path):
            continue
        at = _lowest_common(spec.of, parents)
        if at is not None and nodes[at].combine != "sum" and nodes[at].children:
            add(
                "invalid-value",
                N_(
                    "the criteria of shared cap {cap} meet under {at}, which counts one case "
                    "only (combine: {combine}): name criteria under one of its cases"
                ).format(cap=repr(spec.id), at=repr(at), combine=nodes[at].combine),
                (*path, "of"),
            )
            continue
        note = shared_cap_note(spec.title, spec.max, deductions=deductions)
        compiled.append(SharedCapC(spec.id, spec.title, spec.of, deductions, spec.max, at, note))
    updated = dict(nodes)
    for cap in compiled:
        if cap.at is not None:
            node = updated[cap.at]
            updated[cap.at] = dataclasses.replace(node, shared_caps=(*node.shared_caps, cap))
    return updated, tuple(compiled)


def _members_apart(
    cap: str,
    members: tuple[str, ...],
    parents: Mapping[str, str | None],
    add: Add,
    path: tuple[str | int, ...],
) -> bool:
    """No criterion of the cap is named twice or holds another (it would be counted twice)."""
    for position, member in enumerate(members):
        above = _ancestors(member, parents)
        for other in members[:position]:
            if other in above or member in _ancestors(other, parents):
                add(
                    "invalid-value",
                    N_(
                        "shared cap {cap} names {member} and {other}, one inside the other: "
                        "its bonuses would be counted twice"
                    ).format(cap=repr(cap), member=repr(member), other=repr(other)),
                    (*path, "of", position),
                )
                return False
    return True


def _counted_once(
    cap: str,
    members: tuple[str, ...],
    parents: Mapping[str, str | None],
    covered: list[tuple[str, str]],
    add: Add,
    path: tuple[str | int, ...],
) -> bool:
    """No criterion is counted by two caps of the same part."""
    for position, member in enumerate(members):
        above = _ancestors(member, parents)
        for other, other_cap in covered:
            if other in above or member in _ancestors(other, parents):
                add(
                    "invalid-value",
                    N_(
                        "shared caps {cap} and {other_cap} both count {member}: a bonus or "
                        "deduction may be under one shared cap only"
                    ).format(
                        cap=repr(cap),
                        other_cap=repr(other_cap),
                        member=repr(member if other in above else other),
                    ),
                    (*path, "of", position),
                )
                return False
    covered.extend((member, cap) for member in members)
    return True
