"""The compiler: a guide's text → a checked, ordered :class:`CompiledRuleset`.

:func:`load_ruleset`, :func:`compile_ruleset` and :func:`check_ruleset` are the entry points;
:mod:`~emulation_rules.compiler.nodes` holds the compiled forms the later stages read;
:mod:`~emulation_rules.compiler.declarations` (the compiler's state, the inputs, criteria and
gates), :mod:`~emulation_rules.compiler.constructs` (one compile function per construct),
:mod:`~emulation_rules.compiler.checks` and :mod:`~emulation_rules.compiler.order` build them;
:mod:`~emulation_rules.compiler.fields` the declared
inputs, :mod:`~emulation_rules.compiler.sandbox` the expression language and
:mod:`~emulation_rules.compiler.lint` the warnings. Nothing here imports the engine: the
engine builds its generated program from the compiled nodes on first use.
"""

from __future__ import annotations

import decimal
import hashlib
from types import MappingProxyType
from typing import TYPE_CHECKING

from emulation_rules._support.canonical import digest
from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules.compiler.checks import reviewer_sections, unused
from emulation_rules.compiler.declarations import Compiler
from emulation_rules.compiler.lint import lint
from emulation_rules.compiler.nodes import CompiledRuleset
from emulation_rules.compiler.order import evaluation_order
from emulation_rules.compiler.pools import shared_caps
from emulation_rules.compiler.sandbox import SandboxConfig
from emulation_rules.errors import ExpressionError, Issue, IssueCollector, RulesetSchemaError
from emulation_rules.guide.model import guide_document, plain
from emulation_rules.guide.read import LoadedRuleset, raise_load_issues, read_ruleset

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from emulation_rules._support.yaml import Positions
    from emulation_rules.guide.model import Ruleset

__all__ = [
    "CompiledRuleset",
    "by_position",
    "check_ruleset",
    "compile_ruleset",
    "load_ruleset",
]


def _compile(
    ruleset: Ruleset,
    *,
    source: str | None,
    positions: Positions | None,
    text: str | None,
    config: SandboxConfig,
) -> tuple[CompiledRuleset | None, IssueCollector]:
    compiler = Compiler(ruleset, source, positions, text, config)
    inputs = compiler.inputs()
    facts = compiler.cluster_facts()
    nodes = compiler.criteria_nodes()
    nodes, pools = shared_caps(ruleset, nodes, compiler.add)
    roots = [c.id for c in ruleset.criteria]
    compiler.top_level(nodes)
    reviewer_sections(compiler.add, ruleset, nodes)
    gates = compiler.gates()
    eligibility = compiler.gates("eligibility")
    checks = compiler.checks()
    compiler.awards()
    classification = compiler.classification()
    order = evaluation_order(nodes, roots, compiler.add)
    unused(compiler.add, compiler.issues.errors, inputs, compiler.used_inputs)
    if compiler.issues.errors:
        return None, compiler.issues
    lint(ruleset, nodes, {**inputs, **facts}, compiler.add)  # a fact varies like an input
    parents: dict[str, str | None] = dict.fromkeys(roots)
    for node in nodes.values():
        for child in node.children:
            parents[child] = node.id
    compiled = CompiledRuleset(
        ruleset=ruleset,
        source=source,
        digest=digest(guide_document(ruleset)),
        source_digest="sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        if text
        else None,
        inputs=MappingProxyType(inputs),
        cluster_facts=MappingProxyType(facts),
        constants=MappingProxyType({k: plain(v) for k, v in ruleset.constants.items()}),
        nodes=MappingProxyType(nodes),
        order=order,
        roots=tuple(roots),
        parents=MappingProxyType(parents),
        gates=gates,
        eligibility=eligibility,
        checks=checks,
        classification=classification,
        issues=tuple(compiler.issues),
        text=text,
        layers=getattr(positions, "layers", ()),
        shipped_bases=getattr(positions, "shipped_bases", ()),
        shared_caps=pools,
    )
    return compiled, compiler.issues


def compile_ruleset(
    ruleset: Ruleset | LoadedRuleset,
    *,
    config: SandboxConfig | None = None,
) -> CompiledRuleset:
    """Check and compile a guide.

    Raises:
        RulesetError: carrying every issue found (``ExpressionError`` when all are in
            expressions).
    """
    loaded = ruleset if isinstance(ruleset, LoadedRuleset) else None
    model = loaded.ruleset if loaded else ruleset
    assert not isinstance(model, LoadedRuleset)
    with decimal.localcontext(ENGINE_CONTEXT):  # never the caller's precision or traps
        compiled, issues = _compile(
            model,
            source=loaded.source if loaded else None,
            positions=loaded.positions if loaded else None,
            text=loaded.text if loaded else None,
            config=config or SandboxConfig(),
        )
    if compiled is None:
        only_expr = all(i.code.startswith("expr-") for i in issues.errors)
        cls = ExpressionError if only_expr else RulesetSchemaError
        name = loaded.source if loaded else model.id
        raise cls(f"the guide {name} has {len(issues.errors)} error(s)", by_position(issues))
    return compiled


def load_ruleset(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    config: SandboxConfig | None = None,
) -> CompiledRuleset:
    """Load, check and compile a guide file (or its bytes).

    Raises:
        RulesetError: with every issue of the guide.
    """
    loaded, issues = read_ruleset(source, name=name)
    if loaded is None:
        raise_load_issues(issues, name or str(source))
    if any(i.severity == "error" for i in issues):
        # a document the reader could build but had to refuse parts of (a duplicate key, an
        # alias, an unknown key, a v2 key in a v1 guide): the later phases still run, so the
        # error lists every problem of the file, and the guide does not load
        with decimal.localcontext(ENGINE_CONTEXT):
            _, more = _compile(
                loaded.ruleset,
                source=loaded.source,
                positions=loaded.positions,
                text=loaded.text,
                config=config or SandboxConfig(),
            )
        raise_load_issues(list(by_position(issues + list(more))), name or str(source))
    return compile_ruleset(loaded, config=config)


def check_ruleset(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    config: SandboxConfig | None = None,
) -> list[Issue]:
    """Return every issue of a guide (errors and warnings); never raise for bad content."""
    loaded, issues = read_ruleset(source, name=name)
    if loaded is None:
        return list(by_position(issues))
    with decimal.localcontext(ENGINE_CONTEXT):
        _, more = _compile(
            loaded.ruleset,
            source=loaded.source,
            positions=loaded.positions,
            text=loaded.text,
            config=config or SandboxConfig(),
        )
    return list(by_position(issues + list(more)))


def by_position(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    """Issues in reading order: by line, then column (stable for equal positions)."""
    return tuple(sorted(issues, key=lambda i: (i.line or 0, i.column or 0)))
