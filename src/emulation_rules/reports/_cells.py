"""What the reports share: the criteria shown, words for statuses and keys, the differences.

The text table (:mod:`.table`), the HTML report (:mod:`.html`) and the Excel summary
(:mod:`.excel_summary`) show the same things in the same words; they take them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulation_rules._support.i18n import pgettext

if TYPE_CHECKING:
    from decimal import Decimal

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.guide.model import Criterion
    from emulation_rules.inputs.reviews import Departure

__all__ = [
    "MAX_CRITERION_COLUMNS",
    "Difference",
    "award_titles",
    "criteria_with_depth",
    "decided",
    "differences",
    "key_words",
    "natural_order",
    "stage_words",
    "status_words",
    "summary_columns",
    "unit_status",
]

#: Most criterion columns of the summary and the heat map before the second level is left out.
MAX_CRITERION_COLUMNS = 30


def status_words() -> dict[str, str]:
    """A trace line's status in words (nothing for a plain score), in the call's language."""
    return {
        "scored": "",
        "not_applicable": pgettext("report", "not applicable"),
        "condition_not_met": pgettext("report", "did not happen (condition not met)"),
        "waived": pgettext("report", "waived"),
        "forfeited": pgettext("report", "the whole criterion forfeited"),
        "error": pgettext("report", "error while scoring"),
        "overridden": pgettext("report", "agreed score in place of the rule's score"),
    }


def _key_words() -> dict[str, str]:
    """The ranking keys in words."""
    return {
        "total": pgettext("report", "total points"),
        "percent": pgettext("report", "percentage"),
        "deductions": pgettext("report", "fewer deductions"),
    }


def unit_status() -> dict[str, str]:
    """A unit's status in words, in the call's language."""
    return {
        "scored": pgettext("report", "Ranked"),
        "not_classified": pgettext("report", "Not classified"),
        "error": pgettext("report", "Error while scoring"),
        "rejected": pgettext("report", "Not scored (invalid submission)"),
    }


def criteria_with_depth(compiled: CompiledRuleset) -> list[tuple[Criterion, int]]:
    """Every criterion with its depth, in document order."""
    out: list[tuple[Criterion, int]] = []
    stack = [(c, 0) for c in reversed(compiled.ruleset.criteria)]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(node.children))
    return out


def summary_columns(compiled: CompiledRuleset) -> list[tuple[str, int]]:
    """The criteria shown as columns: top level, and second level when there are few."""
    both = [(c.id, d) for c, d in criteria_with_depth(compiled) if d <= 1]
    if len(both) <= MAX_CRITERION_COLUMNS:
        return both
    return [(c.id, 0) for c in compiled.ruleset.criteria]


def key_words(name: str | None) -> str:
    """The ranking key that decided a rank, in words (``score:G1`` → ``điểm G1``)."""
    if name is None:
        return ""
    if name == "tie":
        return pgettext("report", "tied")
    if name.startswith("score:"):
        return pgettext("report", "points of {item}").format(item=name.removeprefix("score:"))
    return _key_words().get(name, name)


def award_titles(result: ClusterResult, unit: UnitScore) -> list[str]:
    """The titles of the awards proposed for ``unit``."""
    titles = {a.id: a.title for a in result.awards}
    return [titles.get(a, a) for a in unit.awards]


@dataclass(frozen=True, slots=True)
class Difference:
    """An item of a unit whose self-score or agreed value departs from another value."""

    unit: UnitScore
    item: str
    #: The unit's self-score, if it gave one.
    self_score: Decimal | None
    #: The value the written rule gives (with corrected inputs).
    computed: Decimal | None
    #: The final value: the agreed one when the unit was reviewed, else the computed one.
    final: Decimal | None
    #: The review's departure (who, when, why), when the agreed value departs from the rule.
    departure: Departure | None


def differences(result: ClusterResult) -> list[Difference]:
    """Items whose self-score differs from the final value, or whose agreed value departs.

    Unit by unit, in result order; an agreed value departs when it is not what the written
    rule gives.
    """
    out: list[Difference] = []
    for unit in result.units:
        departures = {d.item: d for d in unit.departures}
        computed = unit.computed_items if unit.computed_items is not None else unit.items
        for ident in sorted(set(unit.self_scores) | set(departures), key=natural_order):
            own = unit.self_scores.get(ident)
            final = unit.items.get(ident)
            if ident in departures or (own is not None and own != final):
                out.append(
                    Difference(unit, ident, own, computed.get(ident), final, departures.get(ident))
                )
    return out


def natural_order(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of an item id: ``1.2`` before ``1.10``."""
    pieces = text.replace("-", ".").split(".")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in pieces)


def stage_words() -> dict[str, str]:
    """A review stage in words, in the call's language."""
    return {
        "self_assessment": pgettext("report", "self-assessment"),
        "appraisal": pgettext("report", "appraisal"),
        "cross_check": pgettext("report", "cross-check"),
        "agreed": pgettext("report", "agreed"),
    }


def decided(departure: Departure) -> str:
    """Who decided an agreed value, at which stage and when, why, and the evidence."""
    stage = stage_words().get(departure.stage or "", departure.stage or "")
    who = f"{departure.reviewer} ({stage}, {departure.at})" if departure.reviewer else ""
    text = f"{who}: {departure.reason}" if departure.reason else who
    if departure.evidence:
        text += pgettext("report", "; evidence: {evidence}").format(
            evidence=", ".join(departure.evidence)
        )
    return text
