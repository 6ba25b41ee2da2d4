"""Excel workbooks: a submission template generated from a guide, and reading filled ones.

``emulation-rules template GUIDE -o form.xlsx`` writes a workbook that a cluster sends to its
member units; each unit fills one row; ``emulation-rules score GUIDE form.xlsx`` reads it back
with the same strict validation as YAML and JSON. The workbook has these sheets:

``Hướng dẫn``
    the guide it answers (id, version and period in column B, their keys in column C), how to
    fill the workbook, and a table of every input.
``Đơn vị``
    one row per unit from row 3: the unit id, its name, one column per input and one evidence
    column ("Minh chứng: …") per input whose guide asks for evidence. Row 1 holds the Vietnamese
    labels, row 2 the exact keys (input names) that reading goes by. Every input column has a
    data validation (whole number, decimal with the bounds, TRUE/FALSE, the enum values, a date,
    a text length) and a comment with the label, unit, bounds and what a blank cell means.
``Tự chấm``
    optional: the unit's own score per criterion ("điểm tự chấm"), one row per unit.

Numbers are exact. Excel stores numbers as binary floats, so a number cell is read through the
shortest decimal that gives the same float (what Excel shows, and what was typed): ``95.5`` is
``Decimal("95.5")``. A float that needs more than 15 significant digits was not typed (Excel
keeps 15): it is the result of a formula or a pasted computation, and it is refused with
``number-format``, like formulas themselves, cells formatted as percentages (Excel stores
``95.5%`` as ``0.955``) and a date with a time. Text cells go through the same rules as YAML
text: ``"95,5"`` is a ``number-format`` error. Every problem names the workbook, the row and the
column (``form.xlsx:7:4``), and the message, in Vietnamese, names the sheet and the cell
(``trang 'Đơn vị', ô D7``).

Workbooks as offices make them are read: LibreOffice's ``TRUE()``/``FALSE()`` are booleans;
keys are written with ``_x`` escaped as ``_x005F_x`` and repaired when a reader decoded them
anyway (:func:`repair_key`); a TRUE/FALSE column takes ``true``, ``Có``/``Không``,
``Đúng``/``Sai`` in any case and a date column a text date typed day first (``05/6/2022``), as
the inputs table of the guide sheet says which column is which; spaces around a value are
removed with a ``value-trimmed`` warning; a renamed sheet is found by its key row; a merged
range over units' cells is ``merged-cells``. Before anything is read, the bounds of
:mod:`emulation_rules._support.workbook_bounds` are checked, and the workbook is then read in
openpyxl's read-only mode within the rows and columns that hold values.

No cell we write is a formula (:func:`text_cells`), and both workbooks print on landscape A4
fitted to the width (:func:`print_layout`).

openpyxl is an optional dependency (``pip install 'emulation-rules[excel]'``); it is imported
only when a workbook is written or read, and its absence is a ``missing-dependency`` error.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.files import write_atomic
from emulation_rules._support.workbook_bounds import (
    MAX_CELL_TEXT,
    MAX_ROWS,
    SheetFacts,
    inspect_workbook,
)
from emulation_rules._support.yaml import Positions, YamlDocument
from emulation_rules.compiler.fields import MAX_TEXT
from emulation_rules.errors import EmulationRulesError, Issue, OutputError, Severity
from emulation_rules.guide.model import MAX_MAGNITUDE
from emulation_rules.guide.read import pydantic_issues
from emulation_rules.inputs.submissions import Rejected, Submission, SubmissionBatch

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.guide.model import Criterion, InputSpec

__all__ = [
    "EXCEL_DIGITS",
    "FIRST_ROW",
    "KEY_ROW",
    "SHEET_GUIDE",
    "SHEET_SELF",
    "SHEET_UNITS",
    "MissingDependencyError",
    "cell_number",
    "read_workbook",
    "require_openpyxl",
    "template_workbook",
    "write_template",
]

SHEET_GUIDE = "Hướng dẫn"
SHEET_UNITS = "Đơn vị"
SHEET_SELF = "Tự chấm"
#: A hidden sheet with the allowed values of long enum lists.
SHEET_LISTS = "Danh sách"
#: Row of the Vietnamese labels, row of the exact keys, first row of data.
LABEL_ROW, KEY_ROW, FIRST_ROW = 1, 2, 3
#: Rows of the template prepared with data validation.
TEMPLATE_ROWS = 200
#: Significant digits Excel keeps for a typed number.
EXCEL_DIGITS = 15
#: The key of an evidence column is this prefix and the input name.
EVIDENCE_KEY = "evidence:"
#: Keys of the guide's identity on the "Hướng dẫn" sheet (column C), read back from column B.
META_KEYS = ("ruleset", "ruleset_version", "period")
#: Excel limits on data-validation texts.
_PROMPT_TITLE, _PROMPT_TEXT = 32, 255

_TYPE_WORDS = {
    "bool": "Đúng/Sai (TRUE/FALSE)",
    "count": "số nguyên (số lần, số hồ sơ…)",
    "decimal": "số thập phân",
    "percent": "tỷ lệ phần trăm (gõ 95,5 cho 95,5%)",
    "date": "ngày",
    "enum": "chọn một giá trị trong danh sách",
    "text": "văn bản",
}

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


class MissingDependencyError(EmulationRulesError):
    """An optional dependency (openpyxl) is needed and not installed."""


def require_openpyxl() -> ModuleType:
    """Import openpyxl, or raise :class:`MissingDependencyError` saying how to install it."""
    try:
        import openpyxl  # noqa: PLC0415 - optional dependency, imported only when needed
    except ImportError:
        message = (
            "Excel workbooks need the optional dependency openpyxl: "
            "pip install 'emulation-rules[excel]'"
        )
        raise MissingDependencyError(message, (Issue("missing-dependency", message),)) from None
    return openpyxl


# --------------------------------------------------------------------------------------------
# Numbers


def cell_number(value: float) -> Decimal | None:
    """The decimal that was typed into a number cell, or None if it was not typed.

    Excel keeps 15 significant digits of what is typed, so the shortest decimal that gives the
    same binary float is what the user typed and sees. A float needing more digits (``0.1 +
    0.2``) is a computed value, never typed.

    Example:
        >>> cell_number(95.5), cell_number(0.1 + 0.2)
        (Decimal('95.5'), None)
    """
    try:
        result = Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - repr of a float is always a number
        return None
    if not result.is_finite():
        return None
    if len(result.as_tuple().digits) > EXCEL_DIGITS:
        return None
    return result


def float_exact(value: Decimal) -> bool:
    """Whether Excel can hold ``value`` as a number and give the same decimal back."""
    if not value.is_finite() or value.copy_abs() >= MAX_MAGNITUDE:
        return False
    digits = decimal_text(value).replace("-", "").replace(".", "").lstrip("0").rstrip("0")
    if len(digits) > EXCEL_DIGITS:
        return False
    back = cell_number(float(value))
    return back is not None and back == value


def excel_value(value: Decimal) -> int | float | str:
    """``value`` as an Excel cell value: a number when it is exact, else its exact text."""
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    if float_exact(value):
        return float(value)
    return decimal_text(value)


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
        message = (
            f"the guide has list inputs ({', '.join(lists)}), which a workbook cannot hold "
            "yet; give the submissions as YAML or JSON"
        )
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


def text_cells(workbook: Workbook) -> None:
    """Make every text cell a text, whatever it starts with; no cell we write is a formula.

    openpyxl stores a text starting with ``=`` as a formula, so a unit named
    ``=HYPERLINK("http://…","x")`` (or ``=WEBSERVICE(…)``, which sends data out without a
    click) would become live in the workbook. Texts starting with ``+``, ``-`` or ``@`` are
    stored as texts by openpyxl and shown as texts by Excel and LibreOffice.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.data_type = "s"


