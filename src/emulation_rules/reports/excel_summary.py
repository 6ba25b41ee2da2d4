"""The Excel summary ("bảng tổng hợp điểm") of a scored cluster.

One row per unit in rank order with the rank, the unit, one column per top-level criterion (and
per second-level criterion when there are few), the total, the maximum, the percentage, the
classification and the proposed awards; a sheet with every award decision and its arithmetic; a
sheet with every criterion of every unit; a sheet of the differences from the self-scores and of
the agreed values; and the guide's identity. A number is written as an Excel number when Excel
holds it exactly (at most 15 significant digits, and the float gives the same decimal back);
otherwise the cell holds the number rounded to 15 significant digits, shown with 4 places and
"…", and its exact decimal is the cell's comment, never lost.

Its sheet names and fixed texts are in the language of the call (``--lang``; Vietnamese by
default, the ``SHEET_*`` names and :data:`EXACT_PREFIX`); :func:`sheet_names` gives the names.

The file is written by :mod:`._xlsx` (no openpyxl needed, well under 2 s for 1,000 units);
:func:`summary_workbook` reads it back with openpyxl for callers that want the workbook object.
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import TYPE_CHECKING

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.files import write_atomic
from emulation_rules._support.i18n import pgettext, render_issue
from emulation_rules.inputs.excel import LINE_HEIGHT, excel_value, require_openpyxl, text_height
from emulation_rules.reports._cells import (
    award_titles,
    criteria_with_depth,
    decided,
    differences,
    summary_columns,
    unit_status,
)
from emulation_rules.reports._trace_words import trace_text
from emulation_rules.reports._xlsx import Book, Sheet, Style

if TYPE_CHECKING:
    from pathlib import Path

    from openpyxl.workbook.workbook import Workbook

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.engine.scoring import ClusterResult

__all__ = [
    "EXACT_PREFIX",
    "ROUNDED_FORMAT",
    "SHEET_AWARDS",
    "SHEET_DETAIL",
    "SHEET_DIFFERENCES",
    "SHEET_INFO",
    "SHEET_SUMMARY",
    "SUMMARY_HEADER_ROW",
    "sheet_names",
    "summary_bytes",
    "summary_workbook",
    "write_summary",
]

#: The sheets' names in Vietnamese, the default language (:func:`sheet_names`: in the call's).
SHEET_SUMMARY = "Bảng tổng hợp điểm"
SHEET_AWARDS = "Khen thưởng"
SHEET_DETAIL = "Chi tiết"
SHEET_INFO = "Thông tin"
SHEET_DIFFERENCES = "Chênh lệch"


def sheet_names() -> tuple[str, str, str, str, str]:
    """The sheets' names in the language of the call: summary, awards, detail, differences, info."""
    return (
        pgettext("report", "Score summary"),
        pgettext("report", "Awards"),
        pgettext("report", "Details"),
        pgettext("report", "Differences"),
        pgettext("report", "Information"),
    )


#: Row of the summary's column headers; the guide maxima are on the next row, units below.
SUMMARY_HEADER_ROW = 5


def write_summary(compiled: CompiledRuleset, result: ClusterResult, path: str | Path) -> None:
    """Write the Excel summary ("bảng tổng hợp điểm") of a scored cluster."""
    write_atomic(path, summary_bytes(compiled, result))


def summary_workbook(compiled: CompiledRuleset, result: ClusterResult) -> Workbook:
    """The Excel summary as an openpyxl workbook (read back from :func:`summary_bytes`).

    Raises:
        MissingDependencyError: if openpyxl is not installed.
    """
    openpyxl = require_openpyxl()
    workbook: Workbook = openpyxl.load_workbook(io.BytesIO(summary_bytes(compiled, result)))
    return workbook


def summary_bytes(compiled: CompiledRuleset, result: ClusterResult) -> bytes:
    """The Excel summary as the bytes of an .xlsx file; the same result gives the same bytes."""
    book = _Summary()
    summary, awards, detail, differing, info = sheet_names()
    _summary_sheet(compiled, result, book, book.sheet(summary))
    _awards_sheet(result, book, book.sheet(awards))
    _detail_sheet(compiled, result, book, book.sheet(detail))
    _differences_sheet(result, book, book.sheet(differing))
    _info_sheet(compiled, result, book, book.sheet(info))
    title = pgettext("report", "{heading}: {title}").format(
        heading=summary, title=compiled.ruleset.title
    )[:250]
    return book.to_bytes(title=title, identifier=compiled.digest)


#: The display of a rounded number, and the start of the comment that holds its exact text
#: (in Vietnamese, the default language).
ROUNDED_FORMAT = '0.0000"…"'
EXACT_PREFIX = "Giá trị chính xác: "
_ROUNDING = Context(prec=15, rounding=ROUND_HALF_EVEN)

