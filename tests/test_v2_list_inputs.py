"""Guide format v2, issue 14 rule 5: list inputs (items with declared fields, validated item by
item) and ``per_item`` (points per item by band, summed, capped).

HY = the Hưng Yên 2021 cluster guide (``../shared/guides/hungyen-cumkhoi-2021.txt``), part
V.2.b: "gửi báo cáo, văn bản … chậm từ 05 ngày đến dưới 10 ngày" −5 (line 91), "chậm từ 10
ngày đến dưới 15 ngày" −10 (line 96), "chậm từ 15 ngày trở lên" −20 (line 99). The guide
written for these cases is ``tests/data/codegen/danh-sach.yaml`` (its cap of −40 is modelled).
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from emulation_rules import RulesetError, Submission, load_ruleset, score
from emulation_rules.audit.records import build_record, replay
from emulation_rules.errors import OutputError
from emulation_rules.inputs.excel import template_workbook
from emulation_rules.reports.explain import explain_unit

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "tests" / "data" / "codegen" / "danh-sach.yaml"


@pytest.fixture(scope="module")
def guide():
    return load_ruleset(GUIDE)


def _sub(unit_id: str, reports: object, **values: object) -> Submission:
    return Submission(
        unit_id=unit_id,
        name=f"Sở {unit_id}",
        values={"ty_le": 100, "bao_cao_cham": reports, **values},
    )


def _report(ten: str, so_ngay: object, **more: object) -> dict[str, object]:
    return {"ten": ten, "so_ngay": so_ngay, **more}


def _find(node, ident):
    if node.id == ident:
        return node
    return next((f for c in node.children if (f := _find(c, ident)) is not None), None)


LATE = [
    _report("Báo cáo sơ kết 6 tháng", 7),  # từ 05 đến dưới 10 ngày: −5
    _report("Kế hoạch năm", 12),  # từ 10 đến dưới 15 ngày: −10
    _report("Báo cáo tổng kết", 20),  # từ 15 ngày trở lên: −20
    _report("Đăng ký thi đua", 4, co_ly_do=True),  # under 5 days: no deduction
]


def test_hy_late_reports_by_band_one_by_one(guide) -> None:
    result = score(guide, [_sub("noi-vu", LATE), _sub("tai-chinh", [])])
    unit = result.unit("noi-vu")
    assert unit.items["I.cham"] == D(-35)
    assert unit.total == D(65)
    assert result.unit("tai-chinh").total == D(100)
    deduction = _find(unit.trace, "I.cham")
    (read,) = deduction.inputs
    assert read[0] == "bao_cao_cham"
    assert [item["so_ngay"] for item in read[1]] == [7, 12, 20, 4]
    assert deduction.rule == (
        "mỗi mục của bao_cao_cham theo (so_ngay): [5, 10) → -5; [10, 15) → -10; "
        "[15, +∞) → -20; khác → 0; tổng tối đa 40"
    )
    assert "từ 5 đến dưới 10 → −5" in explain_unit(unit, guide)


def test_the_sum_is_capped_with_a_line(guide) -> None:
    reports = [*LATE, _report("Báo cáo chuyên đề", 16)]  # −55 → the cap, −40
    unit = score(guide, [_sub("noi-vu", reports)]).unit("noi-vu")
    assert unit.items["I.cham"] == D(-40)
    assert _find(unit.trace, "I.cham").adjustments == (("cap_line", D(15), "tối đa 40"),)


def test_the_list_is_kept_whole_in_the_audit_record(guide) -> None:
    subs = [_sub("noi-vu", LATE)]
    result = score(guide, subs)
    record = build_record(guide, subs, result)
    (recorded,) = record["inputs"]["submissions"]
    assert recorded["values"]["bao_cao_cham"][3] == {
        "ten": "Đăng ký thi đua",
        "so_ngay": 4,
        "co_ly_do": True,
    }
    assert replay(record).identical


@pytest.mark.parametrize(
    ("reports", "code", "path", "words"),
    [
        (
            [_report("A", 7), _report("B", "12,5")],
            "number-format",
            ("values", "bao_cao_cham", 1, "so_ngay"),
            "bao_cao_cham[1].so_ngay",
        ),
        (
            [_report("A", 7), {"ten": "B"}],
            "missing-value",
            ("values", "bao_cao_cham", 1, "so_ngay"),
            "Số ngày chậm: a value is required",
        ),
        (
            [_report("A", 7, so_gio=3)],
            "unknown-field-value",
            ("values", "bao_cao_cham", 0, "so_gio"),
            "'so_gio' is not a field of the items",
        ),
        (
            [_report("A", 61)],
            "out-of-range",
            ("values", "bao_cao_cham", 0, "so_ngay"),
            "61 is above the maximum 60",
        ),
        ("7 ngày", "value-type", ("values", "bao_cao_cham"), "expected a list"),
    ],
)
def test_items_are_validated_one_by_one_with_their_place(guide, reports, code, path, words):
    result = score(guide, [_sub("noi-vu", reports), _sub("tai-chinh", [])])
    assert [u.unit_id for u in result.units] == ["tai-chinh"]  # the others are scored
    (rejected,) = result.rejected
    (issue,) = rejected.issues
    assert (issue.code, issue.path) == (code, path)
    assert words in issue.message


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (("value: so_ngay", "value: ten"), "input-type"),
        (("of: bao_cao_cham", "of: ty_le"), "unknown-input"),
        (("    items:\n", "    itemz:\n"), "unknown-field"),
        (("  ty_le: {type: percent,", "  ty_le: {type: percent, items: {}, "), "invalid-value"),
    ],
)
def test_broken_list_declarations(change: tuple[str, str], code: str) -> None:
    text = GUIDE.read_text(encoding="utf-8").replace(*change)
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text.encode(), name="g.yaml")
    assert code in {i.code for i in caught.value.issues}


def test_a_workbook_cannot_hold_a_list_yet(guide) -> None:
    with pytest.raises(OutputError) as caught:
        template_workbook(guide)
    assert caught.value.issues[0].code == "excel-list-input"
    from_cell = Submission(
        unit_id="noi-vu",
        name="Sở Nội vụ",
        values={"ty_le": 100, "bao_cao_cham": "Báo cáo A: 7 ngày"},
        cells={"bao_cao_cham": "Đơn vị!C5"},
    )
    (rejected,) = score(guide, [from_cell]).rejected
    assert rejected.issues[0].code == "excel-list-input"
