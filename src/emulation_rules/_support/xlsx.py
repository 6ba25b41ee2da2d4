"""openpyxl plumbing shared by the workbooks we read and write (the form, the summary).

openpyxl is an optional dependency (``pip install 'emulation-rules[excel]'``); it is imported
only when a workbook is written or read (:func:`require_openpyxl`), and its absence is a
``missing-dependency`` error. Numbers typed into a cell are read exactly (:func:`cell_number`);
no cell we write is a formula (:func:`text_cells`), and every workbook prints on landscape A4
fitted to the width (:func:`print_layout`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from emulation_rules.errors import EmulationRulesError, Issue

if TYPE_CHECKING:
    from types import ModuleType

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "EXCEL_DIGITS",
    "LINE_HEIGHT",
    "MissingDependencyError",
    "cell_number",
    "column_letter",
    "print_layout",
    "require_openpyxl",
    "text_cells",
    "text_height",
]

#: Significant digits Excel keeps for a typed number.
EXCEL_DIGITS = 15


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


def column_letter(index: int) -> str:
    """The letter of a column numbered from 1: ``1`` is ``A``, ``27`` is ``AA``."""
    utils = require_openpyxl().utils
    letter: str = utils.get_column_letter(index)
    return letter


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
        sheet.print_area = f"A1:{column_letter(sheet.max_column)}{last_row}"
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = "Trang &P / &N"
