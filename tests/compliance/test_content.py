"""What the content lexicon catches, in each script, and what it must not flag."""

from __future__ import annotations

import pytest

from arrears.compliance.content import check_text, flagged_categories
from arrears.compliance.decision import Verdict
from arrears.compliance.facts import TextRequest
from arrears.compliance.lexicon import load_lexicon
from arrears.compliance.packs import load_pack

CAUGHT = [
    # (text, category) in Simplified Chinese, Traditional Chinese and English
    ("再不还就爆你通讯录", "third_party_leverage"),
    ("再不還就爆你通訊錄，通知你單位和家人", "third_party_leverage"),
    ("我们会通知你的领导和同事", "third_party_leverage"),
    ("不还钱就让你坐牢", "false_legal"),
    ("不還錢就讓你坐牢", "false_legal"),
    ("明天就上门强制执行", "false_legal"),
    ("你的子女以后不能考公务员", "false_legal"),
    ("我是法院的工作人员", "impersonation"),
    ("我們是派出所的", "impersonation"),
    ("你这个老赖", "insult"),
    ("你這個王八蛋", "insult"),
    ("小心你的家人", "threat"),
    ("出門小心點", "threat"),
    ("在你小区张贴公告", "reputation"),
    ("需另付上门费500元", "false_fee_deadline"),
    ("你可以借新还旧", "new_borrowing"),
    ("我们会把你的欠款发给你所有的联系人", "third_party_leverage"),
    ("你已经涉嫌诈骗，马上移交公安", "false_legal"),
    ("你涉嫌詐騙，馬上移交公安", "false_legal"),
    ("今天就冻结你的支付宝", "false_legal"),
    ("再不还钱就到你单位去闹", "threat"),
    ("明天我们到你公司找你", "third_party_leverage"),
    ("We will sue your family today", "false_legal"),
    ("You will be arrested if you do not pay", "false_legal"),
    ("We will file criminal charges", "false_legal"),
    ("This is Officer Brown from the sheriff's office", "impersonation"),
    ("You are a deadbeat", "insult"),
    ("We know where you live", "threat"),
    ("We will tell your employer", "third_party_leverage"),
    ("We will post this on Facebook", "reputation"),
    ("A collection fee of $50 applies", "false_fee_deadline"),
    ("Borrow from your family to pay this", "new_borrowing"),
]

NOT_FLAGGED = [
    "法院判决后可申请强制执行",
    "法院判決後可申請強制執行",
    "我行将依法向人民法院提起诉讼，判决生效后依法申请强制执行。",
    "请您尽快还款，以免影响您的个人征信记录。",
    "您好，请转告张三先生尽快回电，谢谢。",
    "客户称本周五还款，已记录承诺。",
    "本行的滚动率报告显示逾期率下降",
    "如您对欠款有异议，可联系您的客户经理或拨打客服热线。",
    "We may take legal action if the account remains unpaid.",
    "请谨防不法分子冒充我行工作人员。",
    "If a judgment is entered, the creditor may seek to garnish wages as permitted by law.",
    "Please call us to discuss a payment plan.",
    "We are a debt collector. Any information obtained will be used for that purpose.",
]


@pytest.mark.parametrize(("text", "category"), CAUGHT)
def test_the_lexicon_catches(text: str, category: str) -> None:
    assert category in flagged_categories(text)


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_the_lexicon_does_not_flag(text: str) -> None:
    assert flagged_categories(text) == {}


def test_a_legal_notice_template_passes_while_a_threat_template_is_blocked() -> None:
    cn = load_pack("cn")
    notice = TextRequest("template", "您的欠款已逾期，我行已依法起诉，法院判决后可申请强制执行。", "letter")
    threat = TextRequest("template", "今天不还，明天就强制执行你的房子", "sms")
    assert check_text(notice, cn).verdict is Verdict.ALLOW
    blocked = check_text(threat, cn)
    assert blocked.verdict is Verdict.BLOCK
    assert blocked.rule_ids == ("CN-CONDUCT-1",)


