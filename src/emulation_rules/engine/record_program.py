"""A guide's audit-record writer, generated once per guide as scoring is.

Fast path of: :func:`emulation_rules.engine.result_json.lazy_trace_json` and the unit's items
written by the json module, that is of ``canonical_json(unit.to_dict(trace=True))`` encoded to
UTF-8. Kept equal, byte for byte, by ``tests/test_result_json.py`` (every shipped example,
random clusters of every shipped and written guide, each record shape of a criterion and form
of a decimal, the submissions' values shared) and the golden records.

For each guide, the JSON text of everything in a unit's trace that does not depend on the unit
(ids, titles, rules, lines, the names of the inputs, how the parts are shown, the brackets and
keys) is cut once around the unit's dynamic fields, encoded to UTF-8 and written into the
source of one Python function as ``bytes`` templates. The function reads a unit's flat records
(``_LazyTrace``) and returns the bytes of its trace's criteria and of its items: per criterion
a few inline steps (its record's shape, one ``%`` of its tail's template), and one ``%`` for
the whole tree, in which the children sit between their parent's head and tail, so no text is
copied into its parent. The unit is never a ``str``: the Vietnamese titles and rules would make
it two bytes a character, copied at every step and encoded at the end; here only the dynamic
texts (numbers, flags, ASCII) are encoded, all of a unit's values at once and all its inputs at
once.

The values are read as the tuple the unit keeps (``CriterionValues.ordered``) and written with
one ``map(str, ...)``; each text is checked to be in the canonical form of
:func:`~emulation_rules._support.canonical.exact_decimal_text` (no exponent, no trailing zero
after the point, no negative zero) and the few that are not are made so from their text
(:func:`canonical_text`). Measured: hashing a fresh decimal (what a dictionary of texts needs)
costs 400-650 ns, its ``str()`` 60-90 ns.

The inputs' texts serve twice: in the trace, and, when a unit's inputs are exactly its
submission's values (the submission's own dict), as the JSON of those values, which the
writer leaves in ``SH`` for the record's submissions section (``audit.records``), which then
need not write them again (the decimal's ``str()`` there, as ``model_dump`` writes it).

The function handles units to which every criterion applies, with the record shapes of the
common criteria (a construct's bare part, a leaf capped by its construct, a group showing its
children); any other criterion is written by the general writer it is given, and a unit with
anything unusual (a criterion that does not apply, a missing input read as not applicable by
some criterion and not others, a value not a ``Decimal``, items that are not its values) makes
it return None: the caller then writes the unit by the general path.
"""

from __future__ import annotations

import json
from decimal import Decimal
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import exact_decimal_text
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.engine.items import CriterionValues

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Unusual", "build_writer", "canonical_text", "pieces"]

_encode_str: Any = json.encoder.encode_basestring
#: JSON numbers are safe for integers a double holds exactly; larger ones are written as text.
_SAFE_INT = 2**53


class Unusual(Exception):  # noqa: N818 - not an error the user sees
    """A unit the generated writer leaves to the general path."""


def pieces(template: str) -> tuple[str, ...]:
    """A ``%`` template cut at its slots, ``%%`` undone: the static text around each value."""
    return tuple(piece.replace("%%", "%") for piece in template.split("%s"))


def _fstring(body: Sequence[str | tuple[str]]) -> str:
    """Python source of an f-string: ``str`` pieces are literal text, ``(name,)`` a local.

    An f-string builds its text in one step (no method call, unlike ``"".join``).
    """
    out = []
    for piece in body:
        if isinstance(piece, tuple):
            out.append("{" + piece[0] + "}")
        else:
            out.append(piece.replace("{", "{{").replace("}", "}}"))
    return "f" + repr("".join(out))


def _bytes(body: Sequence[str | tuple[str]]) -> str:
    """Python source of UTF-8 bytes: ``str`` pieces are literal text, ``(expr,)`` bytes.

    A ``bytes`` literal (``repr``, ASCII with escapes) and ``%`` of the holes, each ``%b``:
    the text is written as UTF-8 once, here, and the unit is never a ``str``.
    """
    template = []
    holes = []
    for piece in body:
        if isinstance(piece, tuple):
            template.append(b"%b")
            holes.append(piece[0])
        else:
            template.append(piece.encode("utf-8").replace(b"%", b"%%"))
    literal = b"".join(template)
    if not holes:
        return repr(literal.replace(b"%%", b"%"))
    return repr(literal) + " % (" + "".join(hole + ", " for hole in holes) + ")"


