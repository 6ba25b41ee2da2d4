"""emulation-rules: executable scoring guides for Vietnamese emulation clusters and blocks.

Load a declarative guide ("Hướng dẫn chấm điểm thi đua"), score the member units'
submissions into exact, ranked results, and explain every point::

    from emulation_rules import load_ruleset, load_submissions, score

    guide = load_ruleset("rulesets/tiengiang-stnmt-2022.yaml")
    batch = load_submissions(["examples/tiengiang-2022/submissions.yaml"])
    result = score(guide, batch.submissions, rejected=batch.rejected)
    for unit in result.units:
        print(unit.rank, unit.name, unit.total)
"""

from emulation_rules._version import __version__
from emulation_rules.compiler import (
    CompiledRuleset,
    check_ruleset,
    compile_ruleset,
    load_ruleset,
)
from emulation_rules.compiler.sandbox import SandboxConfig
from emulation_rules.engine.awards import AwardDecision, AwardResult
from emulation_rules.engine.evaluator import TraceNode, UnitScore
from emulation_rules.engine.ranking import Tie, rank, rank_key
from emulation_rules.engine.scoring import ClusterResult, evaluate, score
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
from emulation_rules.inputs.cluster_data import ClusterData
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.submissions import (
    Evidence,
    Rejected,
    Submission,
    SubmissionBatch,
    load_cluster,
)

__all__ = [
    "FORMAT_VERSION",
    "AwardDecision",
    "AwardResult",
    "ClusterData",
    "ClusterResult",
    "CompiledRuleset",
    "EmulationRulesError",
    "EvaluationError",
    "Evidence",
    "ExpressionError",
    "Issue",
    "Rejected",
    "Ruleset",
    "RulesetError",
    "RulesetLoadError",
    "RulesetSchemaError",
    "SandboxConfig",
    "Submission",
    "SubmissionBatch",
    "SubmissionError",
    "Tie",
    "TraceNode",
    "UnitScore",
    "__version__",
    "check_ruleset",
    "compile_ruleset",
    "evaluate",
    "load_cluster",
    "load_ruleset",
    "load_submissions",
    "rank",
    "rank_key",
    "score",
]
