"""Guides that extend a base guide: merging, layers in traces and explain, located errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from emulation_rules import (
    RulesetError,
    Submission,
    check_ruleset,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules.cli import run
from emulation_rules.reports.explain import explain_dict, explain_unit, with_layers

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "rulesets" / "tinh-mau-stnmt-2022.yaml"
BASE = ROOT / "rulesets" / "templates" / "bo-tnmt-mau-2022.yaml"
EXAMPLE = ROOT / "examples" / "tinh-mau-stnmt-2022" / "submissions.yaml"

BASE_TEXT = """\
format: emulation-rules/v1
id: mau
version: "1"
title: Mẫu
period: "2024"
scale: 10
inputs:
  so_bao_cao_tre_han: {type: count, label: Số báo cáo trễ hạn, missing: 0}
  co_ke_hoach: {type: bool, label: Có kế hoạch, required: true}
criteria:
  - id: TC1
    title: Báo cáo
    max: 6
    children:
      - {id: "1.1", title: Mỗi báo cáo trễ trừ 1, kind: deduction,
         per_event: {count: so_bao_cao_tre_han, points: -1, cap: 3}}
  - id: TC2
    title: Kế hoạch
    max: 4
    met: co_ke_hoach
"""


def write(folder: Path, child: str, base: str = BASE_TEXT) -> Path:
    (folder / "mau.yaml").write_text(base, encoding="utf-8")
    path = folder / "tinh.yaml"
    path.write_text(child, encoding="utf-8")
    return path


CHILD_TEXT = """\
extends: mau.yaml
format: emulation-rules/v1
id: tinh
version: "2"
inputs:
  so_mo_hinh: {type: count, label: Số mô hình, missing: 0}
overrides:
  - {id: "1.1", per_event: {count: so_bao_cao_tre_han, points: -0.5, cap: 3}}
add:
  - parent: TC1
    criterion: {id: "1.2", title: Mô hình mới, kind: bonus, per_event: {count: so_mo_hinh, points: 1}}
