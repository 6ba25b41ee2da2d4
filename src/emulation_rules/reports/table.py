"""The ranked table as plain text: what ``emulation-rules score`` prints.

The units in rank order with their totals, maxima, percentages and classifications, the units
that were not classified, failed or were rejected below with why, the award decisions, the next
year's heads, and the warnings. Numbers the Vietnamese way (``_support.display``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules._support.display import DISPLAY_PLACES as _DISPLAY_PLACES
from emulation_rules._support.display import vn_number
from emulation_rules._support.i18n import _, pgettext, render_issue
from emulation_rules.reports._trace_words import trace_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emulation_rules.engine.scoring import ClusterResult

__all__ = ["DISPLAY_PLACES", "render_table"]


def _fmt(value: Decimal | None, places: int | None = None) -> str:
    """Display form, the Vietnamese way, with ``places`` decimals (default: as few as needed)."""
    if value is None:
        return "—"
    return vn_number(value, places)


#: Most decimal places the text table shows; longer values end with "…" (the JSON is exact).
DISPLAY_PLACES = _DISPLAY_PLACES


def _column(values: Sequence[Decimal | None]) -> list[str]:
    """Display a column with one number of decimal places, the fewest that shows every value."""
    places = 0
    for value in values:
        if value is not None:
            exponent = value.normalize().as_tuple().exponent
            if isinstance(exponent, int):
                places = max(places, -exponent)
    places = min(places, DISPLAY_PLACES)
    out = []
    for value in values:
        shown = _fmt(value, places)
        if value is not None and value != value.quantize(Decimal(1).scaleb(-places)):
            shown += "…"
        out.append(shown)
    return out


def render_table(result: ClusterResult) -> str:
    """The ranked table as plain text, with not-classified, failed and rejected units below."""
    lines = [
        f"{result.ruleset_title}",
        _("Guide {id} version {version} ({digest}…)").format(
            id=result.ruleset_id, version=result.ruleset_version, digest=result.ruleset_digest[:19]
        ),
        "",
    ]
    header: tuple[str, ...] = (
        pgettext("table", "Rank"),
        pgettext("table", "Unit id"),
        pgettext("table", "Unit"),
        pgettext("table", "Total"),
        pgettext("table", "Maximum"),
        pgettext("table", "Percent"),
        pgettext("table", "Class"),
    )
    scored = [u for u in result.units if u.status == "scored"]
    totals = _column([u.total for u in scored])
    maxima = _column([u.max for u in scored])
    rows: list[tuple[str, ...]] = [
        (
            str(unit.rank),
            unit.unit_id,
            unit.name,
            total,
            maximum,
            _fmt(unit.percent, 2),
            unit.classification or "",
        )
        for unit, total, maximum in zip(scored, totals, maxima, strict=True)
    ]
    if not any(row[-1] for row in rows):  # the guide declares no classification
        header = header[:-1]
        rows = [row[:-1] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    numeric = {0, 3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    lines.append(line(header))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(line(r) for r in rows)
    others = [u for u in result.units if u.status != "scored"]
    if others:
        lines.append("")
    for unit in others:
        if unit.status == "not_classified":
            lines.append(
                _("Not classified: {id} ({name}), total {total}").format(
                    id=unit.unit_id, name=unit.name, total=_fmt(unit.total)
                )
            )
            lines.extend(f"    {reason}" for reason in unit.reasons)
        else:
            lines.append(
                _("Failed to score: {id} ({name})").format(id=unit.unit_id, name=unit.name)
            )
            lines.extend(
                f"    {render_issue(issue)}" for issue in unit.issues if issue.severity == "error"
            )
    if result.rejected:
        lines.append("")
    for rejected in result.rejected:
        lines.append(_("Not scored (wrong submission): {id}").format(id=rejected.unit_id))
        lines.extend(
            f"    {render_issue(issue)}" for issue in rejected.issues if issue.severity == "error"
        )
    lines.extend(_awards_text(result))
    warnings = [i for u in result.units for i in u.issues if i.severity == "warning"]
    warnings += [i for i in result.issues if i.severity == "warning"]
    if warnings:
        lines.append("")
        lines.extend(render_issue(i) for i in warnings)
    return "\n".join(lines) + "\n"


def _awards_text(result: ClusterResult) -> list[str]:
    lines: list[str] = []
    ineligible = [u for u in result.units if u.status == "scored" and not u.eligible]
    if ineligible:
        lines.append("")
        for unit in ineligible:
            lines.append(
                _("Not eligible for awards: {id} ({name})").format(id=unit.unit_id, name=unit.name)
            )
            lines.extend(f"    {trace_text(reason)}" for reason in unit.eligibility_reasons)
    for award in result.awards:
        lines.append("")
        names = {u.unit_id: u.name for u in result.units}
        lines.append(f"{award.title}: {trace_text(award.arithmetic)}")
        if award.vote:
            lines.append("    " + _("Vote: {vote}").format(vote=trace_text(award.vote)))
        if award.awarded:
            lines.extend(
                "    " + _("Proposed: {id} ({name})").format(id=uid, name=names.get(uid, uid))
                for uid in award.awarded
            )
        else:
            lines.append("    " + _("No unit is proposed"))
        lines.extend(
            "    "
            + _("Not proposed: {id}: {reason}").format(id=d.unit_id, reason=trace_text(d.reason))
            for d in award.decisions
            if not d.awarded and d.reason != "không xếp loại"
        )
    next_year = result.cluster.next_year if result.cluster else None
    if next_year and (next_year.head or next_year.deputies):
        lines.append("")
        head = result.cluster.head if result.cluster else None
        if head and next_year.head:
            lines.append(
                _("Rotating flag: head {head} hands it to next year's head {next}").format(
                    head=head, next=next_year.head
                )
            )
        if next_year.head:
            lines.append(_("Next year's head: {head}").format(head=next_year.head))
        if next_year.deputies:
            lines.append(
                _("Next year's deputies: {names}").format(names=", ".join(next_year.deputies))
            )
    return lines
