"""The compiler's checks of meaning that no single construct owns.

Signs of points, bands that overlap or leave gaps, maxima derived from children and the sums
of the children's maxima, the top-level scale and ranking keys, inputs no criterion reads.
Each check reports through an :class:`Add` (the compiler's
:meth:`~emulation_rules.compiler.declarations.Compiler.add`) and returns nothing else.
"""

from __future__ import annotations

import difflib
import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from emulation_rules._support.i18n import N_
from emulation_rules.guide.model import plain

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.nodes import BandSpec, Node
    from emulation_rules.errors import Issue
    from emulation_rules.guide.model import Criterion, Ruleset

__all__ = [
    "Add",
    "band_checks",
    "children_checks",
    "derived_max",
    "reviewer_sections",
    "sign",
    "top_level",
    "unused",
]

DocPath = tuple[str | int, ...]


class Add(Protocol):
    """Report an issue at ``path`` of the guide (the compiler locates it in the file)."""

    def __call__(  # noqa: D102 - the class says it
        self,
        code: str,
        message: str,
        path: DocPath,
        *,
        rule_id: str | None = None,
        hint: str | None = None,
        severity: str = "error",
        key: bool = False,
    ) -> None: ...


def sign(add: Add, crit: Criterion, path: DocPath, values: list[Decimal]) -> None:
    """A bonus with negative points, a deduction with positive ones."""
    if crit.kind == "bonus" and any(v < 0 for v in values):
        add(
            "sign",
            N_("bonus {id} has negative points; use kind: deduction or adjustment").format(
                id=repr(crit.id)
            ),
            path,
            rule_id=crit.id,
        )
    if crit.kind == "deduction" and any(v > 0 for v in values):
        add(
            "sign",
            N_(
                "deduction {id} has positive points; write deductions as negative numbers (-0.5)"
            ).format(id=repr(crit.id)),
            path,
            rule_id=crit.id,
        )


def band_checks(
    add: Add, bands: tuple[BandSpec, ...], path: DocPath, rid: str | None, *, has_otherwise: bool
) -> None:
    """Bands that overlap (an error) and the gaps between them (a warning)."""
    for i, a in enumerate(bands):
        for j in range(i + 1, len(bands)):
            if _overlap(a, bands[j]):
                add(
                    "band-overlap",
                    N_("bands {first} and {second} overlap").format(
                        first=a.describe(), second=bands[j].describe()
                    ),
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
            add(
                "band-gap",
                f"{gap} in no band ({a.describe()} then {b.describe()}) and get {fallback}",
                path,
                rule_id=rid,
                severity="warning",
            )


def derived_max(crit: Criterion, children: list[Node]) -> tuple[Decimal | None, bool]:
    """The criterion's maximum and whether it is declared (else derived from its children)."""
    if crit.max is not None:
        return plain(crit.max), True
    scores = [c for c in children if c.kind == "score"]
    if scores and all(c.max is not None for c in scores):
        values = [c.max for c in scores if c.max is not None]
        return (sum(values, Decimal(0)) if crit.combine == "sum" else max(values)), False
    return None, False


def children_checks(
    add: Add,
    ruleset: Ruleset,
    crit: Criterion,
    path: DocPath,
    children: list[Node],
    max_value: Decimal | None,
) -> None:
    """The children's maxima against the parent's, and ``requires_benchmark`` on children."""
    rid = crit.id
    mode = crit.children_sum or ruleset.children_sum
    scores = [c for c in children if c.kind == "score"]
    if crit.max is not None and scores and crit.combine == "sum" and mode != "off":
        maxima = [c.max for c in scores]
        if all(m is not None for m in maxima):
            total = sum((m for m in maxima if m is not None), Decimal(0))
            if total != crit.max:
                add(
                    "sum-mismatch",
                    N_("the children of {id} add up to {total}, not its maximum {max}").format(
                        id=repr(rid), total=total, max=crit.max
                    ),
                    (*path, "max"),
                    rule_id=rid,
                    severity=mode,
                    hint=N_(
                        "fix a maximum, or set 'children_sum: warn' or 'off' "
                        "if the guide intends it"
                    ),
                )
    for child in crit.children:
        if child.requires_benchmark:
            child_path = (*path, "children", crit.children.index(child), "requires_benchmark")
            if child.kind == "score":
                add(
                    "invalid-value",
                    "'requires_benchmark' is for bonus children",
                    child_path,
                    rule_id=child.id,
                )
            if max_value is None:
                add(
                    "invalid-value",
                    f"'requires_benchmark' needs a maximum (benchmark) on the parent {rid!r}",
                    child_path,
                    rule_id=child.id,
                )


def top_level(add: Add, ruleset: Ruleset, nodes: Mapping[str, Node]) -> None:
    """The top-level maxima against the scale; the criteria the ranking keys name."""
    rs = ruleset
    roots = [nodes[c.id] for c in rs.criteria if c.id in nodes and c.kind == "score"]
    if rs.children_sum != "off" and roots and all(r.max is not None for r in roots):
        total = sum((r.max for r in roots if r.max is not None), Decimal(0))
        if total != rs.scale:
            add(
                "scale-mismatch",
                N_("the top-level criteria add up to {total}, not the scale {scale}").format(
                    total=total, scale=rs.scale
                ),
                ("scale",),
                severity=rs.children_sum,
            )
    for index, key in enumerate(rs.ranking.by):
        if key.key == "score":
            if key.id is None:
                add(
                    "missing-field",
                    "a 'score' ranking key needs the criterion id",
                    ("ranking", "by", index),
                )
            elif key.id not in nodes:
                close = difflib.get_close_matches(key.id, list(nodes), n=1)
                add(
                    "unknown-criterion",
                    N_("ranking key names {id}, which is not a criterion").format(id=repr(key.id)),
                    ("ranking", "by", index),
                    hint=N_("did you mean {name}?").format(name=repr(close[0])) if close else None,
                )


def reviewer_sections(add: Add, ruleset: Ruleset, nodes: Mapping[str, Node]) -> None:
    """Every section a scoring body owns (``reviewers``, v2) is a criterion of the guide."""
    for body, spec in (ruleset.reviewers or {}).items():
        for index, section in enumerate(spec.sections):
            if section not in nodes:
                close = difflib.get_close_matches(section, list(nodes), n=1)
                add(
                    "unknown-criterion",
                    f"reviewer {body!r} scores {section!r}, which is not a criterion",
                    ("reviewers", body, "sections", index),
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )


def unused(
    add: Add, errors: Iterable[Issue], inputs: Mapping[str, InputField], used: set[str]
) -> None:
    """Inputs no criterion reads (a warning), unless an expression is broken."""
    if any(i.code.startswith("expr-") for i in errors):
        return  # a broken expression probably meant to read them: no follow-on warnings
    for name in inputs:
        if name not in used:
            add(
                "unused-input",
                N_("input {name} is declared but no criterion reads it").format(name=repr(name)),
                ("inputs", name),
                severity="warning",
                key=True,
            )


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
