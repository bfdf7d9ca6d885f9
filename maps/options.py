"""How a map is drawn: language, basemap (and its key), CDN or inlined assets, the limits the
popups quote. One frozen value checked when made, so a typo fails before any drawing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from gis.errors import ConfigError
from maps.i18n import LANGUAGES
from maps.standards import FIRST

BASEMAPS = ("none", "osm", "tianditu", "tianditu-img", "gaode")
# The limits a popup quotes, as the CLI passes them from the profile's [standards]: those the
# standards name (maps/standards.py; a standard with a fixed limit names none).
LIMIT_KEYS = tuple(standard["limit"]["key"] for standard in FIRST if standard["limit"]["key"])


@dataclass(frozen=True)
class MapOptions:
    lang: str = "zh"
    basemap: str = "none"
    tianditu_key: str | None = None
    online: bool = False
    limits: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    tiled: bool | None = None  # canvas tiles (True), SVG paths (False), or by layer size (None; maps/tiles.py)
    extra: tuple = ()   # the optional standards the run checked (maps.extra.ExtraStandard)

    def __post_init__(self):
        if self.lang not in LANGUAGES:
            raise ConfigError(f"map language {self.lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
        if self.basemap not in BASEMAPS:
            raise ConfigError(f"basemap {self.basemap!r} is not supported; use one of {', '.join(BASEMAPS)}")
        if self.basemap.startswith("tianditu") and not self.tianditu_key:
            raise ConfigError(f"basemap {self.basemap!r} needs a Tianditu key (tk); none was given")
        unknown = sorted(set(self.limits) - set(LIMIT_KEYS))
        if unknown:
            raise ConfigError(f"unknown map limit(s) {', '.join(unknown)}; use {', '.join(LIMIT_KEYS)}")
        object.__setattr__(self, "limits", MappingProxyType(dict(self.limits)))

    @property
    def gcj02(self) -> bool:
        """Whether drawn data is shifted to GCJ-02 to match the basemap."""
        return self.basemap == "gaode"


def make_options(online: bool = False, lang: str = "zh", basemap: str | None = None,
                 tianditu_key: str | None = None, limits: Mapping[str, float] | None = None,
                 tiled: bool | None = None) -> MapOptions:
    """Options with the default basemap: OpenStreetMap online, none offline."""
    return MapOptions(lang=lang, basemap=basemap or ("osm" if online else "none"), tianditu_key=tianditu_key,
                      online=online, limits=limits or {}, tiled=tiled)
