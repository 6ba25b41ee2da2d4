"""Excel workbooks: the template from a guide, filled as a person would, scored like YAML.

Every workbook is written by the code under test, filled here with openpyxl the way Excel
stores what a person types (numbers as binary floats, dates as datetimes, TRUE/FALSE as
booleans), read back and scored; the result must equal the result of the same data in YAML.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

openpyxl = pytest.importorskip("openpyxl", reason="the 'excel' extra (openpyxl) is not installed")

from emulation_rules import load_cluster, load_ruleset, load_submissions, score  # noqa: E402
from emulation_rules.cli import run  # noqa: E402
from emulation_rules.errors import CODES, EmulationRulesError  # noqa: E402
from emulation_rules.inputs.excel import (  # noqa: E402
    FIRST_ROW,
    KEY_ROW,
    SHEET_GUIDE,
    SHEET_SELF,
    SHEET_UNITS,
    MissingDependencyError,
    cell_number,
    excel_value,
    float_exact,
    repair_key,
    require_openpyxl,
    template_workbook,
    write_template,
)
from emulation_rules.inputs.submissions import read_submission_document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

#: Every shipped guide with its example submissions (and cluster facts, when there are some).
EXAMPLES = [
    ("tiengiang-stnmt-2022", "tiengiang-2022"),
    ("congan-cum347-2024", "congan-cum347"),
    ("chuong-trinh-phoi-hop-2021-2025", "chuong-trinh-phoi-hop-2021-2025"),
    ("khoi-van-hoa-xa-hoi-thua-thien-hue-2024", "khoi-van-hoa-xa-hoi-thua-thien-hue-2024"),
    ("vhttdl-7-tinh-mien-nui-phia-bac-2021", "vhttdl-7-tinh-mien-nui-phia-bac-2021"),
    ("vhttdl-dong-bang-song-hong-2017", "vhttdl-dong-bang-song-hong-2017"),
    ("vhttdl-duyen-hai-mien-trung-2022-h1", "vhttdl-duyen-hai-mien-trung-2022-h1"),
]

#: A small guide with every input type, bounds, places, evidence and an enum.
GUIDE = """\
format: emulation-rules/v1
id: mau-bang-tinh
version: "2024.1"
title: Hướng dẫn thử bảng tính
period: "2024"
scale: 10
inputs:
  so_bao_cao_tre: {type: count, label: Số báo cáo gửi trễ hạn, missing: 0, max: 12, evidence: true}
  ty_le_thu_gom: {type: percent, label: Tỷ lệ thu gom, required: true, places: 2, max: 100}
  diem_danh_gia: {type: decimal, label: Điểm đánh giá, missing: 0, min: -1, max: 1}
  co_bao_cao: {type: bool, label: Có gửi báo cáo giải trình, required: true, evidence: true}
  ngay_ke_hoach: {type: date, label: Ngày ban hành kế hoạch, required: true}
  muc_ky_luat:
    type: enum
    label: Hình thức kỷ luật cao nhất
    values: [khong, khien_trach, canh_cao]
    missing: khong
criteria:
  - id: TC1
    title: Báo cáo
    max: 4
    children:
      - id: "1.1"
        title: Gửi trễ hạn, mỗi báo cáo trừ 0,5 điểm
        kind: deduction
        per_event: {count: so_bao_cao_tre, points: -0.5, cap: 2}
      - id: "1.2"
        title: Ban hành kế hoạch sau 31/1
        kind: deduction
        deadline: {date: ngay_ke_hoach, due: 2024-01-31, late: -1}
  - id: TC2
    title: Thu gom chất thải
    max: 4
    bands:
      of: ty_le_thu_gom
      bands:
        - {from: 95, points: 4}
        - {from: 90, below: 95, points: 2}
      otherwise: 0
  - id: TC3
    title: Kỷ luật, đánh giá
    max: 2
    children:
      - id: "3.1"
        title: Kỷ luật
        kind: deduction
        lookup: {of: muc_ky_luat, points: {khong: 0, khien_trach: -1, canh_cao: -2}}
      - id: "3.2"
        title: Điểm đánh giá của đoàn kiểm tra
        kind: adjustment
        formula: diem_danh_gia