_TITLE = Style(font="title")
_BOLD = Style(font="bold")
_SMALL = Style(font="small")
_HEADER = Style(font="bold", fill=True, align="center")
_WRAP = Style(align="wrap")


class _Summary(Book):
    """The workbook, with the decimals written the same way everywhere (and worked out once)."""

    def __init__(self) -> None:
        super().__init__()
        #: (decimal text, font) → (number, style index, exact text when rounded).
        self._numbers: dict[tuple[str, str], tuple[int | float, int, str | None]] = {}
        #: The same for the plain font, by decimal text alone (the detail sheet's cells).
        self.plain_numbers: dict[str, tuple[int | float, int, str | None]] = {}
        #: The comment of a rounded number, in the language of the call.
        self._exact_words = pgettext("report", "Exact value: {value}")

    def number(
        self, sheet: Sheet, row: int, column: int, value: Decimal | None, font: str = ""
    ) -> None:
        """Write a decimal as a number, exact when Excel can hold it.

        A decimal that Excel cannot hold (more than 15 significant digits, 4/3) is written as
        the number rounded to 15 significant digits, shown with 4 places and "…", so that it
        can be summed and does not spill into the next cells; its exact text is the cell's
        comment.
        """
        if value is None:
            return
        number, style, exact = self.numbers(value, font)
        sheet.put(row, column, number, style)
        if exact is not None:
            sheet.note(row, column, self.exact_note(exact))

    def numbers(self, value: Decimal, font: str = "") -> tuple[int | float, int, str | None]:
        """The number written for ``value``, its style, and its exact text when rounded."""
        key = (str(value), font)
        known = self._numbers.get(key)
        if known is None:
            digits = key[0].lstrip("-").replace(".", "").strip("0")
            # more than 16 digits: never an integer Excel holds, never a float that gives the
            # same decimal back; what excel_value says, without its float round trip
            shown = decimal_text(value) if len(digits) > 16 else excel_value(value)
            if isinstance(shown, str):
                style = self.style(Style(font=font, number_format=ROUNDED_FORMAT))
                known = (float(_ROUNDING.plus(value)), style, shown)
            else:
                style = self.style(Style(font=font, number_format=_number_format(value)))
                known = (shown, style, None)
            self._numbers[key] = known
            if not font:
                self.plain_numbers[key[0]] = known
        return known

    def exact_note(self, exact: str) -> str:
        """The comment of a rounded number: its exact text, in the language of the call."""
        return self._exact_words.format(value=exact)

    def header(self, sheet: Sheet, row: int, texts: tuple[str, ...] | list[str]) -> None:
        """A row of column headers: bold, on the blue fill, centred and wrapped."""
        style = self.style(_HEADER)
        for column, text in enumerate(texts, start=1):
            sheet.put(row, column, text, style)


def _number_format(value: Decimal) -> str:
    text = decimal_text(value)
    places = len(text.split(".")[1]) if "." in text else 0
    return "0" if places == 0 else "0." + "0" * places


