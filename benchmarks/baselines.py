"""The two baselines of issue 8, on the anchor workload.

- ``SimpleevalParsed``: the 120 criteria as Python-expression strings, each parsed once with
  ``SimpleEval.parse``, then ``eval(expr, previously_parsed=node)`` per unit with the names
  swapped; group caps, the total and the ranking in plain Python. Inputs are Decimals and the
  number literals of the parsed trees are replaced by Decimals read from their source text, so
  every unit total is checked EQUAL to the engine's (same decimal context, same summation
  order). With ``trace=True`` it records one audit tuple per criterion
  ``(id, {field: value}, points)``, one ``(group, raw sum, capped)`` per group, and the total.
- ``Zen``: GoRules zen-engine, one JDM decision graph (input → one expression node → output)
  evaluated per unit, optionally with ``{"trace": True}``; the audit records are then read back
  from the engine's own trace. zen-engine computes with rust_decimal but hands numbers to
  Python as floats, so its totals are checked within a tolerance.

Both rank with standard competition ranking ("1224") by total, then group 1, descending.
"""

from __future__ import annotations

import ast
import decimal
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simpleeval import SimpleEval

if TYPE_CHECKING:
    from anchor import Item, Workload

ZERO = Decimal(0)

#: The engine's decimal context (emulation_rules._support.numbers.ENGINE_CONTEXT): 28 digits,
#: half-up.
CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_UP)


def competition_ranks(keys: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, int]]:
    """``[(unit_id, (key1, key2))]`` → ``[(unit_id, rank)]`` best first, ties share a rank."""
    ordered = sorted(keys, key=lambda k: (tuple(-x for x in k[1]), k[0]))
    out = []
    rank = 0
    previous = None
    for position, (unit, key) in enumerate(ordered, start=1):
        if key != previous:
            rank = position
            previous = key
        out.append((unit, rank))
    return out


# --------------------------------------------------------------------------------------------
# simpleeval, parsed once


def python_expression(item: Item) -> str:
    """The criterion as the Python-expression string a simpleeval user would write."""
    f = item.fields
    if item.kind == "bool":
        return f"{item.max} if {f[0]} else 0"
    if item.kind == "prop":
        return f"min({item.max}, {item.max}*{f[0]}/{f[1]})"
    if item.kind == "step":
        done, due = f
        return (
            f"10 if {done}*100 >= 95*{due} else "
            f"(8 if {done}*100 >= 80*{due} else (5 if {done}*100 >= 50*{due} else 0))"
        )
    if item.kind == "ded":
        return f"max(-2, -0.5*{f[0]})"
    return f"min(3, 1*{f[0]})"


