"""Compare two versions of a guide on the same submissions.

:func:`diff_guides` scores the submissions with both versions and reports, per unit whose
result changes, its total, rank, classification, status and awards before and after, and the
criteria whose value changed; the *causes* are the changed criteria none of whose children
changed (the rows of the table that moved, not the subtotals that followed them). The rules
that differ between the versions are listed too, field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import canonical_value
from emulation_rules._support.display import vn_number
from emulation_rules._support.i18n import N_, _, pgettext, translate
from emulation_rules.engine.scoring import ClusterResult, score

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.errors import Issue
    from emulation_rules.inputs.cluster_data import ClusterData
    from emulation_rules.inputs.submissions import Rejected, Submission

__all__ = ["GuideDiff", "ItemChange", "RuleChange", "UnitChange", "diff_guides", "diff_results"]


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A criterion whose value changed for a unit (``None``: it does not apply)."""

    id: str
    title: str
    old: Decimal | None
    new: Decimal | None


@dataclass(frozen=True, slots=True)
class UnitChange:
    """How one unit's result changes from the old version to the new."""

    unit_id: str
    name: str
    #: ``(old, new)`` of each field that changed: ``total``, ``rank``, ``classification``,
    #: ``status``, ``awards``, ``max``.
    fields: tuple[tuple[str, Any, Any], ...]
    #: Every criterion whose value changed, in the guide's order.
    items: tuple[ItemChange, ...]
    #: The changed criteria none of whose children changed: what caused the change.
    causes: tuple[str, ...]
    #: Why the unit is rejected under the new version (its issues' messages), if it is.
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A criterion (or a guide-level key) that differs between the versions."""

    id: str
    #: ``added``, ``removed`` or ``changed``.
    change: str
    #: ``(field path, old, new)`` for a changed rule.
    fields: tuple[tuple[str, Any, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class GuideDiff:
    """The differences between two versions of a guide over the same submissions."""

    old: tuple[str, str]
    new: tuple[str, str]
    rules: tuple[RuleChange, ...]
    units: tuple[UnitChange, ...]
    unchanged: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (decimals as strings)."""
        data = {
            "old": {"id": self.old[0], "version": self.old[1]},
            "new": {"id": self.new[0], "version": self.new[1]},
            "rules": [
                {
                    "id": r.id,
                    "change": r.change,
                    "fields": [{"field": f, "old": o, "new": n} for f, o, n in r.fields],
                }
                for r in self.rules
            ],
            "units": [
                {
                    "unit_id": u.unit_id,
                    "name": u.name,
                    "changes": {f: {"old": o, "new": n} for f, o, n in u.fields},
                    "items": [
                        {"id": i.id, "title": i.title, "old": i.old, "new": i.new} for i in u.items
                    ],
                    "causes": list(u.causes),
                    "reasons": list(u.reasons),
                }
                for u in self.units
            ],
            "unchanged": list(self.unchanged),
        }
        return canonical_value(data)  # type: ignore[no-any-return]

    def render(self) -> str:
        """The differences as text, for people, in the language of the call."""
        count = len(self.units) + len(self.unchanged)
        lines = [
            _("Comparing {old} → {new} on {count} units").format(
                old=f"{self.old[0]} {self.old[1]}", new=f"{self.new[0]} {self.new[1]}", count=count
            ),
            "",
        ]
        if self.rules:
            lines.append(_("Rules changed:"))
            for rule in self.rules:
                lines.extend(f"  {rule.id}: {words}" for words in _change_words(rule))
        else:
            lines.append(_("No rule changed."))
        lines.append("")
        lines.append(_("Units whose result changed: {count}").format(count=len(self.units)))
        for unit in self.units:
            summary = "; ".join(
                f"{_field_text(f)} {_shown(f, o)} → {_shown(f, n)}" for f, o, n in unit.fields
            )
            lines.append(f"  {unit.unit_id} ({unit.name}): {summary or _('items changed')}")
            by_id = {i.id: i for i in unit.items}
            for cause in unit.causes:
                item = by_id[cause]
                lines.append(f"      {cause}: {_text(item.old)} → {_text(item.new)}  {item.title}")
            followers = [i.id for i in unit.items if i.id not in unit.causes]
            if followers:
                lines.append("      " + _("(followed by: {ids})").format(ids=", ".join(followers)))
            if unit.reasons:
                lines.append("      " + _("rejected by the new version, because:"))
                lines.extend(f"        - {translate(reason)}" for reason in unit.reasons)
            elif not unit.items and not any(f == "status" for f, _o, _n in unit.fields):
                lines.append(
                    "      " + _("(points unchanged: the rank moved with the other units' results)")
                )
        if self.unchanged:
            lines.append(
                _("Unchanged: {count} ({ids})").format(
                    count=len(self.unchanged), ids=", ".join(self.unchanged)
                )
            )
        return "\n".join(lines) + "\n"


