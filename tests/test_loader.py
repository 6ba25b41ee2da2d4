"""Loading guides: every problem at once, each at its line and column, with suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules import (
    RulesetError,
    RulesetLoadError,
    RulesetSchemaError,
    check_ruleset,
    load_ruleset,
)

DATA = Path(__file__).parent / "data"


def test_a_broken_guide_reports_every_seeded_error_at_its_line():
    issues = check_ruleset(DATA / "broken-many.yaml")
    found = {(i.code, i.line) for i in issues if i.severity == "error"}
    # 'lable' is unknown; 'label' is missing (pydantic stops at the inputs, so the criteria
    # are checked in a second run below)
    assert ("unknown-field", 14) in found
    assert ("missing-field", 12) in found  # the input 'ty_le' that lacks its label


def test_semantic_errors_are_all_reported_with_lines(tmp_path):
    text = (DATA / "broken-many.yaml").read_text(encoding="utf-8")
    text = text.replace("    lable: Tỷ lệ\n", "    label: Tỷ lệ\n")
    guide = tmp_path / "broken.yaml"
    guide.write_text(text, encoding="utf-8")
    issues = check_ruleset(guide)
    found = sorted((i.code, i.line) for i in issues if i.severity == "error")
    assert found == [
        ("band-overlap", 44),  # the second of the overlapping bands
        ("construct-conflict", 25),
        ("duplicate-id", 26),
        ("expr-unknown-name", 36),
        ("missing-meaning", 9),
        ("sign", 32),
        ("sum-mismatch", 19),
    ]
    by_code = {i.code: i for i in issues}
    assert by_code["expr-unknown-name"].hint == "did you mean 'so_bao_cao_tre_han'?"
    assert by_code["expr-unknown-name"].column == 14
    assert "line 21" in by_code["duplicate-id"].message
    rendered = by_code["sign"].render()
    assert rendered.startswith(f"{guide}:32:")
    assert ": sign: bonus 'a3' has negative points" in rendered


def test_unknown_field_suggests_the_closest_field(tmp_path):
    guide = tmp_path / "g.yaml"
    guide.write_text(
        "format: emulation-rules/v1\nid: g\nversion: '1'\ntitle: T\nperiod: '2024'\nscale: 5\n"
        "criteria:\n  - id: A\n    title: A\n    maxx: 5\n",
        encoding="utf-8",
    )
    [issue] = [i for i in check_ruleset(guide) if i.code == "unknown-field"]
    assert (issue.line, issue.column) == (10, 5)
    assert issue.hint == "did you mean 'max'?"
    assert issue.path == ("criteria", 0, "maxx")


def test_load_errors_raise_the_load_error_class(tmp_path):
    guide = tmp_path / "g.yaml"
    guide.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(RulesetLoadError) as caught:
        load_ruleset(guide)
    assert caught.value.issues[0].code == "yaml-syntax"


def test_schema_errors_raise_the_schema_error_class(tmp_path):
    guide = tmp_path / "g.yaml"
    guide.write_text("format: emulation-rules/v1\nid: g\n", encoding="utf-8")
    with pytest.raises(RulesetSchemaError) as caught:
        load_ruleset(guide)
    missing = sorted(i.message for i in caught.value.issues if i.code == "missing-field")
    assert "the field 'criteria' is required" in missing
    assert isinstance(caught.value, RulesetError)


def test_unsupported_format_version(tmp_path):
    guide = tmp_path / "g.yaml"
    guide.write_text("format: emulation-rules/v9\nid: g\n", encoding="utf-8")
    [issue] = check_ruleset(guide)
    assert issue.code == "unsupported-format"
    assert "emulation-rules/v1" in issue.message


def test_missing_file():
    [issue] = check_ruleset(DATA / "does-not-exist.yaml")
    assert issue.code == "file-not-found"


def test_guide_from_bytes_and_error_message_lists_issues():
    with pytest.raises(RulesetError) as caught:
        load_ruleset(b"format: emulation-rules/v1\n", name="mem.yaml")
    text = str(caught.value)
    assert text.startswith("the guide mem.yaml cannot be loaded")
    assert "mem.yaml:1:1: missing-field" in text


def test_a_day_first_date_in_a_guide_names_its_iso_form():
    from emulation_rules import check_ruleset

    issues = check_ruleset(Path(__file__).parent / "data/invalid/guides/date-format-dmy.yaml")
    assert [(i.code, i.line) for i in issues] == [("date-format", 9)]
    assert "2025-01-01" in issues[0].message
    assert "day first" in issues[0].message
