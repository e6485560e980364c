"""The rule ids and what each means, in Simplified Chinese and English.

The ids are fixed by ``compliance-scenarios/README.md``; a pack may add ids of its own (UK-*).
"""

from __future__ import annotations

from arrears.compliance.decision import Reason

RULES: dict[str, tuple[str, str]] = {
    "CN-TIME-1": (
        "22:00至次日08:00（债务人当地时间）不得进行任何催收联系，债务人另行同意的时间除外",
        "no collection contact of any kind between 22:00 and 08:00 debtor-local, unless the debtor agreed",
    ),
    "CN-FREQ-1": (
        "同一债务人每日（当地时间）外呼接通不超过3次，银行与委外机构合并计算，呼入不计",
        "at most 3 outbound conversations with one debtor per debtor-local day, bank and agencies together",
    ),
    "CN-FREQ-2": (
        "同一号码每日（当地时间）未接通拨打不超过6次",
        "at most 6 unanswered dial attempts to the same number per debtor-local day",
    ),
    "CN-PARTY-1": ("不得向与债务无关的第三人催收", "never collect from a party unrelated to the debt"),
    "CN-PARTY-2": (
        "仅在债务人失联（号码无效、连续3次联系失败、死亡或丧失行为能力）时方可联系联系人，且只能转达信息、不得透露债务",
        "a contact person only when the debtor is unreachable, only to relay a message, "
        "never disclosing the debt",
    ),
    "CN-PARTY-3": (
        "联系人已明确拒绝，不得再次联系",
        "a contact person who refused further contact is never contacted again",
    ),
    "CN-CONDUCT-1": (
        "不得使用暴力、威胁、辱骂、恐吓，不得冒充公检法，不得虚构法律后果，不得散布隐私",
        "no violence, threats, insults, intimidation, impersonation of courts or police, false legal "
        "consequences or spreading of private information",
    ),
    "CN-CONDUCT-2": (
        "禁止行为：公开张贴、收取催收费用、诱导借新还旧、委外机构使用未报备渠道联系",
        "prohibited acts: public postings, collection fees, pushing new borrowing, "
        "unregistered agency channels",
    ),
    "CN-PI-2": ("不得向债务人以外的任何人披露债务信息", "no disclosure of the debt to anyone but the debtor"),
    "CN-DISC-1": (
        "催收函须载明：姓名、欠款金额、欠款原因、权利告知、异议方式、联系方式、盖章",
        "a collection letter carries name, balance, reason, rights, how to object, contact and seal",
    ),
    "CN-DISPUTE-1": (
        "债务人提出异议期间暂停催收，须在期限内（默认15日）完成核实",
        "an open objection holds collection contact until it is verified (15 days by default)",
    ),
    "US-REGF-TIME-1": (
        "仅可在消费者当地时间08:00至21:00前联系（含电话、短信、电邮、语音留言）",
        "contact (call, text, e-mail, voicemail) only from 08:00 to before 21:00 consumer-local",
    ),
    "US-REGF-TIME-2": (
        "消费者所在时区不确定：仅可在所有候选时区均为方便时间时联系",
        "location uncertain: only at a time convenient in every candidate zone",
    ),
    "US-REGF-TIME-3": (
        "消费者指明的不方便时间或地点（含雇主禁止的工作场所）不得联系",
        "not at a time or place the consumer said is inconvenient (or at work where the employer forbids)",
    ),
    "US-REGF-7IN7": (
        "连续7个当地日内就同一债务致电同一人不得超过7次",
        "no more than 7 calls to a person about a debt within 7 consecutive local days",
    ),
    "US-REGF-7AFTERCONV": (
        "电话接通后7日内（接通当日为第1日）不得再次致电",
        "no call within 7 days after a telephone conversation, the conversation day being day 1",
    ),
    "US-REGF-ATTY": (
        "消费者已委托律师：只能联系律师",
        "represented by an attorney: contact the attorney only",
    ),
    "US-REGF-CEASE": (
        "收到书面停止联系请求后，只可发送三类结束函件",
        "after a written cease request, only the three closing letters",
    ),
    "US-REGF-MEDIUM": (
        "消费者已要求不使用此联系方式",
        "not through a medium the person asked not to be used",
    ),
    "US-REGF-EOPTOUT": ("每封电邮和短信须附简便的退订方式", "every e-mail and text carries a simple opt-out"),
    "US-REGF-3P": (
        "不得与第三方谈论债务（配偶、监护人、遗产执行人视同消费者）",
        "no debt talk with third parties (spouse, guardian, executor count as the consumer)",
    ),
    "US-REGF-LOC": (
        "为获取位置信息联系第三方仅限一次，且不得提及债务",
        "a third party for location information only once, never mentioning a debt",
    ),
    "US-REGF-DISPUTE": (
        "验证期内的书面异议：发出核实材料前暂停催收",
        "a written dispute in the validation period holds collection until verification is sent",
    ),
    "US-REGF-FALSE": (
        "不得作虚假、欺骗或误导性陈述（逮捕、入狱、虚假诉讼）",
        "no false, deceptive or misleading statements (arrest, jail, false lawsuits)",
    ),
    "US-REGF-HARASS": (
        "不得骚扰、辱骂、使用粗言秽语或过度发送短信",
        "no harassment, abuse, profanity or excessive texting",
    ),
    "UK-TIME-1": (
        "仅可在银行设定的合理时间内联系",
        "contact only within the reasonable hours the firm has set",
    ),
    "UK-PARTY-1": ("不得向第三方披露或追讨债务", "no pursuit or disclosure of the debt to third parties"),
    "UK-CONDUCT-1": (
        "不得施压、威胁、误导或冒充法院官员",
        "no oppressive pressure, threats, misleading statements or impersonation of court officials",
    ),
    "UK-FORBEAR-1": (
        "客户处于财务困难：须给予宽容处理，暂停催收",
        "a customer in financial difficulty is treated with forbearance: collection is paused",
    ),
    "UK-DISPUTE-1": (
        "客户对债务提出有效异议：暂停追讨",
        "a debt disputed on valid grounds: recovery is suspended",
    ),
    "HOLD-DISPUTE": ("客户存在未解决的异议，暂停催收联系", "an open dispute holds collection contact"),
    "HOLD-CEASE": ("客户要求停止联系，暂停催收联系", "the customer asked to stop contact"),
    "HOLD-BANKRUPTCY": ("客户处于破产程序，暂停催收联系", "bankruptcy holds collection contact"),
    "HOLD-DECEASED": ("债务人已身故，不得联系其本人号码", "the debtor is deceased"),
    "HOLD-HARDSHIP": ("客户处于困难帮扶期，暂停催收联系", "a hardship arrangement holds collection contact"),
    "OPT-OUT": ("客户已退订此渠道", "the customer opted out of this channel"),
    "NO-COMMON-WINDOW": ("候选时区没有共同的允许时间", "the candidate zones share no permitted time"),
    "TENANT-POLICY": ("银行自身收紧的政策", "the bank's own tightening of the pack"),
}


def describe(rule_id: str) -> tuple[str, str]:
    return RULES.get(rule_id, (rule_id, rule_id))


def reason(
    rule_id: str,
    detail_zh: str = "",
    detail_en: str = "",
    *,
    blocking: bool = True,
    retryable: bool = False,
) -> Reason:
    """A reason for a rule, its standard wording followed by what in the facts triggered it."""
    zh, en = describe(rule_id)
    return Reason(
        rule_id=rule_id,
        message_zh=f"{zh}：{detail_zh}" if detail_zh else zh,
        message_en=f"{en}: {detail_en}" if detail_en else en,
        blocking=blocking,
        retryable=retryable,
    )
