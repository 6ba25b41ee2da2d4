"""docs/errors.md documents exactly the codes of ``CODES``, in the groups of ``CODES``."""

from __future__ import annotations

import re
from pathlib import Path

from emulation_rules.errors import CODES

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"

#: A backticked kebab-case word outside code blocks, like `yaml-alias`.
_KEBAB = re.compile(r"`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`")
#: Backticked kebab-case words that are not codes.
NOT_CODES = {"emulation-rules"}

#: The section of the page for each group of CODES (the comments in errors.py), in order.
GROUPS = {
    "Files and text": ["file-not-found", "file-too-large", "encoding", "control-char"],
    "YAML structure": ["yaml-syntax", "duplicate-key", "too-deep"],
    "Guide schema": ["unknown-field", "unsupported-format"],
    "Guide semantics": ["duplicate-id", "cycle", "unused-input"],
    "Expressions": ["expr-syntax", "expr-type"],
    "Submissions": ["ruleset-mismatch", "number-format", "evidence-missing"],
    "Excel workbooks": ["workbook-too-large", "sheet-too-large", "merged-cells", "sheet-renamed"],
    "Evaluation and ranking": ["eval-div-zero", "total-mismatch", "tie-unresolved"],
    "Audit records and logs": ["audit-format", "audit-digest", "audit-chain", "audit-replay"],
    "Command line": ["usage", "stream-resume", "stream-worker-lost", "whatif-request"],
}


def _prose_lines() -> list[str]:
    """The lines of the page outside fenced code blocks."""
    lines = []
    fenced = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def _documented() -> dict[str, int]:
    """Codes with a heading (or a table row) of their own, and the line of each."""
    found: dict[str, int] = {}
    for number, line in enumerate(_prose_lines()):
        match = re.fullmatch(r"(?:#+ |\| )`([a-z0-9-]+)`.*", line)
        if match:
            found.setdefault(match.group(1), number)
    return found


def test_every_code_is_documented() -> None:
    missing = sorted(set(CODES) - set(_documented()))
    assert not missing, f"codes without a heading in docs/errors.md: {missing}"


def test_the_page_names_no_other_code() -> None:
    named = {m for line in _prose_lines() for m in _KEBAB.findall(line)} - NOT_CODES
    unknown = sorted(named - set(CODES))
    assert not unknown, f"docs/errors.md names codes that CODES does not have: {unknown}"
    headed = sorted(set(_documented()) - set(CODES))
    assert not headed, f"headings for codes that CODES does not have: {headed}"


def test_codes_appear_in_the_order_of_codes() -> None:
    documented = _documented()
    order = sorted(CODES, key=lambda code: documented.get(code, -1))
    assert order == list(CODES)


def test_codes_are_under_their_group() -> None:
    sections: dict[str, str] = {}
    current = ""
    for line in _prose_lines():
        if line.startswith("## "):
            current = line.removeprefix("## ")
        match = re.fullmatch(r"### `([a-z0-9-]+)`", line)
        if match:
            sections[match.group(1)] = current
    for group, codes in GROUPS.items():
        for code in codes:
            assert sections.get(code) == group, (code, sections.get(code), group)


def test_each_code_shows_a_message() -> None:
    """Each code's section shows at least one rendered message with that code."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z0-9-]+)`$", text, flags=re.MULTILINE)
    bodies = dict(zip(parts[1::2], parts[2::2], strict=True))
    for code in CODES:
        body = bodies[code]
        if code == "usage":
            assert "usage:" in body
            continue
        assert re.search(rf"(^|: )(warning: )?{re.escape(code)}: ", body, re.MULTILINE), code
        assert "**Fix:**" in body, code
