"""The embedding examples in examples/ run and print what they promise."""

from __future__ import annotations

import subprocess
import sys


def _run(root, *argv: str) -> str:
    proc = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, check=False, cwd=root, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_embed_basic_loads_scores_and_explains(root):
    out = _run(root, "examples/embed_basic.py")
    lines = out.splitlines()
    assert lines[0].startswith("Bảng điểm chuẩn thi đua năm 2022")
    assert (
        " 1  tx-cai-lay         110.1 / 100  Phòng Tài nguyên và Môi trường thị xã Cai Lậy" in lines
    )
    assert "TOTAL: 79.45 / 100  (tổng điểm các tiêu chuẩn)" in out
    assert "C1 3 → 5, tổng 79.45 → 81.45" in out
    assert "number-format: " in out


def test_embed_stream_scores_a_batch(root):
    out = _run(root, "examples/embed_stream.py", "--units", "60", "--jobs", "2")
    assert out.startswith("60 units in 12 clusters scored in ")
    assert ", 0 rejected\n" in out
    assert "statuses: {'scored': 60}" in out
