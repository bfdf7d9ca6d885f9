"""The profile ``covermap osm`` writes beside its GeoPackage: ready to run on the roads and
clinics of the extract, commented in Chinese or English."""

from __future__ import annotations

import os
from pathlib import Path

from gis.errors import OutputError
from layers.osm import ATTRIBUTION, GPKG_NAME, NO, YES, Conversion

_TEXT = {
    "zh": {
        "head": """\
# covermap 配置文件，由 covermap osm 从 {extract} 写出。路径都相对于本文件所在的文件夹。
# 数据来自 OpenStreetMap：{attribution}。使用或分发由它得出的结果（地图、表格）时须注明
# 这一来源，并遵守 ODbL 1.0。
# 下一步：covermap check {profile}，然后 covermap run {profile} -o 结果文件夹
# 没有供水工程、移动网络和光纤的数据：这些标准对每个村都报告为“无数据”。
""",
        "project": "# as_of = 2026-11-30          # 数据对应的日期：填下载这份 OpenStreetMap 数据的日期",
        "villages_own": """\
[villages]                    # 行政村边界（面）：必须由你提供，OpenStreetMap 里几乎没有行政村边界
path = "villages.gpkg"        # 改成你的文件；列名见 docs/profile.md
layer = "villages"
[villages.columns]
code = "code"                 # 12 位村代码
name = "name"
township_code = "town_code"
township_name = "town_name"
""",
        "villages_osm": """\
[villages]                    # 代替行政村：OpenStreetMap 中 admin_level={level} 的 {n} 个行政区，仅供试用；
path = "osm.gpkg"             # 代码取自 OSM 编号（r37 即 relation 37），乡镇是包含它的上一级行政区
layer = "villages"
[villages.columns]
code = "code"
name = "name"
township_code = "township_code"
township_name = "township_name"
""",
        "roads": """\
[roads]                       # 道路：hardened 列按 surface 标签判定；没有 surface 标签的按道路等级：
path = "osm.gpkg"             # {untagged} 算硬化，其余为未知；
layer = "roads"               # 步道、自行车道、台阶等不算道路（否）。见 docs/osm.md
hardened_values = ["{yes}"]       # hardened 列：{yes} 硬化，{no} 未硬化，空 = 未知（该村报告为“无数据”，请补录路面）
[roads.columns]
surface = "hardened"
width = "width"               # 米，来自 width 标签
name = "name"
grade = "highway"             # 道路等级：就医时间按它取车速（docs/network.md）
oneway = "oneway"             # 单行、桥梁、隧道、层次：路网按它们定方向、不同层不相交
bridge = "bridge"
tunnel = "tunnel"
layer = "layer"
""",
        "clinics": """\
[clinics]                     # 卫生机构：amenity=hospital 记为乡镇卫生院，clinic/doctors 记为村卫生室，
path = "osm.gpkg"             # 其他 healthcare=*（药店、牙科……）记为“其他”，不计入
layer = "clinics"
[clinics.columns]
name = "name"
type = "type"
""",
        "bus_stops": """\
[bus_stops]                   # 通客车（交通运输局）：公交站（highway=bus_stop、public_transport=platform）；
path = "osm.gpkg"             # OpenStreetMap 不记班线，每个站都算有班线停靠
layer = "bus_stops"
[bus_stops.columns]
name = "name"
""",
        "bus_routes": """\
[bus_routes]                  # 通客车：公交、客运线路（route=bus、trolleybus、coach、minibus 关系），
path = "osm.gpkg"             # 线路经过处都算可以停靠（农村客运招手即停）
layer = "bus_routes"
[bus_routes.columns]
name = "name"
""",
        "transit": """\
[standards.bus]
max_distance_m = 2000         # 村委会 2 公里内有站点或线路（湖北、广西的地方规定）
measure = "straight"          # 或 "network"：沿道路测距
# 只查贫困村：在 [villages.columns] 映射 poor_village = "贫困村"，再写 [apply.bus] applies_to = "poor_village"
""",
        "post": """\
[post]                        # 通邮（邮政管理局）：邮局（amenity=post_office），没有类型列，每个点都算
path = "osm.gpkg"
layer = "post"
[post.columns]
name = "name"
[standards.post]
max_distance_m = 1000         # 村内或距村委会 1 公里内有邮政服务点
""",
    },
    "en": {
        "head": """\
# covermap profile written by covermap osm from {extract}. Paths are relative to this file.
# Data from OpenStreetMap: {attribution}. Whatever you publish from it (maps, tables) must
# credit this source and stays under ODbL 1.0.
# Next: covermap check {profile}, then covermap run {profile} -o RESULTS
# There is no water-supply, mobile-network or fibre data: those standards are no_data for
# every village.
""",
        "project": "# as_of = 2026-11-30          # the date the data describe: the day this extract was downloaded",
        "villages_own": """\
[villages]                    # village boundaries (polygons): yours to supply, OpenStreetMap hardly has them
path = "villages.gpkg"        # your file; its columns: see docs/profile.md
layer = "villages"
[villages.columns]
code = "code"                 # 12-digit village code
name = "name"
township_code = "town_code"
township_name = "town_name"
""",
        "villages_osm": """\
[villages]                    # standing in for villages: the {n} OpenStreetMap areas of admin_level={level}, to try
path = "osm.gpkg"             # covermap out; codes from their OSM ids (r37 = relation 37), townships the
layer = "villages"            # areas of a higher level holding them
[villages.columns]
code = "code"
name = "name"
township_code = "township_code"
township_name = "township_name"
""",
        "roads": """\
[roads]                       # roads: the hardened column follows the surface tag; roads without one by
path = "osm.gpkg"             # class: {untagged} hardened, the rest unknown;
layer = "roads"               # footways, cycleways, steps and the like are no roads (否). See docs/osm.md
hardened_values = ["{yes}"]       # hardened: {yes} hardened, {no} not, empty unknown (the village is no_data)
[roads.columns]
surface = "hardened"
width = "width"               # metres, from the width tag
name = "name"
grade = "highway"             # road class: the speed of time to care (docs/network.md)
oneway = "oneway"             # one-way, bridges, tunnels, levels: the road network follows them
bridge = "bridge"
tunnel = "tunnel"
layer = "layer"
""",
        "clinics": """\
[clinics]                     # health facilities: amenity=hospital as 乡镇卫生院 (township health centre),
path = "osm.gpkg"             # clinic/doctors as 村卫生室 (village clinic), other healthcare=* (pharmacy,
layer = "clinics"             # dentist ...) as 其他 (other), not counted
[clinics.columns]
name = "name"
type = "type"
""",
        "bus_stops": """\
[bus_stops]                   # bus service (通客车): highway=bus_stop and public_transport=platform;
path = "osm.gpkg"             # OpenStreetMap does not record lines, so every stop counts as served
layer = "bus_stops"
[bus_stops.columns]
name = "name"
""",
        "bus_routes": """\
[bus_routes]                  # bus service: bus and coach routes (route=bus, trolleybus, coach, minibus
path = "osm.gpkg"             # relations), taken to stop wherever they pass (rural lines stop on request)
layer = "bus_routes"
[bus_routes.columns]
name = "name"
""",
        "transit": """\
[standards.bus]
max_distance_m = 2000         # a stop or route within 2 km of the seat (Hubei and Guangxi local rules)
measure = "straight"          # or "network": along the roads
# poor villages only: map poor_village in [villages.columns], then [apply.bus] applies_to = "poor_village"
""",
        "post": """\
[post]                        # postal service (通邮): post offices (amenity=post_office); no type column,
path = "osm.gpkg"             # so every point counts
layer = "post"
[post.columns]
name = "name"
[standards.post]
max_distance_m = 1000         # a postal point inside the village or within 1 km of the seat
""",
    },
}


