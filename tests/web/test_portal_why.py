"""The customer's "why" in the portal, on SQLite and PostgreSQL: the latest step the strategy chose
for their case in plain words and their language (how far behind, the strategy's version, the
day of the stage, what we do), a plain band but no score, how to question it; a proposal no
person has confirmed is not shown; nothing of another customer's case; the look audited."""

from __future__ import annotations

from sqlalchemy import select, update

from arrears.strategy.models import StrategyAction
from tests.api.work_book import audit_entries
from tests.queues.test_next import case_id_of
from tests.strategy.test_nightly import DOCUMENT, approve, night
from tests.web.portal_kit import Portal, portal, sms

__all__ = ["portal", "sms"]

CALL_FOR_M2 = DOCUMENT.replace(
    """      - {day: 1, action: sms, template: first_delinquency, at: "10:00"}
      - {day: 2, action: sms, template: first_delinquency, at: "23:30"}
""",
    "",
).replace(
    "      - {day: 1, action: letter, template: first_delinquency}\n      - {day: 1, action: legal_referral}\n",
    "      - {day: 1, action: call, window: best}\n      - {day: 1, action: legal_referral}\n",
)
"""M2 cases: a call on day 1 (a step that happens) and a legal referral (a proposal)."""


def test_the_customer_reads_why_the_latest_step_was_chosen(portal: Portal) -> None:
    engine = portal.api.engine
    approve(engine, CALL_FOR_M2)
    night(engine)
    with engine.begin() as connection:
        actions = connection.execute(
            select(StrategyAction.case_id, StrategyAction.action, StrategyAction.status)
        ).all()
        assert (case_id_of("a"), "legal_referral", "proposed") in actions
        assert (case_id_of("a"), "call", "planned") in actions
        # the score the night read, kept on why: the customer sees its band only
        connection.execute(
            update(StrategyAction)
            .where(StrategyAction.case_id == case_id_of("a"))
            .values(
                why={
                    "strategy": "night",
                    "version": 1,
                    "segment": "m2",
                    "arm": "",
                    "path": "firm",
                    "day": 1,
                    "facts": {"bucket": "M2", "hold": "none"},
                    "score": {"score": 612, "band": "C", "reason": "dpd"},
                }
            )
        )
    english = portal.customer("A-Na").get("/portal")
    assert english.status_code == 200
    why = english.text.split('data-why="')[1].split("</section>")[0]
    assert why.startswith("call")  # the call, not the legal referral no person has confirmed
    assert "On November 21, 2026 your account was 45 days overdue." in why
    assert "Under our collections strategy v1, on day 1 of this stage we call you" in why
    assert "band C" in why and "612" not in english.text and "dpd" not in why
    assert "I dispute this debt" in why and "Make a complaint" in why
    assert english.text.count("data-why=") == 1  # case b is another customer's
    reader = portal.customer("A-Na", "zh-CN")
    reader.cookies.set("arrears_language", "zh-CN")  # the header's switcher
    chinese = reader.get("/portal").text
    assert "你的账户已逾期 45 天" in chinese and "按照我行催收策略 v1，在本阶段第 1 天给你打电话" in chinese
    looks = audit_entries(portal.api, "strategy_action.read")
    assert looks and {e["object_id"] for e in looks} == {case_id_of("a")}


def test_no_why_before_the_strategy_chose_a_step(portal: Portal) -> None:
    page = portal.customer("A-Na").get("/portal")
    assert page.status_code == 200 and "data-why=" not in page.text
