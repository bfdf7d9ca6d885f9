"""What people read of the run's progress: the pipeline's step keys (``pipeline._timed``,
``gis.progress.begin``) grouped into the phases announced, and what ``gis.progress.advance``
counts, in every language covermap writes."""

from __future__ import annotations

from layers.standards import ALL
from layers.verdicts import T

PHASES = {
    "read": T(zh="读取输入…", en="reading inputs…"),
    "assess": T(zh="逐村判定各项标准…", en="checking every village against the standards…"),
    "gaps": T(zh="整理问题清单…", en="listing the gaps…"),
    "ledger": T(zh="核查整改台账…", en="reviewing the ledger…"),
    "tables": T(zh="写出表格…", en="writing the tables…"),
    "workbook": T(zh="写出问题清单工作簿…", en="writing the workbooks…"),
    "maps": T(zh="绘制地图…", en="drawing the maps…"),
}

# gis.progress.advance's keys: what is counted
COUNTED = {
    "files": T(zh="个文件", en="files"),
    "zones": T(zh="个投影带", en="measuring zones"),
    "shares": T(zh="个村的面积占比", en="villages' area shares"),
    "county maps": T(zh="张县地图", en="county maps"),
    "township maps": T(zh="张乡镇地图", en="township maps"),
    "bureau maps": T(zh="张部门地图", en="bureau maps"),
    "county workbooks": T(zh="个县工作簿", en="county workbooks"),
}

PERIOD = T(zh="{as_of} 的数据 → {folder}", en="the data of {as_of} → {folder}")
OPEN_PAGE = T(zh="在浏览器中打开 {page}", en="open {page} in a browser")
CYCLE_TITLE = T(zh="{name}：动态清零两期演示", en="{name}: a campaign over two periods")

SAMPLE_PROBLEMS = T(zh="样例县有意设置了 {n} 处数据问题（如一个村没有边界），用来演示 covermap 如何处理；"
                       "运行 covermap check {profile} 可逐条查看",
                    en="the sample county's data has deliberate problems ({n}, such as a village without a boundary) "
                       "to show how covermap handles them; covermap check {profile} lists them")

# the standards' steps (the plug-ins' too) and those deciding them together: the road network
# built once for the standards measuring along it, the distributed run's
_ASSESS = {standard.key for standard in ALL} | {"road network", "partition", "assess (distributed)"}


def phase(step: str) -> str:
    """The phase a step key belongs to: ``phase("water") == "assess"``; a key of no known
    phase is its own."""
    if step in _ASSESS:
        return "assess"
    if step in ("gaps", "consistency"):
        return "gaps"
    if step == "write tables":
        return "tables"
    if step == "write workbook":
        return "workbook"
    if step.startswith("write "):   # the map writers: write map.html, write index.html...
        return "maps"
    return step


def phase_text(step: str, lang: str) -> str:
    """What is announced when ``step`` starts a phase, in ``lang``."""
    key = phase(step)
    return PHASES[key](lang) if key in PHASES else f"{key}…"


def counted_text(what: str, lang: str) -> str:
    return COUNTED[what](lang) if what in COUNTED else what
