"""Reading text: size limit, strict UTF-8, control and invisible characters, NFC."""

from __future__ import annotations

import pytest

from emulation_rules._support.text import decode_source, nfc


def decode(data: bytes, limit: int = 1000):
    text, issue = decode_source(data, "f.yaml", max_bytes=limit)
    return text.text if text else None, (issue.code, issue.line, issue.column) if issue else None


def test_utf8_and_bom():
    assert decode("tên: Hà Nội\n".encode()) == ("tên: Hà Nội\n", None)
    assert decode(b"\xef\xbb\xbfa: 1\n") == ("a: 1\n", None)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("a: 1\n".encode("utf-16"), ("encoding", 1, 1)),
        (b"a: 1\nb: \xc3\n", ("encoding", 2, 4)),
        (b"t\xean: H\xe0 N\xf4\xf2i", ("encoding", 1, 2)),  # Windows-1258 bytes
        (b"a: 1\x00\n", ("control-char", 1, 5)),
        (b"a: \x1b[31m\n", ("control-char", 1, 4)),
        ("id: a\ufeff1\n".encode(), ("invisible-char", 1, 6)),  # a byte order mark inside
        (b"x" * 1001, ("file-too-large", None, None)),
    ],
)
def test_refusals(data, expected):
    assert decode(data) == (None, expected)


def test_invisible_characters_are_left_to_the_value_checks():
    # a zero-width space in a comment or one unit's note must not reject a whole file: the YAML
    # reader and the value checks locate it instead
    assert decode("# ghi chú\u200b\nid: a\u202e1\n".encode()) == (
        "# ghi chú\u200b\nid: a\u202e1\n",
        None,
    )


def test_nfc():
    assert nfc("Ha\u0300 No\u0323\u0302i") == "Hà Nội"
    assert nfc("ascii") == "ascii"
