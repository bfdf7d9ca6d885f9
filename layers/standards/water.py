"""饮水安全 (water): served by a water-supply project that meets the four indicators."""

from __future__ import annotations

from layers.standards import AT_LEAST_PCT, SHARE, Bureau, Standard, number
from layers.text import T

BUREAU = Bureau("water", T(zh="水利局", en="Water resources bureau"), T(zh="水利局", en="Water"))


def requirement(rules, lang: str) -> str:
    return AT_LEAST_PCT.format(lang, value=number(rules.water.min_share * 100))


# the ledger's record against the map (layers/consistency.py)
RECORDED = T(zh="供水工程服务名单与服务范围不符", en="Water project's served list vs. its area")

STANDARD = Standard("water", "water", "Drinking water", "water_share", T(zh="饮水安全", en="Drinking water"),
                    unit=SHARE, settings=("standards.water.",), requirement=requirement,
                    checks={"water_served_list": RECORDED})
