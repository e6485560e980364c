"""Letters as PDF: the text pypdf extracts holds the customer's name and the elements CN-DISC-1
requires, in Chinese; the same letter gives the same bytes; a print batch's manifest names every
PDF with its pages and SHA-256, its cells safe for a spreadsheet."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from arrears.channels.letters import MANIFEST, MANIFEST_COLUMNS, Letter, compose, print_batch, render_pdf
from arrears.channels.models import MessageTemplate
from arrears.channels.rendering import MessageContext, sample_context
from arrears.channels.template_files import read_template
from arrears.channels.templates import content_check
from arrears.contacts.gate import pack_of
from arrears.errors import InvalidInputError
from tests.channels.template_book import LETTER

TODAY = date(2026, 11, 21)
CONTEXT = MessageContext(
    customer_name="张伟",
    case_id="C-ZW-20261101",
    overdue_amount=123_456,
    currency="CNY",
    product="credit_card",
    due_date=date(2026, 10, 7),
    today=TODAY,
)
ADDRESS = "北京市朝阳区建国路88号"


def letter_template(body: str = LETTER, language: str = "zh-CN") -> MessageTemplate:
    return MessageTemplate(
        id=7,
        code="first_notice",
        channel="letter",
        language=language,
        number=1,
        status="approved",
        subject="催收函",
        body=body,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace removed (wrapped lines and glyph spacing are the layout's)."""
    pages = PdfReader(BytesIO(pdf)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)


def test_a_letter_in_chinese_carries_the_required_elements() -> None:
    letter = compose("L0001", letter_template(), CONTEXT, ADDRESS)
    printed = render_pdf(letter)
    assert printed.pages == 1
    text = text_of(printed.pdf)
    for fragment in (
        "示例银行",  # the header
        "客服热线:400-800-9588",
        "张伟",  # addressee
        ADDRESS,
        "编号:C-ZW-20261101-20261121",
        "日期:2026年11月21日",
        "催收函",
        "尊敬的张伟",  # name
        "欠款金额¥1,234.56",  # balance
        "因未按约定还款已逾期",  # reason
        "您有权",  # rights
        "提出异议申请",  # how to object
        "联系电话：400-800-9588",  # contact
        "（银行盖章）",  # the seal box
    ):
        assert fragment in text, fragment


def test_the_same_letter_gives_the_same_pdf() -> None:
    letter = compose("L0001", letter_template(), CONTEXT, ADDRESS)
    assert render_pdf(letter).sha256 == render_pdf(letter).sha256


def test_a_long_letter_runs_onto_more_pages() -> None:
    body = (
        LETTER
        + "\n\n"
        + "\n\n".join(f"第{n}段：您的{{{{ product_name }}}}欠款明细如下。" * 4 for n in range(60))
    )
    printed = render_pdf(compose("L0002", letter_template(body), CONTEXT, ADDRESS))
    assert printed.pages == len(PdfReader(BytesIO(printed.pdf)).pages) > 1
    assert "第59段" in text_of(printed.pdf)


def test_an_english_letter() -> None:
    body = "Dear {{ customer_name }},\n\nyou owe {{ overdue_amount | money }} since {{ due_date | date }}."
    printed = render_pdf(compose("L0003", letter_template(body, "en"), CONTEXT, "1 Main St, Springfield, IL"))
    text = text_of(printed.pdf)
    assert "youoweCN¥1,234.56sinceOctober7,2026." in text
    assert "Date:November21,2026" in text


def test_a_print_batch_and_its_manifest(tmp_path: Path) -> None:
    letters = [
        compose("L0001", letter_template(), CONTEXT, ADDRESS),
        Letter(
            letter_id="L0002",
            customer_name='=HYPERLINK("http://x")',
            postal_address="-1+1 Road",
            language="en",
            body="Dear customer,\n\nplease call us.",
            dated=TODAY,
            reference="C-2-20261121",
        ),
    ]
    manifest = print_batch(letters, tmp_path / "batch-20261121")
    assert manifest == tmp_path / "batch-20261121" / MANIFEST
    with manifest.open(encoding="utf-8-sig", newline="") as read:
        rows = list(csv.reader(read))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [row[0] for row in rows[1:]] == ["L0001", "L0002"]
    assert rows[1][1:4] == ["张伟", ADDRESS, "1"]
    assert rows[2][1:3] == ['\'=HYPERLINK("http://x")', "'-1+1 Road"]  # neutralised for a spreadsheet
    for row in rows[1:]:
        pdf = (manifest.parent / row[5]).read_bytes()
        assert row[4] == hashlib.sha256(pdf).hexdigest()
        assert int(row[3]) == len(PdfReader(BytesIO(pdf)).pages)
    assert sorted(p.name for p in manifest.parent.iterdir()) == ["L0001.pdf", "L0002.pdf", MANIFEST]


@pytest.mark.parametrize("ids", [["L1", "L1"], ["../etc"], [""]])
def test_a_batch_refuses_bad_or_twice_given_ids(tmp_path: Path, ids: list[str]) -> None:
    letters = [compose(letter_id, letter_template(), CONTEXT, ADDRESS) for letter_id in ids]
    with pytest.raises(InvalidInputError):
        print_batch(letters, tmp_path / "batch")
    assert not (tmp_path / "batch").exists()


def test_only_a_letter_template_makes_a_letter() -> None:
    sms = letter_template()
    sms.channel = "sms"
    with pytest.raises(InvalidInputError, match="not for a letter"):
        compose("L1", sms, CONTEXT, ADDRESS)


def test_the_shipped_english_letter_carries_the_required_elements_in_english() -> None:
    path = Path(__file__).parents[2] / "examples" / "templates" / "first_delinquency.letter.en.txt"
    spec = read_template(path)
    template = letter_template(spec.body, "en")
    printed = render_pdf(compose("L0004", template, CONTEXT, "1 Main St, Springfield, IL"))
    text = text_of(printed.pdf)
    for fragment in (
        "ExampleBank",
        "Hotline:400-800-9588",
        "Dear张伟,",  # name
        "amountoverdueisCN¥1,234.56",  # balance
        "isoverdue",  # reason
        "Youhavetheright",  # rights
        "Ifyoudisputetheamount,youmayobject",  # how to object
        "Telephone:400-800-9588",  # contact
        "(Bank'sseal)",  # the seal box
    ):
        assert fragment in text, fragment


@pytest.mark.parametrize(("language", "rights"), [("en", "You have the right to ask"), ("zh-CN", "您有权")])
def test_a_letter_without_the_rights_is_refused_in_either_language(language: str, rights: str) -> None:
    path = Path(__file__).parents[2] / "examples" / "templates" / f"first_delinquency.letter.{language}.txt"
    spec = read_template(path)
    pack = pack_of("cn", None)
    whole = letter_template(spec.body, language)
    assert content_check(whole, pack, sample_context(TODAY)) == []
    cut = letter_template(spec.body.replace(rights, "Ask" if language == "en" else "可"), language)
    reasons = content_check(cut, pack, sample_context(TODAY))
    assert [r["rule_id"] for r in reasons] == ["CN-DISC-1"] and "rights" in json.dumps(reasons)