def _summary_sheet(
    compiled: CompiledRuleset, result: ClusterResult, book: _Summary, sheet: Sheet
) -> None:
    guide = compiled.ruleset
    columns = summary_columns(compiled)
    small, wrap = book.style(_SMALL), book.style(_WRAP)
    sheet.put(1, 1, pgettext("report", "EMULATION SCORE SUMMARY"), book.style(_TITLE))
    sheet.put(2, 1, guide.title, book.style(_BOLD))
    identity = pgettext(
        "report", "Guide {id}, version {version}, period {period}; digest {digest}"
    ).format(id=guide.id, version=guide.version, period=guide.period, digest=result.ruleset_digest)
    sheet.put(3, 1, identity, small)
    header: list[str] = [
        pgettext("report", "Rank"),
        pgettext("report", "Unit code"),
        pgettext("report", "Unit name"),
    ]
    for ident, _depth in columns:
        node = compiled.nodes[ident]
        header.append(f"{ident}. {node.title}")
    header += [
        pgettext("report", "Total points"),
        pgettext("report", "Maximum"),
        pgettext("report", "Percentage"),
        pgettext("report", "Class"),
        pgettext("report", "Proposed awards"),
        pgettext("report", "Remarks"),
    ]
    row = SUMMARY_HEADER_ROW
    book.header(sheet, row, header)
    row += 1
    sheet.put(row, 3, pgettext("report", "Maximum by the guide"), small)
    for offset, (ident, _depth) in enumerate(columns):
        book.number(sheet, row, 4 + offset, compiled.nodes[ident].max, "small")
    book.number(sheet, row, 4 + len(columns), guide.scale, "small")
    first_value = 4
    total_column = first_value + len(columns)
    for unit in result.units:
        row += 1
        sheet.put(row, 1, unit.rank)
        sheet.put(row, 2, unit.unit_id)
        sheet.put(row, 3, unit.name)
        if unit.status != "error":
            for offset, (ident, _depth) in enumerate(columns):
                if ident in unit.not_applicable:
                    sheet.put(row, first_value + offset, "—")
                elif ident in unit.items:
                    book.number(sheet, row, first_value + offset, unit.items[ident])
        for offset, value in enumerate((unit.total, unit.max, unit.percent)):
            book.number(sheet, row, total_column + offset, value)
        sheet.put(row, total_column + 3, unit.classification)
        titles = award_titles(result, unit)
        sheet.put(row, total_column + 4, "; ".join(titles) or None)
        note = _unit_note(unit)
        if note:
            sheet.put(row, total_column + 5, note, wrap)
    for rejected in result.rejected:
        row += 1
        sheet.put(row, 2, rejected.unit_id)
        sheet.put(row, 3, rejected.name)
        reasons = "; ".join(render_issue(i) for i in rejected.issues if i.severity == "error")
        sheet.put(row, total_column + 5, f"{unit_status()['rejected']}: {reasons}", wrap)
    row += 2
    sheet.put(
        row,
        1,
        pgettext(
            "report",
            "Every number is the exact value, rounded only where the guide says so. A number "
            "Excel cannot hold exactly (more than 15 significant digits) is written as text. "
            "“—”: the criterion does not apply to the unit.",
        ),
        small,
    )
    sheet.widths.update({1: 7, 2: 18, 3: 42})
    for column in range(first_value, total_column + 6):
        sheet.widths[column] = 14
    sheet.widths[total_column + 3] = 22
    sheet.widths[total_column + 4] = 28
    sheet.widths[total_column + 5] = 50
    sheet.heights[1] = 2 * LINE_HEIGHT
    sheet.heights[2] = LINE_HEIGHT + 4
    sheet.heights[SUMMARY_HEADER_ROW] = min(
        409, max(60, *(text_height(text, 14) for text in header[3:]))
    )
    sheet.freeze = f"D{SUMMARY_HEADER_ROW + 2}"
    sheet.title_rows = f"{SUMMARY_HEADER_ROW}:{SUMMARY_HEADER_ROW + 1}"


def _unit_note(unit: UnitScore) -> str:
    notes: list[str] = []
    status = unit_status()
    if unit.status == "not_classified":
        reasons = "; ".join(trace_text(r) for r in unit.reasons)
        notes.append(f"{status['not_classified']}: {reasons}")
    elif unit.status == "error":
        errors = [render_issue(i) for i in unit.issues if i.severity == "error"]
        notes.append(f"{status['error']}: " + "; ".join(errors))
    if unit.status == "scored" and not unit.eligible:
        reasons = "; ".join(trace_text(r) for r in unit.eligibility_reasons)
        notes.append(
            pgettext("report", "Not eligible for an award: {reasons}").format(reasons=reasons)
        )
    if unit.rank_decided_by == "tie":
        notes.append(pgettext("report", "Tied"))
    return " ".join(notes)


def _awards_sheet(result: ClusterResult, book: _Summary, sheet: Sheet) -> None:
    header = (
        pgettext("report", "Award"),
        pgettext("report", "Quota"),
        pgettext("report", "How the quota is worked out"),
        pgettext("report", "Vote"),
        pgettext("report", "Unit code"),
        pgettext("report", "Unit name"),
        pgettext("report", "Rank"),
        pgettext("report", "Result"),
        pgettext("report", "Reason"),
    )
    book.header(sheet, 1, header)
    wrap = book.style(_WRAP)
    names = {u.unit_id: u for u in result.units}
    row = 1
    for award in result.awards:
        for decision in award.decisions:
            row += 1
            unit = names.get(decision.unit_id)
            values = (
                award.title,
                award.quota,
                trace_text(award.arithmetic),
                trace_text(award.vote) if award.vote else award.vote,
                decision.unit_id,
                unit.name if unit else None,
                unit.rank if unit else None,
                pgettext("report", "Proposed")
                if decision.awarded
                else pgettext("report", "Not proposed"),
                trace_text(decision.reason),
            )
            for column, value in enumerate(values, start=1):
                sheet.put(row, column, value, wrap)
    if not result.awards:
        sheet.put(2, 1, pgettext("report", "The guide sets no award."))
    sheet.widths.update(enumerate((34, 9, 40, 40, 18, 36, 7, 14, 60), start=1))
    sheet.freeze = "A2"
    sheet.title_rows = "1:1"