not_classified:
  - id: G1
    when: not co_bao_cao
    reason: Không gửi báo cáo giải trình
"""

#: A good unit of GUIDE, as a person types it.
GOOD = {
    "unit_id": "phong-a",
    "name": "Phòng Tài nguyên và Môi trường huyện A",
    "so_bao_cao_tre": 1,
    "ty_le_thu_gom": 96.5,
    "diem_danh_gia": 0.25,
    "co_bao_cao": True,
    "ngay_ke_hoach": dt.datetime(2024, 1, 15),  # noqa: DTZ001 - Excel dates are naive
    "muc_ky_luat": "khong",
    "evidence:so_bao_cao_tre": "Công văn 12/PTNMT ngày 05/6/2024\nCông văn 15/PTNMT",
    "evidence:co_bao_cao": "Báo cáo 30/BC-PTNMT",
}


@pytest.fixture
def guide(tmp_path):
    path = tmp_path / "guide.yaml"
    path.write_text(GUIDE, encoding="utf-8")
    return load_ruleset(path)


def keys_of(sheet) -> dict[str, int]:
    """The keys of a key row, as the reader reads them (``_x`` is written ``_x005F_x``)."""
    return {repair_key(c.value): c.column for c in sheet[KEY_ROW] if c.value}


def person(value: Any) -> Any:
    """What Excel stores when a person types ``value`` (a YAML value)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        value = dt.date.fromisoformat(value)  # the YAML reader keeps dates as their text
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001 - as Excel
    return value


def fill(template: Path, rows: list[dict[str, Any]], out: Path, own: list[dict] = ()) -> Path:
    """Fill the template's unit sheet (and self-score sheet) like a person would."""
    workbook = openpyxl.load_workbook(template)
    sheet = workbook[SHEET_UNITS]
    keys = keys_of(sheet)
    for index, row in enumerate(rows):
        for key, value in row.items():
            sheet.cell(FIRST_ROW + index, keys[key], value)
    scores = workbook[SHEET_SELF]
    score_keys = keys_of(scores)
    for index, row in enumerate(own):
        for key, value in row.items():
            scores.cell(FIRST_ROW + index, score_keys[key], value)
    workbook.save(out)
    return out


def fill_from_yaml(template: Path, yaml_path: Path, out: Path) -> Path:
    """Fill the template with the units of a YAML submission file."""
    document, issues = read_submission_document(yaml_path)
    assert document is not None, issues
    rows, own = [], []
    for unit in document.data["units"]:
        row = {"unit_id": unit["unit_id"], "name": unit["name"]}
        row.update({k: person(v) for k, v in unit.get("values", {}).items()})
        for name, items in unit.get("evidence", {}).items():
            notes = [i if isinstance(i, str) else i.get("note") or i["document"] for i in items]
            row[f"evidence:{name}"] = "\n".join(notes)
        rows.append(row)
        if unit.get("self_scores"):
            own.append(
                {"unit_id": unit["unit_id"]}
                | {k: person(v) for k, v in unit["self_scores"].items()}
            )
    return fill(template, rows, out, own)


def without_locations(result_json: str) -> str:
    """The result with the position of each issue removed (a YAML line vs. a cell)."""
    data = json.loads(result_json)

    def strip(issue: dict[str, Any]) -> None:
        for key in ("source", "line", "column"):
            issue.pop(key, None)
        issue["message"] = re.sub(r" \(trang '[^']+', ô [A-Z]+[0-9]+\)", "", issue["message"])

    for unit in data["units"]:
        for issue in unit["issues"]:
            strip(issue)
    for rejected in data["rejected"]:
        for issue in rejected["issues"]:
            strip(issue)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2)


# --------------------------------------------------------------------------------------------
# The template


