"""No input in the suite makes the command line print a traceback (issue 7).

Every broken submission fixture in ``tests/data/invalid/submissions/`` is scored with
``python -m emulation_rules score`` against the fixtures' guide (and in-process as JSON with
the trace, which is cheaper than another process per file), along with
submission files that must be bytes (UTF-16, NUL, invalid UTF-8, empty, missing) and broken
cluster files (``--cluster``). Each run must end with exit code 0 or 1 (a problem the user can
fix), never 3 (an internal error), and print no ``Traceback`` and no ``internal error``.
``tests/test_invalid_fixtures.py`` does the same for ``check`` on every broken guide.
"""

from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from emulation_rules.cli import run

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "data" / "invalid" / "submissions"
GUIDE = SUBMISSIONS / "_guide.yaml"

FIXTURES = sorted(
    p.name
    for p in SUBMISSIONS.iterdir()
    if p.suffix in (".yaml", ".json") and not p.name.startswith("_")
)

_VALID = """ruleset: kiem-thu-bai-nop
ruleset_version: "2025.1"
units:
  - unit_id: px-cai-be
    name: Phòng Tài nguyên và Môi trường huyện Cái Bè
    values: {co_bao_cao: true}
"""

#: Submission files that must be bytes, built in a temporary folder.
BYTES: dict[str, bytes | None] = {
    "utf16.yaml": _VALID.encode("utf-16"),
    "nul.yaml": _VALID.replace("Cái Bè", "Cái\x00Bè").encode("utf-8"),
    "invalid-utf8.yaml": _VALID.encode("utf-8").replace("Bè".encode(), b"B\xe8"),
    "windows-1258.json": b'{"ruleset": "kiem-thu-bai-nop", "units": [{"name": "\xd0\xf5n v\xec"}]}',
    "empty.yaml": b"",
    "only-comments.yaml": b"# nothing here\n",
    "bom-only.json": b"\xef\xbb\xbf",
    "deep.json": b"[" * 5000 + b"]" * 5000,
    "deep.yaml": b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "missing.yaml": None,  # not created: the file does not exist
}

#: Cluster files given with ``--cluster`` (with a valid submission).
CLUSTERS: dict[str, str] = {
    "not-a-mapping.yaml": "- members: 3\n",
    "unknown-field.yaml": "memebers: 3\n",
    "wrong-type.yaml": "members: ba\nmeeting: {attendees: -1}\n",
    "bad-votes.yaml": "votes: {co: {px-cai-be: nhiều}}\n",
    "yaml-syntax.yaml": "votes: {co: [\n",
    "bad-id.yaml": "next_year: {head: 'không hợp lệ'}\n",
    "empty.yaml": "",
    "missing.yaml": "",  # replaced by a path that does not exist
}


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulation_rules", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("cli-no-traceback")
    jobs: dict[str, list[str]] = {}
    for name in FIXTURES:
        jobs[f"text:{name}"] = ["score", str(GUIDE), str(SUBMISSIONS / name)]
    for name, data in BYTES.items():
        path = tmp / name
        if data is not None:
            path.write_bytes(data)
        jobs[f"bytes:{name}"] = ["score", str(GUIDE), str(path)]
    valid = tmp / "valid.yaml"
    valid.write_text(_VALID, encoding="utf-8")
    for name, text in CLUSTERS.items():
        path = tmp / f"cluster-{name}"
        if name != "missing.yaml":
            path.write_text(text, encoding="utf-8")
        jobs[f"cluster:{name}"] = ["score", str(GUIDE), str(valid), "--cluster", str(path)]
    jobs["several-files"] = ["score", str(GUIDE), *(str(SUBMISSIONS / n) for n in FIXTURES[:20])]
    with ThreadPoolExecutor(max_workers=2) as pool:  # a process per run; 2 cores
        done = pool.map(_run, jobs.values())
        return dict(zip(jobs, done, strict=True))


CASES = (
    [f"text:{n}" for n in FIXTURES]
    + [f"bytes:{n}" for n in BYTES]
    + [f"cluster:{n}" for n in CLUSTERS]
    + ["several-files"]
)


def test_every_fixture_is_run():
    assert len(FIXTURES) > 50, FIXTURES


@pytest.mark.parametrize("case", CASES)
def test_score_ends_cleanly(case: str, runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = runs[case]
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    assert done.returncode in (0, 1), output
    if case.startswith(("bytes:", "cluster:")):
        assert done.returncode == 1, output  # each of these files is wrong


@pytest.mark.parametrize("name", FIXTURES)
def test_score_json_with_trace_ends_cleanly(name: str) -> None:
    """The JSON result with the trace, through the command line's own entry point."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(
        ["score", str(GUIDE), str(SUBMISSIONS / name), "--format", "json", "--trace"],
        stdout,
        stderr,
    )
    output = stdout.getvalue() + stderr.getvalue()
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    assert code in (0, 1), output


_HUGE_EXPONENT_GUIDE = """format: emulation-rules/v1
id: kiem-thu
version: "1"
title: Bảng điểm kiểm thử
period: "2025"
scale: 10
inputs:
  a: {type: decimal, label: Kết quả, required: true}
criteria:
  - {id: A, title: Mục A, max: 10, met: a > 1e1000000}
"""


@pytest.mark.parametrize("where", ["guide", "submission"])
def test_a_huge_exponent_is_reported_not_an_internal_error(where, tmp_path):
    if where == "guide":
        path = tmp_path / "huong-dan.yaml"
        path.write_text(_HUGE_EXPONENT_GUIDE, encoding="utf-8")
        done = _run(["check", str(path)])
    else:
        path = tmp_path / "bai-nop.yaml"
        path.write_text(
            _VALID.replace("{co_bao_cao: true}", "{co_bao_cao: true, ket_qua: 1e1000000}")
        )
        done = _run(["score", str(GUIDE), str(path)])
    output = done.stdout + done.stderr
    assert "internal error" not in output, output
    assert done.returncode == 1, output
