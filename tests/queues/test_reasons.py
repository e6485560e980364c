"""The system's assignment reasons, stored as fixed texts, shown in the reader's language."""

from __future__ import annotations

from arrears.queues import reasons
from arrears.queues.next_case import POOL_REASON
from arrears.queues.nightly import REASON


def test_the_systems_reasons_are_shown_in_words_a_persons_as_given() -> None:
    nightly = reasons.in_words(REASON + "M2")
    assert nightly.render("zh-CN") == "原因：夜间分派至队列 M2"
    assert nightly.render("en") == "Reason: the night's assignment to queue M2"
    assert reasons.in_words(POOL_REASON).render("zh-CN") == "原因：通过“下一案件”从团队队列领取"
    assert reasons.in_words("客户要求更换催收员").render("en") == "Reason: 客户要求更换催收员"