def _not_canonical(text: str) -> str:
    """The test that ``text``, the ``str()`` of a decimal, is not its canonical text."""
    return (
        f"'E' in {text} or {text}[-1] > '9' or {text}[-1] == '0' and "
        f"('.' in {text} or {text} == '-0')"
    )


def _canonical_line(target: str, obj: str, indent: str) -> str:
    """A line making ``target``, the ``str()`` of the decimal ``obj``, its canonical text."""
    return f"{indent}if {_not_canonical(target)}: {target} = X({target}, {obj})"


def _decimal_lines(target: str, obj: str, indent: str) -> list[str]:
    """Lines setting ``target`` to the canonical text (unquoted) of the decimal ``obj``."""
    return [
        f"{indent}if {obj}.__class__ is not D: raise U",
        f"{indent}{target} = str({obj})",
        _canonical_line(target, obj, indent),
    ]


def build_writer(
    rows: Sequence[Any],
    plan: Sequence[Any],
    roots: Sequence[int],
    *,
    criterion: Callable[..., str],
    lines_json: Callable[[Any], str],
    value_json: Callable[[Any], str],
) -> Callable[..., tuple[bytes, bytes] | None]:
    """The generated writer of a guide: ``write(N, V, A, M, R, I, SH) -> (criteria, items)``.

    ``rows``: the general writer's rows (``result_json._Plan.rows``) in the compiled order;
    ``plan``: the program's plan entries; ``roots``: the indexes of the top-level criteria.
    ``N, V, A, M, R``: a ``_LazyTrace``'s names, values, flags, maxima and records; ``I``:
    the unit's items; ``SH``: None, or a dict where the JSON text of the unit's submitted
    values is left, by ``id(N)``, as ``(N, text)``, when they are exactly its inputs.
    ``criterion(row, i, record, kids, N, V, A, M)`` is the general writer of one criterion;
    ``lines_json`` writes a record's adjustment lines. Returns the UTF-8 bytes of the trace's
    top-level criteria joined by commas, and of the items (a JSON object), or None (or raises
    :class:`Unusual`) when the unit is left to the general path.
    """
    count = len(rows)
    index_of = {entry.id: i for i, entry in enumerate(plan)}
    lines = [
        "def write(N, V, A, M, R, I, SH):",
        f"    if False in A or len(I) != {count}: return None",
        "    F = None",
        "    mc = MC[0]",
        "    if mc[0] is not M: mc = maxtexts(M)",
        "    mt = mc[1]",
    ]
    # every criterion's value (the object, to recognise the items and the parts) and its
    # text; the items must be the same objects
    if count:
        lines.append("    vs = VO(V)")
        lines.append("    if I is not V and not all(map(IS, VO(I), vs)): raise U")
        lines.append("    if tuple(map(type, vs)) != DS: raise U")
        lines.append("    " + "".join(f"o{i}, " for i in range(count)) + "= vs")
        lines.append("    " + "".join(f"v{i}, " for i in range(count)) + "= map(str, vs)")
        lines += [_canonical_line(f"v{i}", f"o{i}", "    ") for i in range(count)]
    # every input once: its JSON text (quoted if a decimal)
    readers: dict[str, set[bool]] = {}
    for row in rows:
        for name in row[2]:
            readers.setdefault(name, set()).add(bool(row[4]))
    input_names = sorted(readers)
    input_local = {name: f"n{k}" for k, name in enumerate(input_names)}
    # ``n``: the text the trace shows; ``s``: the text the submission shows (the decimal's
    # ``str()``, not always canonical)
    for k, name in enumerate(input_names):
        local, raw = f"n{k}", f"s{k}"
        lines.append(f"    x = N[{name!r}]")
        lines.append("    if x.__class__ is D:")
        lines.append(f"        {raw} = str(x)")
        lines.append(
            f"        if {_not_canonical(raw)}:"
            f" {local} = '\"' + X({raw}, x) + '\"'; {raw} = '\"' + {raw} + '\"'"
        )
        lines.append(f"        else: {local} = {raw} = '\"' + {raw} + '\"'")
        lines.append(f"    elif x is True: {local} = {raw} = 'true'")
        lines.append(f"    elif x is False: {local} = {raw} = 'false'")
        lines.append(
            f"    elif x.__class__ is int and {-_SAFE_INT} < x < {_SAFE_INT}:"
            f" {local} = {raw} = str(x)"
        )
        how = readers[name]
        if how == {True}:  # read as optional only: a missing input shows as null
            lines.append(f"    elif x is NA: {local} = 'null'; F = 1")
        elif how == {True, False}:  # optional for some, not for others
            lines.append("    elif x is NA: raise U")
        lines.append(f"    elif x is None: {local} = {raw} = 'null'")
        lines.append(f"    elif x.__class__ is str: {local} = {raw} = J(x)")
        lines.append(f"    else: {local} = J(x); F = 1")
    # the submission's values, when every one is an input read here (N is then the
    # submission's dict) and written as the submission writes it: shared with the record's
    # inputs through SH (``audit.records``), which would otherwise write them again
    if input_names:
        shown: list[str | tuple[str]] = []
        for k, name in enumerate(input_names):
            shown += [("{" if k == 0 else ",") + _encode_str(name) + ":", (f"s{k}",)]
        shown.append("}")
        lines.append(
            f"    if SH is not None and F is None and len(N) == {len(input_names)}:"
            f" SH[id(N)] = (N, {_fstring(shown)})"
        )
    # the texts as UTF-8 bytes, all at once
    for prefix, number in (("v", count), ("n", len(input_names))):
        if number:
            names = "".join(f"{prefix}{k}, " for k in range(number))
            lines.append(f"    {names}= EB(({names}))")
    general = 0
    for i, row in enumerate(rows):
        e = row[0]
        inputs_body: list[str | tuple[str]] = []
        in_pieces = pieces(e.inputs)
        for k, piece in enumerate(in_pieces):
            inputs_body.append(piece)
            if k < len(e.reads):
                inputs_body.append((input_local[e.reads[k]],))
        amax: str | tuple[str] = (f"mt[{i}]",) if e.has_max else "null"
        lines.append(f"    r = R[{i}]")
        common = pieces(e.common)
        capped = pieces(e.capped)
        children_parts = _children_parts(e, plan, index_of)
        if e.shown == "construct" and e.inline_part:
            c0, c1, c2, c3, c4, c5 = common
            tail = [c1, *inputs_body, c2, amax, c3, '"', ("p",), '"', c4, '"', (f"v{i}",), '"', c5]
            lines.append("    if r.__class__ is D:")
            lines.append(f"        if r is o{i}: p = v{i}")
            lines.append("        else:")
            lines += _decimal_lines("p", "r", "            ")
            lines.append("            p = E(p)")
            lines.append(f"        h{i} = {_bytes([c0])}")
            lines.append(f"        t{i} = {_bytes(tail)}")
            k0, k1, k2, k3, k4, k5, k6 = capped
            head: list[str | tuple[str]] = [k0, '"', ("E(a)",), '"', k1]
            tail = [k2, *inputs_body, k3, amax, k4, '"', ("p",), '"', k5, '"', (f"v{i}",), '"', k6]
            lines.append("    elif r.__class__ is tuple and len(r) == 2:")
            lines.append("        x = r[0]")
            lines.append(f"        if x is o{i}: p = v{i}")
            lines.append("        else:")
            lines += _decimal_lines("p", "x", "            ")
            lines.append("            p = E(p)")
            lines.append("        x = r[1]")
            lines += _decimal_lines("a", "x", "        ")
            lines.append(f"        h{i} = {_bytes(head)}")
            lines.append(f"        t{i} = {_bytes(tail)}")
            lines.append(f"    else: h{i}, t{i} = S({i}, r, N, V, A, M)")
        elif e.shown == "children" and children_parts is not None:
            c0, c1, c2, c3, c4, c5 = common
            tail = [c1, *inputs_body, c2, amax, c3, *children_parts, c4, '"', (f"v{i}",), '"', c5]
            g0, g1 = pieces(e.general)[:2]
            lined: list[str | tuple[str]] = [g0, ("E(L(r[2]))",), g1]
            # no adjustment line (the record is not a tuple), or the usual general record:
            # scored, its lines (a cap on the children's sum), no note, no cohort facts
            lines.append(
                "    if r.__class__ is not tuple or len(r) == 5 and r[0] == 'scored'"
                " and r[3] is None and not r[4]:"
            )
            lines.append(
                f"        h{i} = {_bytes([c0])} if r.__class__ is not tuple else {_bytes(lined)}"
            )
            lines.append(f"        t{i} = {_bytes(tail)}")
            lines.append(f"    else: h{i}, t{i} = S({i}, r, N, V, A, M)")
        else:
            general += 1
            lines.append(f"    h{i}, t{i} = S({i}, r, N, V, A, M)")
    # the items, in sorted order, each the value the trace shows
    ordered = sorted(index_of)
    items_body: list[str | tuple[str]] = []
    for k, ident in enumerate(ordered):
        i = index_of[ident]
        items_body += [("{" if k == 0 else ",") + _encode_str(ident) + ':"', (f"v{i}",), '"']
    items_body.append("}" if ordered else "{}")

    def tree(i: int) -> list[str | tuple[str]]:
        body: list[str | tuple[str]] = [(f"h{i}",)]
        for k, child in enumerate(plan[i].children):
            if k:
                body.append(",")
            body += tree(child)
        body.append((f"t{i}",))
        return body

    criteria: list[str | tuple[str]] = []
    for k, root in enumerate(roots):
        if k:
            criteria.append(",")
        criteria += tree(root)
    lines.append(f"    return {_bytes(criteria)}, {_bytes(items_body)}")

    maxima_cache: list[tuple[Any, tuple[bytes, ...]]] = [(None, ())]
    has_max = tuple(bool(row[6]) for row in rows)

    def maxtexts(maxima: Sequence[Any]) -> tuple[Any, tuple[bytes, ...]]:
        texts = tuple(
            value_json(maxima[i]).encode("utf-8") if has_max[i] else b"null" for i in range(count)
        )
        maxima_cache[0] = (maxima, texts)
        return maxima_cache[0]

    def general_criterion(i: int, record: Any, *unit: Any) -> tuple[bytes, bytes]:
        head, _, tail = criterion(rows[i], i, record, "\x00", *unit).partition("\x00")
        return head.encode("utf-8"), tail.encode("utf-8")

    ids = tuple(entry.id for entry in plan)
    expected = {ident: i for i, ident in enumerate(ids)}
    by_id = key_getter(ids) if ids else None
    known: list[Any] = [None]

    def values_of(values: Any) -> tuple[Any, ...]:
        """A unit's values (or items) in the plan's order: the kept tuple when it is."""
        if values.__class__ is CriterionValues:
            index = values._index  # noqa: SLF001 - the id -> position index the guide shares
            if index is known[0]:
                return values.ordered
            if index == expected:
                known[0] = index
                return values.ordered
        assert by_id is not None
        return by_id(values)

    namespace: dict[str, Any] = {
        "VO": values_of,
        "EB": _encoded,
        "E": str.encode,
        "IS": is_,
        "DS": (Decimal,) * count,
        "D": Decimal,
        "U": Unusual,
        "NA": NOT_APPLICABLE,
        "X": canonical_text,
        "J": value_json,
        "S": general_criterion,
        "L": lines_json,
        "MC": maxima_cache,
        "maxtexts": maxtexts,
        "__builtins__": {
            "str": str,
            "len": len,
            "tuple": tuple,
            "int": int,
            "all": all,
            "map": map,
            "type": type,
            "id": id,
        },
    }
    source = "\n".join(lines) + "\n"
    # built from local names, repr() of the guide's texts and fixed syntax only
    exec(compile(source, "<emulation-rules record writer>", "exec"), namespace)  # noqa: S102
    write: Callable[..., tuple[bytes, bytes] | None] = namespace["write"]
    write.source = source  # type: ignore[attr-defined]
    write.general = general  # type: ignore[attr-defined]
    return write


