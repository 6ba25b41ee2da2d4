"""A small write-only .xlsx writer: the cells, styles, comments and print settings we use.

The Excel summary has one cell per criterion per unit (127,000 cells for 120 criteria and 1,000
units), and every value Excel cannot hold exactly carries a comment with its exact decimal.
openpyxl builds an object per cell, per style and per comment shape and took 5–9 s for that;
this writer puts each cell straight into the sheet's XML text (about 1 µs a cell) and each
comment into the comments part and its VML shape, so the summary of 1,000 units takes well
under 2 s (docs/performance.md, "Outputs for 1,000 units").

What it writes is plain SpreadsheetML (ECMA-376): inline strings (so no text ever becomes a
formula), numbers, cell styles (font, fill, alignment, number format), column widths, row
heights, frozen panes, print titles, landscape A4 fitted to the page width with a page-number
footer, notes (comments), and the document's title, author and identifier. The output depends
only on the input: no timestamp, fixed zip dates, so the same result gives the same bytes.

Reference and check: :func:`emulation_rules.reports.excel_summary.summary_workbook` reads the
bytes back with openpyxl; tests/test_report.py checks the summary cell by cell (values, number
formats, comments, fonts, panes, print titles) through openpyxl, and tests/test_office_clients.py
opens and prints it in LibreOffice.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Book", "Sheet", "Style", "column_letter"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Excel's built-in number formats we use (others get ids from 164 up).
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2}
#: A character XML 1.0 cannot hold, or an ``_xHHHH_`` that Excel would read as an escape.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
#: The zip entries' date: fixed, so that the same workbook gives the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class Style(NamedTuple):
    """How a cell looks: font, fill, alignment and number format."""

    #: ``""`` (Calibri 11), ``"title"`` (bold 14), ``"bold"``, ``"small"`` (italic 9, grey).
    font: str = ""
    #: The light blue header fill.
    fill: bool = False
    #: ``""``, ``"wrap"`` (wrapped, top) or ``"center"`` (wrapped, centred both ways).
    align: str = ""
    number_format: str = "General"


_FONTS = {
    "": '<font><name val="Calibri"/><family val="2"/><sz val="11"/></font>',
    "title": '<font><b val="1"/><sz val="14"/></font>',
    "bold": '<font><b val="1"/></font>',
    "small": '<font><i val="1"/><color rgb="00606060"/><sz val="9"/></font>',
}
_ALIGNMENTS = {
    "wrap": '<alignment vertical="top" wrapText="1"/>',
    "center": '<alignment horizontal="center" vertical="center" wrapText="1"/>',
}

Value = int | float | str


@dataclass
class Sheet:
    """One worksheet, filled cell by cell in any order, written once."""

    title: str
    #: Row → column → (value, style index).
    cells: dict[int, dict[int, tuple[Value, int]]] = field(default_factory=dict)
    #: (row, column, text) of each note.
    comments: list[tuple[int, int, str]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    #: The first cell that scrolls (``"D7"``: columns A–C and rows 1–6 stay), or None.
    freeze: str | None = None
    #: The rows printed on every page (``"5:6"``), or None.
    title_rows: str | None = None

    def put(self, row: int, column: int, value: Value | None, style: int = 0) -> None:
        """Write ``value`` (nothing for None) with the style index ``style``."""
        if value is None:
            return
        line = self.cells.get(row)
        if line is None:
            line = self.cells[row] = {}
        line[column] = (value, style)

    def note(self, row: int, column: int, text: str) -> None:
        """Attach a note (comment) to a cell."""
        self.comments.append((row, column, text))


class Book:
    """A workbook: its sheets in order and the styles they share."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        #: Style → its index; index 0 is the default look.
        self.styles: dict[Style, int] = {Style(): 0}

    def sheet(self, title: str) -> Sheet:
        """A new sheet after the others."""
        sheet = Sheet(title)
        self.sheets.append(sheet)
        return sheet

    def style(self, style: Style) -> int:
        """The index of ``style``, to pass to :meth:`Sheet.put`."""
        found = self.styles.get(style)
        if found is None:
            found = self.styles[style] = len(self.styles)
        return found

    def to_bytes(self, *, title: str, identifier: str) -> bytes:
        """The .xlsx file (the first sheet is shown first)."""
        return _workbook_bytes(self.sheets, self.styles, title=title, identifier=identifier)


_LETTERS: list[str] = []


def column_letter(column: int) -> str:
    """``1`` → ``A``, ``28`` → ``AB``."""
    while len(_LETTERS) < column:
        number, text = len(_LETTERS) + 1, ""
        while number:
            number, rest = divmod(number - 1, 26)
            text = chr(65 + rest) + text
        _LETTERS.append(text)
    return _LETTERS[column - 1]


