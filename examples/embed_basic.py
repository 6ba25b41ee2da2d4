"""Embed emulation-rules: load a guide, score a cluster, explain one unit's points.

Run from the repository root:

    .venv/bin/python examples/embed_basic.py

Everything here is the public API: a guide is loaded and checked once (and can be reused by
many threads), submissions come from files (YAML, JSON or a filled Excel workbook) or are built
in code, and every number is an exact decimal with the trace of how it was reached.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from emulation_rules import (
    EmulationRulesError,
    Submission,
    TraceNode,
    evaluate,
    load_ruleset,
    load_submissions,
    score,
)

ROOT = Path(__file__).resolve().parent.parent


def show(value: Decimal | None) -> str:
    """An exact decimal as plain text: 110.10 stays 110.1, 100.0 is 100."""
    return "—" if value is None else format(value.normalize(), "f")


def explain(node: TraceNode, depth: int = 0, *, limit: int = 2) -> None:
    """Print a unit's trace: each criterion's value, maximum and rule, to ``limit`` levels."""
    maximum = "" if node.max is None else f" / {show(node.max)}"
    print(f"{'  ' * depth}{node.id}: {show(node.value)}{maximum}  ({node.rule})")
    for code, amount, note in node.adjustments:  # caps, forfeits, rounding: never hidden
        print(f"{'  ' * depth}  {code} {show(amount)}: {note}")
    if depth < limit:
        for child in node.children:
            explain(child, depth + 1, limit=limit)


def main() -> None:
    # 1. Load the guide: every problem of the file is reported at once, located.
    guide = load_ruleset(ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml")
    print(f"{guide.ruleset.title}\n{guide.id} {guide.version} {guide.digest[:23]}…\n")

    # 2. Score the cluster from its submission file; a wrong unit is rejected, not dropped.
    batch = load_submissions([ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"])
    result = score(guide, batch.submissions, rejected=batch.rejected, issues=batch.issues)
    for unit in result.units:
        total, maximum = show(unit.total), show(unit.max)
        print(f"{unit.rank or '-':>2}  {unit.unit_id:<16} {total:>7} / {maximum}  {unit.name}")
    for rejected in result.rejected:
        print(f"rejected: {rejected.unit_id}: {[i.code for i in rejected.issues]}")

    # 3. Explain one unit: where every point came from.
    print("\nGiải trình, Phòng TN&MT huyện Châu Thành:")
    unit = result.unit("h-chau-thanh")
    assert unit.trace is not None
    explain(unit.trace, limit=1)
    c1 = unit.trace.find("C1")
    assert c1 is not None
    print(f"  C1 đọc {dict(c1.inputs)}: {c1.rule} → {show(c1.value)}")

    # 4. A submission built in code, scored alone (no ranking); values are exact decimals.
    base = next(s for s in batch.submissions if s.unit_id == "h-chau-thanh")
    what_if = Submission(
        unit_id="h-chau-thanh-gia-dinh",
        name=base.name + " (giả định)",
        values={**base.values, "c1_ty_le_thu_gom": Decimal("98.5")},
    )
    after = evaluate(guide, what_if)
    print(
        f"\nNếu tỷ lệ thu gom của Châu Thành là 98.5%: C1 {show(unit.items['C1'])} → "
        f"{show(after.items['C1'])}, tổng {show(unit.total)} → {show(after.total)}"
    )

    # 5. Errors carry located issues with stable codes.
    try:
        wrong = Submission(unit_id="x", name="Đơn vị X", values={"c1_ty_le_thu_gom": "95,5"})
        evaluate(guide, wrong)
    except EmulationRulesError as error:
        print(f"\n{error.issues[0].code}: {error.issues[0].message}")


if __name__ == "__main__":
    main()
