"""通邮 (postal administration, 邮政管理局): a postal service point serves the village.

The campaign asks postal service of every administrative village (建制村直接通邮: the mail
delivered to the village itself, to its 村邮站, most often in the village committee's
building). A village meets when a service point of ``[post]`` of an accepted kind
(``kinds``: village_post 村邮站, post_office 邮政所/邮政支局, parcel_station 快递服务站/村级寄递
物流综合服务站) lies inside it, or within ``max_distance_m`` of its seat (of its boundary
where it has no seat). No national distance exists; the default, 1 km, takes a point mapped
just beside a seat that lies on the boundary or a neighbour's point at the village's door;
a county sets its own.

Each point's kind is read from the ``type`` column (the words of ``KIND_WORDS``); another
word is another kind of place (a parcel locker, a shop), not counted; an empty cell is a
point of unrecorded kind. Without a ``type`` column every point counts (OpenStreetMap's
amenity=post_office). ``no_data`` without a seat or boundary, without a ``[post]`` layer,
or when only points of unrecorded kind lie within reach. Otherwise ``fails``, the reason
naming the nearest counted point and its distance. Ground distances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis import geometry, values
from layers.grades import FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text
from layers.standards import (AT_MOST_M, NAME, POINTS, Bureau, Input, Plugin, Standard, Symbol, measured_from,
                              names_at, nearest_among, number, target_names)
from layers.text import T

BUREAU = Bureau("postal", T(zh="邮政管理局", en="Postal administration"), T(zh="邮政管理局", en="Post"))

# the kinds of service point and the words a layer writes them with (lower case for Latin)
KIND_WORDS = {
    "village_post": ("村邮站", "村级邮站", "邮政服务站", "村邮政服务站", "邮乐购", "village_post"),
    "post_office": ("邮政所", "邮政支局", "邮政局", "邮政营业所", "邮政营业厅", "邮局", "post_office"),
    "parcel_station": ("快递服务站", "村级寄递物流综合服务站", "寄递物流服务站", "快递超市", "快递驿站",
                       "parcel_station"),
}


@dataclass(frozen=True)
class PostRules:
    """[standards.post]: the distance and the kinds of point that serve a village."""

    max_distance_m: float = 1000.0
    kinds: tuple[str, ...] = tuple(KIND_WORDS)


def check(rules: PostRules) -> str | None:
    odd = [kind for kind in rules.kinds if kind not in KIND_WORDS]
    if odd or not rules.kinds:
        return (f"standards.post.kinds = {list(rules.kinds)!r}: {odd[0]!r} is not a kind of postal point; "
                if odd else "standards.post.kinds is empty; ") + f"use some of {', '.join(KIND_WORDS)}"
    return None


def prepare(frame: pd.DataFrame, source, findings, rules: PostRules) -> pd.DataFrame:
    """``kind`` (a key of KIND_WORDS; "other" another word; "unknown" an empty cell; every
    point a post_office without a ``type`` column) and ``counts`` (of an accepted kind)."""
    if "type" in frame:
        word = values.words(frame["type"]).str.strip().str.lower()
        kind = np.where(word.isna(), "unknown", "other").astype(object)
        for key, words in KIND_WORDS.items():
            kind[word.isin({w.lower() for w in words}).fillna(False).to_numpy(dtype=bool)] = key
        frame["kind"] = kind
    else:
        frame["kind"] = "post_office"
    if "name" not in frame:
        frame["name"] = pd.NA
    frame["counts"] = frame["kind"].isin(rules.kinds).to_numpy()
    return frame


NO_LAYER = T(zh="配置中没有邮政网点图层", en="no postal-point layer in the profile")
NO_POINT = T(zh="邮政网点图层中没有可计入的服务点", en="no postal point of an accepted kind in the layer")
INSIDE = T(zh="村内有邮政服务点（{name}）", en="a postal point inside the village ({name})")
# {origin}: the village seat, else its boundary (measured_from)
NEAR = T(zh="邮政服务点（{name}）距{origin} {d:,.0f} 米（限值 {m} 米）",
         en="postal point ({name}) {d:,.0f} m from {origin} (limit {m} m)")
UNKNOWN = T(zh="限值内有未记录类型的网点（{name}）；请在邮政网点图层中补录其类型",
            en="a point of unrecorded kind ({name}) lies within the limit; record its kind in the postal layer")
FAR = T(zh="村内没有邮政服务点，最近的（{name}）距{origin} {d:,.0f} 米，超过限值 {m} 米",
        en="no postal point inside the village; the nearest ({name}) {d:,.0f} m from {origin}; limit {m} m")


def inside_villages(villages, points: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each village, a point of ``points[mask]`` inside it (its row in ``points``; -1 none):
    that of the lowest row where several are."""
    rows = np.flatnonzero(mask)
    found = np.full(len(villages), -1, dtype=np.int64)
    if not len(rows):
        return found
    point, village = geometry.pairs_intersecting(points[rows], villages.geometry.to_numpy())
    order = np.lexsort((point, village))[::-1]   # the lowest row written last
    found[village[order]] = rows[point[order]]
    return found


