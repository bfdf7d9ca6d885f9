"""The optional standards' plumbing (layers/standards: ``Plugin``), read from the registry:
the profile tables each plug-in adds and their reading (``layers.profile``), the input files
of the plug-ins a profile switches on and what is checked of them (``layers.inputs``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from gis import geometry
from layers.checks import Findings, counted, examples, where
from layers.settings import PluginSettings, Profile, Source
from layers.standards import BY_KEY, OPTIONAL, TABLE, Input


def columns() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each plug-in input's columns: (required, optional), as ``layers.profile.COLUMNS``."""
    return {source.section: (source.required, source.optional)
            for standard in OPTIONAL for source in standard.plugin.inputs}


def profile_tables(tables: dict[str, frozenset[str]], source_keys: set[str]) -> dict[str, frozenset[str]]:
    """``tables`` with the optional standards' (layers/standards: ``Plugin``): each input's
    ``[<section>]`` and ``[<section>.columns]``, ``[standards.<section>]``, ``[apply.<key>]``."""
    out = dict(tables)
    for standard in OPTIONAL:
        plugin = standard.plugin
        sections = {source.section for source in plugin.inputs}
        out[""] |= sections
        out["standards"] |= {plugin.section}
        out["apply"] |= {standard.key}
        out[f"apply.{standard.key}"] = frozenset({"enabled", "applies_to"})
        out[f"standards.{plugin.section}"] = frozenset(f.name for f in dataclasses.fields(plugin.rules))
        for source in plugin.inputs:
            out[source.section] = frozenset(source_keys)
            out[f"{source.section}.columns"] = frozenset((*source.required, *source.optional))
    return out


def settings(reader, top: dict, table_keys: Mapping[str, frozenset[str]]) -> Mapping[str, PluginSettings]:
    """The optional standards the profile switches on, by naming one of their tables (an
    input's ``[<section>]``, ``[standards.<section>]`` or ``[apply.<key>]``): their sources
    and settings (``reader``: layers.profile's, its errors naming the key). Named by none, a
    plug-in is left out of every output."""
    found = {}
    rules_tables, scopes = top.get("standards", {}), top.get("apply", {})   # already read: tables
    for standard in OPTIONAL:
        plugin = standard.plugin
        named = [source for source in plugin.inputs if source.section in top]
        if not named and plugin.section not in rules_tables and standard.key not in scopes:
            continue
        sources = {source.section: reader.source(reader.table(top[source.section], source.section,
                                                              table_keys[source.section]), source.section)
                   for source in named}
        for spec in named:
            given = sources[spec.section]
            if spec.geometry == TABLE and "code" not in given.columns and given.x is None \
                    and given.path.suffix.lower() in (".csv", ".txt", ".tsv", ".xlsx", ".xls"):
                raise reader.fail(f"[{spec.section}] needs each row's village: map code in [{spec.section}.columns] "
                                  "to the village code column, or give x and y (the rows' points)")
        rules = reader.rules(rules_tables.get(plugin.section, {}), plugin.section, plugin.rules)
        problem = plugin.check(rules) if plugin.check is not None else None
        if problem:
            raise reader.fail(problem)
        found[standard.key] = PluginSettings(MappingProxyType(sources), rules)
    return MappingProxyType(found)


def inputs_of(profile: Profile) -> dict[str, tuple[Source, Input, object]]:
    """section -> (its source, its declaration, the plug-in's rules) of every input file of
    the optional standards the profile switches on."""
    return {section: (source, next(spec for spec in BY_KEY[key].plugin.inputs if spec.section == section), plugin.rules)
            for key, plugin in profile.plugins.items() for section, source in plugin.sources.items()}


def check_inputs(inputs, profile: Profile, findings: Findings) -> None:
    """Each switched-on plug-in's warnings about the layers as read (``Plugin.check_inputs``)."""
    for key, settings in profile.plugins.items():
        plugin = BY_KEY[key].plugin
        if plugin.check_inputs is not None:
            plugin.check_inputs(inputs, profile, settings.rules, findings)


def unknown_codes(rows: pd.DataFrame, villages: gpd.GeoDataFrame, source: Source, findings: Findings) -> None:
    """Rows of a plug-in's table naming a code that is no village's: reported, counted for none."""
    unknown = rows["code"].notna() & ~rows["code"].isin(set(villages["code"].dropna()))
    if unknown.any():
        codes = rows["code"][unknown].unique()
        findings.warn(f"{counted(int(unknown.sum()), 'row names', 'rows name')} a village code that is not among "
                      f"the villages ({examples(codes)}); counted for no village",
                      fix="correct the codes, or add those villages", code=str(codes[0]),
                      row=int(np.flatnonzero(unknown.to_numpy())[0]) + 1, column=source.columns["code"],
                      check="unknown_code", **where(source))


def prepared(frame: pd.DataFrame, profile: Profile, findings: Findings, source: Source, spec: Input,
              rules: object, villages: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """A plug-in's input frame with its columns parsed by its ``prepare``; a table of rows
    given as points (no ``code`` mapped) first given the code of the village each lies in."""
    if spec.geometry == TABLE and "code" not in frame:
        frame = located(frame, villages, source, findings)
    return spec.prepare(frame, source, findings, rules) if spec.prepare is not None else frame


def located(points: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, source: Source, findings: Findings) -> pd.DataFrame:
    """``points`` (in the villages' CRS) as rows with the ``code`` of the village each lies in
    (on a boundary several share: the lowest code; in none: no code, reported), their
    geometry let go: such rows (households) are counted per village, never drawn."""
    rows, village = geometry.pairs_intersecting(points.geometry.to_numpy(), villages.geometry.to_numpy())
    codes = villages["code"].to_numpy(dtype=object)[village]
    order = np.lexsort((codes.astype(str), rows))
    rows, codes = rows[order], codes[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    found = np.full(len(points), None, dtype=object)
    found[rows[first]] = codes[first]
    outside = pd.isna(found)
    if outside.any():
        findings.warn(f"{counted(int(outside.sum()), 'point lies', 'points lie')} in no village; counted for none",
                      fix="check their coordinates and CRS, or map the village code column as code",
                      row=int(np.flatnonzero(outside)[0]) + 1, check="outside_villages", **where(source))
    out = pd.DataFrame(points.drop(columns=points.geometry.name)).reset_index(drop=True)
    out["code"] = pd.array(found, dtype="string")
    return out
