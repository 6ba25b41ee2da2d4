"""`score --stream` as a real process: signals, a killed worker, resume, --jobs limits.

Each test starts ``python -m emulation_rules score ... --stream`` on a generated input large
enough to run for several seconds, acts on it while it runs, and checks what a user relies on:
the exit code, no traceback, no worker left behind, and an output of whole clusters ending with
the ``stream_end`` marker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulation_rules._support.yaml import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "rulesets/tiengiang-stnmt-2022.yaml"
SUBS = ROOT / "examples/tiengiang-2022/submissions.yaml"
#: Clusters of 5 units: about 10 s of work on one core, far longer than a test waits.
CLUSTERS = 4000
CPUS = len(os.sched_getaffinity(0))

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _write_input(path: Path, clusters: int = CLUSTERS) -> list[str]:
    document, _ = parse_yaml(SUBS.read_text(encoding="utf-8"), str(SUBS))
    lines = []
    for index in range(clusters):
        for unit in document.data["units"]:
            data = {**unit, "unit_id": f"{unit['unit_id']}-{index}", "cluster": f"c{index}"}
            lines.append(json.dumps(data, ensure_ascii=False, default=str))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return lines


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("stream") / "in.jsonl"
    return path, _write_input(path)


def _start(input_path: Path, out: Path, *extra: str, jobs: int = 2) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "emulation_rules", "score", str(GUIDE), str(input_path)]
    command += ["--stream", "--jobs", str(jobs), *extra]
    with out.open("ab") as stdout:
        return subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found.update(int(p) for p in text.split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_for_output(proc: subprocess.Popen[bytes], out: Path, lines: int) -> set[int]:
    """Wait until ``lines`` lines are written; return the worker pids seen meanwhile."""
    workers: set[int] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        workers |= _children(proc.pid)
        if out.exists() and out.read_bytes().count(b"\n") >= lines:
            return workers | _children(proc.pid)
        time.sleep(0.05)
    pytest.fail("no output in 30 s")


def _check_whole(out: Path, input_lines: list[str]) -> tuple[list[dict[str, object]], dict]:
    """Every line is JSON, the last is the marker, the units form whole clusters in order."""
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n")
    rows = [json.loads(line) for line in text.splitlines()]
    end = rows[-1]["stream_end"]
    units = rows[:-1]
    assert all("stream_end" not in row for row in units)
    assert end["units"] == len(units)
    expected = [json.loads(line)["unit_id"] for line in input_lines[: len(units)]]
    assert [u["unit_id"] for u in units] == expected
    assert len(units) % 5 == 0, "the output ends inside a cluster"
    assert end["resume_after_line"] == len(units)
    return units, end


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_at_a_cluster_boundary(tmp_path, big_input, signum, code):
    input_path, input_lines = big_input
    out = tmp_path / "out.jsonl"
    proc = _start(input_path, out)
    workers = _wait_for_output(proc, out, 200)
    assert len(workers) == 2
    sent = time.monotonic()
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=10)
    elapsed = time.monotonic() - sent
    assert proc.returncode == code
    assert elapsed < 2, elapsed
    message = stderr.decode()
    assert "Traceback" not in message
    assert f"Đã dừng theo yêu cầu ({signal.Signals(signum).name})" in message
    assert not [pid for pid in workers if _alive(pid)]
    units, end = _check_whole(out, input_lines)
    assert end["complete"] is False
    assert end["reason"] == signal.Signals(signum).name
    assert 200 <= len(units) < len(input_lines)


def test_ctrl_c_to_the_whole_group_with_one_job(tmp_path, big_input):
    """Ctrl-C in a terminal reaches every process of the group; --jobs 1 scores in-process."""
    input_path, input_lines = big_input
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "emulation_rules", "score", str(GUIDE), str(input_path)]
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [*command, "--stream", "--jobs", "1"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    _wait_for_output(proc, out, 100)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=5)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.decode()
    _, end = _check_whole(out, input_lines)
    assert end["complete"] is False


def test_ctrl_c_to_the_whole_group_reaches_workers_that_ignore_it(tmp_path, big_input):
    input_path, input_lines = big_input
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "emulation_rules", "score", str(GUIDE), str(input_path)]
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [*command, "--stream", "--jobs", "2"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    workers = _wait_for_output(proc, out, 100)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the parent and the workers get it
    _, stderr = proc.communicate(timeout=5)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.decode()
    assert "UnpicklingError" not in stderr.decode()
    assert not [pid for pid in workers if _alive(pid)]
    _check_whole(out, input_lines)


def test_interrupted_then_resumed_equals_one_run(tmp_path):
    input_path = tmp_path / "in.jsonl"
    input_lines = _write_input(input_path, clusters=1200)
    out = tmp_path / "out.jsonl"
    proc = _start(input_path, out)
    _wait_for_output(proc, out, 300)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    assert proc.returncode == 130
    units, _ = _check_whole(out, input_lines)
    assert len(units) < len(input_lines)
    resumed = _start(input_path, out, "--resume", str(out))
    _, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr.decode()
    whole = tmp_path / "whole.jsonl"
    one = _start(input_path, whole)
    one.communicate(timeout=60)
    assert one.returncode == 0
    assert out.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")
    end = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["stream_end"]
    assert end == {
        "complete": True,
        "input_lines": len(input_lines),
        "reason": None,
        "resume_after_line": len(input_lines),
        "units": len(input_lines),
    }
    again = _start(input_path, out, "--resume", str(out))  # nothing left: exit 0, no change
    _, stderr = again.communicate(timeout=30)
    assert again.returncode == 0
    assert "đã xong" in stderr.decode()
    assert out.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")


def test_resume_needs_the_marker(tmp_path):
    input_path = tmp_path / "in.jsonl"
    input_lines = _write_input(input_path, clusters=2)
    out = tmp_path / "out.jsonl"
    out.write_text(input_lines[0] + "\n", encoding="utf-8")
    proc = _start(input_path, out, "--resume", str(out))
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "stream-resume" in stderr.decode()
    assert out.read_text(encoding="utf-8") == input_lines[0] + "\n"  # left as it was


def test_a_killed_worker_fails_the_run_and_names_the_lost_lines(tmp_path, big_input):
    input_path, input_lines = big_input
    out = tmp_path / "out.jsonl"
    proc = _start(input_path, out)
    workers = _wait_for_output(proc, out, 200)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=10)
    message = stderr.decode()
    assert proc.returncode == 1, message
    assert "Traceback" not in message
    assert "stream-worker-lost" in message
    assert f"tiến trình chấm {victim}" in message
    assert "SIGKILL" in message
    assert "dòng" in message
    assert not [pid for pid in workers if _alive(pid)]
    units, end = _check_whole(out, input_lines)
    assert end["complete"] is False
    assert end["reason"] == "worker-lost"
    assert 200 <= len(units) < len(input_lines)
    assert f"đến hết dòng {end['resume_after_line']:,}".replace(",", ".") in message


def _run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "emulation_rules", "score", str(GUIDE), *args]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize("jobs", ["0", "-3"])
def test_jobs_below_one_is_a_usage_error(jobs):
    result = _run("-", "--stream", "--jobs", jobs)
    assert result.returncode == 2
    assert b"--jobs" in result.stderr


def test_jobs_above_the_cpus_is_lowered(tmp_path):
    input_path = tmp_path / "in.jsonl"
    input_lines = _write_input(input_path, clusters=2)
    result = _run(str(input_path), "--stream", "--jobs", "10000")
    assert result.returncode == 0, result.stderr.decode()
    assert f"--jobs 10000 giảm xuống {CPUS}".encode() in result.stderr
    assert len(result.stdout.splitlines()) == len(input_lines) + 1


def test_an_input_without_units_is_an_error():
    result = _run("-", "--stream", stdin=b"\n  \n")
    assert result.returncode == 1
    assert b"empty-document" in result.stderr
    end = json.loads(result.stdout)["stream_end"]
    assert end == {
        "complete": True,
        "input_lines": 2,
        "reason": None,
        "resume_after_line": 2,
        "units": 0,
    }


def test_a_missing_input_leaves_the_output_to_resume_untouched(tmp_path):
    out = tmp_path / "out.jsonl"
    marker = {"stream_end": {"complete": False, "input_lines": 5, "reason": "SIGINT"}}
    marker["stream_end"] |= {"resume_after_line": 5, "units": 5}
    out.write_text(json.dumps(marker) + "\n", encoding="utf-8")
    result = _run(str(tmp_path / "nowhere.jsonl"), "--stream", "--resume", str(out))
    assert result.returncode == 1
    assert b"file-not-found" in result.stderr
    assert b"Traceback" not in result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == marker
