"""The registry of standards: one module each (road.py, water.py, clinic.py, net4g.py,
fibre.py), declaring in one place its key, bureau, names, the measured value it shows in the
gap lists and its unit, the profile settings that decide it, and its requirement as people
read it. The rest of covermap iterates over ``STANDARDS``.

The rules themselves still live in layers/roads.py, water.py, clinics.py and network.py,
and some modules still name a standard's key (tests/test_one_module.py keeps the list and
lets it only shrink): moving them here, module by module, is issue 21's remaining work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from layers.text import T

if TYPE_CHECKING:
    from layers.settings import Standards

METRES, SHARE = "m", "share"   # the units of a standard's measured value


@dataclass(frozen=True)
class Bureau:
    """A bureau that answers for standards: its key (the ``bureau`` column), its name, and
    the name of its sheet in the workbooks (Excel allows 31 characters)."""

    key: str
    name: T
    sheet: T


# a bureau that answers for several standards is declared here, once
TELECOM = Bureau("telecom", T(zh="通信管理", en="Communications administration"), T(zh="通信管理", en="Telecom"))


@dataclass(frozen=True)
class Standard:
    key: str           # column prefix: road_verdict, road_reason, ...
    bureau: str        # responsible bureau (key)
    label: str         # English name (kept for callers that read it; ``name`` has both)
    value_column: str  # the measured value shown in the gap list
    name: T            # what people read, in every language
    unit: str = METRES                 # of value_column: METRES or SHARE (0..1)
    settings: tuple[str, ...] = ()     # the profile keys (prefixes) whose values decide its verdicts
    requirement: Callable[["Standards", str], str] | None = None   # "≤ 500 米": as the profile sets it

    def required(self, rules: "Standards", lang: str) -> str:
        """The requirement as the profile sets it, in ``lang`` (the workbook's 标准要求)."""
        return self.requirement(rules, lang) if self.requirement is not None else ""


def number(value: float) -> str:
    """A limit as people write it: 1000 -> 1,000; 4.5 -> 4.5; 90.0 -> 90."""
    return format(round(float(value), 6), ",g") if abs(value) < 1e6 else format(value, ",.0f")


AT_MOST_M = T(zh="≤ {value} 米", en="≤ {value} m")
AT_LEAST_PCT = T(zh="≥ {value}%", en="≥ {value}%")


from layers.standards import clinic, fibre, net4g, road, water  # noqa: E402  (they use the above)

_MODULES = (road, water, clinic, net4g, fibre)
STANDARDS = tuple(module.STANDARD for module in _MODULES)
BY_KEY = {standard.key: standard for standard in STANDARDS}
# the bureaus, in the order of their first standard (a bureau's sheets come in this order)
BUREAUS = tuple({module.BUREAU.key: module.BUREAU for module in _MODULES}.values())
if any(s.bureau != m.BUREAU.key for s, m in zip(STANDARDS, _MODULES)) or \
        len({b.key for b in BUREAUS}) != len({m.BUREAU for m in _MODULES}):
    raise RuntimeError("layers/standards: each module's BUREAU must be its standard's, the same wherever shared")


def affected(key: str) -> tuple[str, ...]:
    """The standards a profile key decides: those naming a prefix of it, else (a key of a
    table several standards share, such as standards.network.technologies) every standard
    whose settings lie in that table."""
    direct = tuple(s.key for s in STANDARDS if any(key.startswith(prefix) for prefix in s.settings))
    if direct:
        return direct
    table = key.rsplit(".", 1)[0] + "."
    return tuple(s.key for s in STANDARDS if any(prefix.startswith(table) for prefix in s.settings))