def _text(value: str) -> str:
    """Text for an element: escaped, and anything XML or Excel would misread made safe."""
    if _UNSAFE.search(value):
        value = _UNSAFE.sub(lambda m: f"_x{ord(m.group()[0]):04X}_" + m.group()[1:], value)
    return escape(value)


def _cell(reference: str, value: Value, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{reference}"{s} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    return f'<c r="{reference}"{s}><v>{value!r}</v></c>'


def _sheet_xml(sheet: Sheet, comments_id: str | None) -> str:
    parts = [
        _HEAD,
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
        (
            '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
            '<pageSetUpPr fitToPage="1"/></sheetPr>'
        ),
    ]
    rows = sorted(sheet.cells)
    last_column = max((max(line) for line in sheet.cells.values()), default=1)
    last_row = rows[-1] if rows else 1
    parts.append(f'<dimension ref="A1:{column_letter(last_column)}{last_row}"/>')
    parts.append('<sheetViews><sheetView workbookViewId="0">')
    if sheet.freeze:
        parts.append(_pane(sheet.freeze))
    parts.append('</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>')
    if sheet.widths:
        parts.append("<cols>")
        parts.extend(
            f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
            for c, w in sorted(sheet.widths.items())
        )
        parts.append("</cols>")
    parts.append("<sheetData>")
    heights = sheet.heights
    letters = [column_letter(c) for c in range(1, last_column + 1)]
    add = parts.append
    for row in sorted(set(rows) | set(heights)):
        height = heights.get(row)
        tall = f' ht="{height:g}" customHeight="1"' if height is not None else ""
        line = sheet.cells.get(row, {})
        add(f'<row r="{row}"{tall}>')
        for column in sorted(line):
            value, style = line[column]
            if type(value) is float or type(value) is int:  # the most cells: no call
                s = f' s="{style}"' if style else ""
                add(f'<c r="{letters[column - 1]}{row}"{s}><v>{value!r}</v></c>')
            else:
                add(_cell(f"{letters[column - 1]}{row}", value, style))
        add("</row>")
    parts.append(
        '</sheetData><printOptions horizontalCentered="0"/>'
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.5" footer="0.5"/>'
        '<pageSetup orientation="landscape" paperSize="9" fitToHeight="0" fitToWidth="1"/>'
        "<headerFooter><oddFooter>&amp;CTrang &amp;P / &amp;N</oddFooter></headerFooter>"
    )
    if comments_id is not None:
        parts.append(f'<legacyDrawing r:id="{comments_id}"/>')
    parts.append("</worksheet>")
    return "".join(parts)


def _pane(first: str) -> str:
    """The frozen pane whose first scrolling cell is ``first`` (``"D7"``)."""
    letters = first.rstrip("0123456789")
    columns = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(letters))) - 1
    rows = int(first[len(letters) :]) - 1
    split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
    pane = {
        (True, True): "bottomRight",
        (False, True): "bottomLeft",
        (True, False): "topRight",
    }.get((columns > 0, rows > 0))
    if pane is None:
        return ""
    out = f'<pane{split} topLeftCell="{first}" activePane="{pane}" state="frozen"/>'
    if pane == "bottomRight":
        out += '<selection pane="topRight"/><selection pane="bottomLeft"/>'
    return out + f'<selection pane="{pane}" activeCell="A1" sqref="A1"/>'


def _comments_xml(comments: list[tuple[int, int, str]]) -> str:
    parts = [
        _HEAD,
        f'<comments xmlns="{_MAIN}"><authors><author>emulation-rules</author></authors>',
        "<commentList>",
    ]
    parts.extend(
        f'<comment ref="{column_letter(c)}{r}" authorId="0" shapeId="0"><text><t>'
        f"{_text(text)}</t></text></comment>"
        for r, c, text in comments
    )
    parts.append("</commentList></comments>")
    return "".join(parts)


_SHAPE = (
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;'
    "margin-left:59.25pt;margin-top:1.5pt;width:260px;height:60px;z-index:1;"
    'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
    '<v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
    "<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{column}</x:Column>"
    "</x:ClientData></v:shape>"
)


