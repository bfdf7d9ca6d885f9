"""Verdict words, bureau names and the standards' names, in every language covermap writes
(``T`` and the languages are layers.text's; the standards are layers.standards' registry).

Other modules take the words people read from here: ``word(verdict, lang)``,
``bureau_name(bureau, lang)``, ``standard_name(key, lang)``. The keys themselves
(``meets``, ``transport``, ``road``) stay English in every table: scripts depend on them."""

from __future__ import annotations

from layers.grades import (BASIC, FAILS, MEETS, NO_DATA, NO_ORIGIN, NO_RULE, NOT_APPLICABLE, RANK,  # noqa: F401
                           VERDICT_WORDS, VERDICTS, Grades, Sentences, Texts, joined, number_text, numbers_text,
                           percent_text, sentences, text_column)
from layers.standards import ALL_BUREAUS, BUREAUS, BY_KEY, STANDARDS, Standard  # noqa: F401  (the registry, re-exported)
from layers.text import DEFAULT_LANG, LANGUAGES, T, check_lang  # noqa: F401

BUREAU_NAMES = {bureau.key: bureau.name for bureau in BUREAUS}   # the five standards' bureaus
_ALL_BUREAU_NAMES = {bureau.key: bureau.name for bureau in ALL_BUREAUS}   # with the optional standards'



def word(verdict: str, lang: str = DEFAULT_LANG) -> str:
    """The word people read for a verdict key: ``word("fails", "zh") == "不达标"``."""
    return VERDICT_WORDS[verdict](lang)


def bureau_name(bureau: str, lang: str = DEFAULT_LANG) -> str:
    """The name of a bureau key: ``bureau_name("transport", "zh") == "交通运输局"``."""
    return _ALL_BUREAU_NAMES[bureau](lang)


def standard_name(key: str, lang: str = DEFAULT_LANG) -> str:
    """The name of a standard key: ``standard_name("road", "zh") == "硬化路"``."""
    return BY_KEY[key].name(lang)


def run_summary(villages: int, gaps: int, fails: dict[str, int], no_data: int, outdir: object,
                lang: str = DEFAULT_LANG) -> str:
    """The one line ``covermap run`` prints: villages, gaps per standard, no-data rows, OUTDIR."""
    each = T(zh="、", en=", ")(lang).join(f"{standard_name(key, lang)} {n}" for key, n in fails.items())
    return T(zh="{villages} 个村，{gaps} 项不达标（{each}），{no_data} 项无数据；输出在 {outdir}",
             en="{villages} villages, {gaps} gaps ({each}), {no_data} without data; outputs in {outdir}").format(
        lang, villages=villages, gaps=gaps, each=each, no_data=no_data, outdir=outdir)
