"""住房安全 (housing bureau, 住建局): no dangerous house left unrenovated (危房清零).

From the household housing ledger (农村住房安全鉴定台账): one row a household, naming its
village by code (or a point, counted for the village it lies in), with its appraisal grade (鉴定等级 A safe, B basically safe, C partly
dangerous, D dangerous) and whether it has been renovated (改造). A village meets when no
household of a dangerous grade (``dangerous_grades``, C and D) remains unrenovated; it
fails when one does, and the reason says how many of which grade; ``no_data`` when a
dangerous household's renovation or a household's grade is not recorded (and none is known
to fail), and for a village the ledger does not list (``not_listed``: "no_data", or "meets"
where the ledger lists every appraised household). Household rows are never drawn on a map:
the village's counts are what the outputs show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis import values
from layers.canonical import _report_cells
from layers.checks import row_examples, where
from layers.grades import FAILS, MEETS, NO_DATA, Grades, joined, text_column
from layers.standards import HOUSEHOLDS, TABLE, Bureau, Input, Plugin, Standard
from layers.text import T

BUREAU = Bureau("housing", T(zh="住房和城乡建设局", en="Housing and construction bureau"), T(zh="住建局", en="Housing"))

GRADES = ("A", "B", "C", "D")
RENOVATED_DEFAULT = ("是", "已改造", "改造完成", "已竣工", "已验收", "已完成", "yes", "true", "1", "done")
NOT_RENOVATED_DEFAULT = ("否", "未改造", "改造中", "在建", "未开工", "no", "false", "0")


@dataclass(frozen=True)
class HousingRules:
    """[standards.housing]."""

    dangerous_grades: tuple[str, ...] = ("C", "D")
    not_listed: str = field(default="no_data", metadata={"choices": ("no_data", "meets")})
    renovated_values: tuple[str, ...] = RENOVATED_DEFAULT
    not_renovated_values: tuple[str, ...] = NOT_RENOVATED_DEFAULT


def check(rules: HousingRules) -> str | None:
    odd = [grade for grade in rules.dangerous_grades if grade not in GRADES]
    if odd or not rules.dangerous_grades:
        return (f"standards.housing.dangerous_grades = {list(rules.dangerous_grades)!r}: give grades among "
                f"{', '.join(GRADES)} (鉴定等级), e.g. [\"C\", \"D\"]")
    both = {w.strip().lower() for w in rules.renovated_values} & {w.strip().lower() for w in rules.not_renovated_values}
    if both:
        return (f"standards.housing: {sorted(both)[0]!r} is in both renovated_values and not_renovated_values; "
                "keep it in one of them")
    return None


def prepare(frame: pd.DataFrame, source, findings, rules: HousingRules) -> pd.DataFrame:
    """``grade`` (A-D, NA unrecorded) and ``renovated`` (boolean, NA unrecorded) of each
    household; cells that are neither are reported once per column and treated as unrecorded."""
    missing = frame["code"].isna().to_numpy()
    if missing.any() and "code" in source.columns:   # points in no village: reported where they were located
        rows = np.flatnonzero(missing) + 1
        findings.warn(f"column {source.columns['code']!r} has no village code in {row_examples(rows)}; those "
                      "households count for no village", fix="fill in each household's 12-digit village code",
                      row=int(rows[0]), column=source.columns["code"], check="missing_code", **where(source))
    text = values.words(frame["grade"]).str.upper().str.replace("级", "", regex=False).str.strip()
    text = text.str.translate(str.maketrans("ＡＢＣＤ", "ABCD"))
    grade = text.where(text.isin(GRADES))
    bad = (grade.isna() & text.notna()).to_numpy(dtype=bool)
    if bad.any():
        _report_cells(frame["grade"], bad, "grade", source, findings, None, "not an appraisal grade (A, B, C or D)")
    out = pd.DataFrame({"code": frame["code"], "grade": grade.astype(object)})
    out["renovated"] = pd.array([pd.NA] * len(frame), dtype="boolean")
    if "renovated" in frame:
        word = values.words(frame["renovated"]).str.strip().str.lower()
        yes = {w.strip().lower() for w in rules.renovated_values}
        no = {w.strip().lower() for w in rules.not_renovated_values}
        out.loc[word.isin(yes).fillna(False).to_numpy(dtype=bool), "renovated"] = True
        out.loc[word.isin(no).fillna(False).to_numpy(dtype=bool), "renovated"] = False
        bad = (out["renovated"].isna() & word.notna()).to_numpy(dtype=bool)
        if bad.any():
            _report_cells(frame["renovated"], bad, "renovated", source, findings, None,
                          f"not a renovation status ({'、'.join(rules.renovated_values[:3])} or "
                          f"{'、'.join(rules.not_renovated_values[:3])})")
    return out


NO_LEDGER = T(zh="配置中没有农村住房安全鉴定台账", en="no household housing ledger in the profile")
NOT_LISTED = T(zh="住房安全鉴定台账中没有本村的农户", en="the housing ledger lists no household of this village")
NOT_LISTED_MEETS = T(zh="住房安全鉴定台账中没有本村的农户，视为无危房",
                     en="the housing ledger lists no household of this village: no dangerous house")
UNSAFE = T(zh="仍有 {n} 户危房未改造（{grades}）", en="{n} dangerous houses not renovated ({grades})")
GRADE_COUNT = T(zh="{grade}级 {n} 户", en="grade {grade}: {n}")
UNKNOWN_RENOVATION = T(zh="{n} 户危房（{grades}）未填改造情况；请在台账中补录",
                       en="{n} dangerous houses ({grades}) without a renovation status; record it in the ledger")
UNKNOWN_GRADE = T(zh="{n} 户未填鉴定等级；请在台账中补录", en="{n} households without an appraisal grade; record it")
SAFE = T(zh="台账 {n} 户，无未改造的危房{done}", en="{n} households in the ledger, no dangerous house unrenovated{done}")
DONE = T(zh="（已改造 {n} 户）", en=" ({n} renovated)")


def counts(ledger: pd.DataFrame, codes: pd.Series, rules: HousingRules) -> pd.DataFrame:
    """Per village (aligned to ``codes``): households listed, dangerous ones unrenovated
    (and per grade), renovated, of unknown renovation, of unknown grade."""
    dangerous = ledger["grade"].isin(rules.dangerous_grades).to_numpy(dtype=bool)
    renovated = ledger["renovated"]
    kinds = {"listed": np.ones(len(ledger), dtype=bool),
             "unsafe": dangerous & (renovated == False).fillna(False).to_numpy(dtype=bool),   # noqa: E712
             "done": dangerous & renovated.fillna(False).to_numpy(dtype=bool),
             "unknown": dangerous & renovated.isna().to_numpy(),
             "ungraded": ledger["grade"].isna().to_numpy()}
    kinds.update({f"unsafe_{grade}": kinds["unsafe"] & (ledger["grade"] == grade).to_numpy(dtype=bool)
                  for grade in rules.dangerous_grades})
    kinds.update({f"unknown_{grade}": kinds["unknown"] & (ledger["grade"] == grade).to_numpy(dtype=bool)
                  for grade in rules.dangerous_grades})
    table = pd.DataFrame(kinds).astype(np.int64).groupby(ledger["code"].to_numpy(dtype=object)).sum()
    return table.reindex(codes.to_numpy(dtype=object)).reset_index(drop=True)


def _by_grade(found: pd.DataFrame, kind: str, rules: HousingRules, lang: str) -> np.ndarray:
    """"D级 2 户、C级 1 户": the grades of ``kind`` households, the worst first, per village."""
    sep = T(zh="、", en="; ")(lang)
    worst_first = sorted(rules.dangerous_grades, reverse=True)
    pieces = [text_column(GRADE_COUNT, lang, found[f"{kind}_{grade}"].to_numpy() > 0, grade=grade,
                          n=found[f"{kind}_{grade}"].to_numpy()) for grade in worst_first]
    return joined(pieces, sep)


def assess(inputs, rules: HousingRules, lang: str) -> pd.DataFrame:
    """housing_households, housing_unsafe_households, housing_verdict, housing_reason (in
    ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    ledger = inputs.extra.get("housing")
    grades = Grades(n, lang, NO_LEDGER)
    if ledger is None:
        return grades.frame("housing", index, housing_households=np.full(n, np.nan),
                            housing_unsafe_households=np.full(n, np.nan))
    found = counts(ledger, inputs.villages["code"], rules)
    listed = found["listed"].notna().to_numpy()
    found = found.fillna(0).astype(np.int64)
    unsafe, unknown, ungraded = (found[k].to_numpy() for k in ("unsafe", "unknown", "ungraded"))
    grades.rule(unsafe > 0, FAILS, UNSAFE, n=unsafe, grades=_by_grade(found, "unsafe", rules, lang))
    grades.rule(unknown > 0, NO_DATA, UNKNOWN_RENOVATION, n=unknown, grades=_by_grade(found, "unknown", rules, lang))
    grades.rule(ungraded > 0, NO_DATA, UNKNOWN_GRADE, n=ungraded)
    grades.rule(~listed, MEETS if rules.not_listed == "meets" else NO_DATA,
                NOT_LISTED_MEETS if rules.not_listed == "meets" else NOT_LISTED)
    done = found["done"].to_numpy()
    grades.rule(np.ones(n, dtype=bool), MEETS, SAFE, n=found["listed"].to_numpy(),
                done=text_column(DONE, lang, done > 0, n=done))
    shown = np.where(listed, unsafe, np.nan)
    return grades.frame("housing", index, housing_households=np.where(listed, found["listed"].to_numpy(), np.nan),
                        housing_unsafe_households=shown)


REQUIRED = T(zh="{grades}级危房全部改造（0 户未改造）", en="every dangerous house (grade {grades}) renovated: 0 left")


def requirement(rules: HousingRules, lang: str) -> str:
    return REQUIRED.format(lang, grades="/".join(rules.dangerous_grades))


PLUGIN = Plugin(
    section="housing", rules=HousingRules, check=check, assess=assess,
    inputs=(Input("housing", TABLE, required=("grade",), optional=("code", "renovated"), prepare=prepare,
                  drawn=False),),
    popup={"housing_unsafe_households": T(zh="未改造危房（户）", en="dangerous houses not renovated")},
)

STANDARD = Standard("housing", BUREAU.key, "Safe housing", "housing_unsafe_households",
                    T(zh="住房安全", en="Safe housing"), unit=HOUSEHOLDS, settings=("standards.housing.",),
                    requirement=requirement, plugin=PLUGIN)