def _detail_sheet(
    compiled: CompiledRuleset, result: ClusterResult, book: _Summary, sheet: Sheet
) -> None:
    units = [u for u in result.units if u.status != "error"]
    columns = [
        pgettext("report", "Criterion code"),
        pgettext("report", "Criterion"),
        pgettext("report", "Maximum"),
    ]
    book.header(sheet, 1, columns + [u.unit_id for u in units])
    small, bold = book.style(_SMALL), book.style(_BOLD)
    sheet.put(2, 2, pgettext("report", "Unit name"), small)
    for offset, unit in enumerate(units):
        sheet.put(2, 4 + offset, unit.name, small)
    values = [(dict(u.items), u.not_applicable) for u in units]
    known = book.plain_numbers
    note = book.exact_note
    row = 2
    for criterion, depth in criteria_with_depth(compiled):
        row += 1
        ident = criterion.id
        sheet.put(row, 1, ident)
        sheet.put(row, 2, ("    " * depth) + criterion.title, bold if depth == 0 else 0)
        book.number(sheet, row, 3, compiled.nodes[ident].max)
        line = sheet.cells.setdefault(row, {})
        for column, (items, not_applicable) in enumerate(values, start=4):
            if ident in not_applicable:
                line[column] = ("—", 0)
                continue
            value = items.get(ident)
            if value is not None:  # the same as book.number, without a call per cell
                number, style, exact = known.get(str(value)) or book.numbers(value)
                line[column] = (number, style)
                if exact is not None:
                    sheet.note(row, column, note(exact))
    row += 1
    sheet.put(row, 1, "TOTAL")
    sheet.put(row, 2, pgettext("report", "Total points"), bold)
    book.number(sheet, row, 3, compiled.ruleset.scale)
    for column, unit in enumerate(units, start=4):
        book.number(sheet, row, column, unit.total)
    sheet.widths.update({1: 14, 2: 70})
    sheet.freeze = "D3"
    sheet.title_rows = "1:2"


def _differences_sheet(result: ClusterResult, book: _Summary, sheet: Sheet) -> None:
    header = (
        pgettext("report", "Unit code"),
        pgettext("report", "Unit name"),
        pgettext("report", "Criterion"),
        pgettext("report", "Self-score"),
        pgettext("report", "By the guide"),
        pgettext("report", "Agreed"),
        pgettext("report", "Decided by, reason"),
    )
    book.header(sheet, 1, header)
    wrap = book.style(_WRAP)
    rows = differences(result)
    for row, item in enumerate(rows, start=2):
        sheet.put(row, 1, item.unit.unit_id)
        sheet.put(row, 2, item.unit.name)
        sheet.put(row, 3, item.item)
        book.number(sheet, row, 4, item.self_score)
        book.number(sheet, row, 5, item.computed)
        if item.departure is not None:
            book.number(sheet, row, 6, item.final)
            sheet.put(row, 7, decided(item.departure), wrap)
    if not rows:
        none = pgettext(
            "report",
            "No criterion has a self-score or an agreed score that differs from the score by "
            "the guide.",
        )
        sheet.put(2, 1, none)
    sheet.widths.update(enumerate((18, 36, 12, 12, 14, 12, 70), start=1))
    sheet.freeze = "A2"
    sheet.title_rows = "1:1"


def _info_sheet(
    compiled: CompiledRuleset, result: ClusterResult, book: _Summary, sheet: Sheet
) -> None:
    guide = compiled.ruleset
    facts = (
        (pgettext("report", "Guide title"), guide.title),
        (pgettext("report", "Guide code"), guide.id),
        (pgettext("report", "Version"), guide.version),
        (pgettext("report", "Scoring period"), guide.period),
        (pgettext("report", "Issued by"), guide.issuer),
        (pgettext("report", "Document number"), guide.document),
        (pgettext("report", "Scale"), decimal_text(guide.scale)),
        (pgettext("report", "Guide digest (digest)"), result.ruleset_digest),
        (pgettext("report", "Guide file digest"), result.ruleset_source_digest),
        (
            pgettext("report", "Evaluated as of (as of)"),
            result.as_of.isoformat() if result.as_of else None,
        ),
        (pgettext("report", "Software"), f"emulation-rules {result.engine_version}"),
        (pgettext("report", "Units scored"), str(len(result.units))),
        (pgettext("report", "Units that could not be scored"), str(len(result.rejected))),
    )
    bold = book.style(_BOLD)
    for row, (label, value) in enumerate(facts, start=1):
        sheet.put(row, 1, label, bold)
        sheet.put(row, 2, value)
    sheet.widths.update({1: 32, 2: 90})
