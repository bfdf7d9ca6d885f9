"""The villages layer: read into covermap's columns (codes checked, yes/no and number columns
parsed, seats attached) and checked against each other (overlaps, gaps inside townships,
villages far from the rest, seats outside their village), those checks begun on a thread
while ``layers.inputs`` reads the other layers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gis import geometry, io, values
from gis.crs import check_metric, working_crs
from gis.errors import CovermapError, DataError
from gis.files import ordinary
from layers import checks
from layers.canonical import _flags, _numbers
from layers.checks import Findings, counted, examples, row_examples, where
from layers.profile import APPLIES_TO
from layers.settings import Profile, Source
from layers.sources import POLYGONS, InputRecord, _read_source, _to_crs
from layers.standards import VILLAGE_FLAGS

if TYPE_CHECKING:
    from layers.inputs import Inputs


def read_villages(profile: Profile, findings: Findings, records: list[InputRecord],
                   digest: Callable[[Path], str] = io.sha256) -> gpd.GeoDataFrame:
    source = profile.villages.source
    frame = _read_source(source, POLYGONS, records, findings, digest)
    if frame.empty:
        raise DataError(f"{source.where}: holds no villages; point [villages] at the file and layer with the "
                        "village boundaries")
    column = source.columns["code"]
    frame["code"] = values.codes(frame["code"])
    if frame["code"].isna().any():
        rows = np.flatnonzero(frame["code"].isna().to_numpy()) + 1
        findings.error(f"column {column!r} has no village code in {row_examples(rows)}",
                       fix="every village needs its 12-digit code", row=int(rows[0]), column=column,
                       check="missing_code", **where(source))
    duplicated = frame["code"].duplicated(keep=False) & frame["code"].notna()
    for code in frame["code"][duplicated].unique():
        rows = np.flatnonzero((frame["code"] == code).fillna(False).to_numpy(dtype=bool))
        findings.error(f"village code {code} appears more than once (rows {examples(np.asarray(rows) + 1)})",
                       fix="merge or correct those rows so that each code is one village", code=str(code),
                       row=int(rows[0]) + 1, column=column, check="duplicate_code", **where(source))
    odd = frame["code"].notna() & ~frame["code"].str.fullmatch(r"\d{12}").fillna(False).astype(bool)
    if odd.any():
        codes = frame["code"][odd]
        findings.warn(f"{counted(len(codes), 'village code is', 'village codes are')} not 12 digits "
                      f"({examples(codes.map(repr))})",
                      fix="use the 12-digit statistical division codes (统计用区划代码)", code=codes.iloc[0],
                      row=int(np.flatnonzero(odd.to_numpy())[0]) + 1, column=column, check="code_format",
                      **where(source))
    if profile.villages.code_list:
        check_code_list(frame["code"], profile.villages.code_list, source, findings)
    frame["township_code"] = values.codes(frame["township_code"])
    labels = frame["code"].fillna("(no code)")
    for name in ("population", "poor_population"):
        frame[name] = _numbers(frame, name, source, findings, labels) if name in frame else np.nan
    for name in (*VILLAGE_FLAGS, *APPLIES_TO):
        if name in frame:
            frame[name] = _flags(frame, name, source, findings, labels)
    if "seat_x" in frame:
        points = io.points_from_columns(frame, "seat_x", "seat_y", source.where)
        frame["seat"] = gpd.GeoSeries(points, crs=profile.villages.seat_crs).to_crs(frame.crs)
        frame = frame.drop(columns=["seat_x", "seat_y"])
    for name in ("name", "township_name"):
        frame[name] = frame[name].astype("string")
    missing = ~geometry.usable(frame.geometry.to_numpy())
    if missing.any():
        n = int(missing.sum())
        findings.warn(f"{counted(n, 'village has', 'villages have')} no boundary ({examples(frame['code'][missing])}); "
                      f"{'it is' if n == 1 else 'they are'} kept, measured from the seat where one is given, else "
                      "reported as no_data",
                      fix="add their boundaries", code=str(frame["code"][missing].iloc[0]),
                      row=int(np.flatnonzero(missing)[0]) + 1, check="empty_geometry", **where(source))
    return frame


def check_code_list(codes: pd.Series, path, source: Source, findings: Findings) -> None:
    try:
        known = pd.read_csv(ordinary(path), dtype=str, usecols=["code"])["code"].str.strip()
    except FileNotFoundError:
        raise DataError(f"{path}: national code list not found; fix villages.code_list in the profile") from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the national code list ({io._first_line(exc)}); it must be a CSV "
                        "(optionally .gz) with a 'code' column") from None
    unknown = codes.notna() & ~codes.isin(set(known))
    if unknown.any():
        findings.warn(f"{counted(int(unknown.sum()), 'village code is', 'village codes are')} not in the national code list "
                      f"{path.name} "
                      f"({examples(codes[unknown])})", fix="check the codes against 统计用区划代码",
                      code=str(codes[unknown].iloc[0]), row=int(np.flatnonzero(unknown.to_numpy())[0]) + 1,
                      column=source.columns["code"], check="code_not_in_list", **where(source))


def attach_seats(inputs: Inputs, profile: Profile, villages: gpd.GeoDataFrame,
                  seats: gpd.GeoDataFrame | None, findings: Findings) -> None:
    if "seat" in villages:
        inputs.seats = _to_crs(gpd.GeoDataFrame(geometry=villages["seat"]), inputs.crs).geometry
        inputs.villages = inputs.villages.drop(columns=["seat"])
    if seats is None:
        return
    source = profile.villages.seats
    seats = _to_crs(seats, inputs.crs)
    seats["code"] = values.codes(seats["code"])
    dupes = seats["code"].dropna()[seats["code"].dropna().duplicated()].unique()
    for code in dupes:
        findings.error(f"village code {code} has more than one seat", fix="keep one per village", code=str(code),
                       column=source.columns["code"], check="duplicate_seat", **where(source))
    if len(dupes):
        seats = seats[~seats["code"].isin(set(dupes))]
    unknown = sorted(set(seats["code"].dropna()) - set(inputs.villages["code"].dropna()))
    if unknown:
        findings.warn(f"{counted(len(unknown), 'seat names a code that is not a village', 'seats name codes that are not villages')} "
                      f"({examples(unknown)})",
                      fix="correct their codes", code=unknown[0], column=source.columns["code"],
                      check="unknown_seat", **where(source))
    by_code = pd.Series(seats.geometry.to_numpy(), index=seats["code"].to_numpy())
    by_code = by_code[by_code.index.notna()]
    looked_up = inputs.villages["code"].map(by_code)
    # as objects: with no seat left to match (every one a duplicate), map gives floats
    inputs.seats = gpd.GeoSeries(np.where(looked_up.notna().to_numpy(), looked_up.to_numpy(dtype=object), None),
                                 index=inputs.villages.index, crs=inputs.crs)


@dataclass
class _VillageGeometry:
    """What the villages' polygons tell of themselves (``_village_geometry``)."""

    suspect: np.ndarray
    towns: gpd.GeoSeries | None
    overlaps: pd.DataFrame
    gaps: pd.DataFrame
    alone: np.ndarray
    nearest: np.ndarray


