"""Coverage of a guide by its test cases: the parts that no case exercises.

:func:`coverage` reads the results of a suite's cases and reports each criterion, gate,
classification label, award and level of ``bands`` that no case shows doing what it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules._support.i18n import N_, _, translate
from emulation_rules.authoring.guidetests.format import GuideSuite, _labels
from emulation_rules.compiler.nodes import (
    BandsC,
    IncrementC,
    PerEventC,
    ProportionalC,
    find_band,
)
from emulation_rules.compiler.sandbox import run_compiled
from emulation_rules.errors import EmulationRulesError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from emulation_rules.compiler.nodes import CompiledRuleset, Node
    from emulation_rules.engine.evaluator import TraceNode
    from emulation_rules.engine.scoring import ClusterResult

# --------------------------------------------------------------------------------------------
# Coverage


@dataclass(frozen=True, slots=True)
class Gap:
    """A part of the guide that no case exercises, and what was never seen."""

    id: str
    title: str
    #: ``criterion``, ``not_classified``, ``eligibility``, ``classification`` or ``award``.
    kind: str
    #: What no case showed, in plain words.
    missing: tuple[str, ...]
    line: int | None = None
    #: The file of ``line`` (a base guide's, for a criterion inherited from it).
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which parts of a guide the cases exercise."""

    #: Parts that have something to exercise (criteria with a rule, gates, labels, awards).
    total: int
    exercised: int
    gaps: tuple[Gap, ...]
    #: Criteria with nothing to exercise: a benchmark granted to every unit, or a sum.
    constant: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Whether every part is exercised."""
        return not self.gaps

    def render(self) -> list[str]:
        """The coverage report as text lines."""
        lines = [
            _("coverage: {exercised} of {total} parts of the guide exercised").format(
                exercised=self.exercised, total=self.total
            )
        ]
        for gap in self.gaps:
            where = f" ({gap.source}:{gap.line})" if gap.line and gap.source else ""
            label = gap.id if gap.kind == "criterion" else f"{_(_KIND_WORDS[gap.kind])} {gap.id}"
            missing = "; ".join(translate(text) for text in gap.missing)
            lines.append(
                "  "
                + _("not exercised: {part}: {missing}").format(part=label + where, missing=missing)
            )
        return lines


@dataclass
class _Seen:
    applies: bool = False
    values: set[Decimal] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    lines: set[str] = field(default_factory=set)
    withheld: bool = False


def _reached(node: Node, trace: TraceNode) -> set[str]:
    """The caps of ``node`` that this unit reached (bound, or met exactly)."""
    out: set[str] = set()
    adjust = [amount for label, amount in trace.parts if label in node.adjust_children]
    negative = sum((a for a in adjust if a < 0), Decimal(0))
    positive = sum((a for a in adjust if a > 0), Decimal(0))
    if node.cap_deductions is not None and -negative >= node.cap_deductions:
        out.add("cap_deductions")
    if node.cap_bonuses is not None and positive >= node.cap_bonuses:
        out.add("cap_bonuses")
    if node.cap_adjustments is not None and abs(negative + positive) >= node.cap_adjustments:
        out.add("cap_adjustments")
    construct = node.construct
    if (
        isinstance(construct, PerEventC | IncrementC | ProportionalC)
        and construct.cap is not None
        and trace.parts
        and abs(trace.parts[0][1]) >= construct.cap
    ):
        out.add("cap_line")
    level = _band_level(node, trace)
    if level is not None:
        out.add(f"band:{level}")
    return out


def _band_level(node: Node, trace: TraceNode) -> int | None:
    """The index of the level of ``bands`` that this unit reached, if the trace tells.

    The value the bands read is computed again from the inputs the trace recorded; when the
    expression reads a score or cannot be computed from them, the points tell, if no other
    level gives the same points. A unit that falls in no level (``otherwise``) reached none.
    """
    construct = node.construct
    if not isinstance(construct, BandsC) or trace.status != "scored":
        return None
    of = construct.of
    values = dict(trace.inputs)
    if of.fn is not None and not of.refs and all(name in values for name in of.names):
        try:
            measured = run_compiled(of, values)
        except EmulationRulesError:
            measured = None
        if isinstance(measured, Decimal | int) and not isinstance(measured, bool):
            index = find_band(construct.bands, Decimal(measured))
            return index if index >= 0 else None
    if not trace.parts:
        return None
    points = trace.parts[0][1]
    same = [i for i, band in enumerate(construct.bands) if band.points == points]
    return same[0] if len(same) == 1 else None


def _observe(
    guide: CompiledRuleset, results: Iterable[ClusterResult]
) -> tuple[dict[str, _Seen], set[str], set[str], set[str], set[str]]:
    seen: dict[str, _Seen] = {}
    gates: set[str] = set()
    ineligible: set[str] = set()
    labels: set[str] = set()
    awards: set[str] = set()
    for result in results:
        for award in result.awards:
            if award.awarded:
                awards.add(award.id)
        for unit in result.units:
            gates.update(r.split(": ", 1)[0] for r in unit.reasons)
            ineligible.update(r.split(": ", 1)[0] for r in unit.eligibility_reasons)
            if unit.classification:
                labels.add(unit.classification)
            if unit.trace is None:
                continue
            stack = list(unit.trace.children)
            while stack:
                node = stack.pop()
                stack.extend(node.children)
                entry = seen.setdefault(node.id, _Seen())
                entry.statuses.add(node.status)
                if node.applicable:
                    entry.applies = True
                    entry.values.add(node.value)
                compiled = guide.nodes.get(node.id)
                if compiled is not None and node.applicable:
                    entry.lines.update(_reached(compiled, node))
                for code, _amount, note in node.adjustments:
                    entry.lines.add(code)
                    if code == "benchmark_not_met":
                        child = note.split(":", 1)[0]
                        seen.setdefault(child, _Seen()).withheld = True
    return seen, gates, ineligible, labels, awards


def _aspects(node: Node) -> list[tuple[str, str]]:
    """What a criterion must be seen doing: ``(observation, description)``."""
    out: list[tuple[str, str]] = []
    if node.kind != "score":
        never = {
            "bonus": N_("no unit gets this bonus"),
            "deduction": N_("no unit gets this deduction"),
            "adjustment": N_("no unit gets this adjustment"),
        }
        out.append(("nonzero", never[node.kind]))
    elif node.construct is not None:
        out.append(
            (
                "varies",
                N_("every unit gets the same value from its rule"),
            )
        )
    if node.forfeit_if is not None:
        out.append(
            (
                "forfeited",
                N_("never forfeited ({condition})").format(condition=repr(node.forfeit_if.source)),
            )
        )
    if node.waive_if is not None:
        out.append(
            (
                "waived",
                N_("never waived ({condition})").format(condition=repr(node.waive_if.source)),
            )
        )
    if node.applicable_if is not None:
        out.append(
            (
                "not_applicable",
                N_("always applies ({condition})").format(
                    condition=repr(node.applicable_if.source)
                ),
            )
        )
    for code, cap, template in (
        (
            "cap_deductions",
            node.cap_deductions,
            N_("the cap on deductions ({cap}) is never reached"),
        ),
        ("cap_bonuses", node.cap_bonuses, N_("the cap on bonuses ({cap}) is never reached")),
        (
            "cap_adjustments",
            node.cap_adjustments,
            N_("the cap on adjustments ({cap}) is never reached"),
        ),
    ):
        if cap is not None:
            out.append((code, template.format(cap=cap)))
    construct = node.construct
    if isinstance(construct, PerEventC | IncrementC | ProportionalC) and construct.cap is not None:
        out.append(("cap_line", N_("the cap {cap} is never reached").format(cap=construct.cap)))
    if isinstance(construct, BandsC):
        for index, band in enumerate(construct.bands):
            level = repr(band.label) if band.label else band.describe()
            out.append(
                (f"band:{index}", N_("no unit reaches the level {level}").format(level=level))
            )
    if node.requires_benchmark:
        out.append(("withheld", N_("never withheld for a benchmark not met")))
    return out


def _missing(aspect: str, seen: _Seen) -> bool:
    if aspect == "nonzero":
        return not any(v != 0 for v in seen.values)
    if aspect == "varies":
        return len(seen.values) < 2
    if aspect in ("forfeited", "waived", "not_applicable"):
        return aspect not in seen.statuses
    if aspect == "withheld":
        return not seen.withheld
    return aspect not in seen.lines


def coverage(suite: GuideSuite, results: Iterable[ClusterResult]) -> Coverage:
    """Which criteria, gates, labels and awards of the guide the cases' results exercise.

    A criterion is exercised when some unit of some case has it applicable and shows what it
    does: a bonus or deduction applied (a value other than 0); a scored rule giving at least
    two different values; each level of ``bands`` reached by some unit (the ``otherwise``
    value is not a level); each declared cap reached; a forfeit, waiver or ``applicable_if``
    holding; a benchmark-gated bonus withheld. A benchmark granted to every unit, or a sum of
    children, has nothing of its own to exercise. A gate is exercised when it holds for some
    unit, a classification label when some unit gets it, an award when some unit gets it.
    """
    seen, gates, ineligible, labels, awards = _observe(suite.guide, results)
    guide = suite.guide
    gaps: list[Gap] = []
    constant: list[str] = []
    total = 0
    layers = dict(guide.layers)
    for ident in sorted(guide.nodes, key=lambda i: guide.nodes[i].path):
        node = guide.nodes[ident]
        aspects = _aspects(node)
        if not aspects:
            constant.append(ident)
            continue
        total += 1
        entry = seen.get(ident, _Seen())
        if not entry.applies:
            missing = [N_("no case scores it (it never applies)")]
        else:
            missing = [text for aspect, text in aspects if _missing(aspect, entry)]
        if missing:
            source = layers.get(node.layer, guide.source) if node.layer else guide.source
            gaps.append(Gap(ident, node.title, "criterion", tuple(missing), node.line, source))
    for kind, items, hit in (
        ("not_classified", [(g.id, g.reason) for g in guide.gates], gates),
        ("eligibility", [(g.id, g.reason) for g in guide.eligibility], ineligible),
        ("award", [(a.id, a.title) for a in guide.ruleset.awards], awards),
        ("classification", [(label, label) for label in _labels(guide)], labels),
    ):
        for ident, title in items:
            total += 1
            if ident not in hit:
                gaps.append(Gap(ident, title, kind, (_NEVER[kind],)))
    return Coverage(total, total - len(gaps), tuple(gaps), tuple(constant))


_NEVER = {
    "not_classified": N_("never holds for a unit"),
    "eligibility": N_("never makes a unit ineligible"),
    "award": N_("no unit is proposed for it"),
    "classification": N_("no unit gets this label"),
}
#: The kinds of part, as the coverage report names them.
_KIND_WORDS = {
    "not_classified": N_("not-classified gate"),
    "eligibility": N_("eligibility condition"),
    "award": N_("award"),
    "classification": N_("classification"),
}
