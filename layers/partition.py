"""Cutting the inputs into parts that are assessed apart with the answers of the whole:
by county for the distributed run (``layers.distributed``), by measuring zone for a run
over several Gauss-Krüger zones (``layers.zones``).

A part holds:

- its own villages (the ones whose results are kept), plus the villages of other parts
  whose boundary or seat reaches into the part's bounding box, so that a clinic on a
  border is still given to the village with the lowest code;
- every infrastructure feature within the part's bounding box grown by a margin per
  layer: the layer's distance limit in the profile (roads, clinic sharing, fibre), or,
  where it is larger, the farthest nearest-feature distance of the part's villages in
  that layer (computed once with bulk nearest queries), plus 1 m; so every feature that
  can be a village's nearest, or within a limit, is in its part. Water and coverage
  polygons are taken where they reach the box itself (1 m);
- every water project that lists one of its villages' codes, wherever it lies.

``stretch`` widens every margin where the CRS the parts are cut in stretches distances
(a zone far from its central meridian): a feature within a true distance d of a part
lies within ``d * stretch(...)`` of it there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import shapely

from gis import geometry
from layers.inputs import Inputs
from layers.standards import LAYERS, STANDARDS, Standards

MARGIN_M = 1.0


def county_of(codes: pd.Series) -> np.ndarray:
    """The distributed run's partition key: the six-digit county prefix of each village code."""
    return codes.astype(str).str[:6].to_numpy(dtype=object)


