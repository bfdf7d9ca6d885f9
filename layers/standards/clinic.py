"""村卫生室 (health): a qualifying village clinic in the village, or one shared nearby."""

from __future__ import annotations

from layers.standards import Bureau, Standard
from layers.text import T

BUREAU = Bureau("health", T(zh="卫生健康局", en="Health commission"), T(zh="卫生健康局", en="Health"))

REQUIRED = T(zh="村内 ≥ 1 个合格卫生室", en="≥ 1 qualifying clinic in the village")


def requirement(rules, lang: str) -> str:
    return REQUIRED(lang)


# the ledger's record against the map (layers/consistency.py)
RECORDED = T(zh="台账卫生室记录与地图不符", en="Clinic in the ledger vs. the map")

STANDARD = Standard("clinic", "health", "Village clinic", "clinic_nearest_m", T(zh="村卫生室", en="Village clinic"),
                    settings=("standards.clinics.",), requirement=requirement,
                    checks={"clinic_recorded": RECORDED})