def test_template_sheets_labels_keys_and_guide(tmp_path, guide):
    path = tmp_path / "form.xlsx"
    write_template(guide, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:1] == [SHEET_GUIDE]
    assert {SHEET_UNITS, SHEET_SELF} <= set(workbook.sheetnames)
    assert workbook.active.title == SHEET_UNITS
    info = workbook[SHEET_GUIDE]
    meta = {row[2]: row[1] for row in info.iter_rows(min_row=1, max_row=20, values_only=True)}
    assert meta["ruleset"] == "mau-bang-tinh"
    assert meta["ruleset_version"] == "2024.1"
    assert meta["period"] == "2024"
    texts = [c for row in info.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "CÁCH ĐIỀN" in texts
    assert "Tỷ lệ thu gom" in texts  # the table of inputs

    units = workbook[SHEET_UNITS]
    labels = [c.value for c in units[1]]
    keys = [c.value for c in units[KEY_ROW]]
    assert keys == [
        "unit_id",
        "name",
        "so_bao_cao_tre",
        "ty_le_thu_gom",
        "diem_danh_gia",
        "co_bao_cao",
        "ngay_ke_hoach",
        "muc_ky_luat",
        "evidence:so_bao_cao_tre",
        "evidence:co_bao_cao",
    ]
    assert labels[:4] == [
        "Mã đơn vị *",
        "Tên đơn vị *",
        "Số báo cáo gửi trễ hạn",
        "Tỷ lệ thu gom (%) *",
    ]
    assert labels[8:] == [
        "Minh chứng: Số báo cáo gửi trễ hạn",
        "Minh chứng: Có gửi báo cáo giải trình",
    ]
    comment = units["D1"].comment.text
    assert "Tỷ lệ thu gom" in comment
    assert "tối đa 2 chữ số thập phân" in comment
    assert "Bắt buộc" in comment
    assert units.freeze_panes == "C3"
    assert units["A3"].number_format == "@"  # ids stay text
    assert units["H3"].number_format == "@"  # enum values stay text
    assert units["G3"].number_format == "yyyy-mm-dd"


def test_template_data_validation_per_column(tmp_path, guide):
    path = tmp_path / "form.xlsx"
    write_template(guide, path, rows=50)
    units = openpyxl.load_workbook(path)[SHEET_UNITS]
    rules = {}
    for validation in units.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            rules[cell_range.coord] = validation
    count = rules["C3:C52"]
    assert (count.type, count.operator, count.formula1, count.formula2) == (
        "whole",
        "between",
        "0",
        "12",
    )
    percent = rules["D3:D52"]
    assert (percent.type, percent.formula1, percent.formula2) == ("decimal", "0", "100")
    decimal = rules["E3:E52"]
    assert (decimal.type, decimal.formula1, decimal.formula2) == ("decimal", "-1", "1")
    assert rules["F3:F52"].type == "list"
    assert rules["F3:F52"].formula1 == '"TRUE,FALSE"'
    assert rules["G3:G52"].type == "date"
    assert rules["H3:H52"].formula1 == '"khong,khien_trach,canh_cao"'
    for validation in rules.values():
        assert validation.showErrorMessage
        assert validation.allow_blank
        assert len(validation.promptTitle or "") <= 32
        assert len(validation.prompt or "") <= 255


def test_template_long_enum_lists_go_to_a_hidden_sheet(tmp_path):
    values = ", ".join(f"gia_tri_so_{i}" for i in range(40))
    text = (
        GUIDE.replace("values: [khong, khien_trach, canh_cao]", f"values: [{values}]")
        .replace("points: {khong: 0, khien_trach: -1, canh_cao: -2}", "points: {}, otherwise: 0")
        .replace("missing: khong", "missing: gia_tri_so_0")
    )
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    workbook = template_workbook(load_ruleset(path))
    lists = workbook["Danh sách"]
    assert lists.sheet_state == "hidden"
    assert lists["A40"].value == "gia_tri_so_39"
    formulas = [v.formula1 for v in workbook[SHEET_UNITS].data_validations.dataValidation]
    assert "'Danh sách'!$A$1:$A$40" in formulas


def test_self_score_sheet_lists_every_criterion(tmp_path, guide):
    workbook = template_workbook(guide)
    own = workbook[SHEET_SELF]
    assert [c.value for c in own[KEY_ROW]] == [
        "unit_id",
        "TC1",
        "1.1",
        "1.2",
        "TC2",
        "TC3",
        "3.1",
        "3.2",
    ]
    assert own["B1"].value == "TC1. Báo cáo (tối đa 4)"


# --------------------------------------------------------------------------------------------
# Round trip: the same data in a workbook and in YAML score identically


@pytest.mark.parametrize(("guide_id", "example"), EXAMPLES)
def test_filled_template_scores_like_yaml(tmp_path, guide_id, example):
    compiled = load_ruleset(ROOT / "rulesets" / f"{guide_id}.yaml")
    yaml_path = ROOT / "examples" / example / "submissions.yaml"
    cluster_path = ROOT / "examples" / example / "cluster.yaml"
    cluster = load_cluster(cluster_path) if cluster_path.exists() else None
    template = tmp_path / "form.xlsx"
    write_template(compiled, template)
    filled = fill_from_yaml(template, yaml_path, tmp_path / "filled.xlsx")

    from_yaml = load_submissions([yaml_path])
    from_excel = load_submissions([filled])
    assert from_excel.issues == ()
    assert from_excel.rejected == ()
    assert [s.unit_id for s in from_excel.submissions] == [s.unit_id for s in from_yaml.submissions]
    expected = score(compiled, from_yaml.submissions, rejected=from_yaml.rejected, cluster=cluster)
    got = score(compiled, from_excel.submissions, rejected=from_excel.rejected, cluster=cluster)
    located = [i for u in expected.units for i in u.issues if i.line is not None]
    if not located:
        assert got.to_json() == expected.to_json()  # byte for byte
        assert got.to_json(trace=True) == expected.to_json(trace=True)
    else:
        # the same issues, at a cell instead of a YAML line
        assert without_locations(got.to_json()) == without_locations(expected.to_json())
        assert got.to_json(trace=True).count('"value"') == expected.to_json(trace=True).count(
            '"value"'
        )


def test_tiengiang_round_trip_points_warnings_at_the_cell(tmp_path):
    compiled = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    template = tmp_path / "form.xlsx"
    write_template(compiled, template)
    filled = fill_from_yaml(
        template, ROOT / "examples/tiengiang-2022/submissions.yaml", tmp_path / "tg.xlsx"
    )
    batch = load_submissions([filled])
    result = score(compiled, batch.submissions)
    [warning] = result.unit("h-go-cong-dong").issues
    column = keys_of(openpyxl.load_workbook(filled)[SHEET_UNITS])["c431_so_bai_viet_duoc_dang"]
    letter = openpyxl.utils.get_column_letter(column)
    assert warning.code == "evidence-missing"
    assert (warning.source, warning.line, warning.column) == (str(filled), 6, column)
    assert warning.render().startswith(f"{filled}:6:{column}: warning: evidence-missing: ")
    assert f"(trang 'Đơn vị', ô {letter}6)" in warning.message
    # exact decimals, not floats: 99.35 typed is 99.35
    unit = next(s for s in batch.submissions if s.unit_id == "tx-cai-lay")
    assert unit.values["a4_ty_le_cap_gcn_ho_gia_dinh"] == Decimal("99.35")
    assert type(unit.values["a4_ty_le_cap_gcn_ho_gia_dinh"]) is Decimal
    assert unit.values["c312_ngay_ban_hanh_ke_hoach_cchc"] == dt.date(2022, 1, 14)
    assert unit.evidence["a9_4_so_bao_cao_gop_y_truoc_han"][2].note == (
        "Công văn 301/PTNMT ngày 20/10/2022"
    )


def test_self_scores_and_evidence_are_read(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    own = [{"unit_id": "phong-a", "TC1": 3.5, "TC2": 4}]
    filled = fill(template, [GOOD], tmp_path / "f.xlsx", own)
    batch = load_submissions([filled])
    [unit] = batch.submissions
    assert unit.self_scores == {"TC1": Decimal("3.5"), "TC2": Decimal(4)}
    assert [e.note for e in unit.evidence["so_bao_cao_tre"]] == [
        "Công văn 12/PTNMT ngày 05/6/2024",
        "Công văn 15/PTNMT",
    ]
    result = score(guide, batch.submissions)
    scored = result.unit("phong-a")
    assert scored.total == Decimal("9.75")  # (4 − 0.5) + 4 + (2 − 0 + 0.25)
    assert scored.self_scores["TC1"] == Decimal("3.5")
    assert scored.issues == ()


# --------------------------------------------------------------------------------------------
# Bad cells: the codes of YAML, naming the sheet and the cell; other units still scored


def _bad(tmp_path, guide, **cells: Any) -> tuple[Any, Path]:
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    good_b = GOOD | {"unit_id": "phong-b", "name": "Phòng B"}
    bad = GOOD | {"unit_id": "phong-c", "name": "Phòng C"} | cells
    filled = fill(template, [GOOD, good_b, bad], tmp_path / "f.xlsx")
    batch = load_submissions([filled])
    result = score(guide, batch.submissions, rejected=batch.rejected, issues=batch.issues)
    assert [u.unit_id for u in result.units] == ["phong-a", "phong-b"]  # still scored
    [rejected] = result.rejected
    assert rejected.unit_id == "phong-c"
    return rejected, filled


@pytest.mark.parametrize(
    ("column", "value", "code", "letter", "words"),
    [
        ("ty_le_thu_gom", "95,5", "number-format", "D", "uses a decimal comma; write 95.5"),
        ("ty_le_thu_gom", 95.50000001, "number-places", "D", "more than 2 decimal places"),
        ("ty_le_thu_gom", 1 / 3, "number-format", "D", "không phải số được gõ"),
        ("ty_le_thu_gom", 95.50000000000001, "number-format", "D", "số nhị phân"),
        ("ty_le_thu_gom", 120, "out-of-range", "D", "120 is above the maximum 100"),
        ("ty_le_thu_gom", None, "missing-value", "D", "a value is required"),
        ("so_bao_cao_tre", 2.5, "value-type", "C", "not a whole number"),
        ("so_bao_cao_tre", 13, "out-of-range", "C", "above the maximum 12"),
        ("diem_danh_gia", "1.000,5", "number-format", "E", "thousands separators"),
        ("co_bao_cao", "yes", "value-type", "F", "expected true or false"),
        ("ngay_ke_hoach", "31/02/2024", "date-format", "G", "không phải một ngày có thật"),
        ("ngay_ke_hoach", dt.datetime(2024, 1, 15, 9, 30), "date-format", "G", "kèm giờ"),  # noqa: DTZ001
        ("muc_ky_luat", "canh-cao", "enum-value", "H", "is not one of"),
        ("ty_le_thu_gom", "=90+5", "value-type", "D", "ô chứa công thức"),
    ],
)
def test_bad_cell_is_named(tmp_path, guide, column, value, code, letter, words):
    rejected, filled = _bad(tmp_path, guide, **{column: value})
    errors = [i for i in rejected.issues if i.severity == "error"]
    assert [i.code for i in errors] == [code]
    [issue] = errors
    assert words in issue.message
    assert issue.message.endswith(f"(trang 'Đơn vị', ô {letter}5)")
    number = openpyxl.utils.column_index_from_string(letter)
    assert (issue.source, issue.line, issue.column) == (str(filled), 5, number)
    assert issue.render().startswith(f"{filled}:5:{number}: {code}: ")
    assert issue.unit_id == "phong-c"
    assert issue.path == ("values", column)


def test_percent_formatted_cell_is_refused(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    filled = fill(template, [GOOD | {"ty_le_thu_gom": 0.955}], tmp_path / "f.xlsx")
    workbook = openpyxl.load_workbook(filled)
    workbook[SHEET_UNITS]["D3"].number_format = "0.0%"
    workbook.save(filled)
    batch = load_submissions([filled])
    [rejected] = batch.rejected
    [issue] = rejected.issues
    assert issue.code == "number-format"
    assert "định dạng phần trăm" in issue.message
    assert "(trang 'Đơn vị', ô D3)" in issue.message


def test_text_typed_numbers_and_booleans_read_exactly(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    typed = GOOD | {"ty_le_thu_gom": "96.50", "co_bao_cao": "TRUE", "so_bao_cao_tre": 2}
    batch = load_submissions([fill(template, [typed], tmp_path / "f.xlsx")])
    [unit] = batch.submissions
    assert unit.values["ty_le_thu_gom"] == "96.50"  # validated like YAML text when scored
    result = score(guide, batch.submissions)
    assert result.unit("phong-a").items["TC2"] == 4
    assert unit.values["co_bao_cao"] is True


def test_bad_unit_id_and_empty_name_are_located(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    rows = [
        GOOD,
        GOOD | {"unit_id": "phòng b", "name": "Phòng B"},
        GOOD | {"unit_id": "c", "name": None},
    ]
    batch = load_submissions([fill(template, rows, tmp_path / "f.xlsx")])
    assert [s.unit_id for s in batch.submissions] == ["phong-a"]
    by_id = {r.unit_id: r for r in batch.rejected}
    [bad_id] = by_id["phòng b"].issues
    assert bad_id.code == "invalid-value"
    assert (bad_id.line, bad_id.column) == (4, 1)
    assert bad_id.message.endswith("(trang 'Đơn vị', ô A4)")
    [no_name] = by_id["c"].issues
    assert no_name.code == "missing-field"
    assert no_name.line == 5


def test_unknown_column_and_unknown_self_score(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook[SHEET_UNITS]
    sheet.cell(KEY_ROW, 20, "ty_le_thu_gomm")
    workbook.save(template)
    own = [{"unit_id": "phong-a", "TC9": 1}]
    filled = fill(template, [GOOD | {}], tmp_path / "f.xlsx", [])
    workbook = openpyxl.load_workbook(filled)
    workbook[SHEET_UNITS].cell(3, 20, 5)
    scores = workbook[SHEET_SELF]
    scores.cell(KEY_ROW, 30, "TC9")
    for key, value in own[0].items():
        scores.cell(3, 1 if key == "unit_id" else 30, value)
    workbook.save(filled)
    batch = load_submissions([filled])
    result = score(guide, batch.submissions, rejected=batch.rejected)
    [rejected] = result.rejected
    codes = {i.code: i for i in rejected.issues}
    assert codes["unknown-field-value"].hint == "did you mean 'ty_le_thu_gom'?"
    assert codes["unknown-field-value"].message.endswith("(trang 'Đơn vị', ô T3)")
    assert codes["unknown-criterion"].message.endswith("(trang 'Tự chấm', ô AD3)")
    assert (codes["unknown-criterion"].line, codes["unknown-criterion"].column) == (3, 30)


def test_workbook_for_another_version_is_rejected(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    workbook = openpyxl.load_workbook(template)
    info = workbook[SHEET_GUIDE]
    for row in info.iter_rows(min_row=1, max_row=20):
        if row[2].value == "ruleset_version":
            row[1].value = "2023.1"
    workbook.save(template)
    batch = load_submissions([fill(template, [GOOD], tmp_path / "f.xlsx")])
    result = score(guide, batch.submissions)
    [rejected] = result.rejected
    [issue] = rejected.issues
    assert issue.code == "ruleset-mismatch"
    assert issue.message.endswith("(trang 'Đơn vị', ô A3)")


@pytest.mark.parametrize("damage", ["no-units-sheet", "no-guide-id", "no-rows", "duplicate-key"])
def test_workbook_structure_problems_are_file_issues(tmp_path, guide, damage):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    filled = fill(template, [GOOD], tmp_path / "f.xlsx")
    workbook = openpyxl.load_workbook(filled)
    if damage == "no-units-sheet":
        del workbook[SHEET_UNITS]
    elif damage == "no-guide-id":
        del workbook[SHEET_GUIDE]
    elif damage == "no-rows":
        workbook[SHEET_UNITS].delete_rows(3)
    else:
        workbook[SHEET_UNITS].cell(KEY_ROW, 4, "so_bao_cao_tre")
    workbook.save(filled)
    batch = load_submissions([filled])
    expected = "duplicate-key" if damage == "duplicate-key" else "missing-field"
    assert expected in [i.code for i in batch.issues]
    assert all(i.source == str(filled) for i in batch.issues)


def test_files_that_are_not_workbooks(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    batch = load_submissions([broken, tmp_path / "missing.xlsx"])
    assert [i.code for i in batch.issues] == ["file-not-found", "file-not-found"]
    assert "không đọc được" in batch.issues[0].message


def test_yaml_and_workbook_submissions_mix(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    filled = fill(template, [GOOD], tmp_path / "f.xlsx")
    other = tmp_path / "other.yaml"
    other.write_text(
        'ruleset: mau-bang-tinh\nruleset_version: "2024.1"\nunits:\n'
        "  - unit_id: phong-z\n    name: Phòng Z\n"
        "    values: {ty_le_thu_gom: 80, co_bao_cao: true, ngay_ke_hoach: 2024-01-02}\n",
        encoding="utf-8",
    )
    batch = load_submissions([filled, other])
    assert [s.unit_id for s in batch.submissions] == ["phong-a", "phong-z"]


# --------------------------------------------------------------------------------------------
# Numbers


@given(
    st.decimals(
        min_value=Decimal(-999999999),
        max_value=Decimal(999999999),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_a_typed_decimal_reads_back_exactly(value):
    """Up to 15 significant digits, what Excel stores for a typed number reads back exact."""
    assert cell_number(float(value)) == value
    assert float_exact(value)
    shown = excel_value(value)
    back = Decimal(shown) if isinstance(shown, str) else cell_number(float(shown))
    assert back == value


def test_excel_value_keeps_long_decimals_as_text():
    third = Decimal(1) / Decimal(3)
    assert excel_value(third) == "0.3333333333333333333333333333"
    assert excel_value(Decimal("110.10")) == 110.1
    assert excel_value(Decimal(1060)) == 1060
    assert cell_number(0.1 + 0.2) is None
    assert cell_number(1e-7) == Decimal("1E-7")


# --------------------------------------------------------------------------------------------
# The command line and the optional dependency


def test_cli_template_then_score_prints_the_yaml_table(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    guide = "rulesets/congan-cum347-2024.yaml"
    form = tmp_path / "form.xlsx"
    out, err = io.StringIO(), io.StringIO()
    assert run(["template", guide, "-o", str(form)], out, err) == 0
    assert out.getvalue() == f"{form}\n"
    filled = fill_from_yaml(
        form, root / "examples/congan-cum347/submissions.yaml", tmp_path / "f.xlsx"
    )
    tables = []
    for source in ("examples/congan-cum347/submissions.yaml", str(filled)):
        out, err = io.StringIO(), io.StringIO()
        assert run(["score", guide, source], out, err) == 0, err.getvalue()
        tables.append(out.getvalue())
    assert tables[0] == tables[1]


def test_cli_score_reports_bad_cells_and_exits_1(tmp_path, guide):
    template = tmp_path / "form.xlsx"
    write_template(guide, template)
    filled = fill(
        template, [GOOD, GOOD | {"unit_id": "b", "ty_le_thu_gom": "95,5"}], tmp_path / "f.xlsx"
    )
    out, err = io.StringIO(), io.StringIO()
    code = run(["score", str(tmp_path / "guide.yaml"), str(filled)], out, err)
    assert code == 1
    assert (
        f"{filled}:4:4: number-format: Tỷ lệ thu gom: '95,5' dùng dấu phẩy thập phân"
        in out.getvalue()
    )
    assert "(trang 'Đơn vị', ô D4)" in out.getvalue()


def test_missing_openpyxl_is_a_clear_error(tmp_path, guide, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now fails
    with pytest.raises(MissingDependencyError) as caught:
        require_openpyxl()
    assert isinstance(caught.value, EmulationRulesError)
    [issue] = caught.value.issues
    assert issue.code == "missing-dependency"
    assert issue.code in CODES
    assert "pip install 'emulation-rules[excel]'" in issue.message
    batch = load_submissions([tmp_path / "form.xlsx"])
    assert [i.code for i in batch.issues] == ["missing-dependency"]
    out, err = io.StringIO(), io.StringIO()
    code = run(["template", str(tmp_path / "guide.yaml"), "-o", str(tmp_path / "x.xlsx")], out, err)
    assert code == 1
    assert err.getvalue().startswith("missing-dependency: Excel workbooks need")


def test_core_imports_without_openpyxl(root):
    import subprocess

    code = (
        "import sys; sys.modules['openpyxl'] = None\n"
        "import emulation_rules, emulation_rules.cli, emulation_rules.inputs.excel, emulation_rules.reports.report\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=root
    )
    assert proc.stdout == "ok\n", proc.stderr
