"""Reading files as text: size limit, strict UTF-8, control and invisible characters, NFC."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from emulation_rules._support.i18n import N_
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "INVISIBLE",
    "SourceText",
    "check_characters",
    "decode_source",
    "describe_control",
    "find_control",
    "find_invisible",
    "json_integer",
    "nfc",
    "read_source",
    "suggest",
]

#: Zero-width and bidirectional formatting characters: they make two ids that look the same
#: compare different, or make text display in another order than it is stored.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u180e"
)
#: Control characters refused anywhere in a file. Invisible characters are checked per value
#: (see ``_yaml.parse_yaml``), so that one in a comment or in one unit's note is located there.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")


@dataclass(frozen=True, slots=True)
class SourceText:
    """Decoded text of one file, with the name used in messages."""

    name: str
    text: str


#: The operating system's reasons a file cannot be read (``strerror``), for the catalogs: a
#: message quotes them ("cannot read the file: No such file or directory").
_OS_REASONS = (
    N_("No such file or directory"),
    N_("Permission denied"),
    N_("Is a directory"),
    N_("Not a directory"),
)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form.

    Example:
        >>> nfc("Ha\u0300 N\u00f4\u0323i") == "Hà Nội"
        True
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def suggest(name: str, options: Iterable[str]) -> str | None:
    """A "did you mean" hint: an option equal but for case, the closest, or one containing it.

    Example:
        >>> suggest("Xuất sắc", ["Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành nhiệm vụ"])
        "did you mean 'Hoàn thành xuất sắc nhiệm vụ'?"
        >>> suggest("c2.4", ["C2.4", "d2.4"])
        "did you mean 'C2.4'?"
    """
    pool = sorted(set(options))
    folded = name.casefold()
    close = [o for o in pool if o.casefold() == folded][:1]
    close = close or difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        close = [o for o in pool if folded and folded in o.casefold()][:1]
    return f"did you mean {close[0]!r}?" if close else None


#: Control characters refused in a value once its escapes are decoded ("\\e[2J" in a quoted
#: YAML or JSON string): they would reach a terminal, or forge a row of a table.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same, in a value that may span lines (a note, a text input): tab and line feed allowed.
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def find_control(text: str, *, lines: bool = False) -> int:
    """Return the index of the first control character in ``text``, or -1.

    With ``lines``, tab and line feed are allowed (multi-line notes and text values).
    """
    match = (_CONTROL_IN_LINES if lines else _CONTROL).search(text)
    return -1 if match is None else match.start()


def describe_control(char: str) -> str:
    """``U+001B`` and, when Unicode names it, its name: for messages."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")


def find_invisible(text: str) -> int:
    """Return the index of the first invisible character in ``text``, or -1."""
    if text.isascii():
        return -1
    for index, char in enumerate(text):
        if char in INVISIBLE:
            return index
    return -1


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _decode(data: bytes, name: str) -> tuple[str | None, Issue | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Issue(
            "encoding",
            "the file is UTF-16; save it as UTF-8",
            source=name,
            line=1,
            column=1,
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark is harmless: YAML and JSON both allow it
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        line, column = _line_col(good, len(good))
        return None, Issue(
            "encoding",
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8; "
            "save the file as UTF-8 (not Windows-1258 or TCVN3)",
            source=name,
            line=line,
            column=column,
        )


def check_characters(text: str, name: str) -> Issue | None:
    """Return an issue for the first control or invisible character in ``text``."""
    match = _BAD_CHAR.search(text)
    if match is None:
        return None
    char = match.group()
    line, column = _line_col(text, match.start())
    if char in INVISIBLE:  # a byte order mark inside the text, where YAML would choke on it
        return Issue(
            "invisible-char",
            f"invisible character U+{ord(char):04X} "
            f"({unicodedata.name(char, 'format character').lower()}) in the text",
            source=name,
            line=line,
            column=column,
            hint="delete it; retype the id or name",
        )
    return Issue(
        "control-char",
        f"control character U+{ord(char):04X} in the text",
        source=name,
        line=line,
        column=column,
    )


def read_source(
    path: str | Path, *, max_bytes: int, display_name: str | None = None
) -> tuple[SourceText | None, Issue | None]:
    """Read ``path`` as strict UTF-8 text, checking size and characters.

    Returns the text, or ``None`` and the issue that stopped reading.
    """
    name = display_name or str(path)
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > max_bytes:
            return None, Issue(
                "file-too-large",
                N_("the file has {size} bytes; the limit is {limit}").format(
                    size=size, limit=max_bytes
                ),
                source=name,
            )
        with file.open("rb") as stream:  # never more than the limit: /dev/zero has size 0
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            return None, Issue(
                "file-too-large",
                N_("the file has more than {limit} bytes, the limit").format(limit=max_bytes),
                source=name,
            )
    except OSError as exc:
        return None, Issue(
            "file-not-found",
            N_("cannot read the file: {problem}").format(problem=exc.strerror),
            source=name,
        )
    return decode_source(data, name, max_bytes=max_bytes)


def decode_source(
    data: bytes, name: str, *, max_bytes: int
) -> tuple[SourceText | None, Issue | None]:
    """Decode bytes already read, with the same checks as :func:`read_source`."""
    if len(data) > max_bytes:
        return None, Issue(
            "file-too-large",
            f"the input has {len(data)} bytes; the limit is {max_bytes}",
            source=name,
        )
    text, issue = _decode(data, name)
    if text is None:
        return None, issue
    issue = check_characters(text, name)
    if issue is not None:
        return None, issue
    return SourceText(name, text), None


#: Python refuses to convert longer digit strings to int (a guard against slow conversions).
_INT_DIGITS = 4300


def json_integer(text: str) -> int | Decimal:
    """``parse_int`` for ``json.loads``: an int, or a Decimal for more digits than Python converts.

    Such a number is then refused by validation as far too large, with its place, instead of
    the whole file failing with a ``ValueError``.
    """
    if len(text.lstrip("-")) < _INT_DIGITS:
        return int(text)
    return Decimal(text)
