"""The evaluation's tables: on the terminal (Rich) and as Markdown, in the reader's language."""

from __future__ import annotations

from rich import box
from rich.table import Table

from arrears.compliance.conduct.evaluation import NONE, Report, Tally
from arrears.compliance.conduct.rules import CATEGORIES
from arrears.i18n import N_, translate

LANGUAGES = ("zh-Hans", "zh-Hant", "en", "mixed")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(name: str, tally: Tally) -> list[str]:
    support = tally.true_positive + tally.false_negative
    return [
        name,
        _ratio(tally.precision),
        _ratio(tally.recall),
        str(tally.true_positive),
        str(tally.false_positive),
        str(tally.false_negative),
        str(support),
    ]


def _headers(language: str, first: str) -> list[str]:
    names = [first, N_("Precision"), N_("Recall"), N_("TP"), N_("FP"), N_("FN"), N_("Labelled")]
    return [translate(name, language) for name in names]


def category_rows(report: Report) -> list[list[str]]:
    return [_row(c, report.by_category[c]) for c in CATEGORIES]


def language_rows(report: Report) -> list[list[str]]:
    return [_row(lang, report.by_language[lang]) for lang in LANGUAGES if lang in report.by_language]


def confusion_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    names = [*CATEGORIES, NONE]
    rows = [[label, *(str(report.confusion[(label, found)]) for found in names)] for label in names]
    return names, rows


def tables(report: Report, language: str) -> list[Table]:
    by_category = _table(translate(N_("By category"), language), _headers(language, N_("Category")))
    for row in category_rows(report):
        by_category.add_row(*row)
    by_language = _table(translate(N_("By language"), language), _headers(language, N_("Language")))
    for row in language_rows(report):
        by_language.add_row(*row)
    names, rows = confusion_rows(report)
    confusion = _table(
        translate(N_("Confusion: labelled (rows) against found (columns)"), language),
        ["", *(_short(n) for n in names)],
    )
    for row in rows:
        confusion.add_row(*row)
    return [by_category, by_language, confusion]


def _table(title: str, headers: list[str]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right")
    return table


def _short(name: str) -> str:
    """A column name short enough for a terminal ("third_party_leverage" → "thi.lev")."""
    parts = name.split("_")
    return name if len(parts) == 1 else ".".join(p[:3] for p in parts[:2])


def summary(report: Report, language: str) -> str:
    return translate(
        N_("{items} items, {exact} judged exactly (all categories right)"),
        language,
        items=report.items,
        exact=report.exact,
    )


def markdown(report: Report, language: str, split: str) -> str:
    title = translate(N_("Conduct checker on the corpus ({split})"), language, split=split)
    lines = [f"# {title}", ""]
    lines += [summary(report, language), ""]
    lines += _markdown_table(
        translate(N_("By category"), language), _headers(language, N_("Category")), category_rows(report)
    )
    lines += _markdown_table(
        translate(N_("By language"), language), _headers(language, N_("Language")), language_rows(report)
    )
    names, rows = confusion_rows(report)
    title = translate(N_("Confusion: labelled (rows) against found (columns)"), language)
    lines += _markdown_table(title, ["", *names], rows)
    return "\n".join(lines)


def _markdown_table(title: str, headers: list[str], rows: list[list[str]]) -> list[str]:
    out = [f"## {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]
