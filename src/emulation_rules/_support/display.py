"""Numbers as Vietnamese readers write them: decimal comma, a dot between thousands.

Human output only (tables, explanations, differences, messages). JSON, audit records and
every machine form keep the canonical decimal text (``_support.canonical.decimal_text``); a
value shown here is never read back.

Display precision: a value is shown to the places it has, at most :data:`DISPLAY_PLACES`
(scores, percentages and inputs alike), rounded half-up; a value that needed more places is
shown rounded, never with 28 digits. A caller that knows the places the guide declares (its
``rounding``) passes them as ``places``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["DISPLAY_PLACES", "MINUS", "vn_number", "vn_numbers_in", "vn_signed"]

#: Most decimal places a number is shown with on a screen or a page.
DISPLAY_PLACES = 2
#: The minus sign of displayed numbers (U+2212, as printed Vietnamese documents write it).
MINUS = "\u2212"


def _group(digits: str) -> str:
    """``16880`` → ``16.880``."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ".".join(groups)


def vn_number(value: Decimal | int | None, places: int | None = None) -> str:
    """``value`` written the Vietnamese way.

    With ``places``, exactly that many decimals; without, as few as the value needs, at most
    :data:`DISPLAY_PLACES` (rounded half-up). No value is shown as a dash.

    Example:
        >>> vn_number(Decimal("16880"))
        '16.880'
        >>> vn_number(Decimal("110.10"), 2)
        '110,10'
        >>> vn_number(Decimal("-0.50"))
        '−0,5'
        >>> vn_number(Decimal("903.9791666666666666666666667"))
        '903,98'
    """
    if value is None:
        return "—"
    number = Decimal(value)
    if not number.is_finite():
        return str(number)
    fewest = places is None
    if places is None:
        exponent = number.normalize().as_tuple().exponent
        needed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        places = min(needed, DISPLAY_PLACES)
    shown = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if fewest and shown == shown.to_integral_value():
        shown = shown.quantize(Decimal(1))
    elif fewest:
        shown = shown.normalize()
    text = format(shown, "f")
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    out = _group(whole) + ("," + fraction if fraction else "")
    if negative and shown != 0:
        return MINUS + out
    return out


def vn_signed(value: Decimal | int, places: int | None = None) -> str:
    """A number with its sign, for amounts added or taken away: ``+0,5``, ``−1``."""
    text = vn_number(value, places)
    return text if text.startswith(MINUS) else "+" + text


#: A number inside a sentence: not part of an identifier, a date or a dotted item number.
_NUMBER = re.compile(r"(?<![\w.,/:-])-?\d+(?:\.\d+)?(?![\w.]*\w|[/:]|-\d)")


def vn_numbers_in(text: str) -> str:
    """``text`` with every plain number in it written the Vietnamese way.

    Identifiers (``a4_1``), item numbers (``a4.1.3``), dates (``2022-12-12``, ``31/1``)
    and times are left as they are.

    Example:
        >>> vn_numbers_in("-0.5 × (so_lan), tối đa 1.5; mục a4.1.3")
        '−0,5 × (so_lan), tối đa 1,5; mục a4.1.3'
    """

    def one(match: re.Match[str]) -> str:
        try:
            return vn_number(Decimal(match.group()))
        except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
            return match.group()

    return _NUMBER.sub(one, text)
