"""The anchor workload of issue 8 and design.md §8, generated from fixed seeds.

A guide of 120 criteria in 6 groups of 20. In each group, shuffled with the guide seed:

- 5 boolean items: ``met: <bool input>``, ``max`` 1–5;
- 6 proportional items: ``proportional: {achieved, target}``, ``max`` 2–10
  (``min(max, max·achieved/target)``; targets are > 0);
- 5 step items on done/due: ``bands`` over ``percent(done, due)``:
  ≥ 95 → 10, ≥ 80 → 8, ≥ 50 → 5, otherwise 0 (``max`` 10; ``due`` > 0);
- 2 deductions ``per_event: {count: late, points: -0.5, cap: 2}``;
- 2 bonuses ``per_event: {count: awards, points: 1, cap: 3}``.

Each group is a criterion with ``max`` = 60% of the sum of its 16 scored items' maxima (the
deductions and bonuses have no maximum), ``cap_at_max: true`` and ``children_sum: off``. The
scale is the sum of the group maxima; the total is the sum of the groups; units are ranked by
total, ties broken by group 1 (``ranking: {by: [total, {score: G1}]}``).

Submissions: 1,000 units with 186 fields each (6 × (5 + 6·2 + 5·2 + 2 + 2)), seeded.

Run ``python benchmarks/anchor.py --out DIR`` to write ``anchor-guide.yaml`` and
``anchor-submissions.json`` into DIR; :func:`write_workload` does the same for run.py.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

GUIDE_SEED = 1337
SUBMISSIONS_SEED = 20240611
GROUPS = 6
UNITS = 1000
GUIDE_ID = "bench-anchor-120"
GUIDE_VERSION = "2024.1"

#: How many items of each kind one group has (20 in all).
KINDS = (("bool", 5), ("prop", 6), ("step", 5), ("ded", 2), ("bonus", 2))
#: The fields each kind of item reads, as suffixes of the input name.
FIELDS = {
    "bool": ("ok",),
    "prop": ("achieved", "target"),
    "step": ("done", "due"),
    "ded": ("late",),
    "bonus": ("awards",),
}
GROUP_CAP = Decimal("0.6")
STEP_MAX = 10


@dataclass(frozen=True, slots=True)
class Item:
    """One criterion of a group."""

    id: str  # e.g. "G1.07"
    key: str  # the same id usable as a plain name, e.g. "G1_07"
    kind: str  # bool | prop | step | ded | bonus
    max: int | None  # None for deductions and bonuses
    fields: tuple[str, ...]  # declared input names it reads, in order


@dataclass(frozen=True, slots=True)
class Group:
    id: str  # "G1"
    max: Decimal
    items: tuple[Item, ...]  # in guide order

    @property
    def scored(self) -> tuple[Item, ...]:
        """The items summed first by the engine (kind score), in guide order."""
        return tuple(i for i in self.items if i.kind in {"bool", "prop", "step"})

    @property
    def adjustments(self) -> tuple[Item, ...]:
        """The bonus and deduction items, added after the scored items, in guide order."""
        return tuple(i for i in self.items if i.kind in {"ded", "bonus"})


@dataclass(frozen=True, slots=True)
class Workload:
    groups: tuple[Group, ...]
    scale: Decimal
    guide_yaml: str
    #: The declared input names, in declaration order (186).
    inputs: tuple[str, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for g in self.groups for i in g.items)


def build_guide(seed: int = GUIDE_SEED) -> Workload:
    """Build the anchor guide (structure and YAML text) from ``seed``."""
    rng = random.Random(seed)
    groups = []
    for g in range(1, GROUPS + 1):
        kinds = [kind for kind, count in KINDS for _ in range(count)]
        rng.shuffle(kinds)
        seen = dict.fromkeys(FIELDS, 0)
        items = []
        for position, kind in enumerate(kinds, start=1):
            seen[kind] += 1
            prefix = f"g{g}_{kind}{seen[kind]}"
            if kind == "bool":
                top: int | None = rng.randint(1, 5)
            elif kind == "prop":
                top = rng.randint(2, 10)
            elif kind == "step":
                top = STEP_MAX
            else:
                top = None
            items.append(
                Item(
                    id=f"G{g}.{position:02d}",
                    key=f"G{g}_{position:02d}",
                    kind=kind,
                    max=top,
                    fields=tuple(f"{prefix}_{suffix}" for suffix in FIELDS[kind]),
                )
            )
        total = sum(i.max for i in items if i.max is not None)
        groups.append(Group(id=f"G{g}", max=GROUP_CAP * total, items=tuple(items)))
    scale = sum((g.max for g in groups), Decimal(0))
    inputs = tuple(f for g in groups for i in g.items for f in i.fields)
    return Workload(tuple(groups), scale, _guide_yaml(groups, scale), inputs)


_INPUT_DECL = {
    "ok": "{type: bool, label: Đạt yêu cầu, required: true}",
    "achieved": "{type: decimal, label: Kết quả đạt được, required: true, min: 0, places: 2}",
    "target": "{type: decimal, label: Chỉ tiêu được giao, required: true, min: 1, places: 2}",
    "done": "{type: count, label: Số việc hoàn thành đúng hạn, required: true}",
    "due": "{type: count, label: Số việc phải hoàn thành, required: true, min: 1}",
    "late": "{type: count, label: Số lần chậm trễ, missing: 0}",
    "awards": "{type: count, label: Số lần được khen thưởng, missing: 0}",
}


def _guide_yaml(groups: list[Group], scale: Decimal) -> str:
    out = [
        "# Generated by benchmarks/anchor.py: the anchor workload of issue 8 (design.md §8).",
        "# Do not edit: change the generator.",
        "format: emulation-rules/v1",
        f"id: {GUIDE_ID}",
        f'version: "{GUIDE_VERSION}"',
        "title: Bảng điểm thi đua chuẩn đo hiệu năng (120 tiêu chí, 6 nhóm)",
        'period: "2024"',
        f"scale: {scale}",
        "inputs:",
    ]
    out += [
        f"  {name}: {_INPUT_DECL[name.rsplit('_', 1)[1]]}"
        for group in groups
        for item in group.items
        for name in item.fields
    ]
    out.append("criteria:")
    for group in groups:
        out += [
            f"  - id: {group.id}",
            f"    title: Nhóm tiêu chí {group.id[1:]}",
            f"    max: {group.max}",
            "    cap_at_max: true",
            "    children_sum: off",
            "    children:",
        ]
        for item in group.items:
            out.append(f'      - id: "{item.id}"')
            out.append(f"        title: Tiêu chí {item.id[1:]}")
            if item.kind == "bool":
                out.append(f"        max: {item.max}")
                out.append(f"        met: {item.fields[0]}")
            elif item.kind == "prop":
                achieved, target = item.fields
                out.append(f"        max: {item.max}")
                out.append(f"        proportional: {{achieved: {achieved}, target: {target}}}")
            elif item.kind == "step":
                done, due = item.fields
                out += [
                    f"        max: {item.max}",
                    "        bands:",
                    f"          of: percent({done}, {due})",
                    "          bands:",
                    "            - {from: 95, points: 10}",
                    "            - {from: 80, below: 95, points: 8}",
                    "            - {from: 50, below: 80, points: 5}",
                    "          otherwise: 0",
                ]
            elif item.kind == "ded":
                out.append("        kind: deduction")
                out.append(f"        per_event: {{count: {item.fields[0]}, points: -0.5, cap: 2}}")
            else:
                out.append("        kind: bonus")
                out.append(f"        per_event: {{count: {item.fields[0]}, points: 1, cap: 3}}")
    out += ["ranking:", "  by: [total, {score: G1}]", "  method: competition", ""]
    return "\n".join(out)


def build_submissions(
    work: Workload, units: int = UNITS, seed: int = SUBMISSIONS_SEED
) -> list[dict[str, object]]:
    """The seeded submissions: ``[{unit_id, name, values}]`` with exact Decimal values.

    The distributions make the group cap bind in ~22% of unit-groups, as in the research
    workload (research/performance.md).
    """
    rng = random.Random(seed)
    out = []
    for n in range(1, units + 1):
        values: dict[str, object] = {}
        for item in work.items:
            if item.kind == "bool":
                values[item.fields[0]] = rng.random() < 0.5
            elif item.kind == "prop":
                target = Decimal(rng.randint(1000, 20000)) / 100
                achieved = (target * Decimal(rng.randint(20, 120)) / 100).quantize(Decimal("0.01"))
                values[item.fields[0]] = achieved
                values[item.fields[1]] = target
            elif item.kind == "step":
                due = rng.randint(1, 60)
                values[item.fields[0]] = rng.randint(due * 2 // 10, due)
                values[item.fields[1]] = due
            elif item.kind == "ded":
                values[item.fields[0]] = rng.choice((0, 0, 0, 1, 1, 2, 3, 5))
            else:
                values[item.fields[0]] = rng.choice((0, 0, 0, 1, 1, 2, 4))
        out.append({"unit_id": f"u{n:04d}", "name": f"Đơn vị số {n:04d}", "values": values})
    return out


def _json_number(value: object) -> object:
    if isinstance(value, Decimal):
        # float's shortest repr of a 2-place decimal reads back as the same decimal
        as_float = float(value)
        assert Decimal(repr(as_float)) == value, value
        return as_float
    return value


def submissions_json(units: list[dict[str, object]]) -> str:
    """The submissions as one JSON submission file of our format."""
    doc = {
        "ruleset": GUIDE_ID,
        "ruleset_version": GUIDE_VERSION,
        "period": "2024",
        "units": [
            {
                "unit_id": u["unit_id"],
                "name": u["name"],
                "values": {k: _json_number(v) for k, v in u["values"].items()},
            }
            for u in units
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


def workload_paths(out_dir: Path, units: int = UNITS) -> tuple[Path, Path]:
    """Where :func:`write_workload` writes the guide and the submissions."""
    return out_dir / "anchor-guide.yaml", out_dir / f"anchor-submissions-{units}.json"


def write_workload(out_dir: Path, units: int = UNITS) -> tuple[Workload, Path, Path]:
    """Write the guide and the submissions into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    work = build_guide()
    guide_path, subs_path = workload_paths(out_dir, units)
    guide_path.write_text(work.guide_yaml, encoding="utf-8")
    subs_path.write_text(submissions_json(build_submissions(work, units)), encoding="utf-8")
    return work, guide_path, subs_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--units", type=int, default=UNITS)
    args = parser.parse_args()
    _, guide, subs = write_workload(args.out, args.units)
    print(guide)
    print(subs)


if __name__ == "__main__":
    main()
