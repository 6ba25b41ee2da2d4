"""The Excel summary ("bảng tổng hợp điểm") of a scored cluster.

One row per unit in rank order with the rank, the unit, one column per top-level criterion (and
per second-level criterion when there are few), the total, the maximum, the percentage, the
classification and the proposed awards; a sheet with every award decision and its arithmetic; a
sheet with every criterion of every unit; a sheet of the differences from the self-scores and of
the agreed values; and the guide's identity. A number is written as an Excel number when Excel
holds it exactly (at most 15 significant digits, and the float gives the same decimal back);
otherwise the cell holds the number rounded to 15 significant digits, shown with 4 places and
"…", and its exact decimal is the cell's comment, never lost. It needs openpyxl.
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.files import write_atomic
from emulation_rules.inputs.excel import (
    LINE_HEIGHT,
    excel_value,
    print_layout,
    require_openpyxl,
    text_cells,
    text_height,
)
from emulation_rules.reports._cells import (
    UNIT_STATUS,
    award_titles,
    criteria_with_depth,
    decided,
    differences,
    summary_columns,
)

if TYPE_CHECKING:
    from pathlib import Path

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

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
    """Write the Excel summary ("bảng tổng hợp điểm") of a scored cluster.

    Raises:
        MissingDependencyError: if openpyxl is not installed.
    """
    buffer = io.BytesIO()
    summary_workbook(compiled, result).save(buffer)
    write_atomic(path, buffer.getvalue())


def summary_workbook(compiled: CompiledRuleset, result: ClusterResult) -> Workbook:
    """The Excel summary as an openpyxl workbook.

    Raises:
        MissingDependencyError: if openpyxl is not installed.
    """
    openpyxl = require_openpyxl()
    workbook: Workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_SUMMARY
    _summary_sheet(compiled, result, sheet)
    _awards_sheet(result, workbook.create_sheet(SHEET_AWARDS))
    _detail_sheet(compiled, result, workbook.create_sheet(SHEET_DETAIL))
    _differences_sheet(result, workbook.create_sheet(SHEET_DIFFERENCES))
    _info_sheet(compiled, result, workbook.create_sheet(SHEET_INFO))
    print_layout(sheet, title_rows=f"{SUMMARY_HEADER_ROW}:{SUMMARY_HEADER_ROW + 1}")
    for name, rows in (
        (SHEET_AWARDS, "1:1"),
        (SHEET_DETAIL, "1:2"),
        (SHEET_DIFFERENCES, "1:1"),
        (SHEET_INFO, None),
    ):
        print_layout(workbook[name], title_rows=rows)
    text_cells(workbook)
    workbook.properties.title = f"Bảng tổng hợp điểm: {compiled.ruleset.title}"[:250]
    workbook.properties.creator = "emulation-rules"
    workbook.properties.identifier = compiled.digest
    return workbook


def _style() -> dict[str, Any]:
    styles = require_openpyxl().styles
    return {
        "title": styles.Font(bold=True, size=14),
        "bold": styles.Font(bold=True),
        "small": styles.Font(italic=True, size=9, color="606060"),
        "fill": styles.PatternFill("solid", fgColor="DDEBF7"),
        "wrap": styles.Alignment(wrap_text=True, vertical="top"),
        "center": styles.Alignment(wrap_text=True, vertical="center", horizontal="center"),
        "right": styles.Alignment(horizontal="right"),
    }


def _put(sheet: Worksheet, row: int, column: int, value: Decimal | str | None) -> Any:
    """Write a value; decimals as numbers, exact when Excel can hold them.

    A decimal that Excel cannot hold (more than 15 significant digits, 4/3) is written as the
    number rounded to 15 significant digits, shown with 4 places and "…", so that it can be
    summed and does not spill into the next cells; its exact text is the cell's comment.
    """
    if isinstance(value, Decimal):
        shown = excel_value(value)
        if isinstance(shown, str):
            rounded = float(_ROUNDING.plus(value))
            cell = sheet.cell(row=row, column=column, value=rounded)
            cell.number_format = ROUNDED_FORMAT
            comment = f"{EXACT_PREFIX}{shown}"
            cell.comment = require_openpyxl().comments.Comment(comment, "emulation-rules", 60, 260)
            return cell
        cell = sheet.cell(row=row, column=column, value=shown)
        cell.number_format = _number_format(value)
        return cell
    return sheet.cell(row=row, column=column, value=value)


#: The display of a rounded number, and the start of the comment that holds its exact text.
ROUNDED_FORMAT = '0.0000"…"'
EXACT_PREFIX = "Giá trị chính xác: "
_ROUNDING = Context(prec=15, rounding=ROUND_HALF_EVEN)


def _number_format(value: Decimal) -> str:
    text = decimal_text(value)
    places = len(text.split(".")[1]) if "." in text else 0
    return "0" if places == 0 else "0." + "0" * places


def _summary_sheet(compiled: CompiledRuleset, result: ClusterResult, sheet: Worksheet) -> None:
    style = _style()
    guide = compiled.ruleset
    columns = summary_columns(compiled)
    sheet["A1"] = "BẢNG TỔNG HỢP ĐIỂM THI ĐUA"
    sheet["A1"].font = style["title"]
    sheet["A2"] = guide.title
    sheet["A2"].font = style["bold"]
    sheet["A3"] = (
        f"Hướng dẫn {guide.id}, phiên bản {guide.version}, kỳ {guide.period}; "
        f"mã số {result.ruleset_digest}"
    )
    sheet["A3"].font = style["small"]
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
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font = style["bold"]
        cell.fill = style["fill"]
        cell.alignment = style["center"]
    row += 1
    sheet.cell(row=row, column=3, value="Điểm tối đa theo hướng dẫn").font = style["small"]
    for offset, (ident, _depth) in enumerate(columns):
        maximum = compiled.nodes[ident].max
        if maximum is not None:
            _put(sheet, row, 4 + offset, maximum).font = style["small"]
    _put(sheet, row, 4 + len(columns), guide.scale).font = style["small"]
    first_value = 4
    total_column = first_value + len(columns)
    for unit in result.units:
        row += 1
        sheet.cell(row=row, column=1, value=unit.rank)
        sheet.cell(row=row, column=2, value=unit.unit_id)
        sheet.cell(row=row, column=3, value=unit.name)
        if unit.status != "error":
            for offset, (ident, _depth) in enumerate(columns):
                if ident in unit.not_applicable:
                    sheet.cell(row=row, column=first_value + offset, value="—")
                elif ident in unit.items:
                    _put(sheet, row, first_value + offset, unit.items[ident])
        for offset, value in enumerate((unit.total, unit.max, unit.percent)):
            if value is not None:
                _put(sheet, row, total_column + offset, value)
        sheet.cell(row=row, column=total_column + 3, value=unit.classification)
        titles = award_titles(result, unit)
        sheet.cell(row=row, column=total_column + 4, value="; ".join(titles) or None)
        note = _unit_note(unit)
        if note:
            sheet.cell(row=row, column=total_column + 5, value=note).alignment = style["wrap"]
    for rejected in result.rejected:
        row += 1
        sheet.cell(row=row, column=2, value=rejected.unit_id)
        sheet.cell(row=row, column=3, value=rejected.name)
        reasons = "; ".join(i.render() for i in rejected.issues if i.severity == "error")
        note = f"{UNIT_STATUS['rejected']}: {reasons}"
        sheet.cell(row=row, column=total_column + 5, value=note).alignment = style["wrap"]
    row += 2
    sheet.cell(
        row=row,
        column=1,
        value=(
            "Mọi số là giá trị chính xác, không làm tròn ngoài quy định của hướng dẫn. Số nào "
            "Excel không lưu được chính xác (quá 15 chữ số có nghĩa) được ghi dưới dạng chữ. "
            "“—”: tiêu chí không áp dụng cho đơn vị."
        ),
    ).font = style["small"]
    sheet.column_dimensions["A"].width = 7
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 42
    for column in range(first_value, total_column + 6):
        sheet.column_dimensions[_letter(column)].width = 14
    sheet.column_dimensions[_letter(total_column + 3)].width = 22
    sheet.column_dimensions[_letter(total_column + 4)].width = 28
    sheet.column_dimensions[_letter(total_column + 5)].width = 50
    sheet.row_dimensions[1].height = 2 * LINE_HEIGHT
    sheet.row_dimensions[2].height = LINE_HEIGHT + 4
    sheet.row_dimensions[SUMMARY_HEADER_ROW].height = min(
        409, max(60, *(text_height(text, 14) for text in header[3:]))
    )
    sheet.freeze_panes = f"D{SUMMARY_HEADER_ROW + 2}"


def _letter(column: int) -> str:
    text: str = require_openpyxl().utils.get_column_letter(column)
    return text


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


def _awards_sheet(result: ClusterResult, sheet: Worksheet) -> None:
    style = _style()
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
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column, value=text)
        cell.font = style["bold"]
        cell.fill = style["fill"]
        cell.alignment = style["center"]
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
                sheet.cell(row=row, column=column, value=value).alignment = style["wrap"]
    if not result.awards:
        sheet.cell(row=2, column=1, value="Hướng dẫn không quy định khen thưởng.")
    for column, width in enumerate((34, 9, 40, 40, 18, 36, 7, 14, 60), start=1):
        sheet.column_dimensions[_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _detail_sheet(compiled: CompiledRuleset, result: ClusterResult, sheet: Worksheet) -> None:
    style = _style()
    units = [u for u in result.units if u.status != "error"]
    header = ["Mã tiêu chí", "Tiêu chí", "Tối đa"] + [u.unit_id for u in units]
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column, value=text)
        cell.font = style["bold"]
        cell.fill = style["fill"]
        cell.alignment = style["center"]
    sheet.cell(row=2, column=2, value="Tên đơn vị").font = style["small"]
    for offset, unit in enumerate(units):
        sheet.cell(row=2, column=4 + offset, value=unit.name).font = style["small"]
    row = 2
    for criterion, depth in criteria_with_depth(compiled):
        row += 1
        node = compiled.nodes[criterion.id]
        sheet.cell(row=row, column=1, value=criterion.id)
        label = sheet.cell(row=row, column=2, value=("    " * depth) + criterion.title)
        if depth == 0:
            label.font = style["bold"]
        if node.max is not None:
            _put(sheet, row, 3, node.max)
        for offset, unit in enumerate(units):
            if criterion.id in unit.not_applicable:
                sheet.cell(row=row, column=4 + offset, value="—")
            elif criterion.id in unit.items:
                _put(sheet, row, 4 + offset, unit.items[criterion.id])
    row += 1
    sheet.cell(row=row, column=1, value="TOTAL")
    sheet.cell(row=row, column=2, value="Tổng điểm").font = style["bold"]
    _put(sheet, row, 3, compiled.ruleset.scale)
    for offset, unit in enumerate(units):
        if unit.total is not None:
            _put(sheet, row, 4 + offset, unit.total)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 70
    sheet.freeze_panes = "D3"


def _differences_sheet(result: ClusterResult, sheet: Worksheet) -> None:
    style = _style()
    header = (
        "Mã đơn vị",
        "Tên đơn vị",
        "Tiêu chí",
        "Tự chấm",
        "Tính theo hướng dẫn",
        "Thống nhất",
        "Người quyết định, lý do",
    )
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column, value=text)
        cell.font = style["bold"]
        cell.fill = style["fill"]
        cell.alignment = style["center"]
    rows = differences(result)
    for row, item in enumerate(rows, start=2):
        sheet.cell(row=row, column=1, value=item.unit.unit_id)
        sheet.cell(row=row, column=2, value=item.unit.name)
        sheet.cell(row=row, column=3, value=item.item)
        _put(sheet, row, 4, item.self_score)
        _put(sheet, row, 5, item.computed)
        if item.departure is not None:
            _put(sheet, row, 6, item.final)
            sheet.cell(row=row, column=7, value=decided(item.departure)).alignment = style["wrap"]
    if not rows:
        sheet.cell(
            row=2,
            column=1,
            value="Không có tiêu chí nào mà điểm tự chấm hoặc điểm thống nhất khác điểm tính "
            "theo hướng dẫn.",
        )
    for column, width in enumerate((18, 36, 12, 12, 14, 12, 70), start=1):
        sheet.column_dimensions[_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _info_sheet(compiled: CompiledRuleset, result: ClusterResult, sheet: Worksheet) -> None:
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
    for row, (label, value) in enumerate(facts, start=1):
        sheet.cell(row=row, column=1, value=label).font = _style()["bold"]
        sheet.cell(row=row, column=2, value=value)
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 90
