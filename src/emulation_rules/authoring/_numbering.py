"""Reading the numbers and the points written in a published scoring table.

Two small parsers used by :mod:`emulation_rules.authoring.table_import`:

* :func:`parse_number` reads an item number ("STT") as people write it — ``1``, ``a``,
  ``a1``, ``a1.1``, ``b.2.5``, ``C2.4``, ``3.3.2``, ``I``, ``II``, ``1.1.a``, ``6a``,
  ``TC1`` — into segments whose kinds (digit, letter, roman numeral, word) decide, with the
  rows around it, which item is its parent;
* :func:`parse_amount` reads a points cell — ``-0,5``, ``0,5``, ``+1``, ``+ 0,1``, ``1 điểm``,
  ``1,5 điểm/trường hợp`` — into an exact :class:`~decimal.Decimal` (never a float).

:func:`ascii_slug` turns Vietnamese text into the ASCII snake_case words of an input id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from emulation_rules._support.numbers import parse_decimal

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = [
    "Amount",
    "Number",
    "Segment",
    "ascii_slug",
    "parse_amount",
    "parse_number",
    "strip_diacritics",
]

SegmentKind = Literal["digit", "letter", "roman", "word"]

#: Roman numerals people use for parts ("Phần I, II …"). L, C, D and M are left out: a single
#: "C" or "D" in a table is the third or fourth letter, not 100 or 500.
_ROMAN = re.compile(r"[IVX]+")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
#: One segment: a run of digits, or a run of letters (Vietnamese Đ/đ included).
_TOKEN = re.compile(r"[0-9]+|[A-Za-zĐđ]+")
#: What may separate segments: nothing, a dot, or spaces around a dot.
_SEPARATOR = re.compile(r"\s*\.\s*|")
#: The most segments and the longest word a number may have ("TC", "PL"); longer is text.
_MAX_SEGMENTS = 6
_MAX_WORD = 3
_MAX_DIGITS = 3


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of an item number, such as ``a``, ``7`` or ``II``."""

    #: ``digit``, ``letter`` (one Latin letter, any case), ``roman`` or ``word`` (``TC``).
    kind: SegmentKind
    #: The text as written.
    text: str
    #: The position in its sequence (``a`` → 1, ``C`` → 3, ``IV`` → 4, ``12`` → 12).
    ordinal: int

    @property
    def key(self) -> tuple[str, int | str]:
        """What makes two segments equal: the kind and the ordinal (words by their text)."""
        return (self.kind, self.text.upper() if self.kind == "word" else self.ordinal)


@dataclass(frozen=True, slots=True)
class Number:
    """An item number read from the STT column.

    Example:
        >>> n = parse_number("b.2.5")
        >>> n.id, [s.text for s in n.segments], n.style
        ('b2.5', ['b', '2', '5'], ('letter', 'digit', 'digit'))
    """

    #: The cell as written (stripped).
    text: str
    #: The id it becomes: separators kept, trailing dots dropped, a first single letter joined
    #: to the digit after it (``a.7.1`` → ``a7.1``, ``b1.`` → ``b1``).
    id: str
    segments: tuple[Segment, ...]

    @property
    def style(self) -> tuple[SegmentKind, ...]:
        """The kinds of the segments: items of one list share a style."""
        return tuple(s.kind for s in self.segments)

    @property
    def keys(self) -> tuple[tuple[str, int | str], ...]:
        """The segments' keys, to compare numbers (``a.7`` and ``a7`` are equal)."""
        return tuple(s.key for s in self.segments)

    def extends(self, other: Number) -> bool:
        """Whether ``other`` is a proper prefix of this number (``a1`` of ``a1.2``)."""
        size = len(other.segments)
        return size < len(self.segments) and self.keys[:size] == other.keys

    def follows(self, other: Number) -> bool:
        """Whether this number comes after ``other`` in the same list (``b`` after ``a``)."""
        if self.style != other.style or self.keys[:-1] != other.keys[:-1]:
            return False
        return self.segments[-1].ordinal > other.segments[-1].ordinal

    @property
    def starts_list(self) -> bool:
        """Whether the last segment is the first of its sequence (``1``, ``a``, ``I``)."""
        return self.segments[-1].ordinal == 1


def _roman_value(text: str) -> int:
    total = 0
    for index, char in enumerate(text):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[text[index + 1]] if index + 1 < len(text) else 0
        total += -value if value < following else value
    return total


