"""Language (issue 19): one setting, ``--lang`` / ``project.lang`` (zh by default), governs
every text covermap writes for people; the keys scripts read stay English.

- every reason template is written in both languages (read from the rule modules' source:
  each ``T(...)`` has ``zh`` and ``en``, the same fields, Chinese in ``zh`` and none in ``en``;
  no reason is given as a bare text in one language);
- ``covermap demo`` (Chinese) writes no English sentence: CSV values other than keys,
  codes and file names, the maps' embedded data, index.html, the summary line;
- ``--lang en`` gives English reasons, the same verdicts, the same columns and keys.
"""

from __future__ import annotations

import ast
import json
import re
import string
import tomllib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from layers import verdicts
from gis.errors import ConfigError
from layers.profile import parse_profile
from layers.sample import profile_path
from layers.standards import BY_KEY

# the optional standards the demo runs (profile_all.toml has their sample layers)
SAMPLED = tuple(BY_KEY[key] for key in ("school", "housing", "electricity", "care", "bus", "post"))

ROOT = Path(__file__).resolve().parents[1]
RULE_MODULES = ["layers/verdicts.py", "layers/standards/road.py", "layers/standards/water.py",
                "layers/standards/clinic.py", "layers/standards/net4g.py", "layers/standards/fibre.py"]
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def _calls(module: str):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("module", RULE_MODULES)
def test_every_template_is_written_in_both_languages(module):
    templates = [call for call in _calls(module) if _name(call) == "T"]
    assert templates, module
    for call in templates:
        where = f"{module}:{call.lineno}"
        assert not call.args, f"{where}: T takes zh= and en= by name"
        words = {keyword.arg: keyword.value for keyword in call.keywords}
        assert set(words) == {"zh", "en"}, f"{where}: T needs exactly zh= and en=, has {sorted(words)}"
        assert all(isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.strip()
                   for value in words.values()), f"{where}: both languages written out as text"
        zh, en = words["zh"].value, words["en"].value
        assert _fields(zh) == _fields(en), f"{where}: the languages use different fields"
        bare = [piece for piece in re.split(r"\{[^}]*\}", zh) if re.search(r"[A-Za-z]{4,}", piece)]
        assert CJK.search(zh) or not zh.strip("、，；"), f"{where}: zh has no Chinese: {zh!r}"
        assert not bare or all(word in ALLOWED for piece in bare for word in re.findall(r"[A-Za-z]{4,}", piece)), \
            f"{where}: English in zh: {zh!r}"
        assert not CJK.search(en), f"{where}: Chinese in en: {en!r}"


@pytest.mark.parametrize("module", RULE_MODULES[1:5])
def test_no_reason_is_a_text_in_one_language(module):
    for call in _calls(module):
        if _name(call) == "rule" and len(call.args) >= 3:
            reason = call.args[2]
            assert not (isinstance(reason, ast.Constant) or isinstance(reason, ast.JoinedStr)), \
                f"{module}:{call.lineno}: the reason is a bare text; write T(zh=..., en=...)"
        if _name(call) == "Grades":   # Grades(n, lang, default): the default reason a T too
            default = call.args[2] if len(call.args) > 2 else None
            assert not isinstance(default, (ast.Constant, ast.JoinedStr)), f"{module}:{call.lineno}"


def test_words_api():
    assert verdicts.word("fails", "zh") == "不达标" and verdicts.word("basic", "en") == "basically meets"
    assert verdicts.bureau_name("transport", "zh") == "交通运输局"
    assert verdicts.standard_name("road", "zh") == "硬化路" and verdicts.standard_name("fibre", "en") == "Fibre broadband"
    assert set(verdicts.VERDICT_WORDS) == set(verdicts.VERDICTS)
    with pytest.raises(ValueError, match="different fields"):
        verdicts.T(zh="{a} 米", en="{b} m")
    with pytest.raises(ValueError, match="is not a language"):
        verdicts.word("fails", "fr")
    with pytest.raises(TypeError, match="T\\(zh="):
        verdicts.Grades(2).rule([True, False], verdicts.FAILS, "english only")


# -- the outputs ----------------------------------------------------------------------------

# Columns whose values are keys, codes or file names (stable English for scripts), not text.
KEY_COLUMNS = {"village_code", "township_code", "seat_source", "net4g_seat", "standard", "bureau", "verdict",
               "value_column", "check", "source",
               *(f"{s.key}_verdict" for s in (*verdicts.STANDARDS, *SAMPLED))}
