"""Memory of verify and replay, bounded with tracemalloc (never timed).

``verify`` reads a log one row at a time: its peak must not grow with the number of records.
``replay`` of a record that reproduces compares the bytes written straight from the flat traces
(:func:`~emulation_rules.audit.records.write_record`) with the record's own, without building the
replayed record as data: its peak, beyond the parsed record the caller holds, stays a small
multiple of the record's size (building the replayed record as data took about 10 times it).
"""

from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path

from emulation_rules import load_ruleset, load_submissions, score
from emulation_rules.audit.log import _SCHEMA, GENESIS, chain_digest, verify_log
from emulation_rules.audit.records import parse_record, replay, write_record

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20


def _log(path: Path, body: bytes, count: int) -> None:
    """A log of ``count`` copies of one record, chained (written directly: no fsync each)."""
    record = parse_record(body)
    connection = sqlite3.connect(path)
    for statement in _SCHEMA:
        connection.execute(statement)
    previous = GENESIS
    for seq in range(1, count + 1):
        chain = chain_digest(previous, record["digest"])
        connection.execute(
            "INSERT INTO audit_log (seq, record_digest, prev_chain, chain, ruleset_id, as_of, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, record["digest"], previous, chain, record["ruleset"]["id"], None, body),
        )
        previous = chain
    connection.commit()
    connection.close()


def _verify_peak(path: Path) -> tuple[int, float]:
    tracemalloc.start()
    try:
        report = verify_log(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok, report.issues
    return report.records, peak / MIB


def test_verify_memory_does_not_grow_with_the_log(tmp_path):
    body = (ROOT / "tests" / "golden" / "tinh-mau-stnmt-2022.record.json").read_bytes()
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    _log(small, body, 5)
    _log(large, body, 150)  # 11 MB of records
    records_small, peak_small = _verify_peak(small)
    records_large, peak_large = _verify_peak(large)
    assert (records_small, records_large) == (5, 150)
    # one record at a time: 30 times the records, about the same peak (a record is 0.07 MiB)
    assert peak_large < peak_small + 2, (peak_small, peak_large)
    assert peak_large < 10 * len(body) / MIB + 2, peak_large


def test_replay_of_a_record_that_reproduces_in_bounded_memory():
    guide = load_ruleset(ROOT / "rulesets" / "congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples" / "congan-cum347" / "submissions.yaml"])
    base = list(batch.submissions)
    subs = [base[i % len(base)].model_copy(update={"unit_id": f"u{i:03}"}) for i in range(60)]
    data = write_record(guide, subs, score(guide, subs)).data  # 5 MB
    tracemalloc.start()
    try:
        record = parse_record(data)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        report = replay(record)
        extra = tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()
    assert report.identical, report.differences
    # measured: 7.2 times the record's bytes; building the replayed record as data: 10.3
    assert extra < 8.5 * len(data), (extra / MIB, len(data) / MIB)
