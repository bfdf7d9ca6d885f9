"""村卫生室 (health): a qualifying village clinic in the village, or one shared nearby."""

from __future__ import annotations

from layers.standards import Standard
from layers.text import T

REQUIRED = T(zh="村内 ≥ 1 个合格卫生室", en="≥ 1 qualifying clinic in the village")


def requirement(rules, lang: str) -> str:
    return REQUIRED(lang)


STANDARD = Standard("clinic", "health", "Village clinic", "clinic_nearest_m", T(zh="村卫生室", en="Village clinic"),
                    settings=("standards.clinics.",), requirement=requirement)
