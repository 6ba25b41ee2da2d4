"""Bounds of an ``.xlsx`` workbook, checked before openpyxl reads it (issue 19).

An ``.xlsx`` file is a zip of XML parts. A small file can declare a huge sheet (one blank cell
at ``XFD1048576``), unpack to gigabytes, or hold one enormous string; read naively, each of
these exhausts memory. :func:`inspect_workbook` looks at the zip directory and streams every
worksheet part once, with constant memory, and gives for each sheet the last row and column
that hold a value and its merged ranges, or the issues that refuse the file:

``workbook-too-large``
    a part unpacks to more than :data:`MAX_PART_BYTES`, all parts to more than
    :data:`MAX_TOTAL_BYTES`, or the zip has more than :data:`MAX_PARTS` parts.
``sheet-too-large``
    a sheet has a value beyond row :data:`MAX_ROWS` or column :data:`MAX_COLUMNS`, or more
    than :data:`MAX_ROWS` rows. Cells without a value (formatting only) do not count, so a
    declared dimension of ``A1:XFD1048576`` alone refuses nothing: it is not trusted either.
``cell-too-long``
    an inline text is longer than :data:`MAX_CELL_TEXT`, Excel's own limit for one cell (the
    shared texts are bounded by the part size and checked cell by cell when read).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast
from xml.etree.ElementTree import XMLPullParser

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from xml.etree.ElementTree import Element

__all__ = [
    "MAX_CELL_TEXT",
    "MAX_COLUMNS",
    "MAX_PARTS",
    "MAX_PART_BYTES",
    "MAX_ROWS",
    "MAX_TOTAL_BYTES",
    "BoundsProblem",
    "SheetFacts",
    "inspect_workbook",
]

#: The largest unpacked size of one part (a sheet, the shared texts), and of all parts.
MAX_PART_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 256 * 2**20
#: The most parts (files inside the zip) a workbook may have.
MAX_PARTS = 2_000
#: The last row and column that may hold a value; a cluster has tens or hundreds of units.
MAX_ROWS = 10_000
MAX_COLUMNS = 2_000
#: Excel keeps at most 32,767 characters in a cell.
MAX_CELL_TEXT = 32_767

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class BoundsProblem:
    """Why a workbook is refused: a code of ``CODES`` and a Vietnamese sentence."""

    code: str
    message: str
    sheet: str | None = None


@dataclass(slots=True)
class SheetFacts:
    """What one pass over a worksheet part found."""

    #: The last row and column holding a value (0 when the sheet holds none).
    last_row: int = 0
    last_column: int = 0
    #: The declared dimension (``A1:D7``), not trusted, shown in messages.
    dimension: str | None = None
    #: Merged ranges such as ``D3:D4``.
    merged: list[str] = field(default_factory=list)


def column_index(letters: str) -> int:
    """``"AB"`` → 28.

    Example:
        >>> column_index("A"), column_index("XFD")
        (1, 16384)
    """
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def inspect_workbook(path: Path) -> tuple[dict[str, SheetFacts], BoundsProblem | None]:
    """The facts of each sheet by its title, or the first problem that refuses the workbook.

    Raises:
        zipfile.BadZipFile, OSError, KeyError, SyntaxError: if the file is not a workbook
            (the caller reports it as unreadable).
    """
    with zipfile.ZipFile(path) as archive:
        problem = _check_parts(archive)
        if problem is not None:
            return {}, problem
        facts: dict[str, SheetFacts] = {}
        for title, part in _sheet_parts(archive):
            with archive.open(part) as stream:
                found, problem = _scan_sheet(stream, title)
            if problem is not None:
                return {}, problem
            facts[title] = found
    return facts, None


def _check_parts(archive: zipfile.ZipFile) -> BoundsProblem | None:
    members = archive.infolist()
    if len(members) > MAX_PARTS:
        return BoundsProblem(
            "workbook-too-large",
            f"tệp có {len(members)} phần bên trong, nhiều hơn giới hạn {MAX_PARTS}; "
            "đây không phải bảng tính được lập từ mẫu",
        )
    total = 0
    for member in members:
        if member.file_size > MAX_PART_BYTES:
            return BoundsProblem(
                "workbook-too-large",
                f"phần {member.filename} của tệp giải nén ra {_mib(member.file_size)}, "
                f"vượt giới hạn {_mib(MAX_PART_BYTES)} (một ô quá dài hoặc quá nhiều ô?)",
            )
        total += member.file_size
    if total > MAX_TOTAL_BYTES:
        return BoundsProblem(
            "workbook-too-large",
            f"tệp giải nén ra {_mib(total)}, vượt giới hạn {_mib(MAX_TOTAL_BYTES)}",
        )
    return None


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB".replace(",", " ").replace(".", ",")


def _sheet_parts(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(title, part name) of each worksheet, from the workbook part and its relationships."""
    targets: dict[str, str] = {}
    rels = _parse(archive, "xl/_rels/workbook.xml.rels")
    for rel in rels.iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id", "")] = posixpath.normpath(part)
    book = _parse(archive, "xl/workbook.xml")
    names = set(archive.namelist())
    for sheet in book.iter(f"{_MAIN}sheet"):
        part = targets.get(sheet.get(f"{_REL}id", ""), "")
        if part in names:
            yield sheet.get("name", ""), part