def _village_geometry(villages: gpd.GeoDataFrame, tolerances, ground: bool) -> _VillageGeometry:
    """Villages against each other (working CRS): coverage suspects, township unions,
    overlaps, gaps inside townships, villages far from any other (``ground``: areas and
    distances as on the ground, see layers.checks)."""
    suspect = checks.coverage_suspects(villages.geometry.to_numpy())
    towns = checks.township_unions(villages, suspect)
    return _VillageGeometry(suspect, towns,
                            checks.village_overlaps(villages, tolerances.overlap_tolerance_m2, suspect, ground),
                            checks.township_gaps(villages, tolerances.gap_tolerance_m2, suspect, towns, ground),
                            *checks.isolated(villages, tolerances.far_outside_m, ground))


class EarlyVillages:
    """The villages in the working CRS and ``_village_geometry`` of them on a thread,
    started as soon as the villages are read: the checks' GEOS calls (coverage validation
    above all) leave Python's lock free, so the other layers are read meanwhile."""

    def __init__(self, crs: CRS, villages: gpd.GeoDataFrame, tolerances, ground: bool):
        self.crs, self.villages = crs, villages
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="covermap-villages")
        self._future = self._pool.submit(_village_geometry, villages, tolerances, ground)
        self._pool.shutdown(wait=False)

    @classmethod
    def start(cls, profile: Profile, villages: gpd.GeoDataFrame) -> EarlyVillages | None:
        """None where the working CRS cannot be settled yet (the error is then raised or
        recorded where it always was, after every layer is read)."""
        try:
            crs = check_metric(profile.working_crs or working_crs([villages]), "project.working_crs")
        except CovermapError:
            return None
        return cls(crs, _to_crs(villages, crs), profile.checks, profile.working_crs is None)

    def result(self) -> _VillageGeometry:
        return self._future.result()

    def wait(self) -> None:
        wait([self._future])


def check_villages(inputs: Inputs, profile: Profile, findings: Findings, early: EarlyVillages | None = None) -> None:
    """Villages against each other: overlaps, gaps inside townships, seats outside.
    ``early``: the checks begun while reading, on these very villages."""
    source, tolerances = profile.villages.source, profile.checks
    villages = inputs.villages
    found = (early.result() if early is not None
             else _village_geometry(villages, tolerances, profile.working_crs is None))
    suspect, towns = found.suspect, found.towns
    inputs.village_suspects = suspect
    if (towns is not None and not suspect.any() and geometry.usable(villages.geometry.to_numpy()).all()
            and villages["township_code"].notna().all()):
        inputs.township_shapes = towns
    for row in found.overlaps.itertuples():
        findings.warn(f"villages {row.code_a} and {row.code_b} overlap by {row.area_m2:,.0f} m² "
                      f"(tolerance {tolerances.overlap_tolerance_m2:g} m²)",
                      fix="fix the shared boundary, or raise checks.overlap_tolerance_m2", code=row.code_a,
                      check="overlap", **where(source))
    for row in found.gaps.itertuples():
        findings.warn(f"township {row.township_code} has a gap of {row.area_m2:,.0f} m² that no village covers "
                      f"(around x={row.x:,.0f}, y={row.y:,.0f} in {inputs.crs.to_string()})",
                      fix="close the gap between the neighbouring villages, or raise checks.gap_tolerance_m2",
                      check="gap", **where(source))
    alone, nearest = found.alone, found.nearest
    for i in np.flatnonzero(alone):
        findings.warn(f"village {villages['code'].iloc[i]} lies {nearest[i]:,.0f} m from any other village",
                      fix="check its boundary's coordinates (a wrong CRS or a typo?), or raise checks.far_outside_m",
                      code=str(villages["code"].iloc[i]), row=int(i) + 1, check="far_outside", **where(source))
    outside = checks.seats_outside(villages, inputs.seats)
    if outside.any():
        codes = villages["code"][outside]
        seat_source = profile.villages.seats or source
        findings.warn(f"{counted(len(codes), 'village seat lies outside its', 'village seats lie outside their')} own village "
                      f"({examples(codes)})",
                      fix="check the seat coordinates and the village codes of the seats", code=str(codes.iloc[0]),
                      check="seat_outside", **where(seat_source))
