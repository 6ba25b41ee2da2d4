"""Issue 12: the guides, templates, examples and schemas shipped inside the package, by name."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

import emulation_rules
from emulation_rules import (
    RulesetLoadError,
    SubmissionError,
    find_example,
    find_guide,
    load_ruleset,
    load_submissions,
    score,
    shipped_examples,
    shipped_guides,
)
from emulation_rules.audit.records import build_record, parse_record, record_bytes, replay
from emulation_rules.authoring.scaffold import schema_line
from emulation_rules.cli import run
from emulation_rules.guide.shipped import schema_path

DATA = Path(emulation_rules.__file__).parent / "data"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------------------
# the data is in the package, and the repository paths still reach it


def test_the_repository_paths_are_links_into_the_package(root):
    assert (root / "rulesets").is_symlink()
    assert (root / "rulesets").resolve() == (DATA / "rulesets").resolve()
    assert (root / "docs/schema").resolve() == (DATA / "schema").resolve()
    for example in shipped_examples():
        link = root / "examples" / example.name
        assert link.is_symlink(), link
        assert link.resolve() == (DATA / "examples" / example.name).resolve()
    # the embedding programs stay in the repository, outside the package
    assert (root / "examples/embed_basic.py").is_file()
    assert not (DATA / "examples/embed_basic.py").exists()


def test_every_shipped_guide_is_listed_with_its_examples():
    guides = {g.name: g for g in shipped_guides()}
    files = {
        p.stem for p in (DATA / "rulesets").rglob("*.yaml") if not p.name.endswith(".tests.yaml")
    }
    assert set(guides) == files
    tg = guides["tiengiang-stnmt-2022"]
    assert (tg.id, tg.version, tg.template) == ("tiengiang-stnmt-2022", "2022.1", False)
    assert tg.title.startswith("Bảng điểm chuẩn thi đua năm 2022")
    assert tg.examples == ("tiengiang-2022",)
    assert guides["bo-tnmt-mau-2022"].template
    # every example belongs to a shipped guide
    owners = {e for g in guides.values() for e in g.examples}
    assert owners == {e.name for e in shipped_examples()}


def test_find_guide_and_example_by_name():
    guide = load_ruleset(find_guide("congan-cum347-2024").path)
    example = find_example("congan-cum347")
    assert example.guide == guide.id
    assert example.cluster is not None
    assert example.reviews is None
    batch = load_submissions([example.submissions])
    assert score(guide, batch.submissions).ok


def test_unknown_names_are_file_not_found_with_a_suggestion():
    with pytest.raises(RulesetLoadError) as caught:
        find_guide("tiengiang-stnmt-2021")
    (issue,) = caught.value.issues
    assert issue.code == "file-not-found"
    assert issue.hint == "did you mean 'tiengiang-stnmt-2022'?"
    with pytest.raises(SubmissionError) as missing:
        find_example("tiengiang")
    assert missing.value.issues[0].code == "file-not-found"
    assert missing.value.issues[0].hint == "did you mean 'tiengiang-2022'?"


def test_schema_files_are_the_published_ones(root):
    for what in ("ruleset", "result", "audit", "guide-tests"):
        path = schema_path(what)  # type: ignore[arg-type]
        assert path.is_file(), path
        assert json.loads(path.read_text(encoding="utf-8"))
    line = schema_line("ruleset")
    assert line.startswith("# yaml-language-server: $schema=file://")
    assert line.strip().endswith("/schema/ruleset-v1.json")


# --------------------------------------------------------------------------------------------
# the command line


def test_guides_command_lists_names_versions_titles_examples():
    code, out, _ = cli("guides")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header[:2] == ["Tên", "Phiên"]
    assert "Tiêu đề" in out.splitlines()[0]
    assert "Ví dụ" in out.splitlines()[0]
    row = next(line for line in out.splitlines() if line.startswith("tiengiang-stnmt-2022 "))
    assert "2022.1" in row
    assert "tiengiang-2022" in row
    assert "extends: bo-tnmt-mau-2022" in out
    code, out, _ = cli("guides", "--format", "json")
    data = {g["name"]: g for g in json.loads(out)}
    assert data["bo-tnmt-mau-2022"]["template"] is True
    assert Path(data["tiengiang-stnmt-2022"]["path"]).is_file()


def test_score_by_names_equals_score_by_paths(root, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # nowhere near the repository's files
    by_name = cli(
        "score",
        "congan-cum347-2024",
        "congan-cum347",
        "--cluster",
        "congan-cum347",
        "--format",
        "json",
    )
    by_path = cli(
        "score",
        str(root / "rulesets/congan-cum347-2024.yaml"),
        str(root / "examples/congan-cum347/submissions.yaml"),
        "--cluster",
        str(root / "examples/congan-cum347/cluster.yaml"),
        "--format",
        "json",
    )
    assert by_name[0] == 0, by_name[2]
    assert json.loads(by_name[1]) == json.loads(by_path[1])
    code, _, err = cli(
        "score", "tiengiang-stnmt-2022", "tiengiang-2022", "--reviews", "tiengiang-2022"
    )
    assert code == 0, err


def test_every_command_takes_a_guide_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("check", "tinh-mau-stnmt-2022")[0] == 0
    code, out, _ = cli("test", "bo-tnmt-mau-2022")
    assert code == 0
    assert "0 sai" in out
    assert cli("explain", "tiengiang-stnmt-2022", "tiengiang-2022", "--unit", "tx-cai-lay")[0] == 0
    assert cli("schema", "submission", "tiengiang-stnmt-2022")[0] == 0
    code, out, _ = cli("diff", "tiengiang-stnmt-2022", "tiengiang-stnmt-2022", "tiengiang-2022")
    assert code == 0


def test_a_file_that_exists_wins_over_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiengiang-stnmt-2022").write_text("format: nope\n", encoding="utf-8")
    code, out, _ = cli("check", "tiengiang-stnmt-2022")
    assert code == 1
    assert out.startswith("tiengiang-stnmt-2022:")  # the local file, not the shipped guide
    (tmp_path / "tiengiang-2022").write_text("units: 3\n", encoding="utf-8")
    code, _, err = cli("score", "bo-tnmt-mau-2022", "tiengiang-2022")
    assert code == 1
    assert "tiengiang-2022" in err


def test_an_unknown_name_is_file_not_found_with_did_you_mean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("check", "tiengiang-stnmt", "tinh-mau-stnmt-2022")
    assert code == 1
    assert (
        "tiengiang-stnmt: file-not-found: no file and no shipped guide is named "
        "'tiengiang-stnmt' (có phải là 'tiengiang-stnmt-2022'?)"
    ) in out
    assert "tinh-mau-stnmt-2022.yaml: hợp lệ" in out  # the other guides are still checked
    code, _, err = cli("score", "tiengiang-stnmt-2022", "tien-giang-2022")
    assert code == 1
    assert "file-not-found" in err
    assert "có phải là 'tiengiang-2022'?" in err
    code, _, err = cli("score", "tinh-mau-stnmt-2022", "tinh-mau-stnmt-2022", "--cluster", "x")
    assert code == 1
    assert "file-not-found" in err
    code, _, err = cli(
        "score", "tinh-mau-stnmt-2022", "tinh-mau-stnmt-2022", "--cluster", "tinh-mau-stnmt-2022"
    )
    assert code == 1
    assert "the shipped example 'tinh-mau-stnmt-2022' has no cluster file" in err
    # a path (not a bare name) keeps the loader's own message
    code, out, _ = cli("check", "nowhere/guide.yaml")
    assert code == 1
    assert "nowhere/guide.yaml: file-not-found: không đọc được tệp" in out


def test_version():
    assert cli("--version") == (0, f"emulation-rules {emulation_rules.__version__}\n", "")


# --------------------------------------------------------------------------------------------
# extends: a shipped template by name


def _child(folder: Path, base: str = "bo-tnmt-mau-2022") -> Path:
    """The shipped 'tỉnh Mẫu' guide, copied elsewhere, extending ``base``."""
    text = find_guide("tinh-mau-stnmt-2022").path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^extends: .*$", f"extends: {base}", text)
    path = folder / "guide.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_guide_anywhere_extends_a_shipped_template_by_name(tmp_path):
    guide = load_ruleset(_child(tmp_path))
    assert [ident for ident, _ in guide.layers] == ["bo-tnmt-mau-2022", "tinh-mau-stnmt-2022"]
    assert Path(guide.layers[0][1]).resolve() == find_guide("bo-tnmt-mau-2022").path.resolve()
    shipped = load_ruleset(find_guide("tinh-mau-stnmt-2022").path)  # its base by a relative path
    assert guide.digest == shipped.digest


def test_a_relative_file_wins_over_a_template_name(tmp_path):
    (tmp_path / "bo-tnmt-mau-2022").write_text(
        find_guide("bo-tnmt-mau-2022")
        .path.read_text(encoding="utf-8")
        .replace("title: Mẫu bảng điểm", "title: Bản sao địa phương của mẫu bảng điểm"),
        encoding="utf-8",
    )
    guide = load_ruleset(_child(tmp_path))
    assert guide.layers[0][1] == str(tmp_path / "bo-tnmt-mau-2022")


def test_a_missing_base_suggests_the_template_name(tmp_path):
    code, out, _ = cli("check", str(_child(tmp_path, "templates/bo-tnmt-mau-2022.yaml")))
    assert code == 1
    assert "extend-missing" in out
    assert "mẫu có sẵn được gọi bằng tên: có phải là 'bo-tnmt-mau-2022'?" in out
    _code, out, _ = cli(
        "check", "--lang", "en", str(_child(tmp_path, "templates/bo-tnmt-mau-2022.yaml"))
    )
    assert "a shipped template is named by its name alone: did you mean 'bo-tnmt-mau-2022'?" in out


def test_a_record_of_a_guide_on_a_shipped_template_replays_alone(tmp_path, monkeypatch):
    guide = load_ruleset(_child(tmp_path))
    batch = load_submissions([find_example("tinh-mau-stnmt-2022").submissions])
    result = score(guide, batch.submissions, rejected=batch.rejected)
    record = parse_record(record_bytes(build_record(guide, batch.submissions, result)))
    (base,) = record["ruleset"]["bases"]
    assert base["path"] == "bo-tnmt-mau-2022"  # where the name would be a file beside the guide
    assert base["text"] == find_guide("bo-tnmt-mau-2022").path.read_text(encoding="utf-8")
    # the replay reads the template from the record, not from the installed package
    from emulation_rules.guide import composition

    monkeypatch.setattr(composition, "shipped_base", lambda _target: None)
    assert replay(record).identical