def _change_words(rule: RuleChange) -> list[str]:
    """A changed criterion or guide-level key in sentences."""
    if rule.change == "added":
        return [_("new criterion")]
    if rule.change == "removed":
        return [_("criterion removed")]
    if rule.id == "inputs":
        return _input_words(rule.fields)
    return _rule_words(rule.fields)


def _field_text(field: str) -> str:
    words = {
        "total": pgettext("diff", "total"),
        "rank": pgettext("diff", "rank"),
        "classification": pgettext("diff", "classification"),
        "status": pgettext("diff", "status"),
        "awards": pgettext("diff", "awards"),
        "max": pgettext("diff", "maximum"),
    }
    return words.get(field, field)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return pgettext("diff", "yes") if value else pgettext("diff", "no")
    if hasattr(value, "as_tuple"):
        return vn_number(value)
    return str(value)


def _status_text(status: str) -> str:
    words = {
        "scored": pgettext("status", "scored"),
        "rejected": pgettext("status", "rejected"),
        "error": pgettext("status", "failed to score"),
        "not_classified": pgettext("status", "not classified"),
    }
    return words.get(status, status)


def _shown(field: str, value: Any) -> str:
    if field == "status" and isinstance(value, str):
        return _status_text(value)
    return _text(value)


#: Rule fields in words: the last part of a changed path (``per_event.cap`` → ``cap``).
_PATH_WORDS = {
    "max": N_("maximum points"),
    "title": N_("item title"),
    "points": N_("number of points"),
    "cap": N_("upper limit"),
    "deductions": N_("limit of the deductions"),
    "bonuses": N_("limit of the bonuses"),
    "otherwise": N_("points in every other case"),
    "count": N_("cases counted from"),
    "of": N_("measured on"),
    "every": N_("each step"),
    "above": N_("upper threshold"),
    "late": N_("points when late"),
    "due": N_("due date"),
    "formula": N_("rule formula"),
    "met": N_("condition to meet"),
    "when": N_("condition to apply"),
    "kind": N_("kind of row"),
}
_PATH_PARENTS = {"per_event": N_("per case"), "caps": N_("limits"), "bands": N_("the levels")}
#: An input's fields in words.
_INPUT_WORDS = {
    "type": N_("type of value"),
    "label": N_("label of the input"),
    "description": N_("description of the input"),
    "required": N_("required input"),
    "missing": N_("value when left empty"),
    "min": N_("smallest value"),
    "max": N_("largest value"),
    "places": N_("decimal places"),
    "values": N_("allowed values"),
    "evidence": N_("evidence required"),
    "unit": N_("unit of measure"),
}


def _path_words(path: str) -> str:
    parts = path.split(".")
    word = _PATH_WORDS.get(parts[-1])
    if word is None:
        return f"'{path}'"
    parent = _PATH_PARENTS.get(parts[-2]) if len(parts) > 1 else None
    return f"{_(word)} ({_(parent)})" if parent else _(word)


def _band_name(band: Any) -> str:
    """A band in the guide's own words: 'từ 95 đến dưới 98', 'trên 98'."""
    if not isinstance(band, dict):
        return _text(band)
    words: list[str] = []
    for key in ("from", "above", "below", "to"):
        if band.get(key) is not None:
            value = _text(_number(band[key]))
            if key == "from":
                words.append(pgettext("band", "from {value}").format(value=value))
            elif key == "above":
                words.append(pgettext("band", "above {value}").format(value=value))
            elif key == "below" and words:
                words.append(pgettext("band", "to below {value}").format(value=value))
            elif key == "below":
                words.append(pgettext("band", "below {value}").format(value=value))
            else:
                words.append(pgettext("band", "up to {value}").format(value=value))
    return " ".join(words) or pgettext("band", "any value")


def _number(value: Any) -> Any:
    try:
        return Decimal(str(value)) if isinstance(value, int | str) else value
    except ArithmeticError:
        return value