def test_a_note_is_flagged_for_review_not_blocked() -> None:
    decision = check_text(
        TextRequest("note", "再不还就爆你通讯录，通知你单位和家人", "call"), load_pack("cn")
    )
    assert decision.verdict is Verdict.REVIEW
    assert set(decision.rule_ids) == {"CN-CONDUCT-1", "CN-PI-2"}
    assert "爆你通讯录" in decision.reasons[0].message_zh
    assert "lexicon 2026.3" in decision.pack_version


def test_the_same_words_map_to_each_packs_rules() -> None:
    text = "You will be arrested"
    assert check_text(TextRequest("script", text, "call"), load_pack("us-regf")).rule_ids == (
        "US-REGF-FALSE",
    )
    assert check_text(TextRequest("script", text, "call"), load_pack("uk-fca")).rule_ids == ("UK-CONDUCT-1",)
    assert check_text(TextRequest("script", text, "call"), load_pack("cn")).rule_ids == ("CN-CONDUCT-1",)


def test_us_text_and_email_templates_need_an_opt_out_but_letters_do_not() -> None:
    us = load_pack("us-regf")
    body = "Your payment is past due. Call 800-555-0100."
    assert check_text(TextRequest("template", body, "sms"), us).rule_ids == ("US-REGF-EOPTOUT",)
    assert check_text(TextRequest("template", body, "email"), us).rule_ids == ("US-REGF-EOPTOUT",)
    assert check_text(TextRequest("template", body, "letter"), us).allowed
    assert check_text(TextRequest("template", body + " Reply STOP to opt out.", "sms"), us).allowed
    assert check_text(TextRequest("template", body, "sms"), load_pack("cn")).allowed


def test_a_collection_letter_names_what_it_misses() -> None:
    letter = "尊敬的{{name}}：您的欠款金额为{{balance}}元，因逾期未还。如有异议请致电客服。"
    decision = check_text(TextRequest("template", letter, "letter"), load_pack("cn"))
    assert decision.rule_ids == ("CN-DISC-1",)
    message = decision.reasons[0].message_en
    assert "rights" in message and "seal" in message
    assert "name" not in message.split("missing:")[1]


def test_a_declared_collection_letter_is_checked_even_when_short() -> None:
    request = TextRequest("template", "请尽快还款。", "letter", template_kind="collection_letter")
    assert check_text(request, load_pack("cn")).rule_ids == ("CN-DISC-1",)


def test_a_message_for_a_contact_person_must_not_mention_the_debt() -> None:
    cn = load_pack("cn")
    relay = TextRequest("script", "请转告张三尽快回电", "call", party="emergency_contact")
    telling = TextRequest("script", "张三的信用卡逾期了，请转告他", "call", party="emergency_contact")
    assert check_text(relay, cn).allowed
    assert set(check_text(telling, cn).rule_ids) == {"CN-PI-2", "CN-PARTY-2"}
    spouse = TextRequest("script", "Your husband owes a balance on his card", "call", party="spouse")
    assert check_text(spouse, load_pack("us-regf")).allowed


def test_the_lexicon_is_versioned_and_maps_traditional_characters() -> None:
    lexicon = load_lexicon()
    assert lexicon.version == "2026.3"
    assert lexicon.normalise("還錢 通訊錄").zh == "还钱通讯录"


def test_the_lexicon_file_is_checked_like_every_other() -> None:
    from importlib import resources

    from arrears.compliance.lexicon import LexiconError, LexiconFile
    from arrears.yamlfile import parse_yaml, validate

    text = resources.files("arrears.compliance").joinpath("lexicon/content.yaml").read_text("utf-8")
    broken = text.replace("  threat:\n", "  threats:\n", 1)
    with pytest.raises(LexiconError, match=r"categories.threats is not a known key here"):
        validate(parse_yaml(broken, "content.yaml", error=LexiconError), LexiconFile, error=LexiconError)
    unbalanced = text.replace("'弄死|", "'(弄死|", 1)
    with pytest.raises(LexiconError, match=r"categories.threat.zh\[0\]: not a regular expression"):
        validate(parse_yaml(unbalanced, "content.yaml", error=LexiconError), LexiconFile, error=LexiconError)
