"""4G覆盖 (telecom): the seat covered and enough of the village's area."""

from __future__ import annotations

from layers.standards import AT_LEAST_PCT, SHARE, TELECOM, Standard, number
from layers.text import T

BUREAU = TELECOM


def requirement(rules, lang: str) -> str:
    return AT_LEAST_PCT.format(lang, value=number(rules.network.min_share * 100))


STANDARD = Standard("net4g", "telecom", "4G coverage", "net4g_share", T(zh="4G覆盖", en="4G coverage"),
                    unit=SHARE, settings=("standards.network.min_share",), requirement=requirement)
