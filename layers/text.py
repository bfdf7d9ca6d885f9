"""The languages covermap writes in, and ``T``: one text in every one of them."""

from __future__ import annotations

import string
from dataclasses import dataclass

from gis.errors import ConfigError

LANGUAGES = ("zh", "en")
DEFAULT_LANG = "zh"


def check_lang(lang: str, key: str = "--lang") -> str:
    """``lang`` when covermap writes in it, else a ConfigError naming ``key``."""
    if lang not in LANGUAGES:
        raise ConfigError(f"{key} = {lang!r} is not a language covermap writes; use one of {', '.join(LANGUAGES)}")
    return lang


@dataclass(frozen=True)
class T:
    """One text in every language covermap writes, written side by side where it is
    used: ``T(zh="硬化路距村委会 {d:,.0f} 米", en="hardened road {d:,.0f} m from the village seat")``.
    Both languages are required and must use the same fields (checked here, and for
    every ``T(...)`` in the rule modules by tests/test_language.py)."""

    zh: str
    en: str

    def __post_init__(self):
        if _fields(self.zh) != _fields(self.en):
            raise ValueError(f"T: the languages use different fields: {self.zh!r} / {self.en!r}")

    def __call__(self, lang: str) -> str:
        """The text in ``lang``."""
        return self.zh if lang == "zh" else getattr(self, check_lang(lang))

    def format(self, lang: str, **values) -> str:
        return self(lang).format(**values)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
