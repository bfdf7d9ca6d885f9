"""Every word the maps show, in Chinese (the default) and English. One dictionary, no framework:
``texts(lang)`` gives the table of one language; a missing entry is a KeyError at once. The
five first standards' own words (their names, bureaus, layers, symbols; ``standard.road`` …)
come first, from their modules (maps/standards.py); the optional standards' with the run
(maps/extra.py)."""

from __future__ import annotations

from types import MappingProxyType

from gis.errors import ConfigError
from maps.standards import WORDS

LANGUAGES = ("zh", "en")

_ZH = {
    "list.sep": "、",
    "verdict.meets": "达标", "verdict.basic": "基本达标", "verdict.fails": "不达标", "verdict.no_data": "无数据",
    "verdict.not_applicable": "不适用",
    "class.none": "无不达标项", "class.one": "1项不达标", "class.two": "2项不达标",
    "class.three": "3项及以上不达标", "class.no_data": "各项均无数据",
    "layer.overview": "村庄（按不达标项数）", "layer.fails": "不达标：{standard}",
    "layer.bureau": "村庄：{standard}", "layer.townships": "乡镇界线",
    "layer.village_names": "村名",
    "field.name": "名称", "field.surface": "路面", "field.kind": "类型", "field.qualifies": "合格",
    "field.technology": "制式", "yes": "是", "no": "否", "unknown": "未知",
    "legend.classes": "村庄（按不达标项数）", "legend.fails": "各标准不达标村数",
    "legend.verdicts": "{standard}：村庄结论",
    "legend.undrawn": "{n} 个村无边界，已计数但未绘制。",
    "legend.symbols": "其他图层", "legend.symbols_hidden": "这些图层起初隐藏，可在右上角的图层控件中打开。",
    "symbol.townships": "乡镇界线",
    "popup.code": "代码", "popup.township": "乡镇", "popup.population": "人口", "popup.poor": "脱贫人口",
    "popup.standard": "标准", "popup.verdict": "结论", "popup.measured": "测量值", "popup.limit": "限值",
    "popup.facility": "最近设施", "popup.reason": "原因",
    "measure.metres": "{value} 米", "measure.percent": "{value}%", "limit.at_most_m": "≤ {value} 米",
    "limit.at_least_pct": "≥ {value}%", "facility.at": "{name}，{distance} 米", "facility.project": "{name}",
    "search.placeholder": "搜索村名或代码", "search.none": "无匹配村庄",
    "control.fullscreen": "全屏", "control.index": "返回目录",
    "panel.title": "{bureau}：不达标村（按优先级）", "panel.none": "没有不达标村。", "panel.undrawn": "（无边界）",
    "note.gaode": "为与高德底图对齐，图上所有数据已由 WGS84 偏移为 GCJ-02 坐标。",
    "index.title": "地图目录", "index.overview": "总览图", "index.bureaus": "各部门地图",
    "index.townships": "各乡镇地图", "index.counties": "各县地图",
    "index.county": "县级区划 {code}（{townships} 个乡镇）", "index.villages": "{n} 个村，{gaps} 个村至少一项不达标",
    "index.failing": "{n} 个不达标村",
    "area.townships": "乡镇", "area.counties": "县", "area.county": "县级区划 {code}",
    "area.villages": "村庄数", "area.gaps": "至少一项不达标的村", "area.failing": "{standard}不达标的村",
    "area.fails": "各标准不达标村数", "area.share": "占 {share}%", "area.county_map": "打开本县地图",
    "layer.areas": "{unit}（按至少一项不达标的村所占比例）", "layer.areas_bureau": "{unit}（按{standard}不达标的村所占比例）",
    "legend.share": "{unit}：至少一项不达标的村所占比例", "legend.share_bureau": "{unit}：{standard}不达标的村所占比例",
    "legend.totals": "共 {n} 个村，{gaps} 个村至少一项不达标",
    "legend.undrawn_areas": "其中 {n} 个无边界，已计数但未绘制。",
    "legend.areas_note": "点击{unit}查看各标准不达标村数和本县地图链接。",
    "panel.areas": "{bureau}：各{unit}不达标村数（从多到少）",
    "search.areas": "搜索{unit}名称或代码", "area.none": "无匹配结果",
    # the change map and trend page of `covermap compare` (maps/changes.py, maps/trend.py); the change
    # words are layers.compare.CHANGE_WORDS' (tests/test_change_map.py checks they read the same)
    "change.closed": "已销号", "change.new": "新增", "change.persisting": "仍未解决",
    "change.improved": "好转", "change.worsened": "恶化", "change.data_gained": "补齐数据",
    "change.data_lost": "数据缺失", "change.village_added": "新增村", "change.village_removed": "撤销村",
    "change.scope_changed": "适用范围变化",
    "changes.title": "两次评估之间的变化", "changes.legend": "变化（村 × 标准，项数）",
    "changes.all": "合计", "changes.undrawn": "无位置", "changes.undrawn_note": "无位置的项已计数，未绘制。",
    "changes.old": "上次", "changes.new": "本次",
    "changes.settings": "两次运行该标准的设置不同：变化可能来自限值改变，而非整改。",
    "changes.net": "未解决问题的增减（按{unit}）", "changes.open": "未解决问题",
    "changes.net.halved": "减少一半及以上", "changes.net.fewer": "减少", "changes.net.same": "持平",
    "changes.net.more": "增加", "changes.net.much_more": "增加一半及以上（或由无到有）",
    "changes.areas_note": "每个区域按其村庄的变化汇总；逐村明细见 changes.csv 和 changes.gpkg。",
    "trend.title": "问题走势", "trend.open": "各部门未解决问题数（不达标 + 基本达标）",
    "trend.periods_heading": "每期已销号与新增", "trend.periods_note": "每对柱为相邻两次运行之间的变化。",
    "trend.one_run": "只有一次运行，暂无变化可比。", "trend.townships": "各乡镇未解决问题数（各部门合计）",
    "trend.township": "乡镇", "trend.change": "增减", "trend.sparkline": "走势", "trend.total": "合计",
    "trend.period": "{old} → {new}", "trend.point": "{bureau}，{label}：{value}",
    "trend.bar": "{bureau}，{period}，{change}：{value}",
}

