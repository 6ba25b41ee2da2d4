"""``diff``: which units' results change between two versions of a guide, and which items cause it."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from emulation_rules import load_ruleset, load_submissions
from emulation_rules.authoring.diff import diff_guides
from emulation_rules.cli import run

ROOT = Path(__file__).resolve().parent.parent
TG = ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml"
SUBS = ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"
LINE_431 = "per_event: {count: c431_so_bai_viet_duoc_dang, points: 0.2, cap: 1}"


def variant(tmp_path: Path, cap: str, version: str = "2022.2") -> Path:
    text = TG.read_text(encoding="utf-8")
    assert text.count(LINE_431) == 1
    text = text.replace(LINE_431, LINE_431.replace("cap: 1}", f"cap: {cap}}}"))
    text = text.replace('version: "2022.1"', f'version: "{version}"', 1)
    path = tmp_path / f"tiengiang-{cap}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def submissions():
    return load_submissions([SUBS]).submissions


def test_one_bonus_cap_changed_names_exactly_the_units_and_items(tmp_path, submissions):
    # 4.3.1: 0.2 per published article, at most 1 → at most 0.6. Only Cai Lậy has more than
    # 3 articles (4: 0.8 → 0.6); Mỹ Tho has 2 (0.4) and Gò Công Đông 1 (0.2).
    old, new = load_ruleset(TG), load_ruleset(variant(tmp_path, "0.6"))
    found = diff_guides(old, new, submissions)
    assert found.old == ("tiengiang-stnmt-2022", "2022.1")
    assert found.new == ("tiengiang-stnmt-2022", "2022.2")
    assert [(r.id, r.change, r.fields) for r in found.rules] == [
        ("4.3.1", "changed", (("per_event.cap", "1", "0.6"),))
    ]
    (unit,) = found.units
    assert unit.unit_id == "tx-cai-lay"
    assert unit.fields == (("total", D("110.10"), D("109.90")),)
    assert unit.causes == ("4.3.1",)
    assert [(i.id, i.old, i.new) for i in unit.items] == [
        ("TC4", D("3.8"), D("3.6")),
        ("4.3", D("2.3"), D("2.1")),
        ("4.3.1", D("0.8"), D("0.6")),
    ]
    assert set(found.unchanged) == {"tp-my-tho", "h-go-cong-dong", "h-cai-be", "h-chau-thanh"}


def test_a_lower_cap_reaches_more_units_and_can_change_ranks(tmp_path, submissions):
    old, new = load_ruleset(TG), load_ruleset(variant(tmp_path, "0.3"))
    found = diff_guides(old, new, submissions)
    assert [u.unit_id for u in found.units] == ["tx-cai-lay", "tp-my-tho"]
    assert all(u.causes == ("4.3.1",) for u in found.units)
    my_tho = found.units[1]
    assert my_tho.fields == (("total", D("96.8"), D("96.7")),)


def test_identical_versions_change_nothing(submissions):
    guide = load_ruleset(TG)
    found = diff_guides(guide, guide, submissions)
    assert found.rules == ()
    assert found.units == ()
    assert len(found.unchanged) == 5


def test_diff_command_text_and_json(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    new = variant(tmp_path, "0.6")
    out, err = io.StringIO(), io.StringIO()
    code = run(["diff", str(TG), str(new), str(SUBS)], out, err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "So sánh tiengiang-stnmt-2022 2022.1 → tiengiang-stnmt-2022 2022.2 trên 5 đơn vị" in text
    assert "  4.3.1: Mức tối đa (mỗi trường hợp) đổi từ 1 xuống 0,6" in text
    assert "{" not in text.split("Đơn vị có")[0]  # rules in words, never a Python dict
    assert "Đơn vị có kết quả thay đổi: 1" in text
    assert "tx-cai-lay (Phòng Tài nguyên và Môi trường thị xã Cai Lậy): tổng 110,1 → 109,9" in text
    assert "      4.3.1: 0,8 → 0,6" in text
    assert "(kéo theo: TC4, 4.3)" in text
    out = io.StringIO()
    code = run(["diff", str(TG), str(new), str(SUBS), "--format", "json"], out, err)
    assert code == 0
    data = json.loads(out.getvalue())
    assert [u["unit_id"] for u in data["units"]] == ["tx-cai-lay"]
    assert data["units"][0]["changes"] == {"total": {"old": "110.1", "new": "109.9"}}
    assert data["units"][0]["causes"] == ["4.3.1"]


def _with(tmp_path: Path, old: str, new: str, name: str) -> Path:
    text = TG.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new).replace('version: "2022.1"', 'version: "2022.3"', 1))
    return path


def test_a_changed_band_is_said_in_words(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    text = TG.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("- {above: 98, points:"))
    points = line.split("points:")[1].split(",")[0].strip(" }")
    lowered = line.replace(f"points: {points}", f"points: {int(points) - 1}")
    changed = _with(tmp_path, line, lowered, "bands.yaml")
    out, err = io.StringIO(), io.StringIO()
    assert run(["diff", str(TG), str(changed), str(SUBS)], out, err) == 0, err.getvalue()
    words = out.getvalue()
    assert f"Mức 'trên 98' đổi từ {points} xuống {int(points) - 1} điểm" in words
    assert "{'" not in words


def test_a_new_required_input_says_why_units_are_rejected(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    text = TG.read_text(encoding="utf-8")
    anchor = "\ninputs:\n"
    assert text.count(anchor) == 1
    added = text.replace(
        anchor,
        anchor + "  so_moi_bat_buoc:\n    type: count\n    label: Số liệu mới bắt buộc\n"
        "    required: true\n",
    ).replace('version: "2022.1"', 'version: "2022.4"', 1)
    changed = tmp_path / "required.yaml"
    changed.write_text(added, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    run(["diff", str(TG), str(changed), str(SUBS)], out, err)
    words = out.getvalue()
    assert "trạng thái được chấm → bị từ chối" in words
    assert "bị từ chối ở phiên bản mới, vì:" in words
    assert "Số liệu mới bắt buộc" in words
    assert "điểm không đổi" not in words


def test_an_added_input_and_a_yes_no_field_are_said_in_words(tmp_path, root, monkeypatch):
    """Issue 15: no 'so_moi.label thêm: …' field dump, no raw true/false."""
    monkeypatch.chdir(root)
    text = TG.read_text(encoding="utf-8")
    anchor = "\ninputs:\n"
    evidence = "    places: 2\n    max: 100\n    evidence: true\n  a4_ty_le_cap_gcn_toan_dia_ban:"
    assert text.count(anchor) == 1
    assert text.count(evidence) == 1
    changed = tmp_path / "inputs.yaml"
    changed.write_text(
        text.replace(
            anchor,
            anchor
            + "  so_moi:\n    type: count\n    label: Số giải pháp mới\n    required: true\n",
        )
        .replace(evidence, evidence.replace("evidence: true", "evidence: false"))
        .replace('version: "2022.1"', 'version: "2022.5"', 1),
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    run(["diff", str(TG), str(changed), str(SUBS)], out, err)
    words = out.getvalue()
    assert "  inputs: Thêm chỉ tiêu nhập 'so_moi' (Số giải pháp mới), bắt buộc\n" in words
    assert (
        "  inputs: Chỉ tiêu nhập 'a4_ty_le_cap_gcn_ho_gia_dinh': cần minh chứng "
        "đổi từ có thành không\n"
    ) in words
    assert "so_moi." not in words
    assert not re.search(r"\b(true|false|None)\b", words)
    out = io.StringIO()
    run(["diff", "--lang", "en", str(TG), str(changed), str(SUBS)], out, io.StringIO())
    english = out.getvalue()
    assert "  inputs: New input 'so_moi' (Số giải pháp mới), required\n" in english
    assert (
        "Input 'a4_ty_le_cap_gcn_ho_gia_dinh': evidence required changed from yes to no" in english
    )
    assert "Units whose result changed: 5" in english