def _moved(what: str, old: Any, new: Any, *, points: bool = False) -> str:
    """``what`` changed from ``old`` to ``new``, in a sentence (``points``: amounts of points).

    The templates have a context ("diff"): they are not messages that
    :func:`~emulation_rules._support.i18n.translate` matches issues against.
    """
    a, b = _number(old), _number(new)
    values = {"what": what, "old": _text(a), "new": _text(b)}
    if isinstance(a, Decimal) and isinstance(b, Decimal) and not isinstance(old, bool):
        if points and b > a:
            return pgettext("diff", "{what} up from {old} to {new} points").format(**values)
        if points:
            return pgettext("diff", "{what} down from {old} to {new} points").format(**values)
        if b > a:
            return pgettext("diff", "{what} up from {old} to {new}").format(**values)
        return pgettext("diff", "{what} down from {old} to {new}").format(**values)
    if old is None:
        return pgettext("diff", "{what} added: {new}").format(**values)
    if new is None:
        return pgettext("diff", "{what} removed (it was {old})").format(**values)
    return pgettext("diff", "{what} changed from {old} to {new}").format(**values)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rule_words(fields: tuple[tuple[str, Any, Any], ...]) -> list[str]:
    """Each changed field of a rule as a sentence, never a Python value."""
    lines = []
    for path, old, new in fields:
        if isinstance(old, list) and isinstance(new, list) and path.endswith("bands"):
            lines.extend(_band_words(old, new))
        else:
            lines.append(_moved(_capitalized(_path_words(path)), old, new))
    return lines


def _input_words(fields: tuple[tuple[str, Any, Any], ...]) -> list[str]:
    """The inputs added, removed or changed, each in a sentence with its label."""
    by_input: dict[str, list[tuple[str, Any, Any]]] = {}
    for path, old, new in fields:
        name, _dot, rest = path.partition(".")
        by_input.setdefault(name, []).append((rest, old, new))
    lines = []
    for name, changes in by_input.items():
        before = {key: old for key, old, _new in changes}
        after = {key: new for key, _old, new in changes}
        if all(v is None for v in before.values()):
            required = (
                pgettext("input", "required")
                if after.get("required") is True
                else pgettext("input", "optional")
            )
            lines.append(
                _("New input '{name}' ({label}), {required}").format(
                    name=name, label=after.get("label") or name, required=required
                )
            )
        elif all(v is None for v in after.values()):
            lines.append(
                _("Input '{name}' ({label}) removed").format(
                    name=name, label=before.get("label") or name
                )
            )
        else:
            for key, old, new in changes:
                word = _INPUT_WORDS.get(key)
                what = _("Input '{name}': {field}").format(
                    name=name, field=_(word) if word else f"'{key}'"
                )
                lines.append(_moved(what, old, new))
    return lines


def _band_words(old: list[Any], new: list[Any]) -> list[str]:
    before = {_band_name(b): b for b in old}
    after = {_band_name(b): b for b in new}
    lines = []
    for name, band in after.items():
        was = before.get(name)
        if was is None:
            lines.append(
                _("New level '{name}': {points} points").format(
                    name=name, points=_text(_number(_points(band)))
                )
            )
        elif _points(was) != _points(band):
            what = pgettext("band", "Level '{name}'").format(name=name)
            lines.append(_moved(what, _points(was), _points(band), points=True))
    lines.extend(
        _("Level '{name}' removed").format(name=name) for name in before if name not in after
    )
    return lines or [_("The levels changed order")]


def _points(band: Any) -> Any:
    return band.get("points") if isinstance(band, dict) else band


# --------------------------------------------------------------------------------------------
# Rules


_TEXT_KEYS = frozenset({"title", "note", "reviewed_by", "label", "description", "notes"})


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: data}


def _fields(old: Any, new: Any) -> tuple[tuple[str, Any, Any], ...]:
    a, b = _flatten(old), _flatten(new)
    return tuple(
        (key, a.get(key), b.get(key))
        for key in sorted(a.keys() | b.keys())
        if a.get(key) != b.get(key)
    )


def _criteria(guide: CompiledRuleset) -> dict[str, dict[str, Any]]:
    out = {}
    for _parent, crit in guide.ruleset.walk():
        dumped = crit.model_dump(mode="json", by_alias=True, exclude={"children"})
        dumped["children"] = [c.id for c in crit.children]
        out[crit.id] = dumped
    return out


def rule_changes(old: CompiledRuleset, new: CompiledRuleset) -> tuple[RuleChange, ...]:
    """The criteria and guide-level keys that differ, in the new guide's order."""
    before, after = _criteria(old), _criteria(new)
    changes = [
        RuleChange(ident, "added")
        if ident not in before
        else RuleChange(ident, "changed", _fields(before[ident], rule))
        for ident, rule in after.items()
        if ident not in before or rule != before[ident]
    ]
    changes.extend(RuleChange(ident, "removed") for ident in before if ident not in after)
    skip = {"criteria", "id", "version", "title", "issuer", "document", "issued", "notes"}
    old_doc = old.ruleset.model_dump(mode="json", by_alias=True)
    new_doc = new.ruleset.model_dump(mode="json", by_alias=True)
    changes.extend(
        RuleChange(key, "changed", _fields(old_doc.get(key), value))
        for key, value in new_doc.items()
        if key not in skip and old_doc.get(key) != value
    )
    return tuple(changes)


# --------------------------------------------------------------------------------------------
# Units