def _vml(comments: list[tuple[int, int, str]], first_block: int) -> tuple[str, int]:
    """The notes' shapes, numbered from block ``first_block`` (1,024 ids a block); next block."""
    blocks = len(comments) // 1024 + 1
    ids = ",".join(str(b) for b in range(first_block, first_block + blocks))
    parts = [
        (
            '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
            'xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        ),
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{ids}"/></o:shapelayout>',
        (
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
            'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
            '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        ),
    ]
    start = first_block * 1024 + 1
    parts.extend(
        _SHAPE.format(id=start + i, row=r - 1, column=c - 1) for i, (r, c, _) in enumerate(comments)
    )
    parts.append("</xml>")
    return "".join(parts), first_block + blocks


def _styles_xml(styles: dict[Style, int]) -> str:
    ordered = sorted(styles, key=styles.__getitem__)
    formats: dict[str, int] = {}
    for style in ordered:
        code = style.number_format
        if code not in _BUILTIN_FORMATS and code not in formats:
            formats[code] = 164 + len(formats)
    fonts = list(_FONTS)
    xfs = []
    for style in ordered:
        number = _BUILTIN_FORMATS.get(style.number_format) or formats.get(style.number_format, 0)
        align = _ALIGNMENTS.get(style.align, "")
        xfs.append(
            f'<xf numFmtId="{number}" fontId="{fonts.index(style.font)}" '
            f'fillId="{2 if style.fill else 0}" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if number else "")
            + (' applyFont="1"' if style.font else "")
            + (' applyFill="1"' if style.fill else "")
            + (f' applyAlignment="1">{align}</xf>' if align else "/>")
        )
    number_formats = "".join(
        f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>' for code, i in formats.items()
    )
    return (
        f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
        + (f'<numFmts count="{len(formats)}">{number_formats}</numFmts>' if formats else "")
        + f'<fonts count="{len(fonts)}">{"".join(_FONTS.values())}</fonts>'
        '<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/>'
        '</fill><fill><patternFill patternType="solid"><fgColor rgb="00DDEBF7"/></patternFill>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
        '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _workbook_bytes(
    sheets: list[Sheet], styles: dict[Style, int], *, title: str, identifier: str
) -> bytes:
    parts: dict[str, str] = {}
    overrides: list[tuple[str, str]] = []
    names: list[str] = []
    defined: list[str] = []
    block = 1
    for number, sheet in enumerate(sheets, start=1):
        path = f"xl/worksheets/sheet{number}.xml"
        comments_id = None
        if sheet.comments:
            comments_id = "rId2"
            parts[f"xl/comments{number}.xml"] = _comments_xml(sheet.comments)
            parts[f"xl/drawings/vmlDrawing{number}.vml"], block = _vml(sheet.comments, block)
            overrides.append((f"/xl/comments{number}.xml", "spreadsheetml.comments+xml"))
            parts[f"xl/worksheets/_rels/sheet{number}.xml.rels"] = (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_REL}/comments" '
                f'Target="../comments{number}.xml"/>'
                f'<Relationship Id="rId2" Type="{_REL}/vmlDrawing" '
                f'Target="../drawings/vmlDrawing{number}.vml"/></Relationships>'
            )
        parts[path] = _sheet_xml(sheet, comments_id)
        overrides.append((f"/{path}", "spreadsheetml.worksheet+xml"))
        names.append(
            f'<sheet name={quoteattr(sheet.title)} sheetId="{number}" r:id="rId{number}"/>'
        )
        if sheet.title_rows:
            first, last = sheet.title_rows.split(":")
            defined.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{number - 1}">'
                f"{escape(_quoted(sheet.title))}!${first}:${last}</definedName>"
            )
    parts["xl/workbook.xml"] = (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{''.join(names)}</sheets>"
        + (f"<definedNames>{''.join(defined)}</definedNames>" if defined else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )
    rels = [
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    ]
    rels.append(
        f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    )
    parts["xl/_rels/workbook.xml.rels"] = (
        f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>'
    )
    parts["xl/styles.xml"] = _styles_xml(styles)
    parts["docProps/core.xml"] = (
        f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{_text(title)}</dc:title><dc:creator>emulation-rules</dc:creator>"
        f"<dc:identifier>{_text(identifier)}</dc:identifier></cp:coreProperties>"
    )
    parts["_rels/.rels"] = (
        f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
    )
    kinds = "application/vnd.openxmlformats-officedocument."
    overrides += [
        ("/xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
        ("/xl/styles.xml", "spreadsheetml.styles+xml"),
    ]
    parts["[Content_Types].xml"] = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Default Extension="vml" ContentType="{kinds}vmlDrawing"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{kinds}{k}"/>' for p, k in overrides)
        + '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>'
    )
    return _zip(parts)


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    first = ("[Content_Types].xml", "_rels/.rels")
    order = [*first, *sorted(p for p in parts if p not in first)]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in order:
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, parts[name].encode("utf-8"), compresslevel=1)
    return buffer.getvalue()