# ASCII words a Chinese text may hold: units, technologies, datum names.
ALLOWED = {"WGS84", "GCJ", "LTE"}
ENGLISH = re.compile(r"[A-Za-z]{4,}")


def _english(text: str) -> list[str]:
    return [word for word in ENGLISH.findall(text) if word not in ALLOWED]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    runs = {}
    for lang in ("zh", "en"):
        out = tmp_path_factory.mktemp(f"demo_{lang}") / "out"
        args = ["-q", "demo", str(out)] + (["--lang", "en"] if lang == "en" else [])
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        runs[lang] = out / "2025", result.output.strip().splitlines()[0]   # the first period's summary
    return runs


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def _feature_texts(html: str) -> list[str]:
    """Every text in the data a map embeds: its features' properties and the page's settings."""
    decoder, found = json.JSONDecoder(), []
    for match in re.finditer(r'"properties":\s*(?=\{)', html):
        value, _ = decoder.raw_decode(html, match.end())
        found.append(value)
    for match in re.finditer(r"covermapApp\((?:[^,]+,){3}\s*(?=\{)", html):
        value, _ = decoder.raw_decode(html, match.end())
        found.append(value)
    texts = []

    def walk(value):
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(found)
    return texts


def test_chinese_outputs_hold_no_english_sentence(demo):
    folder, summary = demo["zh"]
    found = {}
    for path in sorted(folder.glob("*.csv")):
        table = _csv(folder, path.name)
        for column in table.columns:
            if column in KEY_COLUMNS:
                continue
            for value in table[column].unique():
                if _english(value):
                    found.setdefault(f"{path.name}:{column}", value)
    maps = sorted(folder.glob("map*.html")) + sorted((folder / "townships").glob("*.html"))
    assert len(maps) > 5
    for path in maps:
        html = path.read_text(encoding="utf-8")
        texts = _feature_texts(html)
        assert texts, path.name
        for text in texts:
            # keys and codes (no space, no Chinese: "meets", "road", "#d73027") are not text people read
            if (" " in text.strip() or CJK.search(text)) and _english(text):
                found.setdefault(path.name, text)
    index = (folder / "index.html").read_text(encoding="utf-8")
    body = re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", index, flags=re.S)
    body = re.sub(r"\S+\.html", " ", body)   # file names
    if _english(body):
        found["index.html"] = body
    if _english(summary.replace(str(folder), "")):
        found["summary"] = summary
    found.update(_workbook_english(folder / "问题清单.xlsx"))
    assert not found, found
    assert summary.startswith("171 个村，") and "项不达标" in summary


def _workbook_english(path: Path) -> dict[str, str]:
    """The first English sentence of each sheet of a Chinese workbook ({"book:sheet": cell});
    file names (the caption names the profile and data) and the program's name are none."""
    found = {}
    book = openpyxl.load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                text = re.sub(r"\S+\.\w+|covermap", " ", value) if isinstance(value, str) else ""
                if _english(text):
                    found.setdefault(f"{path.name}:{sheet.title}", value)
    book.close()
    return found


def test_english_reasons_with_lang_en(demo):
    zh, en = (_csv(demo[lang][0], "villages.csv") for lang in ("zh", "en"))
    assert list(zh.columns) == list(en.columns)
    for standard in (*verdicts.STANDARDS, *SAMPLED):
        assert (zh[f"{standard.key}_verdict"] == en[f"{standard.key}_verdict"]).all()   # keys, in both
        reasons = en[f"{standard.key}_reason"]
        # names from the data may be Chinese; the sentence around them is English
        assert reasons.map(lambda r: bool(_english(r))).all(), standard.key
        assert not zh[f"{standard.key}_reason"].map(lambda r: bool(_english(r))).any(), standard.key
    gaps = _csv(demo["en"][0], "gaps.csv")
    assert set(gaps["verdict"]) == {"fails"}
    assert set(gaps["bureau"]) <= {"transport", "water", "health", "telecom", "education", "housing", "power",
                                   "postal"}
    water = en.loc[en["water_verdict"] == "basic", "water_reason"]
    assert water.str.contains(r"which basically meets the standard: ").all()
    assert water.str.contains(r"below 35 \(basic tier 20\)|over 10 min \(basic tier 20 min\)|below 95%").all()
    assert demo["en"][1].startswith("171 villages, ") and "without data" in demo["en"][1]
    html = (demo["en"][0] / "map.html").read_text(encoding="utf-8")
    assert "Villages by failed standards" in html


