"""Signed audit records (issue 19): a digest proves a record intact, a signature who wrote it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from emulation_rules.audit.log import verify_log
from emulation_rules.audit.records import parse_record, record_bytes, record_digest
from emulation_rules.audit.signing import check_signature, generate_keypair, sign_record
from emulation_rules.cli import run

GUIDE = "rulesets/tinh-mau-stnmt-2022.yaml"
SUBS = "examples/tinh-mau-stnmt-2022/submissions.yaml"
SIGNER = "Tổ thẩm định Cụm 3"


@pytest.fixture(autouse=True)
def _in_root(root, monkeypatch):
    monkeypatch.chdir(root)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def keys(tmp_path) -> tuple[Path, Path]:
    code, out, _ = cli("keygen", str(tmp_path / "ky.key"))
    assert code == 0
    assert "dấu khóa:" in out
    return tmp_path / "ky.key", tmp_path / "ky.pub.pem"


def _signed(tmp_path: Path, key: Path) -> Path:
    path = tmp_path / "r.json"
    code, _, err = cli(
        "score", GUIDE, SUBS, "--record", str(path), "--sign-key", str(key), "--signer", SIGNER
    )
    assert code == 0, err
    return path


def test_keygen_keeps_the_private_key_private_and_never_overwrites(keys):
    private, public = keys
    assert private.stat().st_mode & 0o777 == 0o600
    assert b"PUBLIC KEY" in public.read_bytes()
    code, _, err = cli("keygen", str(private))
    assert code == 1
    assert "file-write" in err


def test_a_signed_record_replays_with_its_signer_named(tmp_path, keys):
    record = _signed(tmp_path, keys[0])
    code, out, _ = cli("replay", str(record))
    assert code == 0
    assert f"chữ ký: hợp lệ: {SIGNER}" in out
    code, out, _ = cli("replay", str(record), "--trust", str(keys[1]))
    assert code == 0
    assert "khóa được tin cậy" in out


def test_signing_leaves_the_digest_and_the_rest_of_the_record_as_they_were(tmp_path, keys):
    signed = parse_record(_signed(tmp_path, keys[0]).read_bytes())
    plain = tmp_path / "plain.json"
    assert cli("score", GUIDE, SUBS, "--record", str(plain))[0] == 0
    unsigned = parse_record(plain.read_bytes())
    assert signed["digest"] == unsigned["digest"] == record_digest(signed)
    assert {k: v for k, v in signed.items() if k != "signature"} == unsigned
    assert set(signed["signature"]) == {"algorithm", "public_key", "signer", "value"}


def test_an_edited_and_redigested_record_fails_its_signature(tmp_path, keys):
    # the attack a plain digest cannot stop: edit, then recompute the sha256
    record = parse_record(_signed(tmp_path, keys[0]).read_bytes())
    record["inputs"]["submissions"][0]["name"] = "Đơn vị khác"
    record["digest"] = record_digest(record)
    edited = tmp_path / "edited.json"
    edited.write_bytes(record_bytes(record))
    code, out, err = cli("replay", str(edited))
    assert code == 1
    assert "audit-signature" in err
    assert "KHÔNG hợp lệ" in out


def test_a_record_signed_by_another_key_or_unsigned_fails_when_a_key_is_trusted(tmp_path, keys):
    other_private, _ = generate_keypair()
    record = parse_record(_signed(tmp_path, keys[0]).read_bytes())
    forged = sign_record(record, other_private, signer=SIGNER)
    forged_path = tmp_path / "forged.json"
    forged_path.write_bytes(record_bytes(forged))
    code, _, err = cli("replay", str(forged_path), "--trust", str(keys[1]))
    assert code == 1
    assert "không nằm trong các khóa được tin cậy" in err
    plain = tmp_path / "plain.json"
    assert cli("score", GUIDE, SUBS, "--record", str(plain))[0] == 0
    code, _, err = cli("replay", str(plain), "--trust", str(keys[1]))
    assert code == 1
    assert "không được ký" in err


def test_the_signer_name_is_signed_too(tmp_path, keys):
    record = parse_record(_signed(tmp_path, keys[0]).read_bytes())
    record["signature"]["signer"] = "Người khác"
    assert check_signature(record).status == "invalid"


def test_a_signed_record_goes_into_the_log_and_verifies(tmp_path, keys):
    log = tmp_path / "log.sqlite"
    code, _, err = cli(
        "score",
        GUIDE,
        SUBS,
        "--audit-log",
        str(log),
        "--sign-key",
        str(keys[0]),
        "--signer",
        SIGNER,
    )
    assert code == 0, err
    assert verify_log(log).ok
    code, out, _ = cli(
        "replay", str(log), "--seq", "1", "--trust", str(keys[1]), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["signature"]["status"] == "valid"


@pytest.mark.parametrize(
    "argv",
    [("--sign-key", "k.key"), ("--signer", SIGNER), ("--sign-key", "k.key", "--signer", SIGNER)],
)
def test_sign_options_without_their_partners_are_usage_errors(argv):
    code, _, err = cli("score", GUIDE, SUBS, *argv)
    assert code == 2
    assert "--sign-key" in err
