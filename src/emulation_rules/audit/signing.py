r"""Signed audit records: who wrote a record, not only that it is intact.

A record's ``digest`` is plain sha256 of its content: it proves the record was not altered
*since the digest was computed*, but anyone who edits a record can compute a new digest. A
signature closes that gap. The writer of a record (an appraisal team, a cluster's secretary)
holds an Ed25519 private key; the record carries a ``signature`` block made with it; an
auditor who holds the writer's **public** key, obtained by another channel (a signed letter,
the meeting minutes), checks that the record was signed by that key and not changed since.

What is signed is the record's digest (which covers every other field) and the signer's name::

    emulation-rules audit record\n<digest>\n<signer>

The ``signature`` block is left out of the digest, so an unsigned record and the same record
signed have the same digest, and a record can be signed after it was written. Signing needs the
optional ``cryptography`` package (``pip install 'emulation-rules[sign]'``); reading unsigned
records never does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from emulation_rules._support.i18n import pgettext
from emulation_rules.errors import EmulationRulesError, Issue

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType

__all__ = [
    "SignatureCheck",
    "SigningError",
    "check_signature",
    "fingerprint",
    "generate_keypair",
    "public_fingerprint",
    "sign_record",
]

#: The only algorithm: small keys, deterministic signatures, no parameters to get wrong.
ALGORITHM = "ed25519"
_CONTEXT = b"emulation-rules audit record\n"


class SigningError(EmulationRulesError):
    """A key cannot be read, or a signature cannot be made or checked."""


def _crypto() -> ModuleType:
    try:
        from cryptography.hazmat.primitives.asymmetric import (  # noqa: PLC0415 - optional
            ed25519,
        )
    except ImportError:
        message = (
            "signing and checking signatures need the optional dependency cryptography: "
            "pip install 'emulation-rules[sign]'"
        )
        raise SigningError(message, (Issue("missing-dependency", message),)) from None
    return ed25519


def _message(digest: str, signer: str) -> bytes:
    return _CONTEXT + digest.encode("ascii") + b"\n" + signer.encode("utf-8")


def fingerprint(public_raw: bytes) -> str:
    """A short name of a public key: the first 16 bytes of its sha256, in groups of 4 hex."""
    hexed = hashlib.sha256(public_raw).hexdigest()[:32]
    return ":".join(hexed[i : i + 4] for i in range(0, 32, 4))


def public_fingerprint(public_key_pem: bytes, *, name: str = "<key>") -> str:
    """The :func:`fingerprint` of a PEM public key, to compare with the signer by phone.

    Raises:
        SigningError: the key is unreadable or not Ed25519.
    """
    return fingerprint(_load_public(public_key_pem, name))


def generate_keypair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair: the private key and the public key, both as PEM bytes."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - optional

    private = _crypto().Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - optional

    raw: bytes = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def _load_private(pem: bytes, name: str) -> Any:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - optional

    ed25519 = _crypto()
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise _key_error(name, f"not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise _key_error(name, "not an Ed25519 key")
    return key


def _load_public(pem: bytes, name: str) -> bytes:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - optional

    ed25519 = _crypto()
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise _key_error(name, f"not a PEM public key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise _key_error(name, "not an Ed25519 key")
    return _raw_public(key)


def _key_error(name: str, message: str) -> SigningError:
    return SigningError(message, (Issue("audit-signature", message, source=name),))


def sign_record(
    record: dict[str, Any], private_key_pem: bytes, *, signer: str, key_name: str = "<key>"
) -> dict[str, Any]:
    """A copy of ``record`` with a ``signature`` block made with the private key.

    Raises:
        SigningError: the key is unreadable or not Ed25519, the signer's name is empty, or
        cryptography is not installed (``missing-dependency``).
    """
    if not signer.strip():
        raise _key_error(key_name, "the signer's name is empty")
    key = _load_private(private_key_pem, key_name)
    value = key.sign(_message(record["digest"], signer))
    signed = {k: v for k, v in record.items() if k != "signature"}
    signed["signature"] = {
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(_raw_public(key.public_key())).decode("ascii"),
        "signer": signer,
        "value": base64.b64encode(value).decode("ascii"),
    }
    return signed


SignatureStatus = Literal["unsigned", "valid", "invalid", "untrusted"]


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What a record's signature says.

    ``valid``: signed by a trusted key (or by the key it names, when no key is trusted) and
    unchanged since; ``untrusted``: a good signature by a key not among the trusted ones;
    ``invalid``: the signature does not match the record; ``unsigned``: no signature.
    """

    status: SignatureStatus
    signer: str | None = None
    fingerprint: str | None = None
    #: Whether the key was checked against keys the auditor trusts.
    trusted_checked: bool = False

    @property
    def ok(self) -> bool:
        """A valid signature (by a trusted key when trusted keys were given)."""
        return self.status == "valid"

    def describe(self) -> str:
        """The outcome in words, in the language of the call."""
        who = pgettext("signature", "{signer} (key {fingerprint})").format(
            signer=self.signer, fingerprint=self.fingerprint
        )
        if self.status == "unsigned":
            return pgettext("signature", "none (the record is not signed)")
        if self.status == "invalid":
            said = pgettext(
                "signature",
                "NOT valid: the record was changed after it was signed, or the signature is "
                "forged ({who})",
            )
            return said.format(who=who)
        if self.status == "untrusted":
            said = pgettext(
                "signature", "correct, but the key is not among the trusted keys: {who}"
            )
            return said.format(who=who)
        if self.trusted_checked:
            return pgettext("signature", "valid, by a trusted key: {who}").format(who=who)
        said = pgettext(
            "signature", "valid: {who}; compare the key's fingerprint with the signer's (--trust)"
        )
        return said.format(who=who)


def check_signature(
    record: dict[str, Any], trusted: Iterable[tuple[str, bytes]] | None = None
) -> SignatureCheck:
    """Check a record's signature, against trusted public keys ``(name, pem)`` when given.

    The record's own digest must already have been checked (:func:`~emulation_rules.audit.records.
    parse_record` does); the signature then proves who computed that digest.

    Raises:
        SigningError: a trusted key is unreadable, or cryptography is not installed.
    """
    block = record.get("signature")
    if block is None:
        return SignatureCheck("unsigned")
    trusted_raw = None if trusted is None else [_load_public(pem, n) for n, pem in trusted]
    if not isinstance(block, dict) or block.get("algorithm") != ALGORITHM:
        return SignatureCheck("invalid")
    signer = block.get("signer")
    try:
        public_raw = base64.b64decode(str(block.get("public_key")), validate=True)
        value = base64.b64decode(str(block.get("value")), validate=True)
    except (binascii.Error, ValueError):
        return SignatureCheck("invalid", str(signer))
    print_ = fingerprint(public_raw)
    if not isinstance(signer, str) or len(public_raw) != 32:
        return SignatureCheck("invalid", str(signer), print_)
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415 - optional

    ed25519 = _crypto()
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public_raw).verify(
            value, _message(str(record.get("digest")), signer)
        )
    except (InvalidSignature, ValueError):
        return SignatureCheck("invalid", signer, print_, trusted_raw is not None)
    if trusted_raw is not None and public_raw not in trusted_raw:
        return SignatureCheck("untrusted", signer, print_, trusted_checked=True)
    return SignatureCheck("valid", signer, print_, trusted_checked=trusted_raw is not None)
