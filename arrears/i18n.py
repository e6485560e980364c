"""One text catalogue for the CLI, the API and the pages: gettext catalogues read through Babel.

Source text is English, marked in the code with :func:`N_` (a message kept for later) or
translated at once with :func:`translate`. The Simplified Chinese text lives in
``arrears/locale/zh_CN/LC_MESSAGES/arrears.po``; ``make messages`` extracts the marked text and
updates that file, and a test fails when a marked message has no Chinese translation.

Placeholders are ``str.format`` fields, named (``{column}``) or positional (``{0}``); a
translation must use the same ones. The language of a reader is chosen in one place,
:func:`choose_language`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po

LANGUAGES = ("zh-CN", "en")
"""Every language the project speaks, zh-CN first."""
SOURCE_LANGUAGE = "en"
DOMAIN = "arrears"

_CATALOGUE_LOCALES = {"zh-CN": "zh_CN"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for a marked, untranslated text
    """Mark a text for the catalogue without translating it yet (it is translated when shown)."""
    return message


def normalise_language(tag: str | None) -> str | None:
    """zh-CN or en for a BCP 47 tag or a POSIX locale (zh_CN.UTF-8, zh-Hans, en-US), else None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].split(".")[0].lower()
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def parse_accept_language(header: str | None) -> str | None:
    """The first language of an HTTP Accept-Language header that the project speaks, by weight."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = normalise_language(tag)
        if language is not None and weight > 0:
            weighted.append((-weight, position, language))
    return min(weighted)[2] if weighted else None


def choose_language(
    user_setting: str | None = None,
    accept_language: str | None = None,
    configured: str | None = None,
    locale: str | None = None,
) -> str:
    """The reader's language, in this order: their own setting, the request's Accept-Language,
    ``ARREARS_LANGUAGE``, the process locale (``LANG``), else English."""
    for candidate in (
        normalise_language(user_setting),
        parse_accept_language(accept_language),
        normalise_language(configured),
        normalise_language(locale),
    ):
        if candidate is not None:
            return candidate
    return SOURCE_LANGUAGE


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """Source text → translation for one language; the source language maps to nothing."""
    locale = _CATALOGUE_LOCALES.get(language)
    if locale is None:
        return {}
    path = resources.files("arrears") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale, domain=DOMAIN)
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and message.string and not message.fuzzy
    }


def gettext(message: str, language: str) -> str:
    """The text in ``language``: its translation, or the English source when it has none."""
    return catalogue(language).get(message, message)


def translate(message: str, language: str, *args: Any, **params: Any) -> str:
    """The text in ``language`` with its placeholders filled in (a :class:`Text` value in its turn)."""
    text = gettext(message, language)
    if not (args or params):
        return text
    args = tuple(_in(value, language) for value in args)
    return text.format(*args, **{name: _in(value, language) for name, value in params.items()})


def _in(value: Any, language: str) -> Any:
    return value.render(language) if isinstance(value, Text) else value


def both(message: str, *args: Any, **params: Any) -> dict[str, str]:
    """The text in every language, keyed by language tag (for documents that carry both)."""
    return {language: translate(message, language, *args, **params) for language in LANGUAGES}


class Spoken:
    """For a class that says ``message(language)``: its message in each language by name."""

    def message(self, language: str) -> str:
        raise NotImplementedError

    @property
    def message_zh(self) -> str:
        return self.message("zh-CN")

    @property
    def message_en(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class Text:
    """A marked message and its named parameters, kept as a value and translated when shown.

    A parameter may itself be a :class:`Text` (a translated name inside a sentence)::

        Text.of(N_("{category}: {fragment}"), category=Text.of(N_("a threat")), fragment="...")
    """

    message: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, message: str, /, **params: Any) -> Text:
        return cls(message, tuple(params.items()))

    def render(self, language: str) -> str:
        """The text in ``language``, its placeholders (and any :class:`Text` among them) filled in."""
        return translate(self.message, language, **dict(self.params))

    def both(self) -> dict[str, str]:
        """The text in every language, keyed by language tag."""
        return {language: self.render(language) for language in LANGUAGES}