"""


def test_the_child_scores_with_its_changes_and_records_the_layers(tmp_path):
    guide = load_ruleset(write(tmp_path, CHILD_TEXT))
    assert guide.id == "tinh"
    assert guide.version == "2"
    assert guide.ruleset.title == "Mẫu"  # inherited
    assert [layer for layer, _ in guide.layers] == ["mau", "tinh"]
    assert {i: guide.nodes[i].layer for i in ("TC1", "1.1", "1.2", "TC2")} == {
        "TC1": "mau",
        "1.1": "tinh",
        "1.2": "tinh",
        "TC2": "mau",
    }
    sub = Submission(
        unit_id="u",
        name="U",
        values={"so_bao_cao_tre_han": 2, "so_mo_hinh": 1, "co_ke_hoach": True},
    )
    (unit,) = score(guide, [sub]).units
    assert unit.items["1.1"] == -1  # 2 × −0.5 (the base said −1 each)
    assert unit.items["1.2"] == 1
    assert unit.total == 10
    assert unit.trace is not None
    layered = with_layers(unit.trace, guide)
    node = layered.find("1.1")
    assert node is not None
    assert node.layer == "tinh"
    text = explain_unit(unit, guide)
    assert "Các lớp: mau (" in text
    assert "→ tinh (" in text
    assert f"[lớp tinh, {tmp_path / 'tinh.yaml'}:" in text
    assert f"[lớp mau, {tmp_path / 'mau.yaml'}:" in text


def test_disable_removes_items_and_the_inputs_only_they_read(tmp_path):
    child = CHILD_TEXT + "disable: [TC2]\noverrides2: []\n"
    child = child.replace("overrides2: []\n", "")
    child = child.replace('version: "2"\n', 'version: "2"\nscale: 6\n')
    guide = load_ruleset(write(tmp_path, child))
    assert "TC2" not in guide.nodes
    assert "co_ke_hoach" not in guide.inputs  # only TC2 read it
    assert "so_bao_cao_tre_han" in guide.inputs


def test_errors_point_into_the_file_they_are_in(tmp_path):
    base = BASE_TEXT.replace("met: co_ke_hoach", "met: co_ke_hoachh")
    child = CHILD_TEXT.replace("kind: bonus,", "kind: bonus, when: so_mo_hinhh > 0,")
    path = write(tmp_path, child, base)
    issues = {(i.code, i.source, i.line, i.column) for i in check_ruleset(path)}
    assert ("unknown-input", str(tmp_path / "mau.yaml"), 20, 10) in issues
    assert ("expr-unknown-name", str(path), 11, 67) in issues


def test_unknown_ids_in_overrides_disable_and_add(tmp_path):
    child = (
        CHILD_TEXT.replace('id: "1.1", per_event', 'id: "1.3", per_event').replace(
            "parent: TC1", "parent: TC9"
        )
        + "disable: [TC3]\n"
    )
    path = write(tmp_path, child)
    found = sorted((i.code, i.line, i.column, i.hint) for i in check_ruleset(path))
    assert found == [
        ("unknown-criterion", 8, 10, "did you mean '1.1'?"),
        ("unknown-criterion", 10, 13, "did you mean 'TC2'?"),
        ("unknown-criterion", 12, 11, "did you mean 'TC2'?"),
    ]


def test_a_child_needs_its_own_id_and_may_not_give_criteria(tmp_path):
    child = CHILD_TEXT.replace("id: tinh\n", "") + "criteria: []\n"
    codes = [(i.code, i.message) for i in check_ruleset(write(tmp_path, child))]
    assert ("missing-field", "a guide that extends another needs its own 'id'") in codes
    assert any(code == "invalid-value" and "'criteria'" in message for code, message in codes)


def test_missing_base_and_cycles(tmp_path):
    path = tmp_path / "tinh.yaml"
    path.write_text(CHILD_TEXT.replace("mau.yaml", "khong-co.yaml"), encoding="utf-8")
    (issue,) = check_ruleset(path)
    assert (issue.code, issue.line, issue.column) == ("extend-missing", 1, 10)
    with pytest.raises(RulesetError):
        load_ruleset(path)
    write(tmp_path, CHILD_TEXT, "extends: tinh.yaml\n" + BASE_TEXT)
    (issue,) = check_ruleset(path)
    assert issue.code == "extend-cycle"
    assert issue.message.endswith(f"{path} → {tmp_path / 'mau.yaml'} → {path}")


def test_three_layers(tmp_path):
    write(tmp_path, CHILD_TEXT)
    (tmp_path / "huyen.yaml").write_text(
        "extends: tinh.yaml\nformat: emulation-rules/v1\nid: huyen\nversion: '3'\n"
        "overrides:\n  - {id: TC2, title: Kế hoạch của huyện}\n",
        encoding="utf-8",
    )
    guide = load_ruleset(tmp_path / "huyen.yaml")
    assert [layer for layer, _ in guide.layers] == ["mau", "tinh", "huyen"]
    assert guide.nodes["TC2"].layer == "huyen"
    assert guide.nodes["TC2"].title == "Kế hoạch của huyện"
    assert guide.nodes["1.2"].layer == "tinh"
    assert guide.nodes["TC1"].layer == "mau"


def test_the_shipped_child_and_its_explanation():
    guide = load_ruleset(CHILD)
    assert [layer for layer, _ in guide.layers] == ["bo-tnmt-mau-2022", "tinh-mau-stnmt-2022"]
    assert "b3" not in guide.nodes
    assert "b3_co_ke_hoach_kiem_tra" not in guide.inputs
    batch = load_submissions([EXAMPLE])
    result = score(guide, batch.submissions)
    unit = result.unit("huyen-a")
    data = explain_dict(unit, guide)
    layers = {}
    stack = [data["trace"]]
    while stack:
        node = stack.pop()
        layers[node["id"]] = node["layer"]
        stack.extend(node["children"])
    assert layers["4.2.1"] == "tinh-mau-stnmt-2022"
    assert layers["4.4"] == "tinh-mau-stnmt-2022"
    assert layers["4.2"] == "bo-tnmt-mau-2022"
    assert [layer["id"] for layer in data["layers"]] == [
        "bo-tnmt-mau-2022",
        "tinh-mau-stnmt-2022",
    ]
    assert Path(data["layers"][0]["source"]).resolve() == BASE.resolve()


def test_explain_command_shows_the_layers(root, monkeypatch):
    monkeypatch.chdir(root)
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "explain",
            "rulesets/tinh-mau-stnmt-2022.yaml",
            "examples/tinh-mau-stnmt-2022/submissions.yaml",
            "--unit",
            "huyen-a",
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "Tổng điểm 102,8 / 100 điểm" in text
    assert (
        "Các lớp: bo-tnmt-mau-2022 (rulesets/templates/bo-tnmt-mau-2022.yaml) → "
        "tinh-mau-stnmt-2022 (rulesets/tinh-mau-stnmt-2022.yaml)"
    ) in text
    line = next(x for x in text.splitlines() if x.strip().startswith("4.2.1 "))
    assert "= 0,6 điểm" in line
    assert "[lớp tinh-mau-stnmt-2022, rulesets/tinh-mau-stnmt-2022.yaml:" in line
    line = next(x for x in text.splitlines() if x.strip().startswith("a2 "))
    assert "[lớp bo-tnmt-mau-2022, rulesets/templates/bo-tnmt-mau-2022.yaml:160]" in line
    out = io.StringIO()
    code = run(
        [
            "explain",
            "rulesets/tinh-mau-stnmt-2022.yaml",
            "examples/tinh-mau-stnmt-2022/submissions.yaml",
            "--unit",
            "huyen-b",
            "--format",
            "json",
        ],
        out,
        err,
    )
    assert code == 0
    assert json.loads(out.getvalue())["total"] == "99.4"
    code = run(
        [
            "explain",
            "rulesets/tinh-mau-stnmt-2022.yaml",
            "examples/tinh-mau-stnmt-2022/submissions.yaml",
            "--unit",
            "khong-co",
        ],
        io.StringIO(),
        err,
    )
    assert code == 1
    assert "không có đơn vị 'khong-co'" in err.getvalue()