def assess(inputs, rules: PostRules, lang: str) -> pd.DataFrame:
    """post_point_m, post_point_name, post_inside, post_verdict, post_reason (in ``lang``)
    for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, NO_LAYER)
    points = inputs.extra.get("post")
    if points is None:
        return grades.frame("post", index, post_point_m=np.full(n, np.nan),
                            post_point_name=np.full(n, None, dtype=object), post_inside=np.zeros(n, dtype=bool))
    geoms, counts = points.geometry.to_numpy(), points["counts"].to_numpy(dtype=bool)
    names = target_names(points)
    row, metres = nearest_among(inputs.origins, geoms, counts, inputs.crs)
    unknown_row, unknown_m = nearest_among(inputs.origins, geoms, points["kind"].to_numpy() == "unknown", inputs.crs)
    inside = inside_villages(inputs.villages, geoms, counts)
    origin = measured_from(inputs.seats.to_numpy(), lang)
    limit = number_text(rules.max_distance_m)
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(inside >= 0, MEETS, INSIDE, name=names_at(names, inside))
    grades.rule(metres <= rules.max_distance_m, MEETS, NEAR, name=names_at(names, row), origin=origin, d=metres,
                m=limit)
    grades.rule(unknown_m <= rules.max_distance_m, NO_DATA, UNKNOWN, name=names_at(names, unknown_row))
    grades.rule(np.full(n, not counts.any()), FAILS, NO_POINT)
    grades.rule(np.ones(n, dtype=bool), FAILS, FAR, name=names_at(names, row), origin=origin, d=metres, m=limit)
    picked = np.where(inside >= 0, inside, row)
    return grades.frame("post", index, post_point_m=metres,
                        post_point_name=np.where(picked >= 0, np.append(names, None)[picked], None),
                        post_inside=inside >= 0)


INSIDE_REQUIRED = T(zh="村内，或距村委会 ", en="inside the village, or ")


def requirement(rules: PostRules, lang: str) -> str:
    return INSIDE_REQUIRED(lang) + AT_MOST_M.format(lang, value=number(rules.max_distance_m))


PLUGIN = Plugin(
    section="post", rules=PostRules, check=check, assess=assess,
    inputs=(Input("post", POINTS, optional=("name", "type"), prepare=prepare),),
    symbols=(Symbol("post", "post", {"color": "#3f007d", "weight": 1, "fill": True, "fillColor": "#807dba",
                                     "fillOpacity": 0.9, "radius": 4},
                    T(zh="邮政服务点", en="postal points"), where="counts",
                    tooltip=(NAME, ("type", T(zh="类型", en="Type")))),),
    popup={"post_point_name": T(zh="邮政服务点", en="postal point")},
)

STANDARD = Standard("post", BUREAU.key, "Postal service", "post_point_m", T(zh="通邮", en="Postal service"),
                    settings=("standards.post.",), requirement=requirement, plugin=PLUGIN, yes_no=("post_inside",))
