"""The conduct checker's structure: negation, reported speech, party, speaker, scripts, evasions,
and evidence spans in the original text."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

import pytest

from arrears.compliance.conduct import check_conduct, structure
from arrears.compliance.conduct.normalise import normalise
from arrears.compliance.conduct.rules import ConductRulesError, RulesFile, load_rules
from arrears.yamlfile import parse_yaml, validate


def categories(text: str, **context: str) -> set[str]:
    return check_conduct(text, **context).categories


@pytest.mark.parametrize(
    ("threat", "reassurance"),
    [
        ("我们会联系您的家人", "我们不会联系您的家人"),
        ("我们会通知你的单位", "我们绝对不会通知你的单位"),
        ("你会坐牢", "请放心，您不会坐牢"),
        ("We will contact your employer", "We will not contact your employer"),
        ("We'll tell your family", "We won't tell your family"),
        ("You will be arrested", "You will never be arrested for this debt"),
    ],
)
def test_a_negation_over_the_act_makes_it_a_reassurance(threat: str, reassurance: str) -> None:
    assert categories(threat)
    assert not categories(reassurance)
    (dropped, *_) = check_conduct(reassurance).dropped
    assert "negated" in dropped.because


@pytest.mark.parametrize(
    "text",
    [
        "再不还就爆你通讯录",
        "你要是不还钱，我们就通知你单位",
        "如果没有还款的话，我们会打给你老婆",
        "If you don't pay we will call your boss",
    ],
)
def test_a_negated_condition_does_not_negate_the_threat(text: str) -> None:
    assert "third_party_leverage" in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "客户说再打电话就报警抓我们",
        "他说要让我们坐牢",
        "客户威胁说要去法院告我们，还说要弄死催收员",
        "The customer said: you will regret this",
        "客户问：“我会不会坐牢？”",
    ],
)
def test_words_reported_from_someone_else_are_not_the_collectors(text: str) -> None:
    checked = check_conduct(text)
    assert checked.findings == ()
    assert any("reported" in d.because for d in checked.dropped)


@pytest.mark.parametrize(
    "text", ["跟他说了，再不还钱就让他坐牢", "我跟他说不还钱就让他坐牢", "Told him he will be arrested"]
)
def test_what_the_collector_reports_of_their_own_words_is_theirs(text: str) -> None:
    assert "false_legal" in categories(text)


def test_a_customers_own_words_raise_nothing() -> None:
    assert categories("再打电话我就弄死你", speaker="customer") == set()
    assert "threat" in categories("再打电话我就弄死你", speaker="collector")


def test_the_debt_may_be_spoken_of_to_the_debtor_but_not_to_family() -> None:
    text = "您儿子在我行的信用卡欠款两万元已经逾期三个月了"
    assert "disclosure" in categories(text, party="family")
    assert "disclosure" in categories(text, party="employer")
    assert categories(text.replace("您儿子", "您"), party="debtor") == set()
    assert categories("您好，请转告张三先生尽快回电，谢谢", party="family") == set()


def test_telling_a_third_party_is_disclosure_whoever_the_note_is_about() -> None:
    assert "disclosure" in categories("已致电其同事告知其欠款情况。")
    assert "disclosure" in categories("I already told your wife about the debt")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("再不還錢就讓你坐牢", "false_legal"),
        ("我們會通知你的單位和家人", "third_party_leverage"),
        ("你這個廢物", "insult"),
        ("出門小心點", "threat"),
        ("我們是派出所的", "impersonation"),
    ],
)
def test_traditional_text_is_read_through_opencc(text: str, category: str) -> None:
    assert category in categories(text)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("你这个sb", "insult"),
        ("再不还就让你坐 * 牢", "false_legal"),
        ("再不还就让你 zuo lao", "false_legal"),
        ("爆你的txl", "third_party_leverage"),
        ("你个laolai", "insult"),
        ("ＹＯＵ ＡＲＥ Ａ ＤＥＡＤＢＥＡＴ", "insult"),
        ("我们是fa院的", "impersonation"),
    ],
)
def test_evasions_are_spelled_out(text: str, category: str) -> None:
    assert category in categories(text)


def test_the_evidence_is_a_span_of_the_original_text() -> None:
    text = "您好。再不還錢，我們就把你 的 通 訊 錄 全 部 打 一 遍"
    (finding,) = check_conduct(text).findings
    assert finding.category == "third_party_leverage"
    assert text[finding.start : finding.end] == finding.evidence
    assert finding.evidence.startswith("把你 的 通 訊 錄")
    english = "Listen.  We KNOW where you live."
    (found,) = check_conduct(english).findings
    assert english[found.start : found.end] == "We KNOW where you live"


def test_normalisation_keeps_each_characters_origin() -> None:
    normalised = normalise("還 錢，ＯＫ")
    assert normalised.text == "还钱,ok"
    assert [normalised.origin[i] for i in range(len(normalised.text))] == [0, 2, 3, 4, 5]
    ligature = normalise("還錢，ﬁne")  # a character NFKC makes two of: each traced to the ligature
    assert ligature.text == "还钱,fine" and list(ligature.origin) == [0, 1, 2, 3, 3, 4, 5]


def test_lawful_statements_of_process_pass() -> None:
    assert categories("我行将依法向人民法院提起诉讼，判决生效后依法申请强制执行。") == set()
    assert categories("请谨防不法分子冒充我行工作人员。") == set()
    assert (
        categories("If a judgment is entered, the creditor may seek to garnish wages as permitted by law.")
        == set()
    )


class CountedSearches:
    """A rule's ``unless`` that counts its searches."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.searches = pattern, 0

    def search(self, text: str, *span: int) -> re.Match[str] | None:
        self.searches += 1
        return self.pattern.search(text, *span)