#: Excel's height of a row of 11-point text, in points, with room for the stacked marks of
#: Vietnamese capitals (Ẫ, Ố, Ể): Excel's own 15 cuts them in LibreOffice and in print.
LINE_HEIGHT = 16.5


def text_height(text: str, width: float, *, size: float = 11) -> float:
    """The height (points) of a row whose cell of ``width`` characters wraps ``text``.

    Example:
        >>> text_height("Tên đơn vị", 40), text_height("x" * 100, 20)
        (19.5, 102.0)
    """
    lines = 0
    per_line = max(1, int(width * 11 / size) - 1)
    for part in str(text).split("\n"):
        lines += max(1, -(-len(part) // per_line))
    return lines * LINE_HEIGHT * size / 11 + 3


def print_layout(
    sheet: Worksheet, *, title_rows: str | None = None, last_row: int | None = None
) -> None:
    """Print on landscape A4, fitted to the page width, the header rows on every page.

    ``last_row`` bounds the print area (the template's empty rows are not printed past it;
    a filled row prints when it is within the used range).
    """
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    setup = sheet.sheet_properties.pageSetUpPr
    if setup is None:
        setup = sheet.sheet_properties.pageSetUpPr = (
            require_openpyxl().worksheet.properties.PageSetupProperties()
        )
    setup.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_options.horizontalCentered = False
    if title_rows:
        sheet.print_title_rows = title_rows
    if last_row is not None:
        sheet.print_area = f"A1:{_column_letter(sheet.max_column)}{last_row}"
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = "Trang &P / &N"


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
            _TYPE_WORDS[spec.type],
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


def _column_letter(index: int) -> str:
    utils = require_openpyxl().utils
    letter: str = utils.get_column_letter(index)
    return letter


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
        letter = _column_letter(index)
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
    lines.append(f"Kiểu: {_TYPE_WORDS[spec.type]}")
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
    letter = _column_letter(column + 1)
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
        letter = _column_letter(index)
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


# --------------------------------------------------------------------------------------------
# Reading a filled workbook


#: What a person types for TRUE and FALSE in a TRUE/FALSE column, in any case.
_TRUE_WORDS = frozenset({"true", "có", "đúng"})
_FALSE_WORDS = frozenset({"false", "không", "sai"})
#: ``TRUE()`` and ``FALSE()``: how LibreOffice saves a TRUE or FALSE that was typed.
_BOOL_FORMULA = re.compile(r"=\s*(TRUE|FALSE)\s*\(\s*\)\s*", re.IGNORECASE)
#: A date typed the Vietnamese way, day first: 05/6/2022, 5-6-2022, 05.06.2022.
_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})")
#: OOXML's escape of a character in a text: ``_x000A_``; ``_x005F_`` is the underscore.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
#: The characters of a key; any other one in a key row was decoded from ``_x…_`` by a reader.
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.:-]")
#: The type of each input, from the words of the "Kiểu" column of the inputs table.
_TYPE_OF_WORDS = {words: kind for kind, words in _TYPE_WORDS.items()}


