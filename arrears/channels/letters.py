"""Letters (催收函) as PDF, and the batch a print vendor takes.

The rules (docs/channels.md, "Letters"):

- a letter is one PDF: the bank's header (its name and hotline), the addressee (name and postal
  address), the date (long, in the letter's language) and the reference, the subject, the body
  rendered from an approved letter template, and a box where the seal is stamped, captioned
  :data:`SEAL_CAPTIONS` in its language (the content check counts that caption as the letter's
  seal element);
- a letter is in its template's language (zh-CN or en): its labels, its date and amounts (Babel)
  and its seal caption;
- Chinese text is set in ReportLab's CID font STSong-Light (a font every PDF reader carries: no
  font file is embedded or needed; its Latin letters serve an English letter too), wrapped as CJK
  text in Chinese; the PDF is invariant (no creation time
  or random id inside), so the same letter gives the same bytes and the same SHA-256;
- :func:`print_batch` writes one ``<letter_id>.pdf`` per letter into a folder and then, last,
  ``manifest.csv`` (UTF-8 with BOM, for the vendor's spreadsheet): letter id, customer name,
  postal address, pages, SHA-256 of the PDF, file; every cell through
  :func:`arrears.spreadsheet.neutralise`. A folder with a manifest is a complete batch.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from arrears.channels.models import MessageChannel, MessageTemplate
from arrears.channels.rendering import BANK, Bank, MessageContext, long_date, render
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.spreadsheet import neutralise

FONT = "STSong-Light"
SEAL_CAPTIONS = {"zh-CN": "（银行盖章）", "en": "(Bank's seal)"}
"""The caption of the seal box: where the bank stamps its seal (公章) on the printed letter."""


def seal_caption(language: str) -> str:
    return SEAL_CAPTIONS.get(language, SEAL_CAPTIONS["zh-CN"])


MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("letter_id", "customer_name", "postal_address", "pages", "sha256", "file")
LETTER_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")
LABELS = {
    "zh-CN": {"reference": "编号", "date": "日期", "hotline": "客服热线", "page": "第 {page} 页"},
    "en": {"reference": "Reference", "date": "Date", "hotline": "Hotline", "page": "Page {page}"},
}


@dataclass(frozen=True)
class Letter:
    """One letter, its subject and body rendered from an approved letter template."""

    letter_id: str
    customer_name: str
    postal_address: str
    language: str
    body: str
    dated: date
    reference: str
    subject: str | None = None


@dataclass(frozen=True)
class Printed:
    letter: Letter
    pdf: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def compose(
    letter_id: str, template: MessageTemplate, context: MessageContext, postal_address: str
) -> Letter:
    """The letter of ``template`` (a letter template) rendered with ``context``."""
    if template.channel != MessageChannel.LETTER:
        raise InvalidInputError(
            N_("Template {template_id} is for {channel}, not for a letter"),
            template_id=template.id,
            channel=template.channel,
        )
    return Letter(
        letter_id=letter_id,
        customer_name=context.customer_name,
        postal_address=postal_address,
        language=template.language,
        subject=render(template.subject, context, template.language) if template.subject else None,
        body=render(template.body, context, template.language),
        dated=context.today,
        reference=context.reference,
    )


def render_pdf(letter: Letter, bank: Bank = BANK) -> Printed:
    """The letter as a PDF, and its page count."""
    _font()
    labels = LABELS.get(letter.language, LABELS["zh-CN"])
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=40 * mm,
        bottomMargin=25 * mm,
        title=letter.reference,
        author=bank.name(letter.language),
        invariant=1,
    )

    def furniture(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        _header(canvas, bank, letter.language, labels)
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, labels["page"].format(page=doc.page))

    document.build(_story(letter, bank, labels), onFirstPage=furniture, onLaterPages=furniture)
    return Printed(letter, buffer.getvalue(), document.page)


def print_batch(letters: Iterable[Letter], folder: Path, bank: Bank = BANK) -> Path:
    """One PDF per letter in ``folder`` (made if missing), then the manifest; its path."""
    batch = list(letters)
    _check_ids(batch)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for letter in batch:
        printed = render_pdf(letter, bank)
        name = f"{letter.letter_id}.pdf"
        (folder / name).write_bytes(printed.pdf)
        rows.append(
            (
                letter.letter_id,
                letter.customer_name,
                letter.postal_address,
                printed.pages,
                printed.sha256,
                name,
            )
        )
    manifest = folder / MANIFEST
    partial = folder / f".{MANIFEST}.partial"
    with partial.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows([neutralise(str(cell)) for cell in row] for row in rows)
    partial.replace(manifest)  # the manifest appears whole, after every PDF it names
    return manifest


def _check_ids(batch: list[Letter]) -> None:
    seen: set[str] = set()
    for letter in batch:
        if not LETTER_ID.fullmatch(letter.letter_id):
            raise InvalidInputError(
                N_("A letter id is 1 to 100 of A-Z, a-z, 0-9, _ . -, not {letter_id}"),
                letter_id=repr(letter.letter_id[:100]),
            )
        if letter.letter_id in seen:
            raise InvalidInputError(
                N_("Letter {letter_id} is twice in the batch"), letter_id=letter.letter_id
            )
        seen.add(letter.letter_id)


@cache
def _font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles(language: str) -> dict[str, ParagraphStyle]:
    wrap = "CJK" if language == "zh-CN" else None
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18, wordWrap=wrap, spaceAfter=6)
    return {
        "body": body,
        "subject": ParagraphStyle("subject", parent=body, fontSize=14, leading=20, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "seal": ParagraphStyle("seal", parent=body, fontSize=9, alignment=TA_CENTER, textColor=colors.grey),
    }


def _story(letter: Letter, bank: Bank, labels: dict[str, str]) -> list[object]:
    styles = _styles(letter.language)
    story: list[object] = [
        Paragraph(escape(letter.customer_name), styles["body"]),
        Paragraph(escape(letter.postal_address), styles["body"]),
        Paragraph(f"{labels['reference']}: {escape(letter.reference)}", styles["right"]),
        Paragraph(f"{labels['date']}: {long_date(letter.dated, letter.language)}", styles["right"]),
        Spacer(1, 6 * mm),
    ]
    if letter.subject:
        story += [Paragraph(escape(letter.subject), styles["subject"]), Spacer(1, 4 * mm)]
    for paragraph in re.split(r"\n\s*\n", letter.body.strip()):
        story.append(Paragraph(escape(paragraph).replace("\n", "<br/>"), styles["body"]))
    story += [
        Spacer(1, 10 * mm),
        _seal_box(styles, letter.language),
        Paragraph(escape(bank.name(letter.language)), styles["right"]),
    ]
    return story


def _seal_box(styles: dict[str, ParagraphStyle], language: str) -> Table:
    """A square on the right where the seal is stamped (the image itself is the printer's)."""
    box = Table(
        [[Paragraph(escape(seal_caption(language)), styles["seal"])]],
        colWidths=[40 * mm],
        rowHeights=[40 * mm],
        hAlign="RIGHT",
    )
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return box


def _header(canvas: Canvas, bank: Bank, language: str, labels: dict[str, str]) -> None:
    width, height = A4
    canvas.saveState()
    canvas.setFont(FONT, 16)
    canvas.drawString(25 * mm, height - 20 * mm, bank.name(language))
    canvas.setFont(FONT, 9)
    canvas.drawRightString(width - 25 * mm, height - 20 * mm, f"{labels['hotline']}: {bank.hotline}")
    canvas.setStrokeColor(colors.grey)
    canvas.line(25 * mm, height - 24 * mm, width - 25 * mm, height - 24 * mm)
    canvas.restoreState()