def test_numbers_as_people_read_them(demo):
    folder = demo["zh"][0]
    villages, gaps = _csv(folder, "villages.csv"), _csv(folder, "gaps.csv")
    for table in (villages, gaps):
        for column in ("population", "poor_population"):
            assert table[column].str.fullmatch(r"\d*").all(), (column, table[column].head())
        assert table["village_code"].str.fullmatch(r"\d{12}").all()
    zh = villages.set_index("village_code")
    # distances whole metres, shares one decimal, limits as the profile gives them
    assert zh["road_reason"].str.contains(r"\d 米").any()
    assert not zh["road_reason"].str.contains(r"\d\.\d+ 米，限值").any()
    assert zh["net4g_reason"].str.contains(r"\d+\.\d% ").all() | zh["net4g_verdict"].isin(["no_data", "fails"]).any()
    water = zh.loc[zh["water_verdict"] == "basic", "water_reason"]
    assert water.str.contains("基本达标：").all()
    clinic = zh.loc[zh["clinic_verdict"] == "fails", "clinic_reason"]
    assert clinic.str.contains("村内没有村卫生室|未达到标准化|合格村医少于").all()


@pytest.mark.parametrize("extra, lang", [({"project": {"lang": "en"}}, "en"), ({"map": {"lang": "en"}}, "en"),
                                         ({}, "zh"), ({"project": {"lang": "zh"}, "map": {"lang": "zh"}}, "zh")])
def test_project_lang_and_its_older_name(extra, lang):
    loaded = _with(extra)
    assert loaded.lang == loaded.map.lang == lang
    assert loaded.in_language("en").lang == loaded.in_language("en").map.lang == "en"
    assert loaded.in_language(None) is loaded


def test_project_lang_and_map_lang_disagreeing_is_an_error():
    with pytest.raises(ConfigError, match="project.lang = 'en' and map.lang = 'zh' disagree"):
        _with({"project": {"lang": "en"}, "map": {"lang": "zh"}})
    with pytest.raises(ConfigError, match="project.lang = 'fr' is not known"):
        _with({"project": {"lang": "fr"}})


def _with(extra: dict):
    """The sample profile with ``extra`` keys added to its tables."""
    data = tomllib.loads(profile_path().read_text(encoding="utf-8"))
    for table, values in extra.items():
        data.setdefault(table, {}).update(values)
    return parse_profile(data, profile_path())


def test_the_maps_words_are_those_of_the_tables():
    """maps/ imports no layers/ (tests/test_imports.py): its words for standards, bureaus and
    verdicts are its own copy, which must read as layers.verdicts' (the workbook's too)."""
    from maps.i18n import texts
    for lang in verdicts.LANGUAGES:
        words = texts(lang)
        for standard in verdicts.STANDARDS:
            assert words[f"standard.{standard.key}"] == verdicts.standard_name(standard.key, lang)
        for bureau in verdicts.BUREAU_NAMES:
            assert words[f"bureau.{bureau}"] == verdicts.bureau_name(bureau, lang)
        for verdict in verdicts.VERDICTS:
            assert words[f"verdict.{verdict}"] == verdicts.word(verdict, lang)


def test_the_cycle_speaks_the_language_too(demo):
    """The demo's second period (the ledger read back), the comparison and the landing page:
    no English sentence in the Chinese outputs; the English ones in English words."""
    root = demo["zh"][0].parent
    keys = KEY_COLUMNS | {"status", "change", "old_verdict", "new_verdict", "settings_changed", "file", "sheet",
                          "old_village_code", "label"}
    found = {}
    for path in [root / "2026" / "ledger.csv", *sorted((root / "changes").glob("*.csv"))]:
        table = _csv(path.parent, path.name)
        for column in set(table.columns) - keys:
            for value in table[column].unique():
                if _english(value):
                    found.setdefault(f"{path.name}:{column}", value)
    for book in (root / "2026" / "问题清单.xlsx", root / "changes" / "变化清单.xlsx"):
        found.update(_workbook_english(book))
    for page in (root / "index.html", root / "changes" / "trend.html"):
        body = re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ",
                      page.read_text(encoding="utf-8"), flags=re.S)
        body = re.sub(r"\S+\.(html|xlsx|csv)|covermap|/\S+", " ", body)
        if _english(body):
            found[page.name] = _english(body)
    assert not found, found
    en = demo["en"][0].parent
    ledger = _csv(en / "2026", "ledger.csv")
    assert "claimed fixed, still failing" in set(ledger["status_text"])
    changes = _csv(en / "changes", "changes.csv")
    assert {"closed", "new", "persisting"} <= set(changes["change_text"])
    assert not CJK.search(" ".join(openpyxl.load_workbook(en / "changes" / "changes_list.xlsx").sheetnames))
