"""Word (.docx) and Excel (.xlsx) tables as plain grids of text, read and written.

The only module that imports python-docx. Reading gives every table of a file as a
:class:`Grid`: rows of :class:`Cell` (text, whether the cell continues a vertical merge from
the row above, how many grid columns it spans). Writing takes rows of text and writes one
table. A missing python-docx or openpyxl is a ``missing-dependency`` error that names the
extra to install; a file that cannot be opened is ``import-unreadable``.
"""

from __future__ import annotations

import importlib
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulation_rules.errors import EmulationRulesError, Issue

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

__all__ = ["Cell", "Grid", "TableFileError", "read_tables", "write_table"]

#: The extra that brings python-docx and openpyxl.
EXTRA = "pip install 'emulation-rules[import]'"


class TableFileError(EmulationRulesError):
    """A table file cannot be read or written."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a table, as a reader sees it."""

    #: The text, NFC, paragraphs joined by a newline, outer spaces stripped.
    text: str
    #: The cell continues a vertical merge started in a row above (its text is that cell's).
    merged_up: bool = False
    #: How many grid columns the cell spans (a horizontal merge).
    span: int = 1


@dataclass(frozen=True, slots=True)
class Grid:
    """One table: its position in the file and its rows, one cell per grid column."""

    #: 1-based number of the table in the file (or the sheet's name for a workbook).
    name: str
    rows: tuple[tuple[Cell, ...], ...]


def _require(module: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".", maxsplit=1)[0]
        message = f"đọc và ghi {what} cần gói tuỳ chọn {package}: cài thêm bằng lệnh {EXTRA}"
        raise TableFileError(message, (Issue("missing-dependency", message),)) from None


def _clean(text: str) -> str:
    lines = [line.strip() for line in unicodedata.normalize("NFC", text).splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _unreadable(path: Path, why: str) -> TableFileError:
    message = f"không đọc được tệp: {why}"
    return TableFileError(message, (Issue("import-unreadable", message, source=str(path)),))


def read_tables(path: str | Path) -> list[Grid]:
    """Every table of a .docx file, or every sheet of a .xlsx file, as grids.

    Raises:
        TableFileError: ``file-not-found``, ``import-unreadable`` or ``missing-dependency``.
    """
    path = Path(path)
    if not path.is_file():
        message = "không có tệp này"
        raise TableFileError(message, (Issue("file-not-found", message, source=str(path)),))
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".xlsx"):
        raise _unreadable(path, f"chỉ đọc được tệp Word .docx hoặc Excel .xlsx, không đọc {suffix}")
    if not zipfile.is_zipfile(path):
        kind = "Word .docx" if suffix == ".docx" else "Excel .xlsx"
        raise _unreadable(path, f"tệp không phải là tệp {kind} (có thể là tệp .doc/.xls cũ)")
    return _read_docx(path) if suffix == ".docx" else _read_xlsx(path)


def _read_docx(path: Path) -> list[Grid]:
    docx = _require("docx", "bảng Word (.docx)")
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad package
        raise _unreadable(path, f"tệp Word hỏng hoặc không phải .docx ({exc})") from None
    return [_docx_grid(str(n), table) for n, table in enumerate(document.tables, start=1)]


def _docx_grid(name: str, table: Any) -> Grid:
    qn = importlib.import_module("docx.oxml.ns").qn
    rows: list[tuple[Cell, ...]] = []
    for tr in table._tbl.tr_lst:  # noqa: SLF001 - the cells' merge marks are only in the XML
        cells: list[Cell] = []
        for tc in tr.tc_lst:
            properties = tc.tcPr
            merge = span = None
            if properties is not None:
                merge = properties.find(qn("w:vMerge"))
                span = properties.find(qn("w:gridSpan"))
            merged_up = merge is not None and merge.get(qn("w:val")) in (None, "continue")
            width = int(span.get(qn("w:val"))) if span is not None else 1
            text = "\n".join(
                "".join(node.text or "" for node in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))
            )
            cell = Cell(_clean(text), merged_up, width)
            cells.extend([cell] * width)
        rows.append(tuple(cells))
    for index, row in enumerate(rows):  # a continued cell shows the text of the cell it continues
        if index:
            above = rows[index - 1]
            rows[index] = tuple(
                Cell(above[c].text, merged_up=True, span=cell.span)
                if cell.merged_up and c < len(above)
                else cell
                for c, cell in enumerate(row)
            )
    return Grid(name, tuple(rows))