def test_a_rules_unless_is_searched_once_a_sentence_however_many_its_matches() -> None:
    """A long text with no sentence mark is one sentence: its rule's ``unless`` is searched once,
    not at each of its matches, and the matches it sets aside are set aside the same."""
    book = load_rules()
    (rule,) = [r for r in book.rules if r.id == "third_party.within_reach"]
    counted = CountedSearches(rule.unless)
    patched = replace(book, rules=tuple(replace(r, unless=counted) if r is rule else r for r in book.rules))
    text = "if we rang her she would want to know about the debt and paying " * 200
    checked = check_conduct(text, party="debtor", speaker="collector", book=patched)
    assert rule.id in {f.rule for f in checked.findings} and counted.searches == 1
    with_lawyer = text + " your lawyer"  # the unless' word, in the one sentence: every match set aside
    checked = check_conduct(with_lawyer, party="debtor", speaker="collector", book=patched)
    assert rule.id not in {f.rule for f in checked.findings} and counted.searches == 2
    assert sum(d.rule == rule.id for d in checked.dropped) > 100


def test_each_finding_names_its_rule_severity_and_pack_key() -> None:
    (finding,) = check_conduct("逾期不还将在你小区张贴欠款公告").findings
    assert (finding.category, finding.rule, finding.pack_key, finding.severity) == (
        "reputation",
        "reputation.public_posting",
        "public_posting",
        "high",
    )


def test_the_rules_file_is_checked_like_every_other() -> None:
    from importlib import resources

    text = resources.files("arrears.compliance.conduct").joinpath("rules.yaml").read_text("utf-8")
    broken = text.replace("category: threat\n", "category: threats\n", 1)
    with pytest.raises(ConductRulesError, match=r"rules\[0\]\.category"):
        validate(
            parse_yaml(broken, "rules.yaml", error=ConductRulesError), RulesFile, error=ConductRulesError
        )
    assert load_rules().version


def test_word_classes_are_spelled_out_in_patterns_and_must_exist() -> None:
    from arrears.compliance.conduct.rules import rule_book

    def book(pattern: str) -> RulesFile:
        document = parse_yaml(
            "version: t\nwords:\n  kin: ['爸妈|老婆']\n  whose: ['你的?']\n"
            f"rules:\n  - {{id: x, category: threat, severity: high, zh: ['{pattern}']}}\n",
            "rules.yaml",
            error=ConductRulesError,
        )
        return validate(document, RulesFile, error=ConductRulesError)

    spelled = rule_book(book("打给{whose}(?:{kin}).{0,2}")).rules[0].zh
    assert spelled is not None and spelled.search("打给你老婆") and not spelled.search("打给你")
    with pytest.raises(ConductRulesError, match="kinfolk"):
        rule_book(book("打给{kinfolk}"))