def _extent(geoms: np.ndarray, groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Bounding box (xmin, ymin, xmax, ymax) of each group's usable geometries."""
    bounds = shapely.bounds(np.where(geometry.usable(geoms), geoms, None))
    frame = pd.DataFrame(bounds, columns=["x0", "y0", "x1", "y1"]).assign(g=groups)
    agg = frame.groupby("g").agg(x0=("x0", "min"), y0=("y0", "min"), x1=("x1", "max"), y1=("y1", "max"))
    return agg.reindex(keys).to_numpy()


def _reach(inputs: Inputs, rules: Standards) -> dict[str, tuple[float, np.ndarray]]:
    """Per layer: its distance limit in the profile and, per village, how far its nearest
    feature of that layer lies (NaN: none), as each standard declares (``Standard.reach``).
    Overlays (shares of an area, a seat inside a polygon) need no reach."""
    reach = {}
    for standard in STANDARDS:
        if standard.reach is not None:
            reach.update(standard.reach(inputs, rules))
    return reach


def partitions(inputs: Inputs, rules: Standards, key: np.ndarray | None = None,
               stretch: Stretch | None = None) -> list[tuple[object, np.ndarray, Inputs]]:
    """(key, global rows of the part's villages, the part) for every key, in key order;
    ``key`` per village defaults to its county (``county_of``). The part's own villages
    are those of ``rows`` whose key is the part's."""
    return list(iter_partitions(inputs, rules, key, stretch))


# (boxes, n x 4; their margins in true metres) -> the factor each margin needs
Stretch = Callable[[np.ndarray, np.ndarray], np.ndarray]


def iter_partitions(inputs: Inputs, rules: Standards, key: np.ndarray | None = None,
                    stretch: Stretch | None = None, into: Callable[[object, Inputs], Inputs] | None = None,
                    layers: tuple[str, ...] = LAYERS, neighbours: bool = True
                    ) -> Iterator[tuple[object, np.ndarray, Inputs]]:
    """``partitions`` one part at a time: only one part's copies are held at once;
    ``into(key, part)`` makes each part what is yielded (its copies in another CRS: the
    copies cut from ``inputs`` are let go before it is yielded); a part holds the
    ``layers`` alone (the others None); ``neighbours=False``: its own villages alone,
    where no village's answer depends on another's (no clinic to give to one of them).

    A part's reach is that of its counties, box by box: a zone's villages lie in a band
    whose one bounding box (in a CRS whose meridians converge) would take in far more
    than they can reach."""
    villages = inputs.villages
    county = county_of(villages["code"])
    key = county if key is None else np.asarray(key)
    keys, key_of = np.unique(key, return_inverse=True)
    # the boxes: one per county of each part
    pair, pair_of = np.unique(np.c_[key_of, pd.factorize(county)[0]], axis=0, return_inverse=True)
    pair_of = pair_of.ravel()
    part_of_box = pair[:, 0]
    seats = inputs.seats.to_numpy()
    polygons = villages.geometry.to_numpy()
    both = np.concatenate([polygons, seats])
    slots = np.arange(len(pair))
    box = _extent(polygons, pair_of, slots)
    seat_box = _extent(seats, pair_of, slots)
    box = np.c_[np.fmin(box[:, 0], seat_box[:, 0]), np.fmin(box[:, 1], seat_box[:, 1]),
                np.fmax(box[:, 2], seat_box[:, 2]), np.fmax(box[:, 3], seat_box[:, 3])]
    known = ~np.isnan(box).any(axis=1)
    boxes = shapely.box(*np.nan_to_num(box).T)
    inner = np.where(known, boxes, None)
    reach = _reach(inputs, rules)

    def outer(layer: str) -> np.ndarray:
        limit, distance = reach.get(layer, (0.0, np.zeros(len(villages))))
        farthest = pd.Series(distance).groupby(pair_of).max().reindex(slots).to_numpy()
        margin = np.fmax(limit, np.nan_to_num(farthest, nan=0.0))
        if stretch is not None:
            margin = margin * stretch(box, margin)
        margin = margin + MARGIN_M
        return np.where(known, shapely.buffer(boxes, margin, join_style="mitre"), None)

    def grouped(tree_geoms: np.ndarray, boxes: np.ndarray) -> list[np.ndarray]:
        """The geometries meeting any box of each part."""
        box_i, geom_i = shapely.STRtree(tree_geoms).query(boxes) if len(tree_geoms) else (np.zeros(0, int),) * 2
        part_i = part_of_box[box_i]
        order = np.lexsort((geom_i, part_i))
        part_i, geom_i = part_i[order], geom_i[order]
        cuts = np.searchsorted(part_i, np.arange(len(keys) + 1))
        return [np.unique(geom_i[cuts[k]:cuts[k + 1]]) for k in range(len(keys))]

    n = len(villages)
    context = [np.unique(rows % n) for rows in grouped(both, inner)] if neighbours else None
    features = {layer: grouped(inputs.layer(layer).geometry.to_numpy(), outer(layer))
                for layer in layers if inputs.layer(layer) is not None}
    for layer in features:   # a feature listing the codes it serves (water projects) goes with them
        if "served_codes" in inputs.layer(layer):
            listed = inputs.layer(layer)["served_codes"].explode().dropna()
            key_of_code = pd.Series(key, index=villages["code"].to_numpy())
            key_of_code = key_of_code[key_of_code.index.notna() & ~key_of_code.index.duplicated()]
            listed_key = pd.Series(key_of_code.reindex(listed.to_numpy()).to_numpy(), index=listed.index.to_numpy())
            listed_key = listed_key.dropna()
            by_key = listed_key.groupby(listed_key).groups
            features[layer] = [np.union1d(rows, np.asarray(by_key.get(k, []), dtype=np.int64))
                               for k, rows in zip(keys, features[layer])]
    for k, part_key in enumerate(keys):
        own = np.flatnonzero(key_of == k)
        rows = np.union1d(own, context[k]) if neighbours else own
        part = dataclasses.replace(
            inputs, villages=villages.iloc[rows].reset_index(drop=True),
            seats=inputs.seats.iloc[rows].reset_index(drop=True), village_suspects=None, township_shapes=None,
            meridians=None if inputs.meridians is None else inputs.meridians[rows],
            villages_as_read=None, extra={},
            layers={name: inputs.layer(name).iloc[chosen[k]].reset_index(drop=True)
                    for name, chosen in features.items()})
        part_key = part_key.item() if isinstance(part_key, np.generic) else str(part_key)
        if into is not None:
            part = into(part_key, part)
        yield part_key, rows, part
        del part   # the caller's now: not kept here while the next one is cut
