"""[apply.<standard>] (issue 21): a standard switched off is not_applicable for every village,
one applied to the villages of a yes/no column (poor_village) is not_applicable outside them
and no_data where the column is empty; not_applicable is on no list, and a comparison calls
the change of scope what it is, not a fix."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from cli import main
from gis.errors import ConfigError
from layers.profile import load_profile
from layers.sample import profile_path

TEXT = {"village_code": str, "township_code": str}


def _profile(folder: Path, extra: str = "", villages: str | None = None, columns: str = "") -> Path:
    sample = profile_path().parent
    text = profile_path().read_text(encoding="utf-8")
    text = re.sub(r'path = "([^"]+)"', lambda m: f'path = "{(sample / m.group(1)).as_posix()}"', text)
    if villages is not None:
        text = text.replace(f'path = "{(sample / "villages.gpkg").as_posix()}"', f'path = "{villages}"')
    if columns:
        text = text.replace('poor_population = "poor_pop"\n', f'poor_population = "poor_pop"\n{columns}\n')
    target = folder / "profile.toml"
    target.write_text(text + "\n" + extra, encoding="utf-8")
    return target


def _run(profile: Path, out: Path) -> str:
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(out), "--no-maps"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("base")
    out = folder / "out"
    _run(_profile(folder), out)
    return out


def test_a_standard_switched_off(baseline, tmp_path):
    out = tmp_path / "out"
    printed = _run(_profile(tmp_path, "[apply.fibre]\nenabled = false\n"), out)
    villages = pd.read_csv(out / "villages.csv", dtype=TEXT)
    before = pd.read_csv(baseline / "villages.csv", dtype=TEXT)
    assert set(villages["fibre_verdict"]) == {"not_applicable"}
    assert set(villages["fibre_reason"]) == {"本项标准未启用（配置 [apply.fibre] enabled = false）"}
    assert villages["fibre_nearest_m"].isna().all()
    # every other standard as before; the gap counts without fibre
    for key in ("road", "water", "clinic", "net4g"):
        assert villages[f"{key}_verdict"].tolist() == before[f"{key}_verdict"].tolist()
    assert (villages["gap_count"] == before["gap_count"] - (before["fibre_verdict"] == "fails")).all()
    gaps = pd.read_csv(out / "gaps.csv", dtype=TEXT)
    no_data = pd.read_csv(out / "no_data.csv", dtype=TEXT)
    assert "fibre" not in set(gaps["standard"]) and "fibre" not in set(no_data["standard"])
    assert "光纤宽带 0" in printed
    townships = pd.read_csv(out / "townships.csv", dtype=TEXT)
    assert townships["fibre_not_applicable"].sum() == len(villages)
    assert townships["road_not_applicable"].sum() == 0


def test_the_outputs_of_an_unscoped_profile_have_no_new_column(baseline):
    townships = pd.read_csv(baseline / "townships.csv", dtype=TEXT)
    assert not any(column.endswith("_not_applicable") for column in townships.columns)
    villages = pd.read_csv(baseline / "villages.csv", dtype=TEXT)
    assert "not_applicable" not in set(villages[[c for c in villages if c.endswith("_verdict")]].stack())


def test_a_standard_applied_to_poor_villages(baseline, tmp_path):
    """4G for the poor villages only (贫困村 是/否, a few left empty)."""
    sample = profile_path().parent
    frame = pyogrio.read_dataframe(sample / "villages.gpkg", layer="villages")
    poor = frame["poor_pop"].astype(float)
    flag = pd.Series(["是" if p > 300 else "否" for p in poor], dtype=object)
    flag.iloc[:3] = None   # not filled in: unknown whether the standard applies
    frame["贫困村"] = flag
    own = tmp_path / "villages.gpkg"
    pyogrio.write_dataframe(frame, own, layer="villages")
    out = tmp_path / "out"
    _run(_profile(tmp_path, '[apply.net4g]\napplies_to = "poor_village"\n', villages=own.as_posix(),
                  columns='poor_village = "贫困村"'), out)
    villages = pd.read_csv(out / "villages.csv", dtype=TEXT).set_index("village_code")
    before = pd.read_csv(baseline / "villages.csv", dtype=TEXT).set_index("village_code")
    codes = frame["village_code"].astype(str)
    yes, no, empty = (codes[flag == "是"], codes[flag == "否"], codes[flag.isna()])
    assert len(yes) and len(no) and len(empty) == 3
    assert villages.loc[yes, "net4g_verdict"].tolist() == before.loc[yes, "net4g_verdict"].tolist()
    assert set(villages.loc[no, "net4g_verdict"]) == {"not_applicable"}
    assert set(villages.loc[no, "net4g_reason"]) == {"不适用：本村贫困村为否"}
    assert villages.loc[no, "net4g_share"].notna().any()   # what was measured stays shown
    assert set(villages.loc[empty, "net4g_verdict"]) == {"no_data"}
    assert set(villages.loc[empty, "net4g_reason"]) == {"不知是否适用：本村贫困村未填"}
    gaps = pd.read_csv(out / "gaps.csv", dtype=TEXT)
    failing = set(gaps.loc[gaps["standard"] == "net4g", "village_code"])
    assert failing == set(before.index[(before["net4g_verdict"] == "fails")]) & set(yes)


@pytest.mark.parametrize("extra, columns, message", [
    ('[apply.net4g]\napplies_to = "poor_village"\n', "", "needs [villages.columns] poor_village mapped"),
    ('[apply.net4g]\napplies_to = "county_seat"\n', "", "is not a yes/no column covermap knows"),
    ('[apply.ferry]\nenabled = false\n', "", "unknown key apply.ferry"),
    ('[apply.road]\nenabled = "no"\n', "", "apply.road.enabled must be"),
    ('[apply.road]\nonly = true\n', "", "unknown key apply.road.only"),
])
def test_scope_errors_name_the_key(tmp_path, extra, columns, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(_profile(tmp_path, extra, columns=columns))


def test_switching_a_standard_off_is_a_change_of_scope_not_a_fix(baseline, tmp_path):
    out = tmp_path / "off"
    _run(_profile(tmp_path, "[apply.fibre]\nenabled = false\n"), out)
    result = CliRunner().invoke(main, ["-q", "compare", str(baseline), str(out), "-o", str(tmp_path / "c"),
                                       "--no-maps"])
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(tmp_path / "c" / "changes.csv", dtype=TEXT)
    fibre = changes[changes["standard"] == "fibre"]
    assert set(fibre["change"]) == {"scope_changed"} and set(fibre["change_text"]) == {"适用范围变化"}
    assert len(fibre) == 171   # every village, whatever its verdict was
    assert "closed" not in set(fibre["change"])
    assert set(fibre["settings_changed"]) == {"yes"} and "apply.fibre.enabled" in result.output