def test_an_a_not_a_question_is_not_a_negation() -> None:
    assert "reputation" in categories("信不信我让你在公司待不下去")
    assert "third_party_leverage" in categories("我们是不是要去你单位问问")


def test_a_time_before_which_to_pay_is_not_a_night_call() -> None:
    assert "forbidden_time" not in categories("今晚十点前还款即可")
    assert "forbidden_time" in categories("今晚十一点我再打给你")
    assert "forbidden_time" in categories("I'll call you again at 11 pm")


@pytest.mark.parametrize(
    ("text", "category"),
    [("再不还就call你的boss", "third_party_leverage"), ("你会进jail的", "false_legal")],
)
def test_mixed_chinese_and_english_is_read_as_one_text(text: str, category: str) -> None:
    assert category in categories(text)
    assert categories("I will call you tomorrow, 好吗") == set()


EXAMPLES = Path(__file__).parent / "conduct"


def test_the_written_examples_are_judged_exactly() -> None:
    """A hundred and sixty utterances written with the checker (not the corpus): every category, both scripts,
    English and mixed, with hard negatives (reassurances, quoted customers, lawful notices)."""
    import shutil
    import tempfile

    from arrears.compliance.conduct.evaluation import evaluate, load_corpus

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "dev").mkdir()
        shutil.copy(EXAMPLES / "examples.yaml", Path(folder) / "dev" / "examples.yaml")
        report = evaluate(load_corpus(Path(folder), "dev"))
    wrong = [(j.item.id, j.item.text, sorted(j.found)) for j in report.misses]
    assert report.items == 160
    assert wrong == []


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        ("你们|您们|你", {"你", "您"}),
        (r"\b(?:a|bc)\b", {"a", "b"}),
        ("(?:x|y)?z", {"x", "y", "z"}),
        (r"(?<![a-z])(?:sb|cao)", {"s", "c"}),
        (r"(?P<e0>ab)|(?P<e1>c)", {"a", "c"}),
        (r"\d+点", set("0123456789")),
        ("a?", None),
        (".{0,4}b", None),
        ("(?:ab)|x*", None),
    ],
)
def test_the_first_characters_of_a_pattern_are_known_or_none(pattern: str, chars: set[str] | None) -> None:
    from arrears.compliance.conduct.prefix import first_chars

    assert first_chars(pattern) == (None if chars is None else frozenset(chars))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("(a|b)c", "(?:a|b)c"),
        (r"x(?:y)(z)[()](\()\(", r"x(?:y)(?:z)[()](?:\()\("),
        ("(?P<n>a)(b(c))", "(?P<n>a)(?:b(?:c))"),
        ("(?<!a)(?=b)(c)", "(?<!a)(?=b)(?:c)"),
    ],
)
def test_capturing_groups_are_made_non_capturing(pattern: str, expected: str) -> None:
    from arrears.compliance.conduct.prefix import non_capturing

    assert non_capturing(pattern) == expected


def test_the_rules_capture_nothing() -> None:
    """Their groups are non-capturing (faster; nothing reads a rule's groups)."""
    book = load_rules()
    patterns = [p for rule in book.rules for p in (rule.zh, rule.en, rule.unless) if p is not None]
    assert patterns and all(pattern.groups == 0 for pattern in patterns)


def test_a_guarded_rule_finds_what_the_unguarded_one_finds() -> None:
    """The first-character guard only speeds the search: every rule finds the same matches with it
    as without it, on the written examples."""
    import re

    import yaml

    from arrears.compliance.conduct import rules as conduct_rules

    examples = yaml.safe_load((EXAMPLES / "examples.yaml").read_text("utf-8"))
    book = load_rules()
    texts = [normalise(item["text"], book.evasions).text for item in examples]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conduct_rules, "guarded", lambda pattern, runs=False: pattern)
        conduct_rules.load_rules.cache_clear()
        plain = conduct_rules.load_rules()
    conduct_rules.load_rules.cache_clear()
    pairs = [
        (rule.id, fast, slow)
        for rule, plain_rule in zip(book.rules, plain.rules, strict=True)
        for fast, slow in ((rule.zh, plain_rule.zh), (rule.en, plain_rule.en))
        if fast is not None and slow is not None
    ]
    assert sum(fast.pattern != slow.pattern for _, fast, slow in pairs) > len(pairs) / 2
    for rule_id, fast, slow in pairs:
        for text in texts:
            assert [m.span() for m in fast.finditer(text)] == [
                m.span() for m in re.compile(slow.pattern).finditer(text)
            ], (rule_id, text)


