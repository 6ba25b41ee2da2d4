"""Hostile and clumsy inputs of issue 19 that concern submission files."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules import load_submissions
from emulation_rules._support.yaml import Positions, YamlDocument
from emulation_rules.inputs import submissions


class _CountingDict(dict):  # type: ignore[type-arg]
    passes = 0

    def items(self):  # type: ignore[override]
        _CountingDict.passes += 1
        return super().items()


def _file(tmp_path: Path, units: int) -> Path:
    lines = ["ruleset: vi-du", 'ruleset_version: "1"', "units:"]
    for index in range(units):
        lines += [
            f"  - unit_id: u{index}",
            f"    name: Đơn vị {index}",
            "    values: {a: 1, b: 2}",
            "    evidence: {a: [cv]}",
        ]
    path = tmp_path / "s.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_positions_are_indexed_once_per_file_not_once_per_unit(tmp_path, monkeypatch):
    # each unit used to scan every position of the file: 20,000 units did not finish in 300 s
    read = submissions.read_submission_document

    def counting(source):
        document, issues = read(source)
        assert document is not None
        values = _CountingDict(document.positions.values)
        positions = Positions(values=values, keys=document.positions.keys)
        return YamlDocument(document.data, positions, document.dropped), issues

    monkeypatch.setattr(submissions, "read_submission_document", counting)
    _CountingDict.passes = 0
    batch = load_submissions([_file(tmp_path, 200)])
    assert len(batch.submissions) == 200
    assert _CountingDict.passes <= 1
    located = batch.submissions[150].locations
    assert located["a"] == (606, 17)
    assert located["evidence.a"] == (607, 19)


@pytest.mark.parametrize("units", [1, 3])
def test_locations_name_each_units_own_lines(tmp_path, units):
    batch = load_submissions([_file(tmp_path, units)])
    for index, sub in enumerate(batch.submissions):
        assert sub.locations["a"][0] == 4 + 4 * index + 2
        assert sub.locations["@unit"][0] == 4 + 4 * index


GUIDE = "rulesets/tinh-mau-stnmt-2022.yaml"


def _one_unit(tmp_path: Path, name_yaml: str, suffix: str = ".yaml") -> Path:
    from emulation_rules import load_submissions as load

    sample = load(["examples/tinh-mau-stnmt-2022/submissions.yaml"]).submissions[0]
    path = tmp_path / f"s{suffix}"
    if suffix == ".json":
        import json

        values = {
            k: str(v) if not isinstance(v, bool | int) else v for k, v in sample.values.items()
        }
        body = {
            "ruleset": sample.ruleset,
            "ruleset_version": sample.ruleset_version,
            "units": [{"unit_id": "u1", "name": "__NAME__", "values": values}],
        }
        path.write_text(json.dumps(body).replace('"__NAME__"', name_yaml), encoding="utf-8")
    else:
        import yaml

        values = yaml.safe_dump(
            {k: str(v) if not isinstance(v, bool | int) else v for k, v in sample.values.items()},
            allow_unicode=True,
        )
        indented = "\n".join("      " + line for line in values.splitlines())
        path.write_text(
            f"ruleset: {sample.ruleset}\nruleset_version: '{sample.ruleset_version}'\n"
            f"units:\n  - unit_id: u1\n    name: {name_yaml}\n    values:\n{indented}\n",
            encoding="utf-8",
        )
    return path


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ('"Đơn vị A\\e[2J"', ".yaml"),
        ('"Đơn vị A\\n   9  gia-mao  Đơn vị giả mạo"', ".yaml"),
        ('"Đơn vị A\\u001b[2J"', ".json"),
        ('"Đơn vị A\\nB"', ".json"),
    ],
)
def test_control_characters_decoded_from_escapes_reject_the_unit(tmp_path, name, suffix):
    batch = load_submissions([_one_unit(tmp_path, name, suffix)])
    assert not batch.submissions
    codes = [i.code for r in batch.rejected for i in r.issues] + [i.code for i in batch.issues]
    assert codes == ["control-char"]


def test_a_plain_name_is_still_accepted(tmp_path):
    batch = load_submissions([_one_unit(tmp_path, '"Đơn vị A"')])
    assert [s.name for s in batch.submissions] == ["Đơn vị A"]


def test_a_control_character_in_a_guide_value_is_located(tmp_path):
    from emulation_rules._support.yaml import parse_yaml

    _, issues = parse_yaml('id: g\ntitle: "Bảng\\x1b[31m đỏ"\nnotes: "dòng 1\\ndòng 2"\n', "g.yaml")
    assert [(i.code, i.line, i.column) for i in issues] == [("control-char", 2, 8)]
    assert "U+001B" in issues[0].message