def profile_text(conversion: Conversion, extract: Path, profile: Path, lang: str = "zh") -> str:
    """The profile for ``conversion`` of ``extract``, its comments in ``lang``."""
    words = _TEXT[lang]
    fields = {"gpkg": GPKG_NAME, "yes": YES, "no": NO, "attribution": ATTRIBUTION, "extract": extract.name,
              "profile": profile, "level": conversion.villages_level, "n": conversion.counts.get("villages", 0),
              "untagged": ", ".join(conversion.untagged_hardened) or "(none)"}
    name = extract.name.removesuffix(".pbf").removesuffix(".osm")
    villages = words["villages_own" if conversion.villages_level is None else "villages_osm"]
    parts = [words["head"], "[project]", f'name = "OpenStreetMap: {name}"', 'working_crs = "auto"',
             f'lang = "{lang}"', words["project"], "", villages, words["roads"], words["clinics"]]
    # 通客车 and 通邮 where the extract has their points or routes (their sections have no {fields})
    counts = conversion.counts
    more = [words[layer] for layer in ("bus_stops", "bus_routes") if counts.get(layer)]
    more += [words["transit"]] if more else []
    more += [words["post"]] if counts.get("post") else []
    return "\n".join(parts).format(**fields) + "".join("\n" + part for part in more)


def write_profile(path: Path, text: str) -> None:
    """Write the profile under a temporary name, then move it into place."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the profile ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
