"""Scoring pauses the garbage collector only while it runs, and restores it as it found it."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from emulation_rules import load_ruleset, load_submissions, score

ROOT = Path(__file__).resolve().parent.parent


def test_collector_state_is_restored():
    guide = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    subs = load_submissions([ROOT / "examples/tiengiang-2022/submissions.yaml"]).submissions
    assert gc.isenabled()
    score(guide, subs)
    assert gc.isenabled()
    gc.disable()
    try:
        score(guide, subs)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_concurrent_batches_restore_the_collector_once():
    guide = load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml")
    subs = load_submissions([ROOT / "examples/tiengiang-2022/submissions.yaml"]).submissions
    threads = [threading.Thread(target=score, args=(guide, subs)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