class _CellProblem(Exception):  # noqa: N818 - internal signal, turned into an Issue
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def cell_name(sheet: str, row: int, column: int) -> str:
    """``trang 'Đơn vị', ô D7``: how messages name a cell."""
    return f"trang '{sheet}', ô {_column_letter(column)}{row}"


def key_text(key: str) -> str:
    """A key as it is written in a key row, so that no reader alters it.

    OOXML readers decode ``_xHHHH_`` in a text as the character HHHH, and LibreOffice also
    decodes shorter forms such as ``_xa_`` (in "so_xa_khong_thu_gom"); ``_x005F_`` is the
    escape of the underscore, so ``_x`` written as ``_x005F_x`` comes back as ``_x``.

    Example:
        >>> key_text("c3_2_so_xa_khong")
        'c3_2_so_x005F_xa_khong'
    """
    return key.replace("_x", "_x005F_x")


def repair_key(text: str) -> str:
    r"""A key read from a key row, with escapes decoded and decoded characters put back.

    A key is ASCII; a character outside its alphabet was made by a reader that decoded
    ``_xHHHH_`` (LibreOffice turns ``_xa_`` into a line break), so it is written back as
    ``_x`` + its hex code + ``_`` (lower case, as keys are written).

    Example:
        >>> repair_key("c3_2_so\nkhong"), repair_key("so_x005F_xa_khong")
        ('c3_2_so_xa_khong', 'so_xa_khong')
    """
    text = _ooxml_text(text).strip(" ")
    return "".join(c if _KEY_CHARS.fullmatch(c) else f"_x{ord(c):x}_" for c in text)