def test_a_rule_finds_nothing_where_its_required_words_are_absent() -> None:
    """``requires`` only skips work: on the written examples and every split but the newest held-out
    part (whose texts nobody reads while changing the rules), a rule with required words finds
    nothing in a text without them."""
    import yaml

    from arrears.compliance.conduct.evaluation import SPLITS, load_corpus

    corpus = Path(__file__).parents[2] / "data" / "qa" / "corpus"
    examples = yaml.safe_load((EXAMPLES / "examples.yaml").read_text("utf-8"))
    open_splits = [item.text for split in SPLITS[:-1] for item in load_corpus(corpus, split)]
    texts = [item["text"] for item in examples] + open_splits
    book = load_rules()
    normalised = [normalise(text, book.evasions).text for text in texts]
    checked = 0
    for rule in book.rules:
        for pattern, requires in ((rule.zh, rule.requires_zh), (rule.en, rule.requires_en)):
            if pattern is None or requires is None:
                continue
            for text in normalised:
                if requires.search(text) is None:
                    checked += 1
                    assert pattern.search(text) is None, (rule.id, text)
    assert checked > 100


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("坐牢是不会的，但法院判了不履行会被限制高消费", "false_legal"),
        ("上门找你家人是不可能的", "third_party_leverage"),
    ],
)
def test_a_clause_that_ends_by_denying_what_it_named_is_a_negation(text: str, category: str) -> None:
    assert category not in categories(text)
    assert any("negated" in d.because for d in check_conduct(text).dropped)
    assert "false_legal" in categories("你这样下去迟早坐牢的")
    assert "false_legal" in categories("你要坐牢也不是没有可能")  # a double negation denies nothing


def test_the_debtors_own_words_said_back_to_them_are_theirs_in_that_clause_only() -> None:
    said_back = "您刚才说打算找朋友周转一下，这个您自己决定就行"
    assert "new_borrowing" not in categories(said_back)
    assert any("reported" in d.because for d in check_conduct(said_back).dropped)
    assert "new_borrowing" in categories("你刚才说没钱，那就去找朋友借啊")  # the answer is the collector's
    assert "third_party_leverage" in categories("我跟你说过，再不还就告诉你老板")


@pytest.mark.parametrize(
    ("clean", "flagged", "category"),
    [
        ("您是他妈妈吧？麻烦让他回个电话", "你他妈还不还钱", "insult"),
        ("打風落大雨，你出入小心，還款嘅事下星期再講", "你出入小心啲，我哋啲人成日經過", "threat"),
        (
            "Scammers sometimes pretend to be the police and threaten arrest; we never do that.",
            "Pay today or you will be arrested.",
            "false_legal",
        ),
        ("你每天早上七点送孩子去幼儿园", "明天早上六点我就去你家门口等着", "forbidden_time"),
    ],
)
def test_general_forms_that_were_too_wide_now_tell_the_two_apart(
    clean: str, flagged: str, category: str
) -> None:
    """Rounds 3–4: 他妈 is "his mother" unless it is the expletive; care about the weather is not
    menace; a scam warning names arrest without threatening it; an early hour with the debtor's own
    errand is not a contact (the hour needs a visit to the debtor, a call, a message)."""
    assert category not in categories(clean)
    assert category in categories(flagged)


def test_asking_a_relative_to_talk_the_debtor_round_is_leverage() -> None:
    for text in (
        "您是他妈妈吧？他欠我们三万多一直不还，您得好好说说他。",
        "Your husband owes us nearly two grand. Can you make sure he sorts it out this week?",
    ):
        assert {"disclosure", "third_party_leverage"} <= categories(text, party="family"), text
    assert "third_party_leverage" not in categories("麻烦您让他方便的时候回个电话", party="family")


