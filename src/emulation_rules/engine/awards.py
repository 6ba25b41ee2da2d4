"""Awards after ranking: requirements, quotas, votes, and no double award.

Each award of the guide is decided in the order the guide lists them. For every unit the result
says whether it is proposed and why, and for every award the quota arithmetic
("20% của 7 đơn vị = 1,4 → 1, làm tròn xuống") and the vote count. A quota is never exceeded:
when units tied on every ranking key straddle the quota, none of them is proposed and the tie is
left to the meeting, with the reason shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import decimal_text
from emulation_rules.inputs.cluster_data import ClusterData

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.guide.model import Award
    from emulation_rules.guide.model import Fraction as ShareModel

__all__ = ["AwardDecision", "AwardResult", "decide_awards"]


@dataclass(frozen=True, slots=True)
class AwardDecision:
    """Whether one unit is proposed for one award, and why."""

    unit_id: str
    awarded: bool
    reason: str


@dataclass(frozen=True, slots=True)
class AwardResult:
    """The decision on one award for the whole cluster."""

    id: str
    title: str
    #: The largest number of units that may receive it (None: no quota).
    quota: int | None
    #: The quota arithmetic in words.
    arithmetic: str
    #: The vote rule and count, in words (None: no vote).
    vote: str | None
    awarded: tuple[str, ...]
    decisions: tuple[AwardDecision, ...]


def _share_text(share: ShareModel) -> str:
    if share.denominator % 100 == 0 or 100 % share.denominator == 0:
        percent = Decimal(share.numerator) * 100 / Decimal(share.denominator)
        return f"{decimal_text(percent.normalize())}%"
    return f"{share.numerator}/{share.denominator}"


def _round(value: Fraction, mode: str) -> int:
    if mode == "floor":
        return math.floor(value)
    if mode == "ceil":
        return math.ceil(value)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


_ROUNDING_WORDS = {"floor": "làm tròn xuống", "ceil": "làm tròn lên", "half_up": "làm tròn"}
_BASE_WORDS = {
    "members": "đơn vị thành viên",
    "eligible": "đơn vị đủ điều kiện",
    "candidates": "đơn vị đạt yêu cầu",
    "attendees": "thành viên dự họp",
    "ballots": "phiếu hợp lệ",
}


def _requirements(award: Award, unit: UnitScore) -> str | None:
    """Why ``unit`` does not meet the award's requirements, or None."""
    req = award.requires
    if unit.status != "scored":
        return "không xếp loại" if unit.status == "not_classified" else "không chấm được"
    if req.eligible and not unit.eligible:
        return "không đủ điều kiện khen thưởng: " + "; ".join(unit.eligibility_reasons)
    if req.classification is not None and unit.classification not in req.classification:
        shown = unit.classification or "chưa xếp loại"
        return f"xếp loại '{shown}' không thuộc {', '.join(req.classification)}"
    if req.rank_at_most is not None and (unit.rank is None or unit.rank > req.rank_at_most):
        return f"xếp hạng {unit.rank}, cần từ hạng {req.rank_at_most} trở lên"
    if req.min_total is not None and (unit.total is None or unit.total < req.min_total):
        return f"tổng điểm {unit.total} dưới {req.min_total}"
    if req.min_percent is not None and (unit.percent is None or unit.percent < req.min_percent):
        return f"tỷ lệ {unit.percent}% dưới {req.min_percent}%"
    return None


def _vote(
    award: Award, cluster: ClusterData, members: int, candidates: list[UnitScore]
) -> tuple[str, dict[str, str]]:
    """The vote in words, and the reason each candidate fails it (absent: it passes)."""
    rule = award.vote
    assert rule is not None
    failed: dict[str, str] = {}
    base_count = {
        "members": members,
        "attendees": cluster.meeting.attendees,
        "ballots": cluster.meeting.ballots,
    }[rule.base]
    words = "trên" if rule.strict else "từ"
    share = _share_text(rule.threshold)
    text = f"cần {words} {share} số {_BASE_WORDS[rule.base]}"
    if not rule.strict:
        text += " trở lên"
    votes = cluster.votes.get(award.id)
    if base_count is None or votes is None:
        missing = "số phiếu" if votes is None else f"số {_BASE_WORDS[rule.base]}"
        text += f"; chưa có {missing} nên chưa xét được"
        return text, {u.unit_id: f"chưa có {missing}" for u in candidates}
    text += f" ({base_count})"
    if rule.quorum is not None:
        attendees = cluster.meeting.attendees
        quorum = _share_text(rule.quorum)
        if (
            attendees is None
            or attendees * rule.quorum.denominator < members * rule.quorum.numerator
        ):
            text += f"; không đủ số thành viên dự họp (cần {quorum} của {members})"
            return text, {u.unit_id: "cuộc họp không đủ số thành viên" for u in candidates}
        text += f"; dự họp {attendees}/{members}, đủ {quorum}"
    for unit in candidates:
        count = votes.get(unit.unit_id, 0)
        scaled = count * rule.threshold.denominator
        needed = base_count * rule.threshold.numerator
        passed = scaled > needed if rule.strict else scaled >= needed
        if not passed:
            failed[unit.unit_id] = f"được {count}/{base_count} phiếu, chưa đạt {words} {share}"
    return text, failed


