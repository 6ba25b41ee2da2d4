"""Paths and I/O (issue 19): every failure has its own code and exit 1, never exit 3; outputs
are written whole or not at all."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from emulation_rules._support import files as _files
from emulation_rules.cli import run
from emulation_rules.errors import OutputError

GUIDE = "rulesets/tinh-mau-stnmt-2022.yaml"
SUBS = "examples/tinh-mau-stnmt-2022/submissions.yaml"


@pytest.fixture(autouse=True)
def _in_root(root, monkeypatch):
    monkeypatch.chdir(root)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _codes(err: str) -> list[str]:
    return [
        line.split(": ")[1] for line in err.splitlines() if ": " in line and "error(s)" not in line
    ]


def test_dev_zero_as_input_stops_at_the_size_limit():
    code, _, err = cli("score", GUIDE, "/dev/zero")
    assert code == 1
    assert "file-too-large" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("score", GUIDE, SUBS, "--record", "{missing}/r.json"),
        ("report", GUIDE, SUBS, "-o", "{file}/sub"),
        ("report", GUIDE, SUBS, "--html", "{missing}/r.html"),
        ("template", GUIDE, "-o", "{missing}/f.xlsx"),
        ("init", "{file}/sub"),
        ("score", GUIDE, SUBS, "--audit-log", "{tmp}"),
    ],
)
def test_an_unwritable_output_is_file_write_not_an_internal_error(tmp_path, argv):
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    places = {"missing": str(tmp_path / "no" / "such"), "file": str(plain), "tmp": str(tmp_path)}
    code, _, err = cli(*(a.format(**places) for a in argv))
    assert code == 1, err
    assert "file-write" in err
    assert "internal error" not in err


def test_a_log_that_is_not_sqlite_is_audit_format(tmp_path):
    log = tmp_path / "log.sqlite"
    log.write_text("hello", encoding="utf-8")
    for argv in (("score", GUIDE, SUBS, "--audit-log", str(log)), ("verify", str(log))):
        code, _, err = cli(*argv)
        assert code == 1
        assert "audit-format" in err
        assert "internal error" not in err


def test_verify_of_a_missing_log_is_file_not_found_and_creates_nothing(tmp_path):
    log = tmp_path / "none.sqlite"
    code, _, err = cli("verify", str(log))
    assert code == 1
    assert "file-not-found" in err
    assert not log.exists()


def test_verify_checks_the_file_named_even_with_uri_characters(tmp_path):
    # 'a#b.sqlite' used to open 'a' (the rest was read as a URI fragment)
    log = tmp_path / "a#b?c%20.sqlite"
    code, _, _ = cli("score", GUIDE, SUBS, "--audit-log", str(log))
    assert code == 0
    assert log.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [log.name]
    code, out, _ = cli("verify", str(log))
    assert code == 0
    assert "1 bản ghi" in out


def test_verify_reads_the_log_a_row_at_a_time(tmp_path, monkeypatch):
    # verify used to fetchall(): a log of 10,000 records took 3.9 GB
    from emulation_rules.audit import log as auditlog

    log = tmp_path / "log.sqlite"
    for _ in range(3):
        assert cli("score", GUIDE, SUBS, "--audit-log", str(log))[0] == 0
    seen: list[object] = []
    real = auditlog._verify_rows

    def spy(rows, name):
        seen.append(rows)
        return real(rows, name)

    monkeypatch.setattr(auditlog, "_verify_rows", spy)
    report = auditlog.verify_log(log)
    assert report.ok
    assert report.records == 3
    assert [type(rows) for rows in seen] == [sqlite3.Cursor]


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "record.json"
    target.write_bytes(b'{"old": true}')

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", full_disk)
    with pytest.raises(OutputError) as error:
        _files.write_atomic(target, b'{"new": true, "padding": "' + b"x" * 100_000 + b'"}')
    assert error.value.issues[0].code == "file-write"
    assert json.loads(target.read_bytes()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_an_atomic_write_replaces_the_file_and_keeps_its_mode(tmp_path):
    target = tmp_path / "out.html"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    _files.write_atomic(target, "mới")
    assert target.read_text(encoding="utf-8") == "mới"
    assert target.stat().st_mode & 0o777 == 0o640
    assert Path(tmp_path).iterdir().__next__().name == "out.html"


# -- records an auditor receives: untrusted -------------------------------------------------


def _record(tmp_path: Path) -> dict:
    from emulation_rules.audit.records import parse_record

    path = tmp_path / "r.json"
    guide = "rulesets/tinh-mau-stnmt-2022.yaml"  # extends a base guide: the record embeds it
    assert cli("score", guide, SUBS, "--record", str(path))[0] == 0
    return parse_record(path.read_bytes())


def _write(tmp_path: Path, record: dict) -> Path:
    from emulation_rules.audit.records import record_bytes, record_digest

    record["digest"] = record_digest(record)  # anyone can recompute a plain sha256
    path = tmp_path / "edited.json"
    path.write_bytes(record_bytes(record))
    return path


@pytest.mark.parametrize("where", ["absolute", "climbing"])
def test_replay_never_writes_outside_its_own_folder(tmp_path, where):
    record = _record(tmp_path)
    outside = tmp_path / "outside" / "pwned.yaml"
    record["ruleset"]["bases"][0]["path"] = (
        str(outside) if where == "absolute" else "../" * 40 + str(outside).lstrip("/")
    )
    code, out, err = cli("replay", str(_write(tmp_path, record)))
    assert code == 1
    assert "audit-format" in err
    assert "identical" not in out
    assert not outside.exists()


def test_a_changed_guide_version_or_title_does_not_replay_identical(tmp_path):
    record = _record(tmp_path)
    record["ruleset"]["version"] = "2099.1"
    record["result"]["ruleset"]["title"] = "Một hướng dẫn khác"
    code, _, err = cli("replay", str(_write(tmp_path, record)), "--lang", "en")
    assert code == 1
    assert "ruleset.version differs" in err
    assert "result.ruleset.title differs" in err


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["inputs"]["submissions"][0]["evidence"].update({"x": [[]]}),
        lambda r: r["inputs"].update({"submissions": "none"}),
        lambda r: r.update({"ruleset": []}),
        lambda r: r["result"].update({"units": 5}),
        lambda r: r["inputs"]["submissions"][0].update({"values": []}),
    ],
)
def test_a_malformed_record_is_audit_format_or_a_difference_never_exit_3(tmp_path, edit):
    record = _record(tmp_path)
    edit(record)
    code, _, err = cli("replay", str(_write(tmp_path, record)))
    assert code == 1, err
    assert "internal error" not in err


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["ruleset"].update({"injected": "x"}),
        lambda r: r["result"]["units"][0].update({"total": 97}),
        lambda r: r["engine"].pop("version"),
    ],
)
def test_a_record_is_checked_against_its_published_schema_before_replay(tmp_path, edit):
    record = _record(tmp_path)
    edit(record)
    code, out, err = cli("replay", str(_write(tmp_path, record)))
    assert code == 1
    assert "audit-format" in err
    assert "lược đồ bản ghi kiểm toán" in err  # "audit record schema"
    assert "identical" not in out