@pytest.mark.parametrize(
    "text",
    [
        "你住锦绣花园7栋2单元对吧？我们的人对那一片挺熟的，你自己掂量掂量。",
        "我们外访那几个兄弟脾气都不太好，真去了你家，我可拦不住。",
        "You stay in Block 412, level nine, right? My colleagues know the place. Don't make them go up.",
        "Your wife takes the train at quarter past six every evening. Tell her to be careful.",
    ],
)
def test_veiled_menace_is_what_we_know_or_can_send_and_a_closer_together(text: str) -> None:
    assert "threat" in categories(text)


def test_knowing_without_a_closer_or_a_closer_about_the_weather_is_no_veiled_threat() -> None:
    assert "threat" not in categories("您住的是7栋2单元对吧？快递说找不到，麻烦您核对一下地址。")
    assert "threat" not in categories("我们知道你现在住在你丈母娘家，方便的话我们把账单寄到那边可以吗？")
    assert "threat" not in categories(
        "Your kids' school fees come first, we understand; let's set the payment after the 15th."
    )


def test_a_lender_named_to_the_debtor_is_pressure_named_to_others_it_is_the_debt() -> None:
    assert "new_borrowing" in categories("Have you thought about a payday loan? Same-day cash.")
    assert "new_borrowing" not in categories(
        "It's about an unpaid payday loan, so it is kind of urgent. Can you put me through to him?",
        party="employer",
    )
    assert "new_borrowing" not in categories("【通知】您的亲属王强在我平台的借款已逾期60天", party="family")


def test_a_note_of_a_third_party_asked_to_press_the_debtor_is_leverage_whoever_it_is_for() -> None:
    note = "已联系客户所在公司人事部，告知其信用卡欠款情况，要求单位协助督促还款。"
    assert {"disclosure", "third_party_leverage"} <= categories(note, party="unknown")
    relay = "已致电客户配偶，告知客户信贷逾期，请其转告回电。"  # a call-back passed on: no pressure
    assert "third_party_leverage" not in categories(relay, party="unknown")


def test_speaking_to_whoever_answers_the_debtors_phone_is_disclosure() -> None:
    assert "disclosure" in categories("不管你是谁，告诉机主，他欠的八千块今天再不还", party="unknown")
    assert "disclosure" not in categories("不管你是谁，麻烦告诉机主回个电话", party="unknown")


def test_a_warning_of_what_will_be_told_is_leverage_not_a_telling() -> None:
    found = categories("若您仍未还款，我司将联系您预留的紧急联系人及工作单位，告知您的逾期情况。")
    assert "third_party_leverage" in found and "disclosure" not in found


def test_a_quotation_after_a_speech_verb_is_someone_elses_words() -> None:
    note = "Customer became aggressive, said 'I know where your call centre is, watch yourself'. Call ended."
    assert "threat" not in categories(note)
    assert "third_party_leverage" in categories("I said 'we will call your boss' and he hung up")