_EN = {
    "list.sep": ", ",
    "verdict.meets": "meets", "verdict.basic": "basically meets", "verdict.fails": "fails",
    "verdict.no_data": "no data", "verdict.not_applicable": "not applicable",
    "class.none": "No failed standard", "class.one": "1 failed standard", "class.two": "2 failed standards",
    "class.three": "3 or more failed standards", "class.no_data": "No data for any standard",
    "layer.overview": "Villages by failed standards", "layer.fails": "Fails: {standard}",
    "layer.bureau": "Villages: {standard}", "layer.townships": "Township boundaries",
    "layer.village_names": "Village names",
    "field.name": "Name", "field.surface": "Surface", "field.kind": "Kind", "field.qualifies": "Qualifies",
    "field.technology": "Technology", "yes": "yes", "no": "no", "unknown": "unknown",
    "legend.classes": "Villages by failed standards", "legend.fails": "Villages failing each standard",
    "legend.verdicts": "{standard}: verdict per village",
    "legend.undrawn": "{n} village(s) without a boundary are counted but not drawn.",
    "legend.symbols": "Other layers",
    "legend.symbols_hidden": "These layers start hidden: switch them on in the layer control (top right).",
    "symbol.townships": "Township boundary",
    "popup.code": "Code", "popup.township": "Township", "popup.population": "Population",
    "popup.poor": "Poor population",
    "popup.standard": "Standard", "popup.verdict": "Verdict", "popup.measured": "Measured",
    "popup.limit": "Limit", "popup.facility": "Nearest facility", "popup.reason": "Reason",
    "measure.metres": "{value} m", "measure.percent": "{value}%", "limit.at_most_m": "≤ {value} m",
    "limit.at_least_pct": "≥ {value}%", "facility.at": "{name}, {distance} m", "facility.project": "{name}",
    "search.placeholder": "Search village name or code", "search.none": "No matching village",
    "control.fullscreen": "Full screen", "control.index": "Back to index",
    "panel.title": "{bureau}: failing villages (priority order)", "panel.none": "No failing village.",
    "panel.undrawn": "(no boundary)",
    "note.gaode": "All drawn data shifted from WGS84 to GCJ-02 to line up with the Gaode basemap.",
    "index.title": "Map index", "index.overview": "Overview", "index.bureaus": "Maps per bureau",
    "index.townships": "Maps per township", "index.counties": "Maps per county",
    "index.county": "County {code} ({townships} townships)", "index.villages": "{n} villages, {gaps} failing at least one standard",
    "index.failing": "{n} failing villages",
    "area.townships": "Townships", "area.counties": "Counties", "area.county": "County {code}",
    "area.villages": "Villages", "area.gaps": "Villages failing at least one standard",
    "area.failing": "Villages failing {standard}", "area.fails": "Villages failing each standard",
    "area.share": "{share}%", "area.county_map": "Open the county map",
    "layer.areas": "{unit} by share of villages failing at least one standard",
    "layer.areas_bureau": "{unit} by share of villages failing {standard}",
    "legend.share": "{unit}: share of villages failing at least one standard",
    "legend.share_bureau": "{unit}: share of villages failing {standard}",
    "legend.totals": "{n} villages, {gaps} failing at least one standard",
    "legend.undrawn_areas": "{n} of them without a boundary: counted, not drawn.",
    "legend.areas_note": "Click one of the {unit} for its villages failing each standard and its county map.",
    "panel.areas": "{bureau}: {unit} by failing villages, most first",
    "search.areas": "Search {unit} by name or code", "area.none": "No match",
    "change.closed": "closed", "change.new": "new", "change.persisting": "persisting",
    "change.improved": "improved", "change.worsened": "worsened", "change.data_gained": "data gained",
    "change.data_lost": "data lost", "change.village_added": "village added",
    "change.village_removed": "village removed", "change.scope_changed": "scope changed",
    "changes.title": "Changes between two runs", "changes.legend": "Changes (village × standard items)",
    "changes.all": "All", "changes.undrawn": "No location",
    "changes.undrawn_note": "Items without a location are counted, not drawn.",
    "changes.old": "Before", "changes.new": "Now",
    "changes.settings": "The runs' settings differ for this standard: the change may come from the limit, "
                        "not from a fix.",
    "changes.net": "Open problems, change per {unit}", "changes.open": "Open problems",
    "changes.net.halved": "halved or fewer", "changes.net.fewer": "fewer", "changes.net.same": "as many",
    "changes.net.more": "more", "changes.net.much_more": "half as many again or more (or some where none were)",
    "changes.areas_note": "Each area sums its villages' changes; village by village: changes.csv and changes.gpkg.",
    "trend.title": "Trend of problems", "trend.open": "Open problems per bureau (fails + basically meets)",
    "trend.periods_heading": "Closed and new in each period",
    "trend.periods_note": "Each pair of bars: the change from one run to the next.",
    "trend.one_run": "One run only: no changes to compare yet.",
    "trend.townships": "Open problems per township (all bureaus)", "trend.township": "Township",
    "trend.change": "Change", "trend.sparkline": "Trend", "trend.total": "Total",
    "trend.period": "{old} → {new}", "trend.point": "{bureau}, {label}: {value}",
    "trend.bar": "{bureau}, {period}, {change}: {value}",
}

_TABLES = {"zh": MappingProxyType({**WORDS["zh"], **_ZH}), "en": MappingProxyType({**WORDS["en"], **_EN})}
_DIFFERENT = sorted(set(_TABLES["zh"]) ^ set(_TABLES["en"]))
if _DIFFERENT:  # checked on import: a word missing in one language fails at once
    raise RuntimeError(f"maps/i18n: entries differ between languages: {_DIFFERENT}")


def texts(lang: str) -> MappingProxyType:
    """The words of ``lang`` ("zh" or "en")."""
    if lang not in _TABLES:
        raise ConfigError(f"map language {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return _TABLES[lang]
