"""The case page's call script (issue #14 §2): none said plainly; the approved script of the case's
bucket in the reader's language, folded in a <details>, rendered with the case's facts (the
customer's name, the bank, the amount in the reader's locale) and escaped as HTML; a draft never;
the same script in GET /api/v1/cases/{id}."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.channels.models import MessageTemplate
from tests.api.conftest import Api
from tests.channels.helpers import NOW
from tests.web.conftest import sign_in
from tests.web.test_case_forms import CASE, _collector


def _template(api: Api, code: str, language: str, body: str, status: str = "approved") -> int:
    with Session(api.engine) as session, session.begin():
        return session.execute(
            insert(MessageTemplate)
            .values(
                code=code,
                channel="call",
                language=language,
                number=1,
                status=status,
                body=body,
                late_policy="wait",
                created_at=NOW,
                approved_at=NOW if status == "approved" else None,
                version=1,
            )
            .returning(MessageTemplate.id)
        ).scalar_one()


def _section(page: str) -> str:
    return page.split("data-script>")[1].split("</section>", maxsplit=1)[0]


def test_the_case_page_shows_the_bucket_script_in_the_reader_language(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser, "zh-CN")  # case a: bucket M2, 1,000.00 overdue
    none = _section(client.get(f"/cases/{CASE}").text)
    assert "没有适用于账龄 M2 的已审批话术" in none and "<details>" not in none
    _template(api, "call_script.m2", "zh-CN", "草稿：{{ customer_name }}", status="draft")
    _template(api, "call_script", "en", "Hello {{ customer_name }} <b>{{ overdue_amount | money }}</b>")
    body = "您好，我是{{ bank_name }}的工作人员。请问是{{ customer_name }}本人吗？逾期金额{{ overdue_amount | money }}。"
    _template(api, "call_script.m2", "en", "M2: {{ customer_name }} owes {{ overdue_amount | money }}")
    generic = _section(client.get(f"/cases/{CASE}").text)
    # no approved zh-CN script: the customer's language (none set) is zh-CN too, so the English ones
    # are not reached either: the reader's language, then the customer's, then zh-CN
    assert "没有适用于账龄 M2 的已审批话术" in generic
    _template(api, "call_script", "zh-CN", body)
    shown = _section(client.get(f"/cases/{CASE}").text)
    assert "<details>" in shown and "<code>call_script</code>" in shown and 'lang="zh-CN"' in shown
    assert "您好，我是示例银行的工作人员。请问是客户 a本人吗？逾期金额¥1,000.00。" in shown
    assert "草稿" not in shown
    english = browser("en")
    assert sign_in(english, "li.lei").status_code == 303
    shown = _section(english.get(f"/cases/{CASE}").text)
    assert "M2: 客户 a owes CN¥1,000.00" in shown and "<code>call_script.m2</code>" in shown
    case = english.get(f"/api/v1/cases/{CASE}", headers={"Accept-Language": "en"})
    assert case.status_code == 200, case.text
    script = case.json()["call_script"]
    assert script["code"] == "call_script.m2" and script["language"] == "en" and script["bucket"] == "M2"
    assert script["text"] == "M2: 客户 a owes CN¥1,000.00" and script["problem"] is None


def test_the_script_is_escaped_and_a_broken_one_says_why(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser, "en")
    _template(api, "call_script", "en", "Hello {{ customer_name }} <b>{{ overdue_amount | money }}</b>")
    shown = _section(client.get(f"/cases/{CASE}").text)
    assert "Hello 客户 a &lt;b&gt;CN¥1,000.00&lt;/b&gt;" in shown and "<b>" not in shown
    _template(api, "call_script.m2", "en", "You promised to pay on {{ promise_date | date }}.")
    shown = _section(client.get(f"/cases/{CASE}").text)
    assert "does not render for this case" in shown and "line 1" in shown and "<details>" not in shown