def _quota(award: Award, members: int, eligible: int, candidates: int) -> tuple[int | None, str]:
    quota = award.quota
    if quota is None:
        return None, "không giới hạn số lượng"
    if quota.count is not None:
        return quota.count, f"tối đa {quota.count} đơn vị"
    assert quota.percent is not None
    base = {"members": members, "eligible": eligible, "candidates": candidates}[quota.of]
    exact = Fraction(quota.percent.numerator, quota.percent.denominator) * base
    count = _round(exact, quota.rounding)
    shown = decimal_text((Decimal(exact.numerator) / Decimal(exact.denominator)).normalize())
    arithmetic = (
        f"{_share_text(quota.percent)} của {base} {_BASE_WORDS[quota.of]} = {shown}"
        f" → {count} ({_ROUNDING_WORDS[quota.rounding]})"
    )
    return count, arithmetic


def _compatible(award: Award, held: list[Award]) -> Award | None:
    """The award already held that excludes this one, or None."""
    for other in held:
        if award.id not in other.allow_with and other.id not in award.allow_with:
            return other
    return None


def decide_awards(
    awards: Sequence[Award],
    units: Sequence[UnitScore],
    cluster: ClusterData | None,
    *,
    members: int,
) -> tuple[tuple[AwardResult, ...], dict[str, tuple[str, ...]]]:
    """Decide every award; return the decisions and the award ids per unit.

    ``units`` are in result order (ranked units first, by rank).
    """
    cluster = cluster or ClusterData()
    members = cluster.members or members
    held: dict[str, list[Award]] = {u.unit_id: [] for u in units}
    eligible_count = sum(1 for u in units if u.status == "scored" and u.eligible)
    results: list[AwardResult] = []
    for award in awards:
        decisions: dict[str, AwardDecision] = {}
        candidates: list[UnitScore] = []
        for unit in units:
            reason = _requirements(award, unit)
            blocking = _compatible(award, held[unit.unit_id])
            if reason is None and blocking is not None:
                reason = f"đã được đề nghị {blocking.title} (không khen hai lần cho một thành tích)"
            if reason is None:
                candidates.append(unit)
            else:
                decisions[unit.unit_id] = AwardDecision(unit.unit_id, awarded=False, reason=reason)
        vote_text: str | None = None
        if award.vote is not None:
            vote_text, failed = _vote(award, cluster, members, candidates)
            for unit_id, reason in failed.items():
                decisions[unit_id] = AwardDecision(unit_id, awarded=False, reason=reason)
            candidates = [u for u in candidates if u.unit_id not in failed]
        limit, arithmetic = _quota(award, members, eligible_count, len(candidates))
        awarded = _fill(candidates, limit, decisions)
        for unit_id in awarded:
            held[unit_id].append(award)
        results.append(
            AwardResult(
                award.id,
                award.title,
                limit,
                arithmetic,
                vote_text,
                tuple(awarded),
                tuple(decisions[u.unit_id] for u in units if u.unit_id in decisions),
            )
        )
    per_unit = {u: tuple(a.id for a in held[u]) for u in held}
    return tuple(results), per_unit


def _fill(
    candidates: list[UnitScore], limit: int | None, decisions: dict[str, AwardDecision]
) -> list[str]:
    """Award candidates in rank order, never beyond the quota and never splitting a tie."""
    awarded: list[str] = []
    blocked_by: str | None = None
    index = 0
    while index < len(candidates):
        group = [candidates[index]]
        while (
            index + len(group) < len(candidates)
            and candidates[index + len(group)].rank_keys == group[0].rank_keys
        ):
            group.append(candidates[index + len(group)])
        index += len(group)
        room = None if limit is None else limit - len(awarded)
        if blocked_by is not None or (room is not None and room <= 0):
            reason = blocked_by or f"hết chỉ tiêu ({limit} đơn vị)"
            for unit in group:
                decisions[unit.unit_id] = AwardDecision(unit.unit_id, awarded=False, reason=reason)
            continue
        if room is not None and len(group) > room:
            ids = ", ".join(u.unit_id for u in group)
            for unit in group:
                decisions[unit.unit_id] = AwardDecision(
                    unit.unit_id,
                    awarded=False,
                    reason=(
                        f"đồng hạng {unit.rank} với {ids}: còn {room} suất nên không tự chọn được;"
                        " đề nghị cuộc họp quyết định"
                    ),
                )
            blocked_by = f"suất còn lại chờ cuộc họp quyết định việc đồng hạng của {ids}"
            continue
        for unit in group:
            awarded.append(unit.unit_id)
            place = f"hạng {unit.rank}" if unit.rank is not None else "đạt yêu cầu"
            decisions[unit.unit_id] = AwardDecision(
                unit.unit_id, awarded=True, reason=f"{place}, đủ điều kiện, trong chỉ tiêu"
            )
    return awarded


def result_dict(result: AwardResult) -> dict[str, Any]:
    """An award result as JSON-ready data."""
    return {
        "id": result.id,
        "title": result.title,
        "quota": result.quota,
        "arithmetic": result.arithmetic,
        "vote": result.vote,
        "awarded": list(result.awarded),
        "decisions": [
            {"unit_id": d.unit_id, "awarded": d.awarded, "reason": d.reason}
            for d in result.decisions
        ],
    }
