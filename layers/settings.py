"""The settings a standards profile holds: frozen dataclasses with the defaults of
../shared/STANDARDS.md (national profile). ``layers.profile`` reads them from TOML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from pyproj import CRS

HARDENED_DEFAULT = ("asphalt", "concrete", "cement", "paved", "concrete:plates", "concrete:lanes",
                    "paving_stones", "沥青", "水泥", "混凝土", "硬化", "柏油")
VILLAGE_CLINIC_DEFAULT = ("village_clinic", "village clinic", "村卫生室", "卫生室", "村卫生所")
HEALTH_CENTRE_DEFAULT = ("health_centre", "township_health_centre", "health center", "乡镇卫生院", "卫生院",
                         "社区卫生服务中心")
TECHNOLOGY_DEFAULT = ("4G", "5G", "LTE", "NR")


@dataclass(frozen=True)
class Source:
    """One input file: where it is and how its columns map to covermap's names."""

    key: str
    path: Path
    layer: str | None = None
    encoding: str | None = None
    assume_crs: CRS | None = None
    x: str | None = None
    y: str | None = None
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    datum_shift: str | None = None   # "GCJ-02" or "BD-09": converted to WGS84 on reading

    @property
    def where(self) -> str:
        return f"{self.path}" + (f" layer {self.layer!r}" if self.layer else "")


@dataclass(frozen=True)
class Villages:
    source: Source
    seat_crs: CRS | None = None
    seats: Source | None = None
    code_list: Path | None = None    # national village code list (CSV with a 'code' column)


@dataclass(frozen=True)
class LayerTable:
    """An input layer's profile table (layers/standards: ``Layer``): its file; a layer whose
    table has keys of its own besides a source's reads them into a subclass."""

    source: Source


@dataclass(frozen=True)
class Roads(LayerTable):
    hardened_values: tuple[str, ...] = HARDENED_DEFAULT


@dataclass(frozen=True)
class Clinics(LayerTable):
    village_clinic_values: tuple[str, ...] = VILLAGE_CLINIC_DEFAULT
    health_centre_values: tuple[str, ...] = HEALTH_CENTRE_DEFAULT


@dataclass(frozen=True)
class Towns:
    """[towns]: the township seats (乡镇驻地, or the township government points), one a
    township, matched to the villages by township code (layers.roadnet)."""
    source: Source


@dataclass(frozen=True)
class Network:
    """[network]'s own key; its layers' tables ([network.coverage] …) are ``Profile.layers``."""

    technologies: tuple[str, ...] = TECHNOLOGY_DEFAULT


@dataclass(frozen=True)
class RoadRules:
    max_distance_m: float = 500.0
    min_width_m: float = 0.0
    # 通硬化路, connected: the hardened road must join the hardened network's main component
    # (gis/roadgraph.py), ends within snap_m of another road joined. Off by default: on, it
    # adds two columns to every output
    require_connected: bool = False
    snap_m: float = 3.0
    # "main": the largest hardened network; "health_centres": one reaching a 乡镇卫生院;
    # "towns": one reaching a township seat of [towns]
    connected_to: str = "main"


@dataclass(frozen=True)
class ClinicRules:
    min_doctors: int = 1
    share_max_population: float = 0.0
    share_max_distance_m: float = 2500.0
    exempt_health_centre_host: bool = True


@dataclass(frozen=True)
class Checks:
    """Tolerances of ``covermap check`` (and the warnings of ``run``)."""

    overlap_tolerance_m2: float = 100.0   # two villages may overlap by this much
    gap_tolerance_m2: float = 100.0       # holes inside a township's villages up to this size are ignored
    far_outside_m: float = 10000.0        # features farther than this from the villages' extent


MAP_BASEMAPS = ("none", "osm", "tianditu", "tianditu-img", "gaode")
MAP_LANGUAGES = ("zh", "en")   # the languages covermap writes (layers.verdicts.LANGUAGES)


@dataclass(frozen=True)
class MapSettings:
    """[map]: how the HTML maps look. ``basemap`` None: none offline, osm with --online."""

    basemap: str | None = None
    lang: str = "zh"    # the same as Profile.lang (map.lang is the older spelling of project.lang)
    tianditu_key: str | None = None
    tianditu_key_env: str = "TIANDITU_KEY"
    township_maps_above_villages: int = 100


@dataclass(frozen=True)
class Scope:
    """[apply.<standard>]: whether a standard is checked at all, and for which villages."""

    enabled: bool = True
    applies_to: str | None = None   # a yes/no column of the villages (poor_village …): others not_applicable


@dataclass(frozen=True)
class PluginSettings:
    """An optional standard the profile switches on (layers/standards: ``Plugin``): its
    input files by section (none given: ``no_data`` for every village) and its
    ``[standards.<section>]`` settings, an instance of the plug-in's own rules class."""

    sources: Mapping[str, Source]
    rules: Any


@dataclass(frozen=True)
class LedgerSettings:
    """[ledger]: the filled-in problem list of the previous period, read back (layers.ledger)."""

    path: Path | None = None               # None: only --ledger names one
    max_days_without_measure: int = 30     # a problem listed longer than this with no 整改措施 is reported
    codes: Path | None = None              # a code-change table (old_code,new_code) for the ledger's codes


@dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    working_crs: CRS | None
    villages: Villages
    # the input layers of the five first standards the profile names, by their key
    # (layers/standards: ``Layer``: roads, water, clinics, coverage, fibre), in reading order
    layers: Mapping[str, LayerTable] = field(default_factory=lambda: MappingProxyType({}))
    network: Network | None = None
    towns: Towns | None = None      # [towns]: township seats (road_network_km_to_township, connected_to = "towns")
    standards: Any = None   # layers.standards.Standards: [standards.<section>] of the five first standards
    checks: Checks = Checks()
    map: MapSettings = MapSettings()
    lang: str = "zh"    # project.lang: the language of every text covermap writes (reasons, maps, summary)
    as_of: dt.date | None = None   # project.as_of: the date the data describe (None: the day of the run)
    ledger: LedgerSettings | None = None   # [ledger]: the bureaus' filled-in workbook read back
    scopes: Mapping[str, Scope] = field(default_factory=lambda: MappingProxyType({}))   # [apply.<standard>]
    plugins: Mapping[str, PluginSettings] = field(default_factory=lambda: MappingProxyType({}))   # by standard key
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def layer(self, key: str) -> LayerTable | None:
        """The table of the input layer ``key`` (layers/standards: ``Layer.key``), None if not named."""
        return self.layers.get(key)

    @property
    def roads(self) -> Roads | None:
        """[roads]: the road standard's layer, which time to care, bus and the road network read too."""
        return self.layers.get("roads")

    @property
    def clinics(self) -> Clinics | None:
        """[clinics]: the clinic standard's layer, which time to care reads too."""
        return self.layers.get("clinics")

    def in_language(self, lang: str | None) -> "Profile":
        """This profile writing in ``lang`` (``--lang``), the maps too; itself when None."""
        if lang is None or lang == self.lang and lang == self.map.lang:
            return self
        return replace(self, lang=lang, map=replace(self.map, lang=lang))

    def sources(self) -> list[Source]:
        """Every input file named by the profile, in reading order."""
        found = [self.villages.source, self.villages.seats]
        found += [table.source for table in self.layers.values()]
        found += [self.towns and self.towns.source]
        found += [source for plugin in self.plugins.values() for source in plugin.sources.values()]
        return [source for source in found if source is not None]
