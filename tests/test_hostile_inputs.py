"""Hostile and clumsy inputs of issue 19 that concern submission files."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules import submissions
from emulation_rules._yaml import Positions, YamlDocument


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
    batch = submissions.load_submissions([_file(tmp_path, 200)])
    assert len(batch.submissions) == 200
    assert _CountingDict.passes <= 1
    located = batch.submissions[150].locations
    assert located["a"] == (606, 17)
    assert located["evidence.a"] == (607, 19)


@pytest.mark.parametrize("units", [1, 3])
def test_locations_name_each_units_own_lines(tmp_path, units):
    batch = submissions.load_submissions([_file(tmp_path, units)])
    for index, sub in enumerate(batch.submissions):
        assert sub.locations["a"][0] == 4 + 4 * index + 2
        assert sub.locations["@unit"][0] == 4 + 4 * index
