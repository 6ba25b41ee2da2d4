# ruff: noqa: INP001 - a script, not a package
"""Coverage-guided fuzzing of emulation-rules with atheris (optional; never run by the suite).

The same targets as the bounded hypothesis tests of ``tests/test_fuzz.py``, for long runs::

    pip install atheris
    python fuzz/atheris_targets.py loader -max_total_time=600
    python fuzz/atheris_targets.py loader fuzz/corpus/loader -max_total_time=600  # with a corpus

Targets (the first argument; the others go to libFuzzer):

``loader``       guide bytes → ``check_ruleset`` returns issues with documented codes and never
                 raises; ``load_ruleset`` raises only ``RulesetError``, exactly when
                 ``check_ruleset`` reports an error; a guide that loads scores a small cluster.
``submissions``  submission file bytes (YAML, or JSON when the input starts with ``{``) →
                 ``load_submissions`` never raises; ``score`` records rejected or failed units
                 and raises nothing with ``on_error="record"``, only ``SubmissionError`` or
                 ``EvaluationError`` with ``on_error="raise"``.
``cluster``      cluster file bytes → ``load_cluster`` raises only ``SubmissionError``; a
                 cluster that loads is scored with the awards guide.
``values``       values of every Python type for the test guide's inputs → ``score`` never
                 raises.
``expression``   expression text → ``check_expression`` never raises; a checked expression
                 evaluated with values of its declared types (compiled closures and the
                 simpleeval reference) raises only ``EvaluationError``.

A crash is reported by libFuzzer with the input that caused it (``crash-<sha1>``); replay it
with ``python fuzz/atheris_targets.py TARGET crash-<sha1>``. See fuzz/README.md.
"""

from __future__ import annotations

import decimal
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports(include=["emulation_rules"]):
    from emulation_rules import (
        EvaluationError,
        RulesetError,
        Submission,
        SubmissionError,
        check_ruleset,
        load_cluster,
        load_ruleset,
        load_submissions,
        score,
    )
    from emulation_rules.compiler.sandbox import check_expression, evaluate_expression
    from emulation_rules.errors import CODES
    from emulation_rules.engine.evaluator import ENGINE_CONTEXT

ROOT = Path(__file__).resolve().parent.parent
TEST_GUIDE = ROOT / "tests" / "data" / "invalid" / "submissions" / "_guide.yaml"
AWARDS_GUIDE = ROOT / "rulesets" / "vhttdl-7-tinh-mien-nui-phia-bac-2021.yaml"
AWARDS_SUBMISSIONS = ROOT / "examples" / "vhttdl-7-tinh-mien-nui-phia-bac-2021" / "submissions.yaml"

_WORK = Path(tempfile.mkdtemp(prefix="emulation-rules-fuzz-"))
_CACHE: dict[str, Any] = {}


def _guide(path: Path) -> Any:
    if path.name not in _CACHE:
        _CACHE[path.name] = load_ruleset(path)
    return _CACHE[path.name]


def _issues(issues: Any) -> None:
    for issue in issues:
        if issue.code not in CODES:
            msg = f"undocumented issue code {issue.code!r}: {issue}"
            raise AssertionError(msg)
        issue.render()


def _score_cleanly(guide: Any, batch: Any, cluster: Any = None) -> None:
    result = score(
        guide, batch.submissions, rejected=batch.rejected, issues=batch.issues, cluster=cluster
    )
    result.to_json(trace=True)
    for unit in result.units:
        _issues(unit.issues)
    for rejected in result.rejected:
        _issues(rejected.issues)
    try:
        score(guide, batch.submissions, on_error="raise", cluster=cluster)
    except (SubmissionError, EvaluationError) as exc:
        _issues(exc.issues)


# --------------------------------------------------------------------------------------------
# Targets


def target_loader(data: bytes) -> None:
    """Guide bytes: check_ruleset never raises; load_ruleset raises only RulesetError."""
    issues = check_ruleset(data, name="fuzz.yaml")
    _issues(issues)
    errors = any(i.severity == "error" for i in issues)
    try:
        guide = load_ruleset(data, name="fuzz.yaml")
    except RulesetError as exc:
        _issues(exc.issues)
        if not errors:
            msg = "load_ruleset raised but check_ruleset reported no error"
            raise AssertionError(msg) from exc
        return
    if errors:
        msg = f"load_ruleset accepted a guide with errors: {issues}"
        raise AssertionError(msg)
    _score_cleanly(guide, load_submissions([AWARDS_SUBMISSIONS]))


