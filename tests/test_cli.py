"""The command line: exit codes, formats, and no tracebacks."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from emulation_rules.cli import run

TG = "rulesets/tiengiang-stnmt-2022.yaml"
TG_SUBS = "examples/tiengiang-2022/submissions.yaml"


@pytest.fixture(autouse=True)
def _in_root(root, monkeypatch):
    monkeypatch.chdir(root)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_check_clean_guides():
    code, out, _ = cli("check", TG)
    assert code == 0
    assert out.strip().endswith(f"{TG}: hợp lệ")
    assert cli("check", "--lang", "en", TG)[1].strip().endswith(f"{TG}: ok")


def test_check_reports_every_issue_and_exits_1(tmp_path):
    guide = tmp_path / "g.yaml"
    guide.write_text(
        "format: emulation-rules/v1\nid: g\nversion: '1'\ntitle: T\nperiod: '2024'\n"
        "scale: 5\ncriteria:\n  - {id: A, title: A, maxx: 5}\n  - {id: B, title: B, max: -1}\n",
        encoding="utf-8",
    )
    code, out, _ = cli("check", str(guide))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        f"{guide}:8:23: unknown-field: trường 'maxx' không có trong định dạng (có phải là 'max'?)"
    )
    assert lines[1].startswith(f"{guide}:9:28: invalid-value:")
    assert lines[-1] == f"{guide}: 2 lỗi"


def test_check_json_format(tmp_path):
    code, out, _ = cli("check", TG, "--format", "json")
    assert code == 0
    [report] = json.loads(out)
    assert report["ok"] is True


def test_score_text_table():
    code, out, _ = cli("score", TG, TG_SUBS)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Bảng điểm chuẩn thi đua năm 2022")
    header = next(line for line in lines if line.startswith("Hạng"))
    assert "Tổng điểm" in header
    assert "   1  tx-cai-lay" in out


def test_score_json_has_the_documented_fields():
    code, out, _ = cli("score", TG, TG_SUBS, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data["ruleset"]) >= {"id", "version", "digest"}
    assert data["ruleset"]["digest"].startswith("sha256:")
    assert data["engine"]["version"]
    ranks = [u["rank"] for u in data["units"]]
    assert ranks == sorted(ranks)
    for unit in data["units"]:
        assert set(unit) >= {"unit_id", "name", "total", "max", "rank", "status", "items"}
        assert isinstance(unit["total"], str)  # decimals are JSON strings
        assert all(isinstance(v, str) for v in unit["items"].values())


def test_score_json_with_trace():
    code, out, _ = cli("score", TG, TG_SUBS, "--format", "json", "--trace")
    assert code == 0
    unit = json.loads(out)["units"][0]
    assert unit["trace"]["id"] == "TOTAL"
    assert unit["trace"]["value"] == unit["total"]


def test_score_with_a_rejected_unit_exits_1_and_still_prints(tmp_path):
    subs = tmp_path / "s.yaml"
    subs.write_text(
        "ruleset: tiengiang-stnmt-2022\nruleset_version: '2022.1'\nunits:\n"
        "  - {unit_id: x, name: X, values: {c1_ty_le_thu_gom: '95,5'}}\n",
        encoding="utf-8",
    )
    code, out, _ = cli("score", TG, TG_SUBS, str(subs))
    assert code == 1
    assert "Không chấm được (bài nộp sai): x" in out
    assert "   1  tx-cai-lay" in out


def test_bad_guide_exits_1_with_located_issue(tmp_path):
    guide = tmp_path / "g.yaml"
    guide.write_text("a: [1\n", encoding="utf-8")
    code, _, err = cli("score", str(guide), TG_SUBS)
    assert code == 1
    assert err.startswith(f"{guide}:2:1: yaml-syntax:")


@pytest.mark.parametrize(
    "argv", [[], ["bogus"], ["score", TG], ["check"], ["score", "--format", "xml", TG, TG_SUBS]]
)
def test_usage_errors_exit_2(argv):
    code, _, err = cli(*argv)
    assert code == 2
    assert "cách dùng" in err
    assert "usage" in cli(*argv, "--lang", "en")[2]


def test_schema_prints_the_guide_format():
    code, out, _ = cli("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "emulation-rules guide, formats v1 and v2"
    assert "criteria" in schema["properties"]


def test_version():
    code, out, _ = cli("--version")
    assert code == 0
    assert out.startswith("emulation-rules ")


def test_python_dash_m_entry_point(root):
    proc = subprocess.run(
        [sys.executable, "-m", "emulation_rules", "check", TG],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
