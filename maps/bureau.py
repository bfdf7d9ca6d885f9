"""A bureau's failing villages for the side panel of its map, first to fix first: the gap
table's priority order when it is given, else the same rule computed from the villages
(most registered-poor people, then larger population, then lower code)."""

from __future__ import annotations

import pandas as pd

from maps.styles import BUREAUS


def _from_villages(villages: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    parts = []
    for key in keys:
        failing = villages[villages[f"{key}_verdict"] == "fails"]
        parts.append(pd.DataFrame({
            "village_code": failing["village_code"].astype(str), "village_name": failing["village_name"],
            "township_name": failing["township_name"], "standard": key, "reason": failing[f"{key}_reason"],
            "poor": pd.to_numeric(failing["poor_population"], errors="coerce"),
            "pop": pd.to_numeric(failing["population"], errors="coerce")}))
    table = pd.concat(parts, ignore_index=True)
    table["order"] = table["standard"].map({key: i for i, key in enumerate(keys)})
    return table.sort_values(["order", "poor", "pop", "village_code"], ascending=[True, False, False, True],
                             na_position="last", kind="stable")


def _from_gaps(gaps: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    table = gaps[gaps["standard"].isin(keys)].copy()
    table["village_code"] = table["village_code"].astype(str)
    table["order"] = table["standard"].map({key: i for i, key in enumerate(keys)})
    return table.sort_values(["order", "priority"], kind="stable")


def panel(villages: pd.DataFrame, bureau: str, drawn: set[str], words, gaps: pd.DataFrame | None = None,
          keys: tuple[str, ...] | None = None) -> dict:
    """The side panel's title and items (code, name, township, standard, reason, drawn);
    ``keys``: the bureau's standards (the five's bureaus' own when not given)."""
    keys = BUREAUS[bureau] if keys is None else keys
    table = _from_gaps(gaps, keys) if gaps is not None else _from_villages(villages, keys)

    def text(value):
        return "" if pd.isna(value) else str(value)

    items = [{"code": code, "name": text(name), "township": text(township), "standard": standard,
              "reason": text(reason), "drawn": code in drawn}
             for code, name, township, standard, reason in zip(
                 table["village_code"], table["village_name"], table["township_name"], table["standard"],
                 table["reason"])]
    return {"title": words["panel.title"].format(bureau=words[f"bureau.{bureau}"]), "items": items}
