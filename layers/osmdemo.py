"""``covermap demo --osm``: the OpenStreetMap extract of Liechtenstein bundled with covermap
(``layers/sample/osm``, (c) OpenStreetMap contributors, ODbL 1.0) through ``covermap osm``
and ``covermap run``, its 11 municipalities (admin_level 8) standing in for villages, so
that a newcomer sees the checks on real roads: the road network joined
(``require_connected``) and the time to care by road (``[standards.care]``, the Landesspital
in Vaduz as the health centre).

The attribution goes wherever the data go: the profile's project name (the workbook's
sheets and the maps' titles show it), its comments, ``README.txt`` in the demo's folder and
the GeoPackage's layer descriptions (``layers.osm``).
"""

from __future__ import annotations

from pathlib import Path

from gis.errors import OutputError
from layers.osm import ATTRIBUTION, PROFILE_NAME, convert
from layers.osmprofile import profile_text, write_profile
from layers.sample import SAMPLE_DIR

EXTRACT = SAMPLE_DIR / "osm" / "liechtenstein-2013-08-03.osm.pbf"
LEVEL = 8          # Liechtenstein's municipalities
OSM_FOLDER, RESULTS_FOLDER, NOTE = "osm", "results", "README.txt"

EXTRA = {
    "zh": """
[standards.roads]
max_distance_m = 500
require_connected = true      # 演示：通到村的硬化路还须连入硬化路网的主体

[standards.care]              # 演示：就医时间，沿道路到乡镇卫生院（此处为瓦杜兹的 Landesspital）
max_minutes_to_health_centre = 30
""",
    "en": """
[standards.roads]
max_distance_m = 500
require_connected = true      # demo: the hardened road must also join the hardened network's main part

[standards.care]              # demo: time to care by road to the health centre (here Vaduz's Landesspital)
max_minutes_to_health_centre = 30
""",
}

NOTE_TEXT = {
    "zh": """covermap demo --osm：列支敦士登的 OpenStreetMap 数据（2013-08-03），11 个市镇（admin_level 8）
代替行政村。

{osm}/   covermap osm 写出的 osm.gpkg 和 profile.toml
{results}/   covermap run 的结果（villages.csv、问题清单.xlsx、地图）

数据 © OpenStreetMap 贡献者，以开放数据库许可协议 ODbL 1.0 发布
（https://www.openstreetmap.org/copyright）。这些结果由它得出，同样适用 ODbL 1.0，
使用或转发时须注明“© OpenStreetMap 贡献者”。
""",
    "en": """covermap demo --osm: OpenStreetMap data of Liechtenstein (2013-08-03), its 11 municipalities
(admin_level 8) standing in for villages.

{osm}/   osm.gpkg and profile.toml as covermap osm writes them
{results}/   the outputs of covermap run (villages.csv, problem_list.xlsx, maps)

Map data (c) OpenStreetMap contributors, under the Open Database License 1.0
(https://www.openstreetmap.org/copyright). These outputs are derived from it and stay under
ODbL 1.0: credit "(c) OpenStreetMap contributors" wherever you use or pass them on.
""",
}


def prepare(outdir: Path, lang: str = "zh", overwrite: bool = False) -> Path:
    """``covermap osm`` of the bundled extract into OUTDIR/osm, its profile with the demo's
    settings and the attribution in the project name; OUTDIR/README.txt. The profile's path."""
    folder = outdir / OSM_FOLDER
    conversion = convert(EXTRACT, folder, villages_level=LEVEL, overwrite=overwrite)
    profile = folder / PROFILE_NAME
    text = profile_text(conversion, EXTRACT, profile, lang)
    named = f'name = "OpenStreetMap: {EXTRACT.name.removesuffix(".osm.pbf")}"'
    text = text.replace(named, f'name = "OpenStreetMap: Liechtenstein 2013-08-03, {ATTRIBUTION}"') + EXTRA[lang]
    write_profile(profile, text)
    try:
        (outdir / NOTE).write_text(NOTE_TEXT[lang].format(osm=OSM_FOLDER, results=RESULTS_FOLDER), encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{outdir / NOTE}: cannot be written ({exc.strerror or exc})") from None
    return profile