@pytest.mark.parametrize(
    ("text", "party", "expected"),
    [
        # a relative asked to see to it, at night; the debtor's people to talk them round; a group of theirs
        (
            "Could you remind her that her card is three months behind? She really needs to settle it.",
            "family",
            {"disclosure", "third_party_leverage"},
        ),
        (
            "你见到他叫他赶紧把钱 settle 了，他欠我们两万多",
            "colleague",
            {"disclosure", "third_party_leverage"},
        ),
        (
            "阿姨这么晚打扰您了，您女儿的网贷逾期了，您得管管她",
            "family",
            {"forbidden_time", "disclosure", "third_party_leverage"},
        ),
        ("要不我们请你舅舅跟你聊聊？", "debtor", {"third_party_leverage"}),
        ("Don't make me call your mum about this.", "debtor", {"third_party_leverage"}),
        ("再不还，我们就在你们小区业主群里说说你的事", "debtor", {"reputation", "third_party_leverage"}),
        ("我们不介意帮你在家长群里自我介绍一下", "debtor", {"reputation", "third_party_leverage"}),
        ("We would have no choice but to make this public.", "debtor", {"reputation"}),
        # property, the job and the home left to chance; a visit at night; a message stamped at night
        ("你那辆新买的电动车停在楼下，哪天被人划了可别怪我们", "debtor", {"threat"}),
        ("你这份工作还保不保得住，就看你这周的表现了", "debtor", {"threat"}),
        (
            "Our field team drives past your street most evenings. Don't blame us if things get awkward.",
            "debtor",
            {"threat"},
        ),
        ("Expect our collector at your flat around 11pm tonight.", "debtor", {"threat", "forbidden_time"}),
        ("凌晨两点我们的人就在你家楼下等你", "debtor", {"threat", "forbidden_time"}),
        ("[Sent 23:47] Your payment is overdue, reply now.", "debtor", {"forbidden_time"}),
        # the law made up, fees made up, borrowing and selling pressed
        ("你这笔卡债已经移送检察院侦办了", "debtor", {"false_legal"}),
        (
            "Your NRIC will be flagged and you won't be allowed to leave the country.",
            "debtor",
            {"false_legal"},
        ),
        ("上门一趟的交通费三百块，全算你头上", "debtor", {"false_fee_deadline"}),
        ("你那台摩托卖一卖嘛，先还一部分", "debtor", {"new_borrowing"}),
        ("Stick the balance on your Visa and we're done.", "debtor", {"new_borrowing"}),
        ("你个憨批，电话都不接", "debtor", {"insult"}),
        # hard negatives close to them
        ("Customer asked to be called after 10pm because of her shift; consent noted.", "unknown", set()),
        ("您说想把车卖了还款，这是您的决定，我们也可以给您做分期", "debtor", set()),
        ("If you're considering a payday loan, please speak to a debt adviser first.", "debtor", set()),
        ("这个月的罚息每天都在计算，按合同约定", "debtor", set()),
        ("如遇有人冒充我司上门泼漆，请立即报警", "debtor", set()),
        ("只有被法院认定为失信被执行人才会被限制高消费", "debtor", set()),
        (
            "We will not post anything about you online, and we never contact your neighbours.",
            "debtor",
            set(),
        ),
        ("我们不会在任何群里公布您的信息，也不会联系您的同事", "debtor", set()),
        ("Please pass on that he should ring us back when convenient.", "family", set()),
    ],
)
def test_round_five_forms_and_the_hard_negatives_beside_them(
    text: str, party: str, expected: set[str]
) -> None:
    """Round 5 (heldout4 opened): general forms, probes written for this test (not corpus items) —
    judged exactly, the clean ones included."""
    assert categories(text, party=party) == expected


def _scanned_scope(text: str, start: int) -> tuple[tuple[int, int], tuple[int, int], int]:
    """scope_of as it read the text before its boundaries were indexed: a scan up to ``start``."""

    def last_end(pattern: re.Pattern[str], before: int, lower: int = 0) -> int:
        ends = [found.end() for found in pattern.finditer(text, lower, before)]
        return ends[-1] if ends else lower

    def next_start(pattern: re.Pattern[str]) -> int:
        found = pattern.search(text, start)
        return found.start() if found else len(text)

    sentence, clause = structure._SENTENCE_END, structure._CLAUSE_END
    clause_start = last_end(clause, start)
    consequence = max(clause_start, last_end(structure._CONDITION, start, lower=clause_start))
    return (clause_start, next_start(clause)), (last_end(sentence, start), next_start(sentence)), consequence


@pytest.mark.parametrize(
    "text",
    [
        "Mr.Smith said we will sue. Pay now.",
        "a - - b - c",
        "客户说“再不还就起诉你”，我们不会这样做。",
        "he said 'we will call your boss' ... ok",
        "。。\n\n",
        "",
    ],
)
def test_the_indexed_boundaries_read_as_a_scan_of_the_text(text: str) -> None:
    for start in range(len(text) + 1):
        scope = structure.scope_of(text, start)
        assert (scope.clause, scope.sentence, scope.consequence_start) == _scanned_scope(text, start)