def _unit_fields(old: UnitScore, new: UnitScore) -> tuple[tuple[str, Any, Any], ...]:
    pairs = (
        ("status", old.status, new.status),
        ("total", old.total, new.total),
        ("max", old.max, new.max),
        ("rank", old.rank, new.rank),
        ("classification", old.classification, new.classification),
        ("awards", list(old.awards), list(new.awards)),
    )
    return tuple(p for p in pairs if p[1] != p[2])


def _values(unit: UnitScore) -> dict[str, Decimal | None]:
    absent = set(unit.not_applicable)
    return {ident: None if ident in absent else value for ident, value in unit.items.items()}


def _item_changes(
    old: UnitScore, new: UnitScore, new_guide: CompiledRuleset, old_guide: CompiledRuleset
) -> tuple[tuple[ItemChange, ...], tuple[str, ...]]:
    before, after = _values(old), _values(new)
    order = [i for i in new_guide.order if i in new_guide.nodes]
    order += [i for i in old_guide.order if i not in new_guide.nodes]
    position = {ident: index for index, ident in enumerate(_document_order(new_guide, old_guide))}
    changed = [i for i in order if (i in before or i in after) and before.get(i) != after.get(i)]
    changed.sort(key=lambda i: position.get(i, len(position)))
    titles = {**{i: n.title for i, n in old_guide.nodes.items()}, **_titles(new_guide)}
    items = tuple(ItemChange(i, titles[i], before.get(i), after.get(i)) for i in changed)
    changed_set = set(changed)
    causes = tuple(
        i for i in changed if not any(c in changed_set for c in _children(i, new_guide, old_guide))
    )
    return items, causes


def _titles(guide: CompiledRuleset) -> dict[str, str]:
    return {ident: node.title for ident, node in guide.nodes.items()}


def _children(ident: str, new: CompiledRuleset, old: CompiledRuleset) -> tuple[str, ...]:
    out: tuple[str, ...] = ()
    for guide in (new, old):
        node = guide.nodes.get(ident)
        if node is not None:
            out += node.children
    return out


def _document_order(new: CompiledRuleset, old: CompiledRuleset) -> list[str]:
    seen = [crit.id for _parent, crit in new.ruleset.walk()]
    known = set(seen)
    seen += [crit.id for _parent, crit in old.ruleset.walk() if crit.id not in known]
    return seen


def diff_results(
    old_guide: CompiledRuleset,
    new_guide: CompiledRuleset,
    old: ClusterResult,
    new: ClusterResult,
) -> GuideDiff:
    """Compare two results of the same submissions under two versions of a guide."""
    before = {u.unit_id: u for u in old.units}
    after = {u.unit_id: u for u in new.units}
    rejected_before = {r.unit_id for r in old.rejected}
    rejected_after = {r.unit_id for r in new.rejected}
    units: list[UnitChange] = []
    unchanged: list[str] = []
    ids = list(after) + [i for i in before if i not in after]
    ids += sorted((rejected_before | rejected_after) - set(ids))
    for uid in ids:
        a, b = before.get(uid), after.get(uid)
        if a is None or b is None:
            old_status = "rejected" if a is None else a.status
            new_status = "rejected" if b is None else b.status
            known = b or a
            name = known.name if known is not None else uid
            if old_status != new_status:
                status: tuple[tuple[str, Any, Any], ...] = (("status", old_status, new_status),)
                reasons = tuple(
                    issue.message
                    for rejected in new.rejected
                    if rejected.unit_id == uid
                    for issue in rejected.issues
                    if issue.severity == "error"
                )
                units.append(UnitChange(uid, name, status, (), (), reasons))
            else:
                unchanged.append(uid)
            continue
        fields = _unit_fields(a, b)
        items, causes = _item_changes(a, b, new_guide, old_guide)
        if fields or items:
            units.append(UnitChange(uid, b.name, fields, items, causes))
        else:
            unchanged.append(uid)
    return GuideDiff(
        (old_guide.id, old_guide.version),
        (new_guide.id, new_guide.version),
        rule_changes(old_guide, new_guide),
        tuple(units),
        tuple(unchanged),
    )


def diff_guides(
    old: CompiledRuleset,
    new: CompiledRuleset,
    submissions: Iterable[Submission],
    *,
    rejected: Iterable[Rejected] = (),
    issues: Iterable[Issue] = (),
    cluster: ClusterData | None = None,
) -> GuideDiff:
    """Score ``submissions`` with both versions and compare (versions need not match)."""
    subs = list(submissions)
    rejected_list = list(rejected)
    issue_list = list(issues)
    options: Mapping[str, Any] = {
        "rejected": rejected_list,
        "issues": issue_list,
        "cluster": cluster,
        "allow_version_mismatch": True,
    }
    return diff_results(old, new, score(old, subs, **options), score(new, subs, **options))
