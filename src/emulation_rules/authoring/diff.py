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
from emulation_rules._support.i18n import translate
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
        """The differences as text, for people."""
        count = len(self.units) + len(self.unchanged)
        head = f"So sánh {self.old[0]} {self.old[1]} → {self.new[0]} {self.new[1]}"
        lines = [f"{head} trên {count} đơn vị", ""]
        if self.rules:
            lines.append("Quy tắc thay đổi:")
            for rule in self.rules:
                if rule.change != "changed":
                    lines.append(f"  {rule.id}: {_CHANGE_TEXT[rule.change]}")
                lines.extend(f"  {rule.id}: {words}" for words in _rule_words(rule.fields))
        else:
            lines.append("Không có quy tắc nào thay đổi.")
        lines.append("")
        lines.append(f"Đơn vị có kết quả thay đổi: {len(self.units)}")
        for unit in self.units:
            summary = "; ".join(
                f"{_FIELD_TEXT.get(f, f)} {_shown(f, o)} → {_shown(f, n)}"
                for f, o, n in unit.fields
            )
            lines.append(f"  {unit.unit_id} ({unit.name}): {summary or 'điểm các mục thay đổi'}")
            by_id = {i.id: i for i in unit.items}
            for cause in unit.causes:
                item = by_id[cause]
                lines.append(f"      {cause}: {_text(item.old)} → {_text(item.new)}  {item.title}")
            followers = [i.id for i in unit.items if i.id not in unit.causes]
            if followers:
                lines.append(f"      (kéo theo: {', '.join(followers)})")
            if unit.reasons:
                lines.append("      bị từ chối ở phiên bản mới, vì:")
                lines.extend(f"        - {translate(reason)}" for reason in unit.reasons)
            elif not unit.items and not any(f == "status" for f, _, _ in unit.fields):
                lines.append("      (điểm không đổi: hạng thay đổi do kết quả của đơn vị khác)")
        if self.unchanged:
            lines.append(f"Không thay đổi: {len(self.unchanged)} ({', '.join(self.unchanged)})")
        return "\n".join(lines) + "\n"


_CHANGE_TEXT = {"added": "thêm mới", "removed": "bỏ đi"}
_FIELD_TEXT = {
    "total": "tổng",
    "rank": "hạng",
    "classification": "xếp loại",
    "status": "trạng thái",
    "awards": "khen thưởng",
    "max": "điểm tối đa",
}


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if hasattr(value, "as_tuple"):
        return vn_number(value)
    return str(value)


_STATUS_TEXT = {
    "scored": "được chấm",
    "rejected": "bị từ chối",
    "error": "lỗi khi chấm",
    "not_classified": "không xếp loại",
}


def _shown(field: str, value: Any) -> str:
    if field == "status" and isinstance(value, str):
        return _STATUS_TEXT.get(value, value)
    return _text(value)


#: Rule fields in words: the last part of a changed path (``per_event.cap`` → ``cap``).
_PATH_WORDS = {
    "max": "điểm tối đa",
    "title": "tên mục",
    "points": "số điểm",
    "cap": "mức tối đa",
    "deductions": "tổng điểm trừ tối đa",
    "bonuses": "tổng điểm cộng tối đa",
    "otherwise": "điểm các trường hợp còn lại",
    "count": "số trường hợp đếm theo",
    "of": "tính theo",
    "every": "mỗi bước",
    "above": "ngưỡng trên",
    "late": "điểm khi trễ hạn",
    "due": "hạn",
    "formula": "công thức",
    "met": "điều kiện đạt",
    "when": "điều kiện áp dụng",
    "kind": "loại dòng",
}
_PATH_PARENTS = {"per_event": "mỗi trường hợp", "caps": "giới hạn", "bands": "các mức"}


def _path_words(path: str) -> str:
    parts = path.split(".")
    word = _PATH_WORDS.get(parts[-1])
    if word is None:
        return f"'{path}'"
    parent = _PATH_PARENTS.get(parts[-2]) if len(parts) > 1 else None
    return f"{word} ({parent})" if parent else word


def _band_name(band: Any) -> str:
    """A band in the guide's own words: 'từ 95 đến dưới 98', 'trên 98'."""
    if not isinstance(band, dict):
        return _text(band)
    words: list[str] = []
    for key, word in (("from", "từ"), ("above", "trên"), ("below", "dưới"), ("to", "đến")):
        if band.get(key) is not None:
            joined = "đến dưới" if key == "below" and words else word
            words.append(f"{joined} {_text(_number(band[key]))}")
    return " ".join(words) or "mọi giá trị"


def _number(value: Any) -> Any:
    try:
        return Decimal(str(value)) if isinstance(value, int | str) else value
    except ArithmeticError:
        return value


def _moved(old: Any, new: Any) -> str:
    a, b = _number(old), _number(new)
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        way = "lên" if b > a else "xuống"
        return f"đổi từ {_text(a)} {way} {_text(b)}"
    if old is None:
        return f"thêm: {_text(b)}"
    if new is None:
        return f"bỏ (trước là {_text(a)})"
    return f"đổi từ {_text(a)} thành {_text(b)}"


def _rule_words(fields: tuple[tuple[str, Any, Any], ...]) -> list[str]:
    """Each changed field of a rule as a Vietnamese sentence, never a Python value."""
    lines = []
    for path, old, new in fields:
        if isinstance(old, list) and isinstance(new, list) and path.endswith("bands"):
            lines.extend(_band_words(old, new))
        else:
            lines.append(f"{_path_words(path).capitalize()} {_moved(old, new)}")
    return lines


def _band_words(old: list[Any], new: list[Any]) -> list[str]:
    before = {_band_name(b): b for b in old}
    after = {_band_name(b): b for b in new}
    lines = []
    for name, band in after.items():
        was = before.get(name)
        if was is None:
            lines.append(f"Thêm mức '{name}': {_text(_number(_points(band)))} điểm")
        elif _points(was) != _points(band):
            lines.append(f"Mức '{name}' {_moved(_points(was), _points(band))} điểm")
    lines.extend(f"Bỏ mức '{name}'" for name in before if name not in after)
    return lines or ["Các mức đổi thứ tự"]


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
    for _, crit in guide.ruleset.walk():
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
    seen = [crit.id for _, crit in new.ruleset.walk()]
    known = set(seen)
    seen += [crit.id for _, crit in old.ruleset.walk() if crit.id not in known]
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