def _scanned_reported(text: str, scope: structure.Scope, start: int) -> str | None:
    """reported_by_other outside quotations as it read the text before its cues were indexed: a scan
    of the clause and of the sentence up to ``start``."""
    you = structure._REPORTED_YOU_ZH.search(text, scope.clause[0], start)
    if you is not None:
        return you.group(0)
    before = text[scope.sentence[0] : start]
    if structure._OWN_WORDS.search(before):
        return None
    carried = structure._SUBJECT_THEN_SPEECH.search(before)
    if carried:
        return carried.group(0)
    for pattern in (structure._REPORTED_ZH, structure._REPORTED_EN):
        found = list(pattern.finditer(before))
        if found:
            return found[-1].group(0)
    return None


@pytest.mark.parametrize(
    "text",
    [
        "他说话费太贵了他说话题",
        "你说要不要还你说想还你说要",
        "客户情绪激动，说要上门",
        "债务人今天情绪非常激动一直在骂，又扬言要投诉",
        "我刚刚才跟你们的客户说他们说会还。跟他说",
        "借款人反复话费债务人一直误以为您刚才也提到过",
        "we repliedx he said the customer said his mom really was worriedly",
        "he " + "我们" * 40 + " said then you were thinking ofx",
        "customer  \u3000 really was worriedx told them or you willx",
        "pay or you willx then 再不还要不然就",
    ],
)
def test_the_indexed_cues_read_as_a_scan_of_the_text(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The condition and reported-speech cues are found from matches indexed once per text; near each
    position they are sought again, where a match could read past it (tools/check_structure_equivalence.py
    compares them on every corpus text and thousands of random ones). The index is used however
    short the scan (short ones are otherwise run as they are)."""
    monkeypatch.setattr(structure, "SCAN_LIMIT", 0)
    for start in range(len(text) + 1):
        scope = structure.scope_of(text, start)
        assert (scope.clause, scope.sentence, scope.consequence_start) == _scanned_scope(text, start)
        assert structure.reported_by_other(text, scope, start) == _scanned_reported(text, scope, start)


class _Counted:
    """A pattern that counts the characters its searches and scans are given."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.wrapped, self.pattern, self.flags = pattern, pattern.pattern, pattern.flags
        self.read = 0

    def _given(self, string: str, pos: int, endpos: int) -> None:
        self.read += max(0, min(endpos, len(string)) - pos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        self._given(string, pos, endpos)
        return self.wrapped.search(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        self._given(string, pos, endpos)
        return self.wrapped.finditer(string, pos, endpos)


_CUES = (
    "_CONDITION",
    "_REPORTED_YOU_ZH",
    "_OWN_WORDS",
    "_SUBJECT_THEN_SPEECH",
    "_REPORTED_ZH",
    "_REPORTED_EN",
)


@pytest.mark.parametrize(
    "words",
    [
        "我们不会上门客户说再不还就曝光你他说话费要不然他们说会还的话就 he said or else then ",
        "we will not visit or else then the customer said he was worried his mom really was worried 他们 ",
    ],
)
def test_a_long_text_without_punctuation_is_read_near_each_position(
    words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """marks() asks for the structure at each of 10,000 characters in one sentence and one clause: the
    cues are taken from matches indexed once and sought again in a few characters before each position
    (a scan up to each gave every cue 10,000²/2 = 50,000,000 characters to read)."""
    text = (words * (10_000 // len(words) + 1))[:10_000]
    counted = {name: _Counted(getattr(structure, name)) for name in _CUES}
    for name, pattern in counted.items():
        monkeypatch.setattr(structure, name, pattern)
    structure._matches.cache_clear()
    try:
        how = structure.marks(text)
    finally:
        structure._matches.cache_clear()
    assert {name: pattern.read for name, pattern in counted.items() if pattern.read > 30 * len(text)} == {}
    assert set(how) == {".", "r", "n"}
    for start in [*range(0, len(text), 97), *range(len(text) - 60, len(text))]:
        assert how[start] == _scanned_mark(text, start), start


def _scanned_mark(text: str, start: int) -> str:
    """marks()'s letter at ``start`` from the scans (the text has no quotation)."""
    if not structure._STARTS_A_GRAM.match(text, start):
        return "."
    scope = structure.Scope(*_scanned_scope(text, start))
    if _scanned_reported(text, scope, start) is not None:
        return "r"
    before = structure.negation_before(text, scope, start, structure.MARK_REACH_ZH, structure.MARK_REACH_EN)
    return "n" if before or structure.negation_after(text, scope, start + 1) else "."


def _reads(items: Sequence[tuple[Any, Any]]) -> float:
    """How far past its start an attempt of a parsed pattern may read the string: before each item
    the widest its prefix can be, then the item's own reach (lookaheads, ``\\b`` and ``$`` included)."""
    width, reach = 0.0, 0.0
    for op, av in items:
        reach = max(reach, width + _item_reads(op, av))
        width += _widest([(op, av)])
    return reach


def _widest(items: Sequence[tuple[Any, Any]]) -> float:
    widest = sre_parse.SubPattern(sre_parse.State(), list(items)).getwidth()[1]
    return math.inf if widest >= sre.MAXREPEAT else widest


def _item_reads(op: Any, av: Any) -> float:
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
        return 1
    if op is sre.AT:  # \b reads the character at it, $ the one after (a final newline)
        return {sre.AT_BEGINNING: 0, sre.AT_BOUNDARY: 1, sre.AT_NON_BOUNDARY: 1, sre.AT_END: 2}[av]
    if op is sre.SUBPATTERN:
        return _reads(av[-1])
    if op is sre.BRANCH:
        return max(_reads(branch) for branch in av[1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        _, most, body = av
        if most == sre.MAXREPEAT:
            return math.inf
        return (most - 1) * _widest(body) + _reads(body) if most else 0
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        direction, body = av
        return _reads(body) if direction == 1 else 0  # a lookbehind reads before
    raise AssertionError(f"{op} is not measured")


@pytest.mark.parametrize(
    ("pattern", "reach"),
    [
        ("_CONDITION", "_CONDITION_REACH"),
        ("_REPORTED_YOU_ZH", "_REPORTED_YOU_REACH"),
        ("_REPORTED_ZH", "_REPORTED_ZH_REACH"),
        ("_OWN_WORDS", "_OWN_WORDS_REACH"),
        ("_SUBJECT_THEN_SPEECH", "_SUBJECT_THEN_SPEECH_REACH"),
    ],
)
def test_a_cue_is_sought_again_as_far_back_as_it_can_read(pattern: str, reach: str) -> None:
    """A match taken from the index is the one a scan cut at a position finds only if it read nothing
    at or past the position: each cue's reach bounds what its pattern reads."""
    compiled = getattr(structure, pattern)
    assert _reads(sre_parse.parse(compiled.pattern, compiled.flags)) <= getattr(structure, reach)


def test_the_english_reported_speech_reads_far_only_from_a_subject_and_a_space() -> None:
    """_REPORTED_EN's \\w+ and \\s+ read on without bound, but only after a subject and a space
    (_A_WORD_THEN_SPACE): then through a subject's word, spaces, a word and spaces (six changes of
    run at most, _REPORTED_EN_RUNS) to a verb. Elsewhere it reads no further than _REPORTED_EN_REACH."""
    boundary, (_, (_, branches)) = sre_parse.parse(structure._REPORTED_EN.pattern)
    assert boundary == (sre.AT, sre.AT_BOUNDARY)
    near = structure._REPORTED_EN_REACH
    assert all(max(1, _reads(branch)) <= near for branch in branches[1:])
    (_, (_, subjects)), *runs, verb, end = branches[0]
    for subject in subjects:
        letters = "".join(chr(av) for op, av in subject if op is sre.LITERAL)
        rest = [(op, av) for op, av in subject if op is not sre.LITERAL]
        assert str(rest) in ("[]", str(list(sre_parse.parse(r"\w+")))), letters
        assert structure._A_WORD_THEN_SPACE.match(letters if rest else letters + " "), letters
        assert len(letters) + 1 <= near
    assert str(runs) == str(list(sre_parse.parse(r"\s+(?:\w+\s+)?")))
    assert structure._REPORTED_EN_RUNS == 6
    assert _reads([verb, end]) <= structure._REPORTED_EN_VERB_REACH
