"""The text catalogue: every marked message exists in both languages, with the same placeholders."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import arrears
from arrears.i18n import (
    LANGUAGES,
    N_,
    catalogue,
    choose_language,
    normalise_language,
    parse_accept_language,
    translate,
)

PACKAGE = Path(arrears.__file__).parent
KEYWORDS = {"N_": None, "translate": (1,), "gettext": (1,), "_": None}
"""The marks of babel.cfg: N_, translate, gettext in the code; _ in the pages' templates."""
METHODS = [("**.py", "python"), ("web/templates/**.html", "jinja2")]


def marked_messages() -> dict[str, str]:
    """Every message marked in the package's source and the pages' templates, with where it was found."""
    found: dict[str, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=METHODS, keywords=KEYWORDS
    ):
        text = message if isinstance(message, str) else message[0]
        found.setdefault(text, f"{filename}:{line}")
    return found


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_the_source_marks_messages() -> None:
    assert len(marked_messages()) >= 10


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_marked_message_is_translated_with_the_same_placeholders(language: str) -> None:
    translations = catalogue(language)
    missing = {text: where for text, where in marked_messages().items() if not translations.get(text)}
    assert not missing, f"untranslated in {language} (run `make messages` and fill them in): {missing}"
    different = {
        text: translations[text]
        for text in marked_messages()
        if placeholders(text) != placeholders(translations[text])
    }
    assert not different, f"placeholders differ in {language}: {different}"


def test_the_catalogue_holds_no_stale_messages() -> None:
    stale = set(catalogue("zh-CN")) - set(marked_messages())
    assert not stale, f"translated but no longer in the source (run `make messages`): {stale}"


def test_translate_fills_placeholders_in_each_language() -> None:
    message = N_("{path}: {reason}")
    assert translate(message, "en", path="a.csv", reason="gone") == "a.csv: gone"
    assert translate(message, "zh-CN", path="a.csv", reason="gone") == "a.csv：gone"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("zh_CN.UTF-8", "zh-CN"), ("zh-Hans", "zh-CN"), ("en-US", "en"), ("C.UTF-8", None), ("", None)],
)
def test_normalise_language(tag: str, expected: str | None) -> None:
    assert normalise_language(tag) == expected


def test_accept_language_takes_the_heaviest_known_language() -> None:
    assert parse_accept_language("fr-FR, en;q=0.5, zh-CN;q=0.8") == "zh-CN"
    assert parse_accept_language("fr, de;q=0.9") is None
    assert parse_accept_language("en;q=0, zh;q=bad") is None


def test_the_language_is_chosen_in_one_order() -> None:
    assert choose_language("en", "zh-CN", "zh-CN", "zh_CN.UTF-8") == "en"
    assert choose_language(None, "zh-CN,en;q=0.5", "en", None) == "zh-CN"
    assert choose_language(None, None, None, "zh_CN.UTF-8") == "zh-CN"
    assert choose_language() == "en"