class _DecimalLiterals(ast.NodeTransformer):
    """Replace float literals by the Decimal of their text (e.g. ``0.5``), as our engine does."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, float):
            return ast.copy_location(ast.Constant(Decimal(repr(node.value))), node)
        return node


class SimpleevalParsed:
    name = "simpleeval-parsed"

    def __init__(self, work: Workload) -> None:
        self.evaluator = SimpleEval(functions={"min": min, "max": max})
        self.groups = []
        for group in work.groups:
            # the engine sums the scored items first, then the bonuses and deductions
            items = []
            for item in group.scored + group.adjustments:
                tree = self.evaluator.parse(python_expression(item))
                tree = ast.fix_missing_locations(_DecimalLiterals().visit(tree))
                items.append((item.id, tree, item.fields))
            self.groups.append((group.id, group.max, tuple(items)))

    def run(self, units: list[tuple[str, dict[str, Any]]], *, trace: bool) -> dict[str, Any]:
        """Score and rank ``[(unit_id, values)]``; the values are Decimals and bools."""
        ev = self.evaluator
        run = ev.eval
        totals: dict[str, Decimal] = {}
        items: dict[str, dict[str, Any]] = {}
        audits: dict[str, Any] = {}
        keys = []
        with decimal.localcontext(CONTEXT):
            for unit_id, values in units:
                ev.names = values
                unit_items: dict[str, Any] = {}
                crit_audit = []
                group_audit = []
                total = ZERO
                for gid, gmax, group_items in self.groups:
                    raw = ZERO
                    for cid, tree, fields in group_items:
                        points = run("", previously_parsed=tree)
                        raw += points
                        unit_items[cid] = points
                        if trace:
                            crit_audit.append((cid, {f: values[f] for f in fields}, points))
                    capped = gmax if raw > gmax else raw  # noqa: FURB136 - as the engine's cap_at_max
                    unit_items[gid] = capped
                    if trace:
                        group_audit.append((gid, raw, capped))
                    total += capped
                totals[unit_id] = total
                items[unit_id] = unit_items
                keys.append((unit_id, (total, unit_items["G1"])))
                if trace:
                    audits[unit_id] = (tuple(crit_audit), tuple(group_audit), total)
        return {
            "totals": totals,
            "items": items,
            "ranking": competition_ranks(keys),
            "audit": audits,
        }


# --------------------------------------------------------------------------------------------
# zen-engine


def zen_expression(item: Item) -> str:
    f = item.fields
    if item.kind == "bool":
        return f"{f[0]} ? {item.max} : 0"
    if item.kind == "prop":
        return f"min([{item.max}, {item.max} * {f[0]} / {f[1]}])"
    if item.kind == "step":
        done, due = f
        return (
            f"{done} * 100 >= 95 * {due} ? 10 : ({done} * 100 >= 80 * {due} ? 8 : "
            f"({done} * 100 >= 50 * {due} ? 5 : 0))"
        )
    if item.kind == "ded":
        return f"max([-2, -0.5 * {f[0]}])"
    return f"min([3, 1 * {f[0]}])"


def zen_graph(work: Workload) -> dict[str, Any]:
    """The JDM decision: input → one expression node → output."""
    expressions = []
    for group in work.groups:
        expressions += [{"key": i.key, "value": zen_expression(i)} for i in group.items]
        raw = " + ".join(f"$.{i.key}" for i in group.scored + group.adjustments)
        expressions.append({"key": f"{group.id}_raw", "value": raw})
        expressions.append({"key": group.id, "value": f"min([$.{group.id}_raw, {group.max}])"})
    expressions.append({"key": "total", "value": " + ".join(f"$.{g.id}" for g in work.groups)})
    for n, e in enumerate(expressions):
        e["id"] = f"e{n}"
    position = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "request", "position": position},
            {
                "id": "score",
                "type": "expressionNode",
                "name": "score",
                "position": position,
                "content": {"expressions": expressions},
            },
            {"id": "out", "type": "outputNode", "name": "response", "position": position},
        ],
        "edges": [
            {"id": "a", "sourceId": "in", "targetId": "score", "type": "edge"},
            {"id": "b", "sourceId": "score", "targetId": "out", "type": "edge"},
        ],
    }


def zen_inputs(values: dict[str, Any]) -> dict[str, Any]:
    """A unit's values as zen-engine takes them from Python (Decimals become floats)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}


class Zen:
    name = "zen-engine"

    def __init__(self, work: Workload) -> None:
        import zen  # noqa: PLC0415 - optional benchmark dependency

        self.engine = zen.ZenEngine()
        self.decision = self.engine.create_decision(json.dumps(zen_graph(work)))
        self.groups = [(g.id, tuple((i.id, i.key, i.fields) for i in g.items)) for g in work.groups]

    def run(self, units: list[tuple[str, dict[str, Any]]], *, trace: bool) -> dict[str, Any]:
        """Score and rank ``[(unit_id, zen inputs)]``."""
        evaluate = self.decision.evaluate
        options = {"trace": True} if trace else None
        totals: dict[str, float] = {}
        items: dict[str, dict[str, Any]] = {}
        audits: dict[str, Any] = {}
        keys = []
        for unit_id, values in units:
            response = evaluate(values, options) if trace else evaluate(values)
            result = response["result"]
            totals[unit_id] = result["total"]
            items[unit_id] = result
            keys.append((unit_id, (round(result["total"], 6), round(result["G1"], 6))))
            if trace:
                node = response["trace"]["score"]
                seen, data = node["input"], node["traceData"]
                crit_audit = []
                group_audit = []
                for gid, group_items in self.groups:
                    for cid, key, fields in group_items:
                        crit_audit.append((cid, {f: seen[f] for f in fields}, data[key]["result"]))
                    group_audit.append((gid, data[f"{gid}_raw"]["result"], data[gid]["result"]))
                audits[unit_id] = (tuple(crit_audit), tuple(group_audit), data["total"]["result"])
        return {
            "totals": totals,
            "items": items,
            "ranking": competition_ranks(keys),
            "audit": audits,
        }