def _ooxml_text(text: str) -> str:
    """Decode OOXML's ``_xHHHH_`` escapes, which openpyxl leaves in shared texts."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _convert(cell: Any, kind: str | None) -> Any:
    """The value of a cell as the YAML reader would give it; None for an empty cell.

    ``kind`` is the input's type when the workbook names it (the inputs table of the guide
    sheet): a TRUE/FALSE column also takes Có/Không and Đúng/Sai, a date column takes a date
    typed day first as text (05/6/2022).
    """
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str) and cell.data_type == "f":
        match = _BOOL_FORMULA.fullmatch(value)
        if match:
            return match.group(1).upper() == "TRUE"
    if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        shown = value if isinstance(value, str) else "một công thức"
        raise _CellProblem(
            "value-type", f"ô chứa công thức ({shown}); hãy gõ chính giá trị, không dùng công thức"
        )
    if cell.data_type == "e":
        raise _CellProblem("value-type", f"ô đang báo lỗi Excel {value}")
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _number_cell(cell, value)
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise _CellProblem(
                "date-format", f"ô chứa ngày kèm giờ ({value}); chỉ ghi ngày, không ghi giờ"
            )
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time | dt.timedelta):
        raise _CellProblem("date-format", f"ô chứa giờ ({value}), không phải một ngày")
    if isinstance(value, str):
        return _text_cell(_ooxml_text(value), kind)
    raise _CellProblem("value-type", f"ô chứa một giá trị loại khác ({value!r})")


def _number_cell(cell: Any, value: float) -> Any:
    if "%" in str(cell.number_format):
        raise _CellProblem(
            "number-format",
            "ô được định dạng phần trăm nên Excel lưu 95,5% thành 0,955; bỏ định dạng % và gõ 95,5",
        )
    if isinstance(value, int):
        return value
    number = cell_number(value)
    if number is None:
        raise _CellProblem(
            "number-format",
            f"ô chứa số nhị phân {value!r}, không phải số được gõ (kết quả công thức hay số "
            "dán vào?); hãy gõ số",
        )
    return number


def _text_cell(value: str, kind: str | None) -> Any:
    if len(value) > MAX_CELL_TEXT:
        raise _CellProblem(
            "cell-too-long",
            f"ô dài {len(value):,} ký tự; Excel chỉ giữ tối đa {MAX_CELL_TEXT:,} ký tự một ô",
        )
    if not value.strip():
        return None
    word = value.strip().lower()
    if kind == "bool" or (kind is None and value.strip() in ("TRUE", "FALSE")):
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    if kind == "date":
        match = _DMY.fullmatch(value.strip())
        if match:
            day, _sep, month, year = match.groups()
            try:
                return dt.date(int(year), int(month), int(day))
            except ValueError:
                raise _CellProblem(
                    "date-format", f"{value.strip()} không phải một ngày có thật (ngày/tháng/năm)"
                ) from None
    return value


def _text(value: Any) -> Any:
    """Identity cells (unit id, name, evidence): whole numbers become their text, trimmed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


@dataclass
class _Row:
    """One unit's row, as the YAML reader would give it, with where each value came from."""

    row: int
    raw: dict[str, Any]
    positions: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    problems: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)


