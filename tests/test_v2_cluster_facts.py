"""Guide format v2, issue 14 rule 6: cluster facts. A guide declares facts of each unit that the
cluster file gives (``cluster_facts``), and reads them in expressions like inputs.

HY = the Hưng Yên 2021 cluster guide (``../shared/guides/hungyen-cumkhoi-2021.txt``). Line 23:
"Khối thi đua … gồm có đơn vị Trưởng khối, không quá 02 đơn vị Phó trưởng khối và các đơn vị
thành viên"; part V.2.b, line 94: "Trừ 10 điểm … Cơ quan, đơn vị, địa phương là đơn vị Trưởng
khối, Phó trưởng khối mà năm đó chưa hoàn thành được nhiệm vụ theo mục 2, phần I".
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from emulation_rules import RulesetError, Submission, evaluate, load_ruleset, score
from emulation_rules.audit.records import build_record, replay
from emulation_rules.inputs.cluster_data import ClusterData
from emulation_rules.reports.explain import explain_unit

GUIDE = """\
format: emulation-rules/v2
id: hung-yen-khoi
version: "1"
title: Khối thi đua thử (Hưng Yên 2021)
period: "2021"
scale: 100
cluster_facts:
  vai_tro:
    type: enum
    label: Vai trò trong khối
    values: [truong_khoi, pho_truong_khoi, thanh_vien]
    missing: thanh_vien
inputs:
  chua_hoan_thanh:
    type: bool
    label: Chưa hoàn thành nhiệm vụ theo mục 2 phần I
    missing: false
criteria:
  - id: I
    title: Kết quả thực hiện nhiệm vụ
    max: 100
    children:
      - id: I.tru
        title: Trưởng khối, Phó trưởng khối chưa hoàn thành nhiệm vụ
        kind: deduction
        points: -10
        when: vai_tro in ('truong_khoi', 'pho_truong_khoi') and chua_hoan_thanh
"""

#: HY line 23: one head, at most two deputies, the other members.
CLUSTER = ClusterData(
    cluster="Khối các sở, ngành (thử)",
    facts={"vai_tro": {"so-noi-vu": "truong_khoi", "so-tai-chinh": "pho_truong_khoi"}},
)


def _sub(unit_id: str, **values: object) -> Submission:
    return Submission(unit_id=unit_id, name=f"Đơn vị {unit_id}", values=values)


SUBS = [
    _sub("so-noi-vu", chua_hoan_thanh=True),
    _sub("so-tai-chinh", chua_hoan_thanh=False),
    _sub("so-y-te", chua_hoan_thanh=True),
]


@pytest.fixture(scope="module")
def guide():
    return load_ruleset(GUIDE.encode(), name="hy-khoi.yaml")


def _find(node, ident):
    if node.id == ident:
        return node
    return next((f for c in node.children if (f := _find(c, ident)) is not None), None)


def test_hy_head_that_did_not_fulfil_its_duties_loses_10_points(guide) -> None:
    result = score(guide, SUBS, cluster=CLUSTER)
    totals = {u.unit_id: u.total for u in result.units}
    # the head failed its duties: −10; the deputy fulfilled them; a member is never deducted
    assert totals == {"so-noi-vu": D(90), "so-tai-chinh": D(100), "so-y-te": D(100)}
    head = next(u for u in result.units if u.unit_id == "so-noi-vu")
    deduction = _find(head.trace, "I.tru")
    assert deduction.inputs == (("vai_tro", "truong_khoi"), ("chua_hoan_thanh", True))
    assert "Vai trò trong khối = truong_khoi" in explain_unit(head, guide)


def test_the_facts_are_in_the_audit_record_and_replay_reproduces(guide) -> None:
    result = score(guide, SUBS, cluster=CLUSTER)
    record = build_record(guide, SUBS, result, cluster=CLUSTER)
    assert record["inputs"]["cluster"]["facts"] == {
        "vai_tro": {"so-noi-vu": "truong_khoi", "so-tai-chinh": "pho_truong_khoi"}
    }
    assert replay(record).identical


def test_without_a_cluster_file_each_unit_is_a_clear_error(guide) -> None:
    result = score(guide, SUBS)
    assert result.units == ()
    assert {r.unit_id for r in result.rejected} == {"so-noi-vu", "so-tai-chinh", "so-y-te"}
    for rejected in result.rejected:
        (issue,) = rejected.issues
        assert issue.code == "cluster-fact-missing"
        assert "no cluster file was given" in issue.message
    with pytest.raises(Exception, match="invalid"):
        evaluate(guide, SUBS[0])
    assert evaluate(guide, SUBS[0], cluster=CLUSTER).total == D(90)


def test_a_submission_may_not_give_a_fact_and_the_others_keep_being_scored(guide) -> None:
    subs = [*SUBS[1:], _sub("so-noi-vu", chua_hoan_thanh=True, vai_tro="thanh_vien")]
    result = score(guide, subs, cluster=CLUSTER)
    assert {u.unit_id for u in result.units} == {"so-tai-chinh", "so-y-te"}
    (rejected,) = result.rejected
    (issue,) = rejected.issues
    assert (rejected.unit_id, issue.code) == ("so-noi-vu", "cluster-fact-in-submission")
    assert issue.path == ("values", "vai_tro")


def test_a_required_fact_missing_or_wrong_rejects_that_unit_only() -> None:
    text = GUIDE.replace("    missing: thanh_vien\n", "    required: true\n")
    guide = load_ruleset(text.encode(), name="g.yaml")
    cluster = ClusterData(
        facts={"vai_tro": {"so-noi-vu": "truong_khoi", "so-tai-chinh": "pho_truong"}}
    )
    result = score(guide, SUBS, cluster=cluster)
    assert [u.unit_id for u in result.units] == ["so-noi-vu"]
    problems = {r.unit_id: r.issues[0] for r in result.rejected}
    assert problems["so-y-te"].code == "cluster-fact-missing"
    assert problems["so-y-te"].hint == "add it under facts.vai_tro in the cluster file"
    assert problems["so-tai-chinh"].code == "enum-value"
    assert problems["so-tai-chinh"].path == ("facts", "vai_tro", "so-tai-chinh")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        # a fact that is also an input
        (
            ("inputs:\n", "inputs:\n  vai_tro: {type: text, label: Vai trò, missing: ''}\n"),
            "duplicate-id",
        ),
        # a check reads the submission only
        (
            (
                "criteria:\n",
                "checks:\n  - {id: k, require: vai_tro != 'x', message: m}\ncriteria:\n",
            ),
            "invalid-value",
        ),
        # a fact is never 'not applicable'
        (("    missing: thanh_vien\n", "    missing: not_applicable\n"), "invalid-value"),
    ],
)
def test_broken_fact_declarations(change: tuple[str, str], code: str) -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(GUIDE.replace(*change).encode(), name="g.yaml")
    assert code in {i.code for i in caught.value.issues}
