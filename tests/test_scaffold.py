"""``emulation-rules init``: the starter guide checks, scores and passes its own tests."""

from __future__ import annotations

import io

from emulation_rules import check_ruleset, load_ruleset, load_submissions, score
from emulation_rules.authoring.guidetests import coverage, load_suite, run_suite
from emulation_rules.authoring.scaffold import FILES
from emulation_rules.cli import run


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_init_writes_a_working_guide_tests_and_submission(tmp_path):
    folder = tmp_path / "cum-thi-dua"
    code, out, _ = cli("init", str(folder))
    assert code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    assert f"emulation-rules test {folder / 'huong-dan.tests.yaml'} --coverage" in out
    guide = folder / "huong-dan.yaml"
    assert check_ruleset(guide) == []  # no error and no warning
    compiled = load_ruleset(guide)
    batch = load_submissions([folder / "bai-nop.yaml"])
    result = score(compiled, batch.submissions, rejected=batch.rejected, issues=batch.issues)
    assert result.ok
    assert [u.unit_id for u in result.units] == ["phong-a", "phong-b"]
    assert all(i.severity != "error" for u in result.units for i in u.issues)
    suite = load_suite(folder / "huong-dan.tests.yaml")
    results = run_suite(suite)
    assert all(r.passed for r in results), [line for r in results for line in r.render(suite)]
    assert coverage(suite, [r.result for r in results if r.result]).complete
    # and the same through the command line
    assert cli("check", str(guide))[0] == 0
    assert cli("score", str(guide), str(folder / "bai-nop.yaml"))[0] == 0
    assert cli("test", str(guide), "--coverage")[0] == 0


def test_init_never_overwrites_without_force(tmp_path):
    assert cli("init", str(tmp_path))[0] == 0
    guide = tmp_path / "huong-dan.yaml"
    guide.write_text("# của tôi\n", encoding="utf-8")
    code, _, err = cli("init", str(tmp_path))
    assert code == 1
    assert "dùng --force để ghi đè" in err
    assert guide.read_text(encoding="utf-8") == "# của tôi\n"
    assert cli("init", str(tmp_path), "--force")[0] == 0
    assert "# Hướng dẫn chấm điểm thi đua mẫu" in guide.read_text(encoding="utf-8")
