"""The submission workbook of a guide, written: the blank form a cluster sends to its units.

The layout it writes (sheets, rows, keys) is :mod:`emulation_rules.inputs.workbook_layout`,
which the reader (:mod:`emulation_rules.inputs.workbook_read`) reads back. No cell we write is
a formula (:func:`~emulation_rules._support.xlsx.text_cells`), and the workbook prints on
landscape A4 fitted to the width (:func:`~emulation_rules._support.xlsx.print_layout`).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.files import write_atomic
from emulation_rules._support.i18n import N_
from emulation_rules._support.xlsx import (
    LINE_HEIGHT,
    column_letter,
    print_layout,
    require_openpyxl,
    text_cells,
    text_height,
)
from emulation_rules.compiler.fields import MAX_TEXT
from emulation_rules.errors import Issue, OutputError
from emulation_rules.guide.model import MAX_MAGNITUDE
from emulation_rules.inputs.workbook_layout import (
    EVIDENCE_KEY,
    FIRST_ROW,
    KEY_ROW,
    LABEL_ROW,
    SHEET_GUIDE,
    SHEET_SELF,
    SHEET_UNITS,
    TYPE_WORDS,
    key_text,
)

if TYPE_CHECKING:
    from decimal import Decimal
    from pathlib import Path

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.guide.model import Criterion, InputSpec

__all__ = ["SHEET_LISTS", "TEMPLATE_ROWS", "template_workbook", "write_template"]

#: A hidden sheet with the allowed values of long enum lists.
SHEET_LISTS = "Danh sách"
#: Rows of the template prepared with data validation.
TEMPLATE_ROWS = 200
#: Excel limits on data-validation texts.
_PROMPT_TITLE, _PROMPT_TEXT = 32, 255

_HOW_TO_FILL = (
    "Mỗi đơn vị điền một dòng ở trang “Đơn vị”, bắt đầu từ dòng 3.",
    (
        "Dòng 1 là tên các trường; dòng 2 là mã trường mà chương trình đọc: không sửa, không xóa"
        " hai dòng này và không đổi tên các trang."
    ),
    (
        "Mã đơn vị chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang"
        " (ví dụ tx-cai-lay); tên đơn vị viết đầy đủ, có dấu."
    ),
    (
        "Số: gõ số như bình thường (dấu thập phân theo cài đặt của máy). Không dùng công thức,"
        " không định dạng ô là phần trăm: tỷ lệ 95,5% gõ là 95,5. Chương trình đọc đúng giá trị đã"
        " gõ, không làm tròn."
    ),
    "Đúng/Sai: chọn TRUE (có, đạt) hoặc FALSE (không, không đạt) trong danh sách.",
    "Ngày: nhập ngày, ví dụ 2022-01-31 hoặc 31/01/2022 (ngày trước, tháng sau, năm đủ 4 chữ số).",
    "Ô để trống: được hiểu như cột “Khi để trống” ở bảng dưới; trường có dấu * là bắt buộc.",
    (
        "Minh chứng: mỗi văn bản một dòng trong ô (Alt+Enter để xuống dòng), ví dụ"
        " “Công văn 12/STNMT ngày 05/6/2022”."
    ),
    "Trang “Tự chấm” (không bắt buộc): điểm đơn vị tự chấm theo từng tiêu chí.",
    "Không sửa mã hướng dẫn, phiên bản và kỳ chấm điểm ở cột B phía trên.",
)


# --------------------------------------------------------------------------------------------
# The template


def write_template(
    compiled: CompiledRuleset, path: str | Path, *, rows: int = TEMPLATE_ROWS
) -> None:
    """Write the submission workbook of a guide to ``path`` (``.xlsx``).

    Raises:
        MissingDependencyError: if openpyxl is not installed.
    """
    workbook = template_workbook(compiled, rows=rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_atomic(path, buffer.getvalue())


def template_workbook(compiled: CompiledRuleset, *, rows: int = TEMPLATE_ROWS) -> Workbook:
    """The submission workbook of a guide, as an openpyxl workbook.

    Raises:
        MissingDependencyError: if openpyxl is not installed.
    """
    lists = [name for name, field in compiled.inputs.items() if field.type == "list"]
    if lists:  # format v2: a list input has no cell form yet
        message = N_(
            "the guide has list inputs ({names}), which a workbook cannot hold yet; "
            "give the submissions as YAML or JSON"
        ).format(names=", ".join(lists))
        raise OutputError(message, (Issue("excel-list-input", message),))
    openpyxl = require_openpyxl()
    workbook: Workbook = openpyxl.Workbook()
    guide_sheet = workbook.active
    assert guide_sheet is not None
    guide_sheet.title = SHEET_GUIDE
    _write_guide_sheet(compiled, guide_sheet)
    lists = workbook.create_sheet(SHEET_LISTS)
    lists.sheet_state = "hidden"
    units = workbook.create_sheet(SHEET_UNITS)
    _write_units_sheet(compiled, units, lists, rows)
    own = workbook.create_sheet(SHEET_SELF)
    _write_self_sheet(compiled, own, rows)
    workbook.active = 2  # open on the sheet to fill
    _fixed_properties(workbook, compiled)
    print_layout(guide_sheet)
    print_layout(units, title_rows=f"{LABEL_ROW}:{KEY_ROW}", last_row=FIRST_ROW + 9)
    print_layout(own, title_rows=f"{LABEL_ROW}:{KEY_ROW}", last_row=FIRST_ROW + 9)
    text_cells(workbook)
    return workbook


def _fixed_properties(workbook: Workbook, compiled: CompiledRuleset) -> None:
    workbook.properties.title = f"Mẫu nhập số liệu: {compiled.ruleset.title}"[:250]
    workbook.properties.creator = "emulation-rules"
    workbook.properties.subject = f"{compiled.id} {compiled.version}"
    workbook.properties.identifier = compiled.digest


def _styles() -> dict[str, Any]:
    styles = require_openpyxl().styles
    return {
        "title": styles.Font(bold=True, size=14),
        "bold": styles.Font(bold=True),
        "header_fill": styles.PatternFill("solid", fgColor="DDEBF7"),
        "evidence_fill": styles.PatternFill("solid", fgColor="FFF2CC"),
        "key_font": styles.Font(italic=True, size=8, color="808080"),
        "wrap": styles.Alignment(wrap_text=True, vertical="top"),
        "header_align": styles.Alignment(wrap_text=True, vertical="center", horizontal="center"),
    }


def _write_guide_sheet(compiled: CompiledRuleset, sheet: Worksheet) -> None:
    style = _styles()
    guide = compiled.ruleset
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 18
    for letter in "DEFGHI":
        sheet.column_dimensions[letter].width = 18
    sheet["A1"] = "MẪU NHẬP SỐ LIỆU CHẤM ĐIỂM THI ĐUA"
    sheet["A1"].font = style["title"]
    sheet.row_dimensions[1].height = 2 * LINE_HEIGHT
    sheet["A2"] = guide.title
    sheet["A2"].font = style["bold"]
    sheet.row_dimensions[2].height = LINE_HEIGHT + 4
    header = ("Thông tin", "Giá trị", "Mã (không sửa)")
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=4, column=column, value=text)
        cell.font = style["bold"]
        cell.fill = style["header_fill"]
    facts: list[tuple[str, str, str]] = [
        ("Mã hướng dẫn", guide.id, "ruleset"),
        ("Phiên bản", guide.version, "ruleset_version"),
        ("Kỳ chấm điểm", guide.period, "period"),
        ("Tên hướng dẫn", guide.title, ""),
        ("Cơ quan ban hành", guide.issuer or "", ""),
        ("Số văn bản", guide.document or "", ""),
        ("Thang điểm", decimal_text(guide.scale), ""),
        ("Mã số của hướng dẫn (digest)", compiled.digest, ""),
    ]
    row = 5
    for label, value, key in facts:
        sheet.cell(row=row, column=1, value=label).alignment = style["wrap"]
        cell = sheet.cell(row=row, column=2, value=value)
        cell.number_format = "@"
        cell.alignment = style["wrap"]
        sheet.row_dimensions[row].height = text_height(value, 60)
        if key:
            sheet.cell(row=row, column=3, value=key).font = style["key_font"]
        row += 1
    row += 1
    sheet.cell(row=row, column=1, value="CÁCH ĐIỀN").font = style["bold"]
    row += 1
    for number, text in enumerate(_HOW_TO_FILL, start=1):
        sheet.cell(row=row, column=1, value=f"{number}.").alignment = style["wrap"]
        cell = sheet.cell(row=row, column=2, value=text)
        cell.alignment = style["wrap"]
        sheet.row_dimensions[row].height = text_height(text, 60)
        row += 1
    row += 1
    sheet.cell(row=row, column=1, value="CÁC TRƯỜNG SỐ LIỆU").font = style["bold"]
    row += 1
    columns = (
        "Mã trường",
        "Tên trường",
        "Kiểu",
        "Bắt buộc",
        "Khi để trống",
        "Giới hạn",
        "Đơn vị tính",
        "Cần minh chứng",
        "Mô tả",
    )
    for column, text in enumerate(columns, start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font = style["bold"]
        cell.fill = style["header_fill"]
    for name, spec in guide.inputs.items():
        row += 1
        info = compiled.inputs[name]
        values = (
            name,
            spec.label,
            TYPE_WORDS[spec.type],
            "có" if spec.required else "",
            _missing_words(info),
            _bounds_words(info),
            spec.unit or "",
            "có" if spec.evidence else "",
            spec.description or "",
        )
        widths = (34, 60, 18, 18, 18, 18, 18, 18, 18)
        for column, value in enumerate(values, start=1):
            shown = key_text(value) if column == 1 else value
            sheet.cell(row=row, column=column, value=shown).alignment = style["wrap"]
        sheet.row_dimensions[row].height = max(
            text_height(v, w) for v, w in zip(values, widths, strict=True)
        )


def _missing_words(info: InputField) -> str:
    if info.required:
        return "không được để trống"
    missing = info.missing
    if missing is None:
        return ""
    if str(missing) == "not_applicable":
        return "không áp dụng (tiêu chí không tính cho đơn vị)"
    if isinstance(missing, bool):
        return "FALSE (không)" if not missing else "TRUE (có)"
    return f"coi là {missing}"


def _bounds_words(info: InputField) -> str:
    parts = []
    if info.min is not None:
        parts.append(f"từ {decimal_text(info.min)}")
    if info.max is not None:
        parts.append(f"đến {decimal_text(info.max)}")
    if info.places is not None:
        parts.append(f"tối đa {info.places} chữ số thập phân")
    if info.values:
        parts.append("một trong: " + ", ".join(info.values))
    return "; ".join(parts)


def _write_units_sheet(
    compiled: CompiledRuleset, sheet: Worksheet, lists: Worksheet, rows: int
) -> None:
    openpyxl = require_openpyxl()
    style = _styles()
    guide = compiled.ruleset
    columns: list[tuple[str, str, str]] = [
        ("unit_id", "Mã đơn vị *", "Mã đơn vị (chữ không dấu, số, . _ -), ví dụ tx-cai-lay"),
        ("name", "Tên đơn vị *", "Tên đầy đủ của đơn vị, có dấu"),
    ]
    for name, spec in guide.inputs.items():
        columns.append((name, _header(spec), _comment(name, spec, compiled.inputs[name])))
    evidence = [(name, spec) for name, spec in guide.inputs.items() if spec.evidence]
    for name, spec in evidence:
        comment = (
            f"Minh chứng cho “{spec.label}”: mỗi văn bản một dòng (Alt+Enter), "
            "ví dụ “Công văn 12/STNMT ngày 05/6/2022”."
        )
        columns.append((f"{EVIDENCE_KEY}{name}", f"Minh chứng: {spec.label}", comment))
    last = FIRST_ROW + rows - 1
    list_column = 0
    label_height = 75.0
    for index, (key, label, comment) in enumerate(columns, start=1):
        letter = column_letter(index)
        head = sheet.cell(row=LABEL_ROW, column=index, value=label)
        head.font = style["bold"]
        head.alignment = style["header_align"]
        head.fill = style["evidence_fill"] if key.startswith(EVIDENCE_KEY) else style["header_fill"]
        if comment:
            head.comment = openpyxl.comments.Comment(comment, "emulation-rules", 200, 320)
        sheet.cell(row=KEY_ROW, column=index, value=key_text(key)).font = style["key_font"]
        sheet.column_dimensions[letter].width = 40 if key == "name" else 22
        label_height = max(label_height, text_height(label, 40 if key == "name" else 22))
        declared = guide.inputs.get(key)
        target = f"{letter}{FIRST_ROW}:{letter}{last}"
        if declared is None:
            _text_format(sheet, letter, rows)
            if key == "unit_id":
                sheet.add_data_validation(
                    _validation("textLength", "lessThanOrEqual", "100", label, "Mã đơn vị", target)
                )
            continue
        info = compiled.inputs[key]
        formula = ""
        if declared.type == "enum":
            formula = _list_formula(info.values, lists, list_column)
            if formula.startswith("'"):
                list_column += 1
        sheet.add_data_validation(_input_validation(info, declared, target, formula))
        if declared.type in ("text", "enum"):
            _text_format(sheet, letter, rows)
        elif declared.type == "date":
            for row in range(FIRST_ROW, last + 1):
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    sheet.row_dimensions[LABEL_ROW].height = min(409, label_height)
    sheet.freeze_panes = f"C{FIRST_ROW}"


def _text_format(sheet: Worksheet, letter: str, rows: int) -> None:
    for row in range(FIRST_ROW, FIRST_ROW + rows):
        sheet[f"{letter}{row}"].number_format = "@"


def _header(spec: InputSpec) -> str:
    label = spec.label
    if spec.unit:
        label += f" ({spec.unit})"
    elif spec.type == "percent":
        label += " (%)"
    if spec.required:
        label += " *"
    return label


def _comment(name: str, spec: InputSpec, info: InputField) -> str:
    lines = [spec.label]
    if spec.description:
        lines.append(spec.description)
    lines.append(f"Kiểu: {TYPE_WORDS[spec.type]}")
    bounds = _bounds_words(info)
    if bounds:
        lines.append(f"Giới hạn: {bounds}")
    if spec.unit:
        lines.append(f"Đơn vị tính: {spec.unit}")
    lines.append("Bắt buộc" if spec.required else f"Khi để trống: {_missing_words(info)}")
    if spec.evidence:
        lines.append("Cần minh chứng khi khai có (số lớn hơn 0 hoặc TRUE)")
    lines.append(f"Mã trường: {name}")
    return "\n".join(lines)


def _list_formula(values: tuple[str, ...], lists: Worksheet, column: int) -> str:
    inline = ",".join(values)
    if len(inline) <= _PROMPT_TEXT - 2 and not any("," in v or '"' in v for v in values):
        return f'"{inline}"'
    letter = column_letter(column + 1)
    for row, value in enumerate(values, start=1):
        lists.cell(row=row, column=column + 1, value=value)
    return f"'{SHEET_LISTS}'!${letter}$1:${letter}${len(values)}"


def _validation(
    kind: str,
    operator: str | None,
    formula1: str,
    title: str,
    message: str,
    target: str,
    formula2: str | None = None,
) -> Any:
    datavalidation = require_openpyxl().worksheet.datavalidation
    validation = datavalidation.DataValidation(
        type=kind,
        operator=operator,
        formula1=formula1,
        formula2=formula2,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error=message[:_PROMPT_TEXT],
        promptTitle=title[:_PROMPT_TITLE],
        prompt=message[:_PROMPT_TEXT],
    )
    validation.add(target)
    return validation


def _input_validation(info: InputField, spec: InputSpec, target: str, formula: str) -> Any:
    title = spec.label
    if spec.type == "bool":
        return _validation("list", None, '"TRUE,FALSE"', title, "Chọn TRUE hoặc FALSE", target)
    if spec.type == "enum":
        message = "Chọn một giá trị: " + ", ".join(info.values)
        return _validation("list", None, formula, title, message, target)
    if spec.type == "date":
        message = "Nhập một ngày, ví dụ 2022-01-31"
        return _validation("date", "greaterThanOrEqual", "1", title, message, target)
    if spec.type == "text":
        message = f"Văn bản, tối đa {MAX_TEXT} ký tự"
        return _validation("textLength", "lessThanOrEqual", str(MAX_TEXT), title, message, target)
    kind = "whole" if spec.type == "count" else "decimal"
    what = "Nhập số nguyên" if spec.type == "count" else "Nhập một số"
    low = info.min if info.min is not None else -MAX_MAGNITUDE
    high = info.max if info.max is not None else MAX_MAGNITUDE
    bounds = _bounds_words(info)
    message = f"{what}{' ' + bounds if bounds else ''}"
    return _validation(
        kind,
        "between",
        _formula_number(low),
        title,
        message,
        target,
        formula2=_formula_number(high),
    )


def _formula_number(value: Decimal) -> str:
    return decimal_text(value)


def _write_self_sheet(compiled: CompiledRuleset, sheet: Worksheet, rows: int) -> None:
    openpyxl = require_openpyxl()
    style = _styles()
    head = sheet.cell(row=LABEL_ROW, column=1, value="Mã đơn vị")
    head.font = style["bold"]
    head.fill = style["header_fill"]
    head.comment = openpyxl.comments.Comment(
        "Mã đơn vị như ở trang “Đơn vị”. Trang này không bắt buộc: điền điểm đơn vị tự chấm "
        "cho các tiêu chí muốn đối chiếu.",
        "emulation-rules",
        150,
        300,
    )
    sheet.cell(row=KEY_ROW, column=1, value="unit_id").font = style["key_font"]
    sheet.column_dimensions["A"].width = 22
    _text_format(sheet, "A", rows)
    last = FIRST_ROW + rows - 1
    label_height = 90.0
    for index, (criterion, depth) in enumerate(_criteria(compiled), start=2):
        node = compiled.nodes[criterion.id]
        letter = column_letter(index)
        label = f"{criterion.id}. {criterion.title}"
        if node.max is not None:
            label += f" (tối đa {decimal_text(node.max)})"
        cell = sheet.cell(row=LABEL_ROW, column=index, value=label)
        if depth == 0:
            cell.font = style["bold"]
        cell.alignment = style["header_align"]
        cell.fill = style["header_fill"]
        sheet.cell(row=KEY_ROW, column=index, value=key_text(criterion.id)).font = style["key_font"]
        sheet.column_dimensions[letter].width = 16
        label_height = max(label_height, text_height(label, 16))
        sheet.add_data_validation(
            _validation(
                "decimal",
                "between",
                _formula_number(-MAX_MAGNITUDE),
                criterion.id,
                "Nhập điểm tự chấm (số)",
                f"{letter}{FIRST_ROW}:{letter}{last}",
                formula2=_formula_number(MAX_MAGNITUDE),
            )
        )
    sheet.row_dimensions[LABEL_ROW].height = min(409, label_height)
    sheet.freeze_panes = f"B{FIRST_ROW}"


def _criteria(compiled: CompiledRuleset) -> list[tuple[Criterion, int]]:
    out: list[tuple[Criterion, int]] = []
    stack = [(c, 0) for c in reversed(compiled.ruleset.criteria)]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(node.children))
    return out
