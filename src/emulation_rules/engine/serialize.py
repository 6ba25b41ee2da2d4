"""A unit's score and its trace as canonical JSON-ready data (the result's own writer).

Kept apart from :mod:`emulation_rules.engine.scoring` so that ``UnitScore.to_dict`` (in the
evaluator, which scoring imports) can use it without an import cycle: this module imports
neither, and takes the unit and the trace by their attributes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from emulation_rules._support.canonical import (
    canonical_dict,
    canonical_value,
    exact_decimal_text,
)
from emulation_rules.engine.items import CriterionValues

__all__ = ["trace_dict", "unit_dict"]


def unit_dict(unit: Any, *, trace: bool, items: bool = True) -> dict[str, Any]:
    """A unit as canonical data (as ``canonical_value`` writes it).

    ``items=False``: without the ``items`` key (the record writer writes them itself).
    """
    data: dict[str, Any] = canonical_value(
        {
            "unit_id": unit.unit_id,
            "name": unit.name,
            "status": unit.status,
            "rank": unit.rank,
            "total": unit.total,
            "max": unit.max,
            "percent": unit.percent,
            "classification": unit.classification,
            "reasons": list(unit.reasons),
            "deductions": unit.deductions,
            "items": _plain(unit.items) if items else None,
            "not_applicable": list(unit.not_applicable),
            "rank_keys": dict(unit.rank_keys),
            "rank_decided_by": unit.rank_decided_by,
            "eligible": unit.eligible,
            "eligibility_reasons": list(unit.eligibility_reasons),
            "awards": list(unit.awards),
            "self_scores": dict(unit.self_scores),
            "computed": _plain(unit.computed_items) if unit.computed_items is not None else None,
            "computed_total": unit.computed_total,
            "departures": [d.as_dict() for d in unit.departures],
            "reviews": [list(r) for r in unit.reviews],
            "corrected": {k: list(v) for k, v in unit.corrected.items()},
            "issues": [i.as_dict() for i in unit.issues],
        }
    )
    if not items:
        del data["items"]
    if trace and unit.trace is not None:
        data["trace"] = trace_dict(unit.trace)  # canonical already
    return data


def _plain(items: Any) -> dict[str, Any]:
    """A unit's items as a dict (a :class:`CriterionValues` copied at C speed)."""
    return items.copy() if type(items) is CriterionValues else dict(items)


def trace_dict(node: Any) -> dict[str, Any]:
    """A trace tree as JSON-ready data (canonical: as ``canonical_value`` writes it)."""
    # built canonical field by field, without a second walk: the usual exact types inline
    cv = canonical_value
    text = exact_decimal_text
    out: dict[str, Any] = {}
    stack: list[tuple[Any, dict[str, Any]]] = [(node, out)]
    while stack:
        current, target = stack.pop()
        ident, title, kind, rule = current.id, current.title, current.kind, current.rule
        status, note, layer = current.status, current.note, current.layer
        value, amax, line = current.value, current.max, current.line
        inputs, parts, cohort = current.inputs, current.parts, current.cohort
        applicable, adjustments = current.applicable, current.adjustments
        children: list[dict[str, Any]] = []
        target.update(
            {
                "id": ident if type(ident) is str else cv(ident),
                "title": title if type(title) is str else cv(title),
                "kind": kind if type(kind) is str else cv(kind),
                "rule": rule if type(rule) is str else cv(rule),
                "inputs": canonical_dict(dict(inputs)) if inputs else {},
                "parts": [
                    [
                        label if type(label) is str else cv(label),
                        text(amount) if type(amount) is Decimal else cv(amount),
                    ]
                    for label, amount in parts
                ]
                if parts
                else [],
                "adjustments": [
                    [cv(code), cv(amount), cv(why)] for code, amount, why in adjustments
                ]
                if adjustments
                else [],
                "value": text(value) if type(value) is Decimal else cv(value),
                "max": text(amax) if type(amax) is Decimal else cv(amax),
                "applicable": applicable if type(applicable) is bool else cv(applicable),
                "status": status if type(status) is str else cv(status),
                "note": note if note is None or type(note) is str else cv(note),
                "line": line if line is None else cv(line),
                "cohort": canonical_dict(dict(cohort)) if cohort else {},
                "layer": layer if layer is None or type(layer) is str else cv(layer),
                "children": children,
            }
        )
        for child in current.children:
            slot: dict[str, Any] = {}
            children.append(slot)
            stack.append((child, slot))
    return out