def key_getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``operator.itemgetter`` of the keys, always giving a tuple."""
    if len(keys) == 1:
        (only,) = keys
        return lambda values: (values[only],)
    return itemgetter(*keys)


def canonical_text(text: str, value: Decimal) -> str:
    """The canonical text of a decimal (exactly ``Decimal``) from its ``str()``.

    As :func:`~emulation_rules._support.canonical.exact_decimal_text`, without hashing the
    decimal (as its dictionary of texts needs): ``str()`` writes a decimal without an exponent
    as ``format(value, "f")`` does, so only the zeros ending a fraction, and the sign of zero,
    are left to take off.
    """
    if "E" in text or text[-1] > "9":  # an exponent, NaN or an infinity
        return exact_decimal_text(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _encoded(texts: Sequence[str]) -> list[bytes]:
    """The texts as UTF-8 bytes, in three C calls (no JSON text holds a raw control character)."""
    return "\x01".join(texts).encode("utf-8").split(b"\x01")


def _children_parts(
    entry: Any, plan: Sequence[Any], index_of: dict[str, int]
) -> list[str | tuple[str]] | None:
    """The f-string body of a group's parts ``[[child, value], ...]``, every child applying.

    None when a child is not a criterion of the plan at the index its flag is read from.
    """
    body: list[str | tuple[str]] = ["["]
    listed = [*entry.score_children, *entry.adjust]
    for k, (lead, ident, flag) in enumerate(listed):
        if index_of.get(ident) != flag or plan[flag].id != ident:
            return None
        body += [("," if k else "") + lead + '"', (f"v{flag}",), '"]']
    body.append("]")
    return body
