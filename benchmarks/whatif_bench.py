"""What-if benchmark: time and candidates per answer on the police and Tiền Giang clusters.

For every unit not ranked first, ``whatif`` is asked for the rank above its own (and, for the
police guide, for the classification "Xuất sắc"); the script prints, per answer, the status,
the number of inputs changed, the candidates judged, how many of them needed the whole
cluster re-scored, and the seconds taken, then the totals. Run:

    .venv/bin/python benchmarks/whatif_bench.py [--budget 10]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from pathlib import Path

from emulation_rules import load_cluster, load_ruleset, load_submissions, score, whatif
from emulation_rules.inputs.reviews import load_reviews

ROOT = Path(__file__).resolve().parent.parent
CASES = (
    ("congan-cum347-2024", "congan-cum347", ("class:Xuất sắc",)),
    ("tiengiang-stnmt-2022", "tiengiang-2022", ()),
)


def main() -> None:
    """Run every case and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", default="10", help="seconds per answer (10)")
    budget = Decimal(parser.parse_args().budget)
    print(f"{'guide':22} {'unit':18} {'goal':16} {'status':12} inputs cands rescored seconds")
    for guide_id, folder, extra in CASES:
        guide = load_ruleset(ROOT / "rulesets" / f"{guide_id}.yaml")
        base = ROOT / "examples" / folder
        subs = load_submissions([base / "submissions.yaml"]).submissions
        cluster = load_cluster(base / "cluster.yaml") if (base / "cluster.yaml").exists() else None
        reviews = (
            load_reviews(base / "reviews.yaml").reviews if (base / "reviews.yaml").exists() else []
        )
        start = time.perf_counter()
        for _ in range(5):
            result = score(guide, subs, trace=False, cluster=cluster, reviews=reviews)
        per_score = (time.perf_counter() - start) / 5
        print(
            f"# {guide_id}: {len(guide.inputs)} inputs, {len(subs)} units, "
            f"one cluster scoring {per_score * 1000:.1f} ms"
        )
        total, count = 0.0, 0
        for unit in result.units:
            goals = [*extra]
            if unit.rank is not None and unit.rank > 1:
                goals.insert(0, f"rank:{unit.rank - 1}")
            for goal in goals:
                start = time.perf_counter()
                answer = whatif(
                    guide, subs, unit.unit_id, goal, cluster=cluster, reviews=reviews, budget=budget
                )
                seconds = time.perf_counter() - start
                total += seconds
                count += 1
                print(
                    f"{guide_id[:22]:22} {unit.unit_id:18} {goal[:16]:16} {answer.status:12} "
                    f"{len(answer.changes):6} {answer.evaluations:5} {answer.rescored:8} "
                    f"{seconds:7.2f}"
                )
        print(f"# {guide_id}: {count} answers, {total:.1f} s in all, {total / count:.2f} s each")


if __name__ == "__main__":
    main()
