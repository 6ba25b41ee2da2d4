"""Submissions: strict values, clear errors naming unit and field, other units still scored."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from emulation_rules import Submission, SubmissionError, evaluate, load_submissions, score

GUIDE = """
inputs:
  co_bao_cao: {type: bool, label: Có gửi báo cáo, required: true}
  so_ca: {type: count, label: Số trường hợp, missing: 0, max: 50}
  ty_le: {type: percent, label: Tỷ lệ thu gom, missing: 0, places: 2, max: 100}
  diem: {type: decimal, label: Điểm thẩm định, missing: 0, min: -5, max: 5}
  ngay: {type: date, label: Ngày ban hành kế hoạch, missing: not_applicable}
  muc: {type: enum, label: Hình thức kỷ luật, values: [khong, khien_trach], missing: khong}
  ghi_chu: {type: text, label: Ghi chú, missing: ""}
criteria:
  - id: A
    title: Báo cáo
    max: 10
    children:
      - {id: A.1, title: "Mỗi trường hợp trừ 0,5", kind: deduction, per_event: {count: so_ca, points: -0.5}}
      - {id: A.2, title: Tỷ lệ, kind: adjustment, formula: ty_le / 100 + diem}
      - {id: A.3, title: Không báo cáo, kind: deduction, points: -1, when: not co_bao_cao}
      - id: A.4
        title: Kỷ luật
        kind: deduction
        lookup: {of: muc, points: {khong: 0, khien_trach: -1}}
      - id: A.5
        title: Ban hành sau 31/1
        kind: deduction
        deadline: {date: ngay, due: 2024-01-31, late: -0.5}
      - {id: A.6, title: Ghi chú dài, kind: deduction, points: 0, when: ghi_chu == "x"}