def _segment(token: str, first: bool) -> Segment | None:
    if token.isdigit():
        if len(token) > _MAX_DIGITS:
            return None
        return Segment("digit", token, int(token))
    if first and _ROMAN.fullmatch(token) and (len(token) > 1 or token in _ROMAN_VALUES):
        return Segment("roman", token, _roman_value(token))
    if len(token) == 1:
        letter = strip_diacritics(token).lower()
        return Segment("letter", token, ord(letter) - ord("a") + 1)
    if len(token) <= _MAX_WORD and token.isupper():
        return Segment("word", token, 0)
    return None


def parse_number(text: str) -> Number | None:
    """Read an item number, or return None when the cell is not one.

    Example:
        >>> [parse_number(t).id for t in ("1", "a1.1", "a.7.1", "b1.", "C2.4", "II", "1.1.a")]
        ['1', 'a1.1', 'a7.1', 'b1', 'C2.4', 'II', '1.1.a']
        >>> parse_number("Tiêu chuẩn") is None, parse_number("-") is None
        (True, True)
    """
    clean = unicodedata.normalize("NFC", text).strip().rstrip(".)").lstrip("(").strip()
    if not clean:
        return None
    segments: list[Segment] = []
    written: list[str] = []
    position = 0
    while position < len(clean):
        if segments:
            separator = _SEPARATOR.match(clean, position)
            assert separator is not None  # the pattern matches the empty string
            position = separator.end()
            written.append("." if separator.group() else "")
        token = _TOKEN.match(clean, position)
        if token is None:
            return None
        segment = _segment(token.group(), not segments)
        if segment is None or len(segments) >= _MAX_SEGMENTS:
            return None
        if segments and not written[-1] and segments[-1].kind == segment.kind:
            return None  # "a b" or "12" "3" run together: not a number
        segments.append(segment)
        position = token.end()
    parts = [segments[0].text]
    for index, segment in enumerate(segments[1:], start=1):
        joined = index == 1 and segments[0].kind == "letter" and segment.kind == "digit"
        parts.append(("" if joined else written[index - 1]) + segment.text)
    return Number(clean, "".join(parts), tuple(segments))


@dataclass(frozen=True, slots=True)
class Amount:
    """Points read from a cell: a signed value, and what it is counted per, if written."""

    value: Decimal
    #: Whether a sign was written (``+1``, ``-0,5``): a written sign says bonus or deduction.
    signed: bool
    #: The unit after a slash or "mỗi" (``trường hợp`` in ``1,5 điểm/trường hợp``), if any.
    per: str | None = None


_NUMBER = r"\d+(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?P<sign>[+\-–−])?\s*(?P<number>{_NUMBER})\s*(?:điểm)?\s*"
    r"(?:(?:/|mỗi|cho mỗi)\s*(?:0?1\s+)?(?P<per>[^\d()]+?))?\s*\.?",
    re.IGNORECASE,
)


def parse_amount(text: str) -> Amount | None:
    """Read a points cell; None when the cell is empty or not a number of points.

    Example:
        >>> [str(parse_amount(t).value) for t in ("-0,5", "0,5", "+1", "+ 0,1", "1 điểm")]
        ['-0.5', '0.5', '1', '0.1', '1']
        >>> parse_amount("1,5 điểm/trường hợp")
        Amount(value=Decimal('1.5'), signed=False, per='trường hợp')
        >>> parse_amount("(không xếp loại)") is None
        True
    """
    clean = unicodedata.normalize("NFC", text).replace("\xa0", " ").strip()
    match = _AMOUNT.fullmatch(clean)
    if not clean or match is None:
        return None
    value = parse_decimal(match.group("number"), decimal_comma=True)
    if value is None:
        return None
    sign = match.group("sign")
    if sign is not None and sign != "+":
        value = -value
    per = match.group("per")
    return Amount(value, sign is not None, per.strip() if per else None)


def strip_diacritics(text: str) -> str:
    """Vietnamese text without its marks (``đ`` becomes ``d``).

    Example:
        >>> strip_diacritics("Số trường hợp đúng hạn")
        'So truong hop dung han'
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ascii_slug(text: str, *, words: int = 5) -> str:
    """The first ``words`` words of ``text`` in ASCII snake_case.

    Example:
        >>> ascii_slug("Chậm trễ nộp báo cáo kết quả thống kê cấp huyện: trừ 1 điểm", words=4)
        'cham_tre_nop_bao'
    """
    found = re.findall(r"[a-z0-9]+", strip_diacritics(text).lower())
    return "_".join(found[:words])
