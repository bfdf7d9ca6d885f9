"""光纤宽带 (telecom): a fibre access point within reach of the village."""

from __future__ import annotations

from layers.standards import AT_MOST_M, TELECOM, Standard, number
from layers.text import T

BUREAU = TELECOM


def requirement(rules, lang: str) -> str:
    return AT_MOST_M.format(lang, value=number(rules.network.fibre_max_distance_m))


STANDARD = Standard("fibre", "telecom", "Fibre broadband", "fibre_nearest_m", T(zh="光纤宽带", en="Fibre broadband"),
                    settings=("standards.network.fibre",), requirement=requirement)