def target_submissions(data: bytes) -> None:
    """Submission file bytes: loading and scoring raise nothing undocumented."""
    suffix = ".json" if data.lstrip()[:1] in (b"{", b"[") else ".yaml"
    path = _WORK / f"submissions{suffix}"
    path.write_bytes(data)
    batch = load_submissions([path])
    _issues(batch.issues)
    _score_cleanly(_guide(TEST_GUIDE), batch)


def target_cluster(data: bytes) -> None:
    """Cluster file bytes: load_cluster raises only SubmissionError."""
    path = _WORK / "cluster.yaml"
    path.write_bytes(data)
    try:
        cluster = load_cluster(path)
    except SubmissionError as exc:
        _issues(exc.issues)
        return
    _score_cleanly(_guide(AWARDS_GUIDE), load_submissions([AWARDS_SUBMISSIONS]), cluster)


def _any_value(fdp: Any, depth: int = 0) -> Any:
    kind = fdp.ConsumeIntInRange(0, 11 if depth < 2 else 9)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeIntInRange(-5, 200)
    if kind == 3:
        return fdp.ConsumeInt(16)
    if kind == 4:
        text = fdp.ConsumeUnicodeNoSurrogates(24)
        try:
            return Decimal(text)
        except decimal.InvalidOperation:
            return Decimal(fdp.ConsumeIntInRange(-(10**6), 10**6)).scaleb(
                -fdp.ConsumeIntInRange(0, 6)
            )
    if kind == 5:
        return fdp.ConsumeFloat()
    if kind in (6, 7):
        return fdp.ConsumeUnicodeNoSurrogates(32)
    if kind == 8:
        return date(2025, 1, 1) + timedelta(days=fdp.ConsumeIntInRange(-800, 800))
    if kind == 9:
        return fdp.PickValueInList(["NaN", "1e999", "95,5", "1.000", "2025-02-30", "khong", ""])
    if kind == 10:
        return [_any_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    return {fdp.ConsumeUnicodeNoSurrogates(6): _any_value(fdp, depth + 1)}


def target_values(data: bytes) -> None:
    """Values of any Python type for the test guide's inputs: score never raises."""
    fdp = atheris.FuzzedDataProvider(data)
    guide = _guide(TEST_GUIDE)
    names = sorted(guide.inputs)
    units = []
    for index in range(fdp.ConsumeIntInRange(1, 4)):
        values = {name: _any_value(fdp) for name in names if fdp.ConsumeIntInRange(0, 3) != 0}
        units.append(Submission(unit_id=f"u{index}", name=f"Đơn vị {index}", values=values))
    result = score(guide, units)
    result.to_json(trace=True)
    try:
        score(guide, units, on_error="raise")
    except (SubmissionError, EvaluationError) as exc:
        _issues(exc.issues)


_NAMES = {"a": "number", "b": "number", "ok": "bool", "d": "date", "e": "date", "s": "text"}


def _typed(fdp: Any, kind: str) -> Any:
    if kind == "number":
        return Decimal(fdp.ConsumeIntInRange(-(10**9), 10**9)).scaleb(-fdp.ConsumeIntInRange(0, 6))
    if kind == "bool":
        return fdp.ConsumeBool()
    if kind == "date":
        return date(2025, 1, 1) + timedelta(days=fdp.ConsumeIntInRange(-5000, 5000))
    return fdp.ConsumeUnicodeNoSurrogates(8)


def target_expression(data: bytes) -> None:
    """Expression text: checking never raises; evaluation raises only EvaluationError."""
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 400))
    checked, issues = check_expression(text, names=_NAMES, criteria=frozenset({"TC1", "a1.2"}))
    _issues(issues)
    if checked is None:
        return
    names = {n: _typed(fdp, _NAMES[n]) for n in checked.names}
    reference_score = _typed(fdp, "number")
    for reference in (False, True):
        with decimal.localcontext(ENGINE_CONTEXT):
            try:
                evaluate_expression(
                    checked, names, lambda _ident: reference_score, reference=reference
                )
            except EvaluationError as exc:
                _issues(exc.issues)


def _guarded(name: str, target: Any) -> Any:
    """Every target runs unguarded: the crashes the fuzzers found are all fixed."""
    del name
    return target


TARGETS = {
    "loader": target_loader,
    "submissions": target_submissions,
    "cluster": target_cluster,
    "values": target_values,
    "expression": target_expression,
}


def main() -> None:
    """Run the target named by the first argument under libFuzzer."""
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.stderr.write(
            f"usage: python {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]\n"
        )
        sys.exit(2)
    name = sys.argv.pop(1)
    atheris.Setup(sys.argv, _guarded(name, TARGETS[name]))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
