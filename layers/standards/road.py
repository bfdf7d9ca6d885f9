"""通硬化路 (transport): a hardened road within reach of the village seat, wide enough."""

from __future__ import annotations

from layers.standards import AT_MOST_M, Bureau, Standard, number
from layers.text import T

BUREAU = Bureau("transport", T(zh="交通运输局", en="Transport bureau"), T(zh="交通运输局", en="Transport"))

WIDTH = T(zh="，路宽 ≥ {value} 米", en=", road width ≥ {value} m")


def requirement(rules, lang: str) -> str:
    text = AT_MOST_M.format(lang, value=number(rules.roads.max_distance_m))
    if rules.roads.min_width_m > 0:
        text += WIDTH.format(lang, value=number(rules.roads.min_width_m))
    return text


# the ledger's record against the map (layers/consistency.py)
RECORDED = T(zh="台账硬化路记录与地图不符", en="Hardened road in the ledger vs. the map")

STANDARD = Standard("road", "transport", "Hardened road", "road_hardened_m", T(zh="硬化路", en="Hardened road"),
                    settings=("standards.roads.",), requirement=requirement,
                    checks={"road_recorded_hardened": RECORDED})
