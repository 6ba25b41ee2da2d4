"""Embed emulation-rules for a large batch: stream submissions through the engine.

A province with many clusters sends its units' submissions as JSON Lines, one unit per line,
each line naming its cluster. This program makes such a batch on the fly (variations of the
five Tiền Giang example units, drawn at random, 5 units per cluster), streams it through the
engine in bounded memory (one cluster at a time, on several processes if asked) and reads the
results back line by line to summarise them. Nothing holds the whole batch in memory: not the
input, not the output.

Run from the repository root:

    .venv/bin/python examples/embed_stream.py --units 20000 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from emulation_rules import load_ruleset, load_submissions
from emulation_rules.stream import stream_score

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml"
EXAMPLE = ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"
CLUSTER_SIZE = 5


def plain(value: object) -> object:
    """A value as JSON: exact decimals and dates as their text (never a binary float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[attr-defined]
    return value


def hundredths(number: int) -> str:
    """``9550`` → ``"95.5"``: an exact decimal as text."""
    return format(Decimal(number).scaleb(-2).normalize(), "f")


def batch_lines(units: int, seed: int = 2022) -> Iterator[str]:
    """``units`` submission lines, generated lazily: the examples with varied rates and counts."""
    guide = load_ruleset(GUIDE)
    examples = load_submissions([EXAMPLE]).submissions
    rng = random.Random(seed)  # noqa: S311 - made-up data, reproducible
    for number in range(units):
        base = rng.choice(examples)
        cluster = f"cum-{number // CLUSTER_SIZE:05d}"
        values = {name: plain(value) for name, value in base.values.items()}
        # rates exact to the hundredth (never binary floats), and a few counts
        values["c1_ty_le_thu_gom"] = hundredths(rng.randint(9400, 10000))
        values["c2_ty_le_co_so_dat_chuan"] = hundredths(rng.randint(8800, 10000))
        values["a4_ty_le_cap_gcn_ho_gia_dinh"] = hundredths(rng.randint(9700, 10000))
        values["c51_so_bao_cao_tre_han"] = rng.randint(0, 3)
        values["a1_1_so_truong_hop"] = rng.choice((0, 0, 0, 1, 2))
        line = {
            "cluster": cluster,
            "ruleset": guide.id,
            "ruleset_version": guide.version,
            "unit_id": f"{base.unit_id}-{number:06d}",
            "name": f"{base.name} (cụm {number // CLUSTER_SIZE + 1})",
            "values": values,
            "evidence": {
                name: [item.note or item.document or "minh chứng"]
                for name, items in base.evidence.items()
                for item in items[:1]
            },
        }
        yield json.dumps(line, ensure_ascii=False) + "\n"


def summarise(results: Path) -> None:
    """Read the result lines one at a time: statuses, ranks, and the best total."""
    statuses: Counter[str] = Counter()
    firsts: Counter[str] = Counter()
    best: tuple[Decimal, str] = (Decimal(-1), "")
    with results.open(encoding="utf-8") as lines:
        for line in lines:
            unit = json.loads(line)
            statuses[unit["status"]] += 1
            if unit.get("rank") == 1:
                firsts[unit["unit_id"].rsplit("-", 1)[0]] += 1
            if unit.get("total") is not None:
                total = Decimal(unit["total"])  # decimals travel as strings: exact
                best = max(best, (total, unit["unit_id"]))
    print(f"statuses: {dict(statuses)}")
    print(f"first in their cluster: {dict(firsts.most_common())}")
    print(f"highest total: {best[1]} with {best[0]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        results = Path(directory) / "results.jsonl"
        started = time.perf_counter()
        with results.open("w", encoding="utf-8") as out:
            stats = stream_score(
                str(GUIDE), batch_lines(args.units), out, jobs=args.jobs, progress=sys.stderr
            )
        seconds = time.perf_counter() - started
        print(
            f"{stats.units} units in {stats.clusters} clusters scored in {seconds:.1f} s "
            f"({stats.units / seconds:,.0f} units/s), {stats.rejected} rejected"
        )
        summarise(results)


if __name__ == "__main__":
    main()