@dataclass
class _Sheets:
    """The sheets of a filled workbook, found by title or, if renamed, by their key rows."""

    guide: Any = None
    units: Any = None
    own: Any = None
    titles: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reader:
    name: str
    facts: dict[str, SheetFacts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    #: The type of each input, from the inputs table of the guide sheet.
    kinds: dict[str, str] = field(default_factory=dict)

    def file_issue(
        self,
        code: str,
        message: str,
        row: int | None = None,
        column: int = 1,
        severity: Severity = "error",
    ) -> None:
        self.issues.append(
            Issue(
                code,
                message,
                source=self.name,
                line=row,
                column=column if row else None,
                severity=severity,
            )
        )

    def extent(self, title: str) -> tuple[int, int]:
        """The last row and column of a sheet that hold a value (see _workbook_bounds)."""
        found = self.facts.get(title)
        return (found.last_row, found.last_column) if found else (0, 0)

    def row_cells(self, sheet: Worksheet, row: int) -> tuple[Any, ...]:
        last_row, last_column = self.extent(sheet.title)
        if row > last_row or last_column == 0:
            return ()
        return next(sheet.iter_rows(min_row=row, max_row=row, max_col=last_column), ())

    def keys(self, sheet: Worksheet, title: str) -> dict[int, tuple[str, str]]:
        """Column index → (key, label) from the key row; duplicate keys are reported."""
        found: dict[int, tuple[str, str]] = {}
        seen: dict[str, int] = {}
        labels = {column: c.value for column, c in enumerate(self.row_cells(sheet, LABEL_ROW), 1)}
        for column, cell in enumerate(self.row_cells(sheet, KEY_ROW), start=1):
            if not isinstance(cell.value, str) or not cell.value.strip():
                continue
            key = repair_key(cell.value)
            if key in seen:
                self.file_issue(
                    "duplicate-key",
                    f"mã {key!r} đứng đầu hai cột của trang '{title}' "
                    f"({_column_letter(seen[key])} và {_column_letter(column)})",
                    KEY_ROW,
                    column,
                )
                continue
            seen[key] = column
            label = labels.get(column)
            shown = str(label).rstrip(" *") if isinstance(label, str) and label.strip() else key
            found[column] = (key, shown)
        return found

    def key_set(self, sheet: Worksheet) -> set[str]:
        return {
            repair_key(c.value) for c in self.row_cells(sheet, KEY_ROW) if isinstance(c.value, str)
        }

    def sheets(self, workbook: Workbook) -> _Sheets:
        """Find the three sheets; a renamed one is found by its key row, with a warning."""
        found = _Sheets()
        names = workbook.sheetnames
        for title in names:
            sheet = workbook[title]
            if title == SHEET_GUIDE or (found.guide is None and self.guide_keys(sheet)):
                found.guide = sheet
        for title in names:
            sheet = workbook[title]
            if sheet is found.guide:
                continue
            keys = self.key_set(sheet)
            if "unit_id" not in keys:
                continue
            if title == SHEET_UNITS or (found.units is None and "name" in keys):
                found.units = sheet
            elif title == SHEET_SELF or (found.own is None and "name" not in keys):
                found.own = sheet
        for sheet, title in ((found.guide, SHEET_GUIDE), (found.units, SHEET_UNITS)):
            if sheet is not None and sheet.title != title:
                self.file_issue(
                    "sheet-renamed",
                    f"không có trang '{title}'; đọc trang '{sheet.title}', có dòng mã của "
                    f"trang '{title}'",
                    severity="warning",
                )
        if found.own is not None and found.own.title != SHEET_SELF:
            self.file_issue(
                "sheet-renamed",
                f"không có trang '{SHEET_SELF}'; đọc trang '{found.own.title}', có dòng mã "
                f"của trang '{SHEET_SELF}'",
                severity="warning",
            )
        return found

    def guide_rows(self, sheet: Worksheet, limit: int) -> Iterator[tuple[Any, ...]]:
        last_row, last_column = self.extent(sheet.title)
        if last_row == 0:
            return iter(())
        rows = sheet.iter_rows(min_row=1, max_row=min(last_row, limit), max_col=last_column)
        return (tuple(c.value for c in row) for row in rows)

    def guide_keys(self, sheet: Worksheet) -> bool:
        return any(
            len(row) >= 3 and isinstance(row[2], str) and row[2].strip() == META_KEYS[0]
            for row in self.guide_rows(sheet, 40)
        )

    def meta(self, sheet: Worksheet | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if sheet is None:
            return values
        in_table = False
        for row in self.guide_rows(sheet, MAX_ROWS):
            if len(row) < 3:
                continue
            key = row[2]
            if isinstance(key, str) and key.strip() in META_KEYS and key.strip() not in values:
                value = row[1]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    number = cell_number(float(value))
                    value = decimal_text(number) if number is not None else repr(value)
                values[key.strip()] = value.strip() if isinstance(value, str) else value
            if row[0] == _INPUTS_HEADER:
                in_table = True
            elif in_table and isinstance(row[0], str) and isinstance(row[2], str):
                kind = _TYPE_OF_WORDS.get(row[2])
                if kind is not None:
                    self.kinds[repair_key(row[0])] = kind
        return values

    def rows(self, sheet: Worksheet, role: str) -> list[_Row]:
        title = sheet.title
        keys = self.keys(sheet, title)
        if "unit_id" not in {k for k, _ in keys.values()}:
            self.file_issue(
                "missing-field",
                f"trang '{title}' không có cột mang mã 'unit_id' ở dòng {KEY_ROW}; "
                "giữ nguyên hai dòng tiêu đề của mẫu",
                KEY_ROW,
            )
            return []
        last_row, last_column = self.extent(title)
        merged = _merged_cells(self.facts[title].merged, (last_row, last_column))
        out: list[_Row] = []
        if last_row < FIRST_ROW:
            return out
        rows = sheet.iter_rows(min_row=FIRST_ROW, max_row=last_row, max_col=last_column)
        for row, cells in enumerate(rows, start=FIRST_ROW):
            if all(
                c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells
            ):
                continue
            unit = _Row(row, {})
            for column, cell in enumerate(cells, start=1):
                if column in keys:
                    self.read_cell(unit, (title, row, column), cell, keys[column], role)
                    if (row, column) in merged:
                        self.merged_problem(unit, (title, row, column), merged, keys[column], role)
            out.append(unit)
        return out

    def merged_problem(
        self,
        unit: _Row,
        where_: tuple[str, int, int],
        merged: dict[tuple[int, int], str],
        key_label: tuple[str, str],
        role: str,
    ) -> None:
        title, row, column = where_
        key, label = key_label
        unit.problems.append(
            Issue(
                "merged-cells",
                f"{label}: ô {_column_letter(column)}{row} nằm trong vùng ô gộp "
                f"{merged[row, column]}, nên không có giá trị riêng (giá trị chỉ thuộc ô đầu "
                f"vùng); bỏ gộp ô và ghi giá trị cho từng đơn vị ({cell_name(title, row, column)})",
                source=self.name,
                path=_path_of(key, role),
                line=row,
                column=column,
            )
        )

    def read_cell(
        self,
        unit: _Row,
        where_: tuple[str, int, int],
        cell: Any,
        key_label: tuple[str, str],
        role: str,
    ) -> None:
        title, row, column = where_
        key, label = key_label
        where = cell_name(title, row, column)
        path = _path_of(key, role)
        if key == "unit_id":
            unit.positions[()] = (row, column)
        slot = _slot(path)
        assert slot is not None
        unit.positions[path] = (row, column)
        unit.cells[slot] = where
        kind = self.kinds.get(key) if path[0] == "values" else None
        try:
            value = _convert(cell, kind)
        except _CellProblem as problem:
            unit.problems.append(
                Issue(
                    problem.code,
                    f"{label}: {problem.message} ({where})",
                    source=self.name,
                    path=path,
                    line=row,
                    column=column,
                )
            )
            return
        if value is None:
            return
        if key in ("unit_id", "name"):
            unit.raw[key] = _text(value)
        elif path[0] == "evidence":
            text = _text(value)
            notes = [line.strip() for line in str(text).splitlines() if line.strip()]
            if notes:
                unit.raw.setdefault("evidence", {})[path[1]] = notes
        else:
            if isinstance(value, str) and value != value.strip():
                value = value.strip()
                unit.notes.append(
                    Issue(
                        "value-trimmed",
                        f"{label}: bỏ khoảng trắng thừa ở đầu hoặc cuối ô, đọc là {value!r} "
                        f"({where})",
                        source=self.name,
                        path=path,
                        line=row,
                        column=column,
                        severity="warning",
                    )
                )
            unit.raw.setdefault(str(path[0]), {})[path[1]] = value


#: The first cell of the header row of the inputs table on the guide sheet.
_INPUTS_HEADER = "Mã trường"


def _path_of(key: str, role: str) -> tuple[str, ...]:
    """Where a column's value goes; ``role`` is the sheet's part (its title in the template)."""
    if key in ("unit_id", "name"):
        return (key,)
    if key.startswith(EVIDENCE_KEY):
        return ("evidence", key.removeprefix(EVIDENCE_KEY))
    return ("self_scores", key) if role == SHEET_SELF else ("values", key)


def _merged_cells(ranges: list[str], extent: tuple[int, int]) -> dict[tuple[int, int], str]:
    """The data cells that a merge leaves without a value (all but the first), by range."""
    out: dict[tuple[int, int], str] = {}
    last_row, last_column = extent
    utils = require_openpyxl().utils
    for ref in ranges:
        try:
            low_col, low_row, high_col, high_row = utils.cell.range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if high_row is None or low_row is None or low_col is None or high_col is None:
            continue
        for row in range(max(low_row, FIRST_ROW), min(high_row, last_row) + 1):
            for column in range(low_col, min(high_col, last_column) + 1):
                if (row, column) != (low_row, low_col):
                    out[row, column] = ref
    return out


def read_workbook(source: str | Path) -> SubmissionBatch:
    """Read a filled submission workbook into submissions, like :func:`load_submissions`.

    A unit whose row has a wrong cell is rejected with issues naming the sheet and the cell;
    the other units are read. A workbook that cannot be read, or that is larger than the
    bounds of :mod:`emulation_rules._support.workbook_bounds` (checked before it is read), gives
    file-level issues.

    Without openpyxl, the batch has one ``missing-dependency`` issue.
    """
    name = str(source)
    reader = _Reader(name)
    try:
        openpyxl = require_openpyxl()
    except MissingDependencyError as exc:
        return SubmissionBatch((), (), tuple(i.evolve(source=name) for i in exc.issues))
    path = Path(source)
    if not path.is_file():
        reader.file_issue("file-not-found", f"{name} không tồn tại hoặc không phải một tệp")
        return SubmissionBatch((), (), tuple(reader.issues))
    try:
        reader.facts, problem = inspect_workbook(path)
        if problem is not None:
            reader.file_issue(problem.code, problem.message)
            return SubmissionBatch((), (), tuple(reader.issues))
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it does not read (extensions, styles): they
            # carry no values, and a warning must not stop a submission from being read
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook raises many kinds of errors
        reader.file_issue(
            "file-not-found",
            f"không đọc được {name} như một bảng tính Excel (.xlsx): {type(exc).__name__}",
        )
        return SubmissionBatch((), (), tuple(reader.issues))
    try:
        return _read(workbook, reader)
    except EmulationRulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - read-only openpyxl parses sheets as they are read
        # a sheet whose XML is broken fails only when its rows are reached, with whatever
        # exception its parser raises (ValueError for a bad attribute, ParseError, KeyError)
        reader.issues.clear()
        reader.file_issue(
            "file-not-found",
            f"không đọc được {name} như một bảng tính Excel (.xlsx): một trang bị hỏng "
            f"({type(exc).__name__})",
        )
        return SubmissionBatch((), (), tuple(reader.issues))
    finally:
        workbook.close()


def _read(workbook: Workbook, reader: _Reader) -> SubmissionBatch:
    sheets = reader.sheets(workbook)
    meta = reader.meta(sheets.guide)
    missing = [k for k in ("ruleset", "ruleset_version") if not meta.get(k)]
    if missing:
        reader.file_issue(
            "missing-field",
            f"bảng tính không ghi hướng dẫn mà nó trả lời: trang '{SHEET_GUIDE}' phải giữ "
            f"{' và '.join(missing)} ở cột B, cạnh mã ở cột C",
        )
    if sheets.units is None:
        reader.file_issue(
            "missing-field",
            f"bảng tính không có trang '{SHEET_UNITS}' (trang có mã unit_id và name ở dòng "
            f"{KEY_ROW})",
        )
    if any(i.severity == "error" for i in reader.issues):
        return SubmissionBatch((), (), tuple(reader.issues))
    units = reader.rows(sheets.units, SHEET_UNITS)
    own = reader.rows(sheets.own, SHEET_SELF) if sheets.own is not None else []
    if not units and not any(i.severity == "error" for i in reader.issues):
        reader.file_issue(
            "missing-field",
            f"trang '{sheets.units.title}' không có đơn vị nào (từ dòng {FIRST_ROW})",
        )
    _merge_self_scores(units, own, reader, sheets)
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    for index, unit in enumerate(units):
        unit_id = unit.raw.get("unit_id")
        shown_id = unit_id if isinstance(unit_id, str) else f"dòng {unit.row}"
        reader.issues.extend(n.evolve(unit_id=shown_id) for n in unit.notes)
        unit_name = unit.raw.get("name") if isinstance(unit.raw.get("name"), str) else None
        if unit.problems:
            found = tuple(p.evolve(unit_id=shown_id) for p in unit.problems)
            rejected.append(Rejected(shown_id, unit_name, found))
            continue
        try:
            submissions.append(_submission(unit, meta, reader.name))
        except ValidationError as exc:
            named = _validation_issues(exc, unit, index, reader.name, shown_id)
            rejected.append(Rejected(shown_id, unit_name, named))
    return SubmissionBatch(tuple(submissions), tuple(rejected), tuple(reader.issues))


def _locations(unit: _Row) -> dict[str, tuple[int | None, int | None]]:
    locations: dict[str, tuple[int | None, int | None]] = {
        (str(p[1]) if p[0] == "values" else f"{p[0]}.{p[1]}"): v
        for p, v in unit.positions.items()
        if len(p) == 2
    }
    locations["@unit"] = unit.positions.get((), (unit.row, 1))
    locations["@values"] = locations["@unit"]
    return locations


def _raw(unit: _Row, meta: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "ruleset": meta.get("ruleset"),
        "ruleset_version": meta.get("ruleset_version"),
        "period": meta.get("period"),
        "source": name,
        "locations": _locations(unit),
        "cells": unit.cells,
        **unit.raw,
    }


def _submission(unit: _Row, meta: dict[str, Any], name: str) -> Submission:
    return Submission.model_validate(_raw(unit, meta, name))


def _validation_issues(
    exc: ValidationError, unit: _Row, index: int, name: str, shown_id: str
) -> tuple[Issue, ...]:
    raw = _raw(unit, {}, name)
    locations = raw["locations"]
    positions = Positions({("units", index, *p): v for p, v in unit.positions.items()})
    document = YamlDocument({"units": [None] * index + [raw]}, positions)
    named = []
    for issue in pydantic_issues(exc, document, name, Submission, base_path=("units", index)):
        relative = issue.path[2:]
        slot = _slot(relative)
        cell = unit.cells.get(slot) if slot else unit.cells.get("@unit")
        message = f"{issue.message} ({cell})" if cell else issue.message
        line, column = issue.line, issue.column
        if line is None:
            line, column = locations["@unit"]
        named.append(
            issue.evolve(message=message, unit_id=shown_id, path=relative, line=line, column=column)
        )
    return tuple(named)


def _slot(path: tuple[str | int, ...]) -> str | None:
    if len(path) >= 2 and path[0] == "values":
        return str(path[1])
    if len(path) >= 2 and path[0] in ("evidence", "self_scores"):
        return f"{path[0]}.{path[1]}"
    if path and path[0] == "name":
        return "@name"
    if path and path[0] == "unit_id":
        return "@unit"
    return None


def _merge_self_scores(
    units: list[_Row], own: list[_Row], reader: _Reader, sheets: _Sheets
) -> None:
    by_id: dict[str, _Row] = {}
    for unit in units:
        unit_id = unit.raw.get("unit_id")
        if isinstance(unit_id, str):
            by_id.setdefault(unit_id, unit)
    seen: set[str] = set()
    own_title = sheets.own.title if sheets.own is not None else SHEET_SELF
    units_title = sheets.units.title if sheets.units is not None else SHEET_UNITS
    for scores in own:
        unit_id = scores.raw.get("unit_id")
        if not isinstance(unit_id, str):
            reader.file_issue(
                "missing-value",
                f"dòng {scores.row} của trang '{own_title}' có điểm tự chấm nhưng không có mã "
                "đơn vị",
                scores.row,
            )
            continue
        if unit_id in seen:
            reader.file_issue(
                "duplicate-unit",
                f"đơn vị {unit_id!r} có hai dòng ở trang '{own_title}'",
                scores.row,
            )
            continue
        seen.add(unit_id)
        target = by_id.get(unit_id)
        if target is None:
            reader.file_issue(
                "invalid-value",
                f"dòng {scores.row} của trang '{own_title}' ghi đơn vị {unit_id!r}, "
                f"không có dòng nào ở trang '{units_title}'",
                scores.row,
            )
            continue
        if "self_scores" in scores.raw:
            target.raw["self_scores"] = scores.raw["self_scores"]
        target.problems.extend(scores.problems)
        target.notes.extend(scores.notes)
        target.positions.update(
            {p: v for p, v in scores.positions.items() if p[:1] == ("self_scores",)}
        )
        target.cells.update({k: v for k, v in scores.cells.items() if k.startswith("self_scores.")})
