"""The submission workbook's layout: what the template writes and the reader reads back.

``emulation-rules template GUIDE -o form.xlsx`` writes a workbook that a cluster sends to its
member units (:mod:`emulation_rules.inputs.workbook_template`); each unit fills one row;
``emulation-rules score GUIDE form.xlsx`` reads it back
(:mod:`emulation_rules.inputs.workbook_read`) with the same strict validation as YAML and
JSON. The workbook has these sheets:

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

Exact decimals written into cells (:func:`excel_value`) are numbers only when Excel gives the
same decimal back (:func:`float_exact`); otherwise their exact text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.xlsx import (
    EXCEL_DIGITS,
    cell_number,
)
from emulation_rules.guide.model import MAX_MAGNITUDE

if TYPE_CHECKING:
    from decimal import Decimal


__all__ = [
    "EVIDENCE_KEY",
    "FIRST_ROW",
    "KEY_ROW",
    "LABEL_ROW",
    "META_KEYS",
    "SHEET_GUIDE",
    "SHEET_SELF",
    "SHEET_UNITS",
    "TYPE_WORDS",
    "excel_value",
    "float_exact",
    "key_text",
]

SHEET_GUIDE = "Hướng dẫn"
SHEET_UNITS = "Đơn vị"
SHEET_SELF = "Tự chấm"
#: Row of the Vietnamese labels, row of the exact keys, first row of data.
LABEL_ROW, KEY_ROW, FIRST_ROW = 1, 2, 3
#: The key of an evidence column is this prefix and the input name.
EVIDENCE_KEY = "evidence:"
#: Keys of the guide's identity on the "Hướng dẫn" sheet (column C), read back from column B.
META_KEYS = ("ruleset", "ruleset_version", "period")

#: How the inputs table of the guide sheet names each type of input.
TYPE_WORDS = {
    "bool": "Đúng/Sai (TRUE/FALSE)",
    "count": "số nguyên (số lần, số hồ sơ…)",
    "decimal": "số thập phân",
    "percent": "tỷ lệ phần trăm (gõ 95,5 cho 95,5%)",
    "date": "ngày",
    "enum": "chọn một giá trị trong danh sách",
    "text": "văn bản",
}


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
