"""emulation-rules: executable scoring guides for Vietnamese emulation clusters and blocks.

Load a declarative guide ("Hướng dẫn chấm điểm thi đua"), score the member units'
submissions into exact, ranked results, and explain every point::

    from emulation_rules import load_ruleset, load_submissions, score

    guide = load_ruleset("rulesets/tiengiang-stnmt-2022.yaml")
    batch = load_submissions("examples/tiengiang-2022/submissions.yaml")
    result = score(guide, batch)  # the batch's rejected units and issues are kept
    for unit in result.units:
        print(unit.rank, unit.name, unit.total)

Data already in memory (a web request's body) is read by :func:`parse_submissions`
(a mapping, JSON or YAML text, bytes), with the same checks and located issues as a file;
:func:`parse_json` parses JSON with exact decimals. Every error raised for bad data is an
:class:`EmulationRulesError`; a wrong argument type is a ``TypeError`` (docs/api.md).

The guides and example submissions shipped with the package are reached by name, wherever it
is installed: ``load_ruleset(find_guide("tiengiang-stnmt-2022").path)``,
``find_example("tiengiang-2022").submissions``; :func:`shipped_guides` lists them.
"""

from emulation_rules._version import __version__
from emulation_rules.authoring.diff import GuideDiff, diff_guides
from emulation_rules.authoring.schemas import result_schema, submission_schema
from emulation_rules.compiler import (
    CompiledRuleset,
    check_ruleset,
    compile_ruleset,
    load_ruleset,
)
from emulation_rules.compiler.sandbox import SandboxConfig
from emulation_rules.engine.awards import AwardDecision, AwardResult
from emulation_rules.engine.evaluator import TraceNode, UnitScore
from emulation_rules.engine.fallbacks import Fallbacks, counting_fallbacks, fallback_count
from emulation_rules.engine.ranking import Tie, rank, rank_key
from emulation_rules.engine.scoring import ClusterResult, evaluate, score, trace_to_dict
from emulation_rules.engine.store import CompactResult
from emulation_rules.errors import (
    EmulationRulesError,
    EvaluationError,
    ExpressionError,
    Issue,
    RulesetError,
    RulesetLoadError,
    RulesetSchemaError,
    SubmissionError,
)
from emulation_rules.guide.model import FORMAT_VERSION, Ruleset
from emulation_rules.guide.shipped import (
    ShippedExample,
    ShippedGuide,
    find_example,
    find_guide,
    shipped_examples,
    shipped_guides,
)
from emulation_rules.inputs.cluster_data import ClusterData
from emulation_rules.inputs.memory import (
    parse_cluster,
    parse_json,
    parse_reviews,
    parse_submissions,
)
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.reviews import Review, ReviewFile, load_reviews
from emulation_rules.inputs.submissions import (
    Evidence,
    Rejected,
    Submission,
    SubmissionBatch,
    load_cluster,
    validate_submission,
)
from emulation_rules.reports.explain import explain_dict, explain_unit
from emulation_rules.stream import StreamStats, stream_score
from emulation_rules.whatif import Comparison, Goal, WhatIfAnswer, compare_units, whatif

__all__ = [
    "FORMAT_VERSION",
    "AwardDecision",
    "AwardResult",
    "ClusterData",
    "ClusterResult",
    "CompactResult",
    "Comparison",
    "CompiledRuleset",
    "EmulationRulesError",
    "EvaluationError",
    "Evidence",
    "ExpressionError",
    "Fallbacks",
    "Goal",
    "GuideDiff",
    "Issue",
    "Rejected",
    "Review",
    "ReviewFile",
    "Ruleset",
    "RulesetError",
    "RulesetLoadError",
    "RulesetSchemaError",
    "SandboxConfig",
    "ShippedExample",
    "ShippedGuide",
    "StreamStats",
    "Submission",
    "SubmissionBatch",
    "SubmissionError",
    "Tie",
    "TraceNode",
    "UnitScore",
    "WhatIfAnswer",
    "__version__",
    "check_ruleset",
    "compare_units",
    "compile_ruleset",
    "counting_fallbacks",
    "diff_guides",
    "evaluate",
    "explain_dict",
    "explain_unit",
    "fallback_count",
    "find_example",
    "find_guide",
    "load_cluster",
    "load_reviews",
    "load_ruleset",
    "load_submissions",
    "parse_cluster",
    "parse_json",
    "parse_reviews",
    "parse_submissions",
    "rank",
    "rank_key",
    "result_schema",
    "score",
    "shipped_examples",
    "shipped_guides",
    "stream_score",
    "submission_schema",
    "trace_to_dict",
    "validate_submission",
    "whatif",
]