def _parse(archive: zipfile.ZipFile, name: str) -> Element:
    parser: XMLPullParser[tuple[str, Any]] = XMLPullParser(("end",))
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            parser.feed(chunk)
    parser.close()
    root = None
    for _event, element in _events(parser):
        root = element
    if root is None:
        raise SyntaxError(name)
    return root


def _events(parser: XMLPullParser[tuple[str, Any]]) -> Iterator[tuple[str, Element]]:
    """The parser's events; with only "start" and "end" asked for, each holds an element."""
    for item in parser.read_events():
        yield cast("tuple[str, Element]", item)


def _scan_sheet(stream: IO[bytes], title: str) -> tuple[SheetFacts, BoundsProblem | None]:
    """One streaming pass: the extent of the values, the merged ranges, the inline texts."""
    facts = SheetFacts()
    parser: XMLPullParser[tuple[str, Any]] = XMLPullParser(("start", "end"))
    rows = 0
    row_number = 0
    column = 0
    while chunk := stream.read(_CHUNK):
        parser.feed(chunk)
        for event, element in _events(parser):
            tag = element.tag
            if event == "start":
                if tag == f"{_MAIN}row":
                    rows += 1
                    row_number = int(element.get("r") or row_number + 1)
                    column = 0
                    if rows > MAX_ROWS:
                        return facts, _too_large(title, f"có hơn {MAX_ROWS:,} dòng")
                elif tag == f"{_MAIN}dimension":
                    facts.dimension = element.get("ref")
                continue
            if tag == f"{_MAIN}c":
                column = _cell_column(element.get("r"), column)
                problem = _check_cell(element, title, row_number, column, facts)
                if problem is not None:
                    return facts, problem
            elif tag == f"{_MAIN}row":
                element.clear()
            elif tag == f"{_MAIN}mergeCell":
                facts.merged.append(element.get("ref", ""))
    parser.close()
    return facts, None


def _cell_column(reference: str | None, previous: int) -> int:
    match = _CELL.fullmatch(reference or "")
    return column_index(match.group(1)) if match else previous + 1


def _check_cell(
    element: Element, title: str, row: int, column: int, facts: SheetFacts
) -> BoundsProblem | None:
    if len(element) == 0:  # formatting only: no value, no formula
        return None
    for text in element.iter(f"{_MAIN}t"):
        if text.text is not None and len(text.text) > MAX_CELL_TEXT:
            return BoundsProblem(
                "cell-too-long",
                f"ô {element.get('r') or f'dòng {row}'} của trang '{title}' dài "
                f"{len(text.text):,} ký tự; Excel chỉ giữ tối đa {MAX_CELL_TEXT:,} ký tự một ô",
                title,
            )
    if row > MAX_ROWS:
        return _too_large(title, f"có giá trị ở dòng {row:,}, quá dòng {MAX_ROWS:,}")
    if column > MAX_COLUMNS:
        return _too_large(title, f"có giá trị ở cột {column:,}, quá cột {MAX_COLUMNS:,}")
    facts.last_row = max(facts.last_row, row)
    facts.last_column = max(facts.last_column, column)
    return None


def _too_large(title: str, what: str) -> BoundsProblem:
    return BoundsProblem(
        "sheet-too-large",
        f"trang '{title}' {what}; xóa các dòng, cột thừa (một bảng tổng hợp có tối đa "
        f"{MAX_ROWS:,} dòng và {MAX_COLUMNS:,} cột)",
        title,
    )
