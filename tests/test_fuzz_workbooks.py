"""Fuzzing filled workbooks (issue 19), with time and memory bounds.

A real filled template (the Tiền Giang guide, its five example units) is mutated two ways:
bytes of the ``.xlsx`` file itself (the zip container), and bytes of the unit sheet's XML
re-packed into a valid zip (what a tool that writes a broken sheet produces). Whatever comes
out, reading it gives a :class:`SubmissionBatch` (units, rejected units, located issues) or an
:class:`EmulationRulesError`, never another exception, within a time and a memory bound.
"""

from __future__ import annotations

import importlib.util
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("openpyxl")

from emulation_rules import EmulationRulesError, SubmissionBatch, load_ruleset
from emulation_rules.inputs.excel import read_workbook, write_template

ROOT = Path(__file__).resolve().parent.parent
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=40 * SCALE,
    deadline=None,
    derandomize=SCALE == 1,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECONDS = 20.0
MEBIBYTES = 300


def _test_excel() -> Any:
    spec = importlib.util.spec_from_file_location("_fuzz_excel", ROOT / "tests" / "test_excel.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Material(bytes):
    """The filled workbook's bytes, with a short repr for hypothesis' failure reports."""

    def __repr__(self) -> str:
        return f"<filled workbook, {len(self)} bytes>"


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("wb")
    template = folder / "mau.xlsx"
    write_template(load_ruleset(ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml"), template)
    subs = ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"
    path = _test_excel().fill_from_yaml(template, subs, folder / "filled.xlsx")
    batch = read_workbook(path)
    assert len(batch.submissions) == 5  # the material itself reads whole
    return Material(path.read_bytes())


def _read(data: bytes, tmp_path: Path, bounded: Any) -> SubmissionBatch | EmulationRulesError:
    path = tmp_path / "fuzzed.xlsx"
    path.write_bytes(data)
    with bounded(SECONDS, MEBIBYTES):
        try:
            return read_workbook(path)
        except EmulationRulesError as error:
            return error


def _ok(outcome: SubmissionBatch | EmulationRulesError) -> None:
    if isinstance(outcome, EmulationRulesError):
        assert outcome.issues
        assert all(issue.code for issue in outcome.issues)
    else:
        assert isinstance(outcome, SubmissionBatch)
        for rejected in outcome.rejected:
            assert rejected.issues


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=6)
)
def test_mutated_xlsx_bytes_read_to_documented_outcomes(filled, tmp_path_factory, bounded, flips):
    data = bytearray(filled)
    for at, value in flips:
        data[at % len(data)] = value
    _ok(_read(bytes(data), tmp_path_factory.mktemp("f"), bounded))


def _sheet_name(archive: zipfile.ZipFile) -> str:
    names = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    return names[2] if len(names) > 2 else names[-1]  # the units sheet ('Đơn vị')


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 10**9),
            st.sampled_from(
                [b"<", b">", b'"', b"9" * 30, b"", b"\x00", b"&#0;", b'<c r="XFD1048576"/>']
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_sheet_xml_reads_to_documented_outcomes(filled, tmp_path_factory, bounded, edits):
    source = zipfile.ZipFile(io.BytesIO(filled))
    target = _sheet_name(source)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == target:
                body = bytearray(body)
                for at, insert in edits:
                    index = at % len(body)
                    body[index : index + 1] = insert
                body = bytes(body)
            archive.writestr(info.filename, body)
    _ok(_read(out.getvalue(), tmp_path_factory.mktemp("x"), bounded))
