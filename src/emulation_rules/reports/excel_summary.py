"""The Excel summary ("bảng tổng hợp điểm") of a scored cluster.

One row per unit in rank order with the rank, the unit, one column per top-level criterion (and
per second-level criterion when there are few), the total, the maximum, the percentage, the
classification and the proposed awards; a sheet with every award decision and its arithmetic; a
sheet with every criterion of every unit; a sheet of the differences from the self-scores and of
the agreed values; and the guide's identity. A number is written as an Excel number when Excel
holds it exactly (at most 15 significant digits, and the float gives the same decimal back);
otherwise the cell holds the number rounded to 15 significant digits, shown with 4 places and
"…", and its exact decimal is the cell's comment, never lost.

The file is written by :mod:`._xlsx` (no openpyxl needed, well under 2 s for 1,000 units);
:func:`summary_workbook` reads it back with openpyxl for callers that want the workbook object.
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import TYPE_CHECKING

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.files import write_atomic
from emulation_rules.inputs.excel import LINE_HEIGHT, excel_value, require_openpyxl, text_height
from emulation_rules.reports._cells import (
    UNIT_STATUS,
    award_titles,
    criteria_with_depth,
    decided,
    differences,
    summary_columns,
)
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
    "summary_bytes",
    "summary_workbook",
    "write_summary",
]

SHEET_SUMMARY = "Bảng tổng hợp điểm"
SHEET_AWARDS = "Khen thưởng"
SHEET_DETAIL = "Chi tiết"
SHEET_INFO = "Thông tin"
SHEET_DIFFERENCES = "Chênh lệch"
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
    _summary_sheet(compiled, result, book, book.sheet(SHEET_SUMMARY))
    _awards_sheet(result, book, book.sheet(SHEET_AWARDS))
    _detail_sheet(compiled, result, book, book.sheet(SHEET_DETAIL))
    _differences_sheet(result, book, book.sheet(SHEET_DIFFERENCES))
    _info_sheet(compiled, result, book, book.sheet(SHEET_INFO))
    title = f"Bảng tổng hợp điểm: {compiled.ruleset.title}"[:250]
    return book.to_bytes(title=title, identifier=compiled.digest)


#: The display of a rounded number, and the start of the comment that holds its exact text.
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
            sheet.note(row, column, exact)

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
                known = (float(_ROUNDING.plus(value)), style, f"{EXACT_PREFIX}{shown}")
            else:
                style = self.style(Style(font=font, number_format=_number_format(value)))
                known = (shown, style, None)
            self._numbers[key] = known
            if not font:
                self.plain_numbers[key[0]] = known
        return known

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
    sheet.put(1, 1, "BẢNG TỔNG HỢP ĐIỂM THI ĐUA", book.style(_TITLE))
    sheet.put(2, 1, guide.title, book.style(_BOLD))
    identity = (
        f"Hướng dẫn {guide.id}, phiên bản {guide.version}, kỳ {guide.period}; "
        f"mã số {result.ruleset_digest}"
    )
    sheet.put(3, 1, identity, small)
    header: list[str] = ["Hạng", "Mã đơn vị", "Tên đơn vị"]
    for ident, _depth in columns:
        node = compiled.nodes[ident]
        header.append(f"{ident}. {node.title}")
    header += [
        "Tổng điểm",
        "Tối đa",
        "Tỷ lệ %",
        "Xếp loại",
        "Đề nghị khen thưởng",
        "Ghi chú",
    ]
    row = SUMMARY_HEADER_ROW
    book.header(sheet, row, header)
    row += 1
    sheet.put(row, 3, "Điểm tối đa theo hướng dẫn", small)
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
        reasons = "; ".join(i.render() for i in rejected.issues if i.severity == "error")
        sheet.put(row, total_column + 5, f"{UNIT_STATUS['rejected']}: {reasons}", wrap)
    row += 2
    sheet.put(
        row,
        1,
        "Mọi số là giá trị chính xác, không làm tròn ngoài quy định của hướng dẫn. Số nào "
        "Excel không lưu được chính xác (quá 15 chữ số có nghĩa) được ghi dưới dạng chữ. "
        "“—”: tiêu chí không áp dụng cho đơn vị.",
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
    if unit.status == "not_classified":
        notes.append(f"{UNIT_STATUS['not_classified']}: " + "; ".join(unit.reasons))
    elif unit.status == "error":
        errors = [i.render() for i in unit.issues if i.severity == "error"]
        notes.append(f"{UNIT_STATUS['error']}: " + "; ".join(errors))
    if unit.status == "scored" and not unit.eligible:
        notes.append("Không đủ điều kiện khen thưởng: " + "; ".join(unit.eligibility_reasons))
    if unit.rank_decided_by == "tie":
        notes.append("Đồng hạng")
    return " ".join(notes)


def _awards_sheet(result: ClusterResult, book: _Summary, sheet: Sheet) -> None:
    header = (
        "Hình thức khen thưởng",
        "Chỉ tiêu",
        "Cách tính chỉ tiêu",
        "Biểu quyết",
        "Mã đơn vị",
        "Tên đơn vị",
        "Hạng",
        "Kết quả",
        "Lý do",
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
                award.arithmetic,
                award.vote,
                decision.unit_id,
                unit.name if unit else None,
                unit.rank if unit else None,
                "Đề nghị" if decision.awarded else "Không đề nghị",
                decision.reason,
            )
            for column, value in enumerate(values, start=1):
                sheet.put(row, column, value, wrap)
    if not result.awards:
        sheet.put(2, 1, "Hướng dẫn không quy định khen thưởng.")
    sheet.widths.update(enumerate((34, 9, 40, 40, 18, 36, 7, 14, 60), start=1))
    sheet.freeze = "A2"
    sheet.title_rows = "1:1"


def _detail_sheet(
    compiled: CompiledRuleset, result: ClusterResult, book: _Summary, sheet: Sheet
) -> None:
    units = [u for u in result.units if u.status != "error"]
    book.header(sheet, 1, ["Mã tiêu chí", "Tiêu chí", "Tối đa"] + [u.unit_id for u in units])
    small, bold = book.style(_SMALL), book.style(_BOLD)
    sheet.put(2, 2, "Tên đơn vị", small)
    for offset, unit in enumerate(units):
        sheet.put(2, 4 + offset, unit.name, small)
    values = [(dict(u.items), u.not_applicable) for u in units]
    known = book.plain_numbers
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
                    sheet.note(row, column, exact)
    row += 1
    sheet.put(row, 1, "TOTAL")
    sheet.put(row, 2, "Tổng điểm", bold)
    book.number(sheet, row, 3, compiled.ruleset.scale)
    for column, unit in enumerate(units, start=4):
        book.number(sheet, row, column, unit.total)
    sheet.widths.update({1: 14, 2: 70})
    sheet.freeze = "D3"
    sheet.title_rows = "1:2"


def _differences_sheet(result: ClusterResult, book: _Summary, sheet: Sheet) -> None:
    header = (
        "Mã đơn vị",
        "Tên đơn vị",
        "Tiêu chí",
        "Tự chấm",
        "Tính theo hướng dẫn",
        "Thống nhất",
        "Người quyết định, lý do",
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
        sheet.put(
            2,
            1,
            "Không có tiêu chí nào mà điểm tự chấm hoặc điểm thống nhất khác điểm tính "
            "theo hướng dẫn.",
        )
    sheet.widths.update(enumerate((18, 36, 12, 12, 14, 12, 70), start=1))
    sheet.freeze = "A2"
    sheet.title_rows = "1:1"


def _info_sheet(
    compiled: CompiledRuleset, result: ClusterResult, book: _Summary, sheet: Sheet
) -> None:
    guide = compiled.ruleset
    facts = (
        ("Tên hướng dẫn", guide.title),
        ("Mã hướng dẫn", guide.id),
        ("Phiên bản", guide.version),
        ("Kỳ chấm điểm", guide.period),
        ("Cơ quan ban hành", guide.issuer),
        ("Số văn bản", guide.document),
        ("Thang điểm", decimal_text(guide.scale)),
        ("Mã số của hướng dẫn (digest)", result.ruleset_digest),
        ("Mã số tệp hướng dẫn", result.ruleset_source_digest),
        ("Ngày đánh giá (as of)", result.as_of.isoformat() if result.as_of else None),
        ("Phần mềm", f"emulation-rules {result.engine_version}"),
        ("Số đơn vị đã chấm", str(len(result.units))),
        ("Số đơn vị không chấm được", str(len(result.rejected))),
    )
    bold = book.style(_BOLD)
    for row, (label, value) in enumerate(facts, start=1):
        sheet.put(row, 1, label, bold)
        sheet.put(row, 2, value)
    sheet.widths.update({1: 32, 2: 90})
