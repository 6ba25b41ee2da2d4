"""Write the broken Word tables of this folder (run it again after changing a table below).

Each ``.docx`` is the smallest package python-docx opens: a content-types part, the package
relationship and ``word/document.xml`` with the tables. ``python tests/data/invalid/tables/make_tables.py``
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

#: A cell: its text, or (text, "restart" | "continue") for a vertical merge.
Cell = str | tuple[str, str]


def _cell(cell: Cell) -> str:
    text, merge = (cell, None) if isinstance(cell, str) else cell
    props = f'<w:tcPr><w:vMerge w:val="{merge}"/></w:tcPr>' if merge == "restart" else ""
    if merge == "continue":
        props = "<w:tcPr><w:vMerge/></w:tcPr>"
    return (
        f'<w:tc>{props}<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>'
    )


def docx(*tables: list[list[Cell]]) -> bytes:
    """The bytes of a .docx holding ``tables`` (rows of cells), a paragraph between them."""
    body = "<w:p/>".join(
        "<w:tbl>"
        + "".join("<w:tr>" + "".join(map(_cell, row)) + "</w:tr>" for row in table)
        + "</w:tbl>"
        for table in tables
    )
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body><w:p/>{body}<w:p/></w:body></w:document>'
    path = HERE / "_build.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in (
            ("[Content_Types].xml", _TYPES),
            ("_rels/.rels", _RELS),
            ("word/document.xml", document),
        ):
            info = zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0))
            package.writestr(info, text)
    data = path.read_bytes()
    path.unlink()
    return data


HEADER = ["STT", "Tiêu chuẩn thi đua", "Điểm chuẩn", "Điểm thưởng", "Điểm trừ"]
GOOD = [
    HEADER,
    ["1", "Tiêu chuẩn 1: Chuyên môn", "10", "", ""],
    ["1.1", "Mỗi trường hợp chậm báo cáo: trừ 0,5 điểm", "", "", "-0,5"],
    ["", "Tổng cộng", "10", "", ""],
]

TABLES: dict[str, bytes] = {
    # a table, but no header with a content and a points column
    "import-no-table.docx": docx([["Họ và tên", "Chức vụ"], ["Nguyễn Văn A", "Trưởng phòng"]]),
    # STT and content, no points column
    "import-no-points-column.docx": docx(
        [["STT", "Nội dung"], ["1", "Tiêu chuẩn 1: Chuyên môn"], ["1.1", "Báo cáo đúng hạn"]]
    ),
    # the deduction cell of row 3 is merged down into row 4: whose -0,5 is it?
    "import-merged-cells.docx": docx(
        [
            HEADER,
            ["1", "Tiêu chuẩn 1: Chuyên môn", "10", "", ""],
            ["1.1", "Chậm báo cáo quý", "", "", ("-0,5", "restart")],
            ["1.2", "Chậm báo cáo năm", "", "", ("", "continue")],
        ]
    ),
    # a list of units, then the scoring table: the second is read, with a warning
    "import-several-tables.docx": docx(
        [HEADER, ["1", "Bảng cũ", "5", "", ""]],
        GOOD,
    ),
    # row 3 ends the sentence of row 2 (the author pressed Enter in a new row)
    "import-split-row.docx": docx(
        [
            HEADER,
            ["1", "Tiêu chuẩn 1: Thực hiện tốt nhiệm vụ", "10", "", ""],
            ["", "chuyên môn được giao trong năm", "", "", ""],
            ["1.1", "Mỗi trường hợp chậm báo cáo: trừ 0,5 điểm", "", "", "-0,5"],
        ]
    ),
    # a points cell that is not a number of points
    "import-todo.docx": docx(
        [
            HEADER,
            ["1", "Tiêu chuẩn 1: Chuyên môn", "10", "", ""],
            ["1.1", "Không gửi báo cáo giải trình", "", "", "(không xếp loại)"],
        ]
    ),
}


def main() -> None:
    """Write every table of :data:`TABLES`, and a text file that is not a .docx."""
    for name, data in TABLES.items():
        (HERE / name).write_bytes(data)
    (HERE / "import-unreadable.docx").write_text(
        "Đây là văn bản, không phải tệp Word.\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