"""


@pytest.fixture
def guide(make_guide):
    return make_guide(GUIDE, scale=10)


def problems(guide, **values):
    with pytest.raises(SubmissionError) as caught:
        evaluate(guide, Submission(unit_id="u", name="Đơn vị", values=values))
    return [(i.code, i.path[-1] if i.path else None) for i in caught.value.issues]


def test_typed_values_and_missing_meanings(guide, run_unit):
    unit = run_unit(
        guide, co_bao_cao=True, so_ca=2, ty_le="97.50", diem=D("-0.25"), ngay="2024-02-01"
    )
    assert unit.items["A.1"] == D("-1.0")
    assert unit.items["A.2"] == D("0.7250")
    assert unit.items["A.5"] == D("-0.5")
    assert unit.total == D("9.2250")
    assert unit.trace is not None
    node = unit.trace.find("A.5")
    assert node is not None
    assert node.inputs == (("ngay", date(2024, 2, 1)),)
    # a date that is not given: the deadline line does not apply
    assert run_unit(guide, co_bao_cao=True).not_applicable == ("A.5",)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("ty_le", "95,5", "number-format"),
        ("ty_le", "1.000", "number-format"),  # one thousand or one? ambiguous as text
        ("ty_le", "1,000", "number-format"),
        ("ty_le", "1.000,5", "number-format"),
        ("ty_le", "1 000", "number-format"),
        ("ty_le", "1_000", "number-format"),
        ("ty_le", "٩٥", "number-format"),
        ("ty_le", "９５", "number-format"),
        ("ty_le", " 95.5 ", "number-format"),
        ("ty_le", "+95.5", "number-format"),
        ("ty_le", ".5", "number-format"),
        ("ty_le", "5.", "number-format"),
        ("ty_le", "0x10", "number-format"),
        ("ty_le", "95.5%", "number-format"),
        ("ty_le", "NaN", "number-format"),
        ("ty_le", D("NaN"), "number-format"),
        ("ty_le", D("Infinity"), "number-format"),
        ("ty_le", 95.5, "value-type"),
        ("ty_le", D("95.555"), "number-places"),
        ("diem", D("1.23456789012"), "number-places"),  # no places declared: at most 10
        ("diem", "0.1234567890123456789012345678901", "number-places"),
        ("ty_le", D("100.01"), "out-of-range"),
        ("ty_le", D("1e400"), "out-of-range"),
        ("diem", -6, "out-of-range"),
        ("so_ca", -1, "out-of-range"),
        ("so_ca", D("3.5"), "value-type"),
        ("so_ca", D("3.0"), "value-type"),
        ("so_ca", "3.5", "value-type"),
        ("so_ca", True, "value-type"),
        ("so_ca", [1], "value-type"),
        ("so_ca", {"a": 1}, "value-type"),
        ("co_bao_cao", "yes", "value-type"),
        ("co_bao_cao", "có", "value-type"),
        ("co_bao_cao", 1, "value-type"),
        ("ngay", "2025-02-30", "date-format"),
        ("ngay", "31/01/2024", "date-format"),
        ("ngay", 20240131, "date-format"),
        ("muc", "canh_cao", "enum-value"),
        ("ghi_chu", "x" * 2001, "out-of-range"),
        ("ghi_chu", "a\u200bb", "invisible-char"),
        ("khong_co", 1, "unknown-field-value"),
    ],
)
def test_bad_values_are_refused_with_code_and_field(guide, field, value, code):
    values = {"co_bao_cao": True, field: value}
    assert (code, field) in problems(guide, **values)


def test_a_number_without_declared_places_has_at_most_ten(guide, run_unit):
    unit = run_unit(guide, co_bao_cao=True, diem=D("1.2345678901"))
    assert unit.items["A.2"] == D("1.2345678901")
    with pytest.raises(SubmissionError) as caught:
        evaluate(
            guide,
            Submission(
                unit_id="u", name="U", values={"co_bao_cao": True, "diem": D("0.12345678912")}
            ),
        )
    assert caught.value.issues[0].message == (
        "Điểm thẩm định: 0.12345678912 has more than 10 decimal places, the most a number may "
        "have; it is not rounded for you"
    )


def test_decimal_comma_message_shows_the_fix(guide):
    with pytest.raises(SubmissionError) as caught:
        evaluate(
            guide, Submission(unit_id="u", name="U", values={"co_bao_cao": True, "ty_le": "95,5"})
        )
    issue = caught.value.issues[0]
    assert issue.message == "Tỷ lệ thu gom: '95,5' uses a decimal comma; write 95.5"
    assert issue.unit_id == "u"
    assert issue.path == ("values", "ty_le")


def test_missing_required_value(guide):
    assert problems(guide) == [("missing-value", "co_bao_cao")]


def test_one_bad_unit_does_not_stop_the_others(guide):
    result = score(
        guide,
        [
            Submission(unit_id="a", name="A", values={"co_bao_cao": True, "so_ca": "2,5"}),
            Submission(unit_id="b", name="B", values={"co_bao_cao": True}),
            Submission(unit_id="c", name="C", values={"co_bao_cao": True, "so_ca": 3}),
        ],
    )
    assert [u.unit_id for u in result.units] == ["b", "c"]
    assert [r.unit_id for r in result.rejected] == ["a"]
    assert not result.ok


def test_duplicate_unit_ids_reject_every_copy(guide):
    result = score(
        guide,
        [
            Submission(unit_id="a", name="A", values={"co_bao_cao": True}),
            Submission(unit_id="A", name="A again", values={"co_bao_cao": True}),
            Submission(unit_id="b", name="B", values={"co_bao_cao": True}),
        ],
    )
    assert [u.unit_id for u in result.units] == ["b"]
    assert sorted(r.unit_id for r in result.rejected) == ["A", "a"]
    assert {r.issues[0].code for r in result.rejected} == {"duplicate-unit"}


def test_guide_id_and_version_must_match(guide):
    sub = Submission(
        unit_id="a",
        name="A",
        values={"co_bao_cao": True},
        ruleset="thu-nghiem",
        ruleset_version="0",
    )
    with pytest.raises(SubmissionError) as caught:
        evaluate(guide, sub)
    assert [i.code for i in caught.value.issues] == ["ruleset-mismatch"]
    assert evaluate(guide, sub, allow_version_mismatch=True).total == 10
    other = Submission(
        unit_id="a", name="A", values={"co_bao_cao": True}, ruleset="khac", ruleset_version="1"
    )
    with pytest.raises(SubmissionError):
        evaluate(guide, other)


def test_yaml_submission_file_errors_carry_line_and_unit(tmp_path, guide):
    path = tmp_path / "s.yaml"
    path.write_text(
        "ruleset: thu-nghiem\nruleset_version: '1'\nunits:\n"
        "  - unit_id: a\n    name: A\n    values: {co_bao_cao: true, ty_le: '95,5'}\n"
        "  - unit_id: b\n    name: B\n    values:\n      co_bao_cao: yes\n",
        encoding="utf-8",
    )
    batch = load_submissions([path])
    result = score(guide, batch.submissions, rejected=batch.rejected)
    rendered = {i.code: i.render() for r in result.rejected for i in r.issues}
    assert rendered["number-format"].startswith(f"{path}:6:39: number-format:")
    assert "[unit 'a', values.ty_le]" in rendered["number-format"]
    assert rendered["value-type"].startswith(f"{path}:10:19: value-type:")
    assert "(write true or false)" in rendered["value-type"]


def test_a_json_number_too_long_for_python_is_refused_with_its_unit(tmp_path, guide):
    path = tmp_path / "big.json"
    path.write_text(
        '{"ruleset": "thu-nghiem", "ruleset_version": "1", "units": ['
        '{"unit_id": "a", "name": "A", "values": {"co_bao_cao": true, "so_ca": '
        + "9"
        * 5000
        + "}},"
        '{"unit_id": "b", "name": "B", "values": {"co_bao_cao": true}}]}',
        encoding="utf-8",
    )
    batch = load_submissions([path])
    result = score(guide, batch.submissions, rejected=batch.rejected)
    assert [u.unit_id for u in result.units] == ["b"]
    [refused] = result.rejected
    assert refused.unit_id == "a"
    assert [i.code for i in refused.issues] == ["out-of-range"]


def test_json_submissions_are_exact_and_strict(tmp_path, guide):
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "ruleset": "thu-nghiem",
                "ruleset_version": "1",
                "units": [
                    {"unit_id": "a", "name": "A", "values": {"co_bao_cao": True, "ty_le": 12.34}}
                ],
            }
        ),
        encoding="utf-8",
    )
    batch = load_submissions([good])
    [sub] = batch.submissions
    assert sub.values["ty_le"] == D("12.34")
    assert not isinstance(sub.values["ty_le"], float)
    for name, text, code in [
        ("dup.json", '{"ruleset": "x", "ruleset": "y"}', "duplicate-key"),
        ("nan.json", '{"ruleset": NaN}', "number-format"),
        ("inf.json", '{"ruleset": -Infinity}', "number-format"),
        ("bad.json", '{"ruleset": ', "yaml-syntax"),
    ]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        issues = load_submissions([path]).issues
        assert [i.code for i in issues] == [code], name


def test_envelope_errors_are_file_issues(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("ruleset: x\nunits: []\n", encoding="utf-8")
    codes = sorted(i.code for i in load_submissions([path]).issues)
    assert codes == ["invalid-value", "missing-field"]


def test_unit_with_bad_identity_is_rejected_not_lost(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "ruleset: x\nruleset_version: '1'\nunits:\n  - unit_id: 'có dấu cách'\n    name: A\n",
        encoding="utf-8",
    )
    batch = load_submissions([path])
    [rejected] = batch.rejected
    assert rejected.unit_id == "có dấu cách"
    assert rejected.issues[0].code == "invalid-value"
    assert rejected.issues[0].line == 4


def test_unit_names_are_normalised_to_nfc():
    sub = Submission(unit_id="a", name="Ha\u0300 No\u0323\u0302i")
    assert sub.name == "Hà Nội"
    assert len(sub.name) == 6
