"""Golden files: what the command line gives for every shipped example, byte for byte.

For each example (``examples/<name>/`` and its guide in ``rulesets/``), the JSON result with
the trace (``score --format json --trace``) and the audit record (``score --record``) are kept
in ``tests/golden/<name>.result.json`` and ``tests/golden/<name>.record.json``. The command is
run from the repository root with relative paths, so the record's ``source_name`` does not
depend on where the repository is checked out.

A change of behaviour shows here as a failing test. When the change is intended, refresh the
files and review their diff::

    make golden        # = EMULATION_RULES_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from emulation_rules import load_ruleset, load_submissions
from emulation_rules.inputs.reviews import load_reviews
from emulation_rules.inputs.submissions import load_cluster

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("EMULATION_RULES_UPDATE_GOLDEN") == "1"

#: The examples whose folder is not named after their guide.
GUIDE_OF = {
    "congan-cum347": "congan-cum347-2024",
    "hungyen-2021": "hungyen-cumkhoi-2021",
    "tiengiang-2022": "tiengiang-stnmt-2022",
}
#: The date reviews are applied as of, for the examples that ship reviews.
AS_OF = {"tiengiang-2022": "2022-12-31", "hungyen-2021": "2022-01-10"}


@dataclass(frozen=True)
class Example:
    """One shipped example: its folder name and the command line arguments that score it."""

    name: str
    args: tuple[str, ...]


def examples() -> list[Example]:
    """Every folder of ``examples/`` with a submissions file, with its guide and extra files."""
    out = []
    for folder in sorted(p.parent for p in (ROOT / "examples").glob("*/submissions.yaml")):
        name = folder.name
        rel = f"examples/{name}"
        args = [f"rulesets/{GUIDE_OF.get(name, name)}.yaml", f"{rel}/submissions.yaml"]
        if (folder / "cluster.yaml").exists():
            args += ["--cluster", f"{rel}/cluster.yaml"]
        if (folder / "reviews.yaml").exists():
            args += ["--reviews", f"{rel}/reviews.yaml", "--as-of", AS_OF[name]]
        out.append(Example(name, tuple(args)))
    return out


def load_example(name: str) -> tuple[Any, Any, Any, list[Any], date | None]:
    """A shipped example loaded in process: its guide, submissions, cluster facts, reviews and
    the date its reviews are applied as of (None and ``[]`` where it has none)."""
    folder = ROOT / "examples" / name
    compiled = load_ruleset(ROOT / "rulesets" / f"{GUIDE_OF.get(name, name)}.yaml")
    batch = load_submissions([folder / "submissions.yaml"])
    cluster = load_cluster(folder / "cluster.yaml") if (folder / "cluster.yaml").exists() else None
    reviews_file = folder / "reviews.yaml"
    reviews = list(load_reviews(reviews_file).reviews) if reviews_file.exists() else []
    as_of = date.fromisoformat(AS_OF[name]) if name in AS_OF else None
    return compiled, batch, cluster, reviews, as_of


def produce(example: Example, record: Path) -> dict[str, bytes]:
    """Score one example on the command line; the JSON result and the record, as bytes."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulation_rules",
            "score",
            *example.args,
            "--format",
            "json",
            "--trace",
            "--record",
            str(record),
        ],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"},
        check=False,
    )
    assert proc.returncode in {0, 1}, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return {
        f"{example.name}.result.json": proc.stdout,
        f"{example.name}.record.json": record.read_bytes(),
    }


def test_every_example_has_a_guide():
    names = [e.name for e in examples()]
    assert len(names) >= 8
    for example in examples():
        assert (ROOT / example.args[0]).is_file(), example
        assert (ROOT / example.args[1]).is_file(), example


@pytest.mark.slow
@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_golden(example, tmp_path):
    produced = produce(example, tmp_path / "record.json")
    for name, data in produced.items():
        path = GOLDEN / name
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            path.write_bytes(data)
            continue
        assert path.exists(), f"{path} is missing: run `make golden`"
        expected = path.read_bytes()
        # a relative path only: the record must not depend on the checkout's place
        assert str(ROOT).encode() not in data, name
        assert data == expected, f"{name} differs from the golden file (`make golden` if intended)"


def test_no_stale_golden_files():
    expected = {f"{e.name}.{kind}.json" for e in examples() for kind in ("result", "record")}
    present = {p.name for p in GOLDEN.glob("*.json")}
    assert present <= expected, present - expected