def _read_xlsx(path: Path) -> list[Grid]:
    openpyxl = _require("openpyxl", "bảng Excel (.xlsx)")
    try:
        workbook = openpyxl.load_workbook(str(path), data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad package
        raise _unreadable(path, f"tệp Excel hỏng hoặc không phải .xlsx ({exc})") from None
    grids = []
    for sheet in workbook.worksheets:
        covered: dict[tuple[int, int], tuple[int, int, int]] = {}
        for merged in sheet.merged_cells.ranges:
            for row in range(merged.min_row, merged.max_row + 1):
                for column in range(merged.min_col, merged.max_col + 1):
                    width = merged.max_col - merged.min_col + 1
                    covered[row, column] = (merged.min_row, merged.min_col, width)
        rows = []
        for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = []
            for c, value in enumerate(values, start=1):
                origin = covered.get((r, c))
                if origin is not None:
                    top, left, width = origin
                    first = sheet.cell(row=top, column=left).value
                    cells.append(Cell(_xlsx_text(first), r > top, width))
                else:
                    cells.append(Cell(_xlsx_text(value)))
            rows.append(tuple(cells))
        grids.append(Grid(sheet.title, tuple(rows)))
    return grids


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean(str(value))


# --------------------------------------------------------------------------------------------
# Writing


def write_table(
    path: str | Path,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    notes: frozenset[int] = frozenset(),
) -> None:
    """Write one table, a title above it, to a .docx or .xlsx file.

    ``notes`` are the indexes of note rows: their text (second cell) spans the last columns.

    Raises:
        TableFileError: ``missing-dependency``, or ``usage`` for another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        _write_docx(path, title, header, rows, notes)
    elif suffix == ".xlsx":
        _write_xlsx(path, title, header, rows, notes)
    else:
        message = f"chỉ ghi được tệp .docx hoặc .xlsx, không ghi {suffix or 'tệp không đuôi'}"
        raise TableFileError(message, (Issue("usage", message, source=str(path)),))


def _write_docx(
    path: Path,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: frozenset[int],
) -> None:
    docx = _require("docx", "bảng Word (.docx)")
    document = docx.Document()
    document.add_heading(title, level=1)
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for index, row in enumerate(rows):
        cells = table.rows[index + 1].cells
        if index in notes:
            cells[1].merge(cells[-1])
            cells = table.rows[index + 1].cells
        for column, text in enumerate(row):
            if index in notes and column > 1:
                break
            _set_docx_text(cells[column], text)
    document.save(str(path))


def _set_docx_text(cell: Any, text: str) -> None:
    lines = text.split("\n")
    cell.text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def _write_xlsx(
    path: Path,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: frozenset[int],
) -> None:
    openpyxl = _require("openpyxl", "bảng Excel (.xlsx)")
    styles = importlib.import_module("openpyxl.styles")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Bảng điểm"
    sheet.cell(row=1, column=1, value=title).font = styles.Font(bold=True)
    for column, text in enumerate(header, start=1):
        sheet.cell(row=3, column=column, value=text).font = styles.Font(bold=True)
    wrap = styles.Alignment(wrap_text=True, vertical="top")
    for index, row in enumerate(rows):
        excel_row = 4 + index
        for column, text in enumerate(row, start=1):
            if index in notes and column > 2:
                break
            cell = sheet.cell(row=excel_row, column=column, value=text or None)
            cell.number_format = "@"  # points stay text: "-0,5" as written, never a float
            cell.alignment = wrap
        if index in notes:
            sheet.merge_cells(
                start_row=excel_row, start_column=2, end_row=excel_row, end_column=len(header)
            )
    for letter, width in zip("ABCDE", (10, 80, 12, 12, 12), strict=False):
        sheet.column_dimensions[letter].width = width
    workbook.save(str(path))
