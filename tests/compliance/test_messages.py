"""Compliance text through the one catalogue: rule wording, reasons, refusals, in zh-CN and en."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from arrears.compliance.content import check_text
from arrears.compliance.facts import ContactPoint, ContactRequest, Facts, TextRequest
from arrears.compliance.gate import decide
from arrears.compliance.messages import RULES, describe
from arrears.compliance.packs import PackError, load_pack, tighten
from arrears.compliance.scenarios import load_file, run
from arrears.errors import InvalidFileError
from arrears.i18n import catalogue
from tests.compliance.test_scenario_files import GOOD


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_its_wording_in_both_languages(rule_id: str) -> None:
    wording = describe(rule_id).both()
    assert wording["en"] == RULES[rule_id]
    assert wording["zh-CN"] == catalogue("zh-CN")[RULES[rule_id]] != wording["en"]


def test_a_reason_renders_its_details_in_the_readers_language() -> None:
    facts = Facts(timezone="Asia/Shanghai", contact_points=(ContactPoint("N1", "mobile", "debtor"),))
    request = ContactRequest(datetime.fromisoformat("2026-03-10T23:00:00+08:00"), "call", "N1")
    (reason,) = decide(request, facts, load_pack("cn")).reasons
    assert reason.message("zh-CN").startswith("22:00至次日08:00")
    assert "：当地时间 2026-03-10 23:00 Asia/Shanghai 不在允许时段 08:00–22:00 内" in reason.message("zh-CN")
    assert reason.message("en").endswith(": local time 2026-03-10 23:00 Asia/Shanghai is outside 08:00–22:00")
    document = reason.to_json()
    assert document["zh-CN"] == reason.message_zh and document["en"] == reason.message_en


def test_merged_content_findings_are_listed_in_each_language() -> None:
    letter = "尊敬的客户：您的欠款金额为100元，因逾期未还，请尽快还款。"
    decision = check_text(TextRequest("template", letter, "letter"), load_pack("cn"))
    (reason,) = decision.reasons
    assert "缺少：权利告知、异议方式、联系方式、盖章" in reason.message("zh-CN")
    assert "missing: the debtor's rights, how to object, how to contact the bank, the seal" in reason.message(
        "en"
    )


def test_a_refused_tightening_is_a_catalogue_message_in_the_kernels_hierarchy() -> None:
    with pytest.raises(PackError) as refused:
        tighten(load_pack("us-regf"), {"max_calls_in_7_days": None})
    error = refused.value
    assert isinstance(error, InvalidFileError) and isinstance(error, ValueError) and error.exit_code == 2
    assert error.message_en.endswith("the pack has 7, the bank asked for unlimited")
    assert error.message_zh.endswith("规则包为 7，银行要求 不限")


def test_a_scenario_refused_for_loosening_carries_the_refusal_in_both_languages(tmp_path: Path) -> None:
    text = "scenarios:\n" + GOOD.format(n=1).replace(
        "    pack: cn\n", "    pack: cn\n    tighten: {quiet_start: '23:00'}\n"
    )
    path = tmp_path / "loose.yaml"
    path.write_text(text, "utf-8")
    (scenario,) = load_file(path)
    decision = run(scenario)
    assert decision.pack_version == "refused" and decision.rule_ids == ("TENANT-POLICY",)
    assert "只能收紧" in decision.reasons[0].message_zh
    assert "may only be tightened" in decision.reasons[0].message_en
