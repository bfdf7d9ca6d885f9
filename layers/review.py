"""The bureaus' filled-in problem list (``layers.ledger.Ledger``) against this run: each
row's status (the table in layers/ledger.py's docstring), the findings people are warned
of, and the entries carried into the new workbook under the same problems."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from layers.ledger import ENTRY_COLUMNS, FILL_IN, Ledger
from layers.standards import ALL
from layers.verdicts import BASIC, BY_KEY, FAILS, MEETS, NO_DATA, T

FALSE_CLOSURE, OVERDUE, NO_MEASURE = "false_closure", "overdue", "no_measure"
UNKNOWN_VILLAGE, UNVERIFIABLE, IN_PROGRESS = "unknown_village", "unverifiable", "in_progress"
CLOSED_UNRECORDED, VERIFIED_CLOSED = "closed_unrecorded", "verified_closed"
STATUSES = (FALSE_CLOSURE, OVERDUE, NO_MEASURE, UNKNOWN_VILLAGE, UNVERIFIABLE, IN_PROGRESS, CLOSED_UNRECORDED,
            VERIFIED_CLOSED)   # the order the 整改核查 sheet lists them in: what needs action first
FINDINGS = (FALSE_CLOSURE, OVERDUE, NO_MEASURE, UNKNOWN_VILLAGE)   # reported as warnings too

STATUS_WORDS = {
    FALSE_CLOSURE: T(zh="账实不符", en="claimed fixed, still failing"),
    OVERDUE: T(zh="逾期", en="overdue"),
    NO_MEASURE: T(zh="未填整改措施", en="no corrective measure"),
    UNKNOWN_VILLAGE: T(zh="村代码不在本期名单", en="village not in this run"),
    UNVERIFIABLE: T(zh="本期无数据，无法核实", en="no data this run, cannot verify"),
    IN_PROGRESS: T(zh="整改中", en="in progress"),
    CLOSED_UNRECORDED: T(zh="已达标，未填实际完成时间", en="meets now, no completion date"),
    VERIFIED_CLOSED: T(zh="已核实销号", en="verified closed"),
}


def status_word(status: str, lang: str) -> str:
    return STATUS_WORDS[status](lang)


def review(ledger: Ledger, villages: pd.DataFrame, as_of: dt.date, max_days: int, lang: str = "zh") -> pd.DataFrame:
    """Every ledger entry with its status against this run's ``villages`` (village_code,
    names, {standard}_verdict, _reason and value columns) on ``as_of``: ``ENTRY_COLUMNS``, the
    extra columns, and village_name, township_code, township_name, verdict, value, reason,
    status, status_text, days_listed; ordered by ``STATUSES``, then village and standard."""
    entries = ledger.entries.copy()
    table = villages.set_index(villages["village_code"].astype(str))
    known = entries["village_code"].isin(table.index).to_numpy()
    codes = entries["village_code"].where(known, None)
    for name in ("village_name", "township_code", "township_name"):
        entries[name] = table[name].reindex(codes).to_numpy() if name in table else None
    verdict = np.full(len(entries), None, dtype=object)
    value = np.full(len(entries), np.nan)
    reason = np.full(len(entries), None, dtype=object)
    for standard in ALL:
        rows = (entries["standard"] == standard.key).to_numpy() & known
        if not rows.any():
            continue
        if f"{standard.key}_verdict" not in table:   # an optional standard this run did not check
            verdict[rows] = NO_DATA
            continue
        picked = table.reindex(entries.loc[rows, "village_code"])
        verdict[rows] = picked[f"{standard.key}_verdict"].fillna(NO_DATA).to_numpy()
        if standard.value_column in picked:
            value[rows] = pd.to_numeric(picked[standard.value_column], errors="coerce").to_numpy(dtype=float)
        reason[rows] = picked[f"{standard.key}_reason"].to_numpy()
    entries["verdict"], entries["value"], entries["reason"] = verdict, value, reason
    listed = pd.to_datetime(entries["first_listed"], errors="coerce")
    entries["days_listed"] = (pd.Timestamp(as_of) - listed).dt.days.astype("Int64")
    completed = entries["completed_date"].notna().to_numpy()
    planned = pd.to_datetime(entries["planned_date"], errors="coerce")
    late = (planned < pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool)
    no_measure = entries["measure"].isna().to_numpy() & \
        (entries["days_listed"].fillna(-1) > max_days).to_numpy(dtype=bool)
    open_now = np.isin(verdict, [FAILS, BASIC])
    status = np.select(
        [~known, verdict == NO_DATA, (verdict == MEETS) & completed, verdict == MEETS,
         open_now & completed, open_now & late, open_now & no_measure],
        [UNKNOWN_VILLAGE, UNVERIFIABLE, VERIFIED_CLOSED, CLOSED_UNRECORDED, FALSE_CLOSURE, OVERDUE, NO_MEASURE],
        default=IN_PROGRESS)
    entries["status"] = status
    entries["status_text"] = [status_word(s, lang) for s in status]
    entries["order"] = entries["status"].map({s: k for k, s in enumerate(STATUSES)})
    entries = entries.sort_values(["order", "village_code", "standard"], kind="stable", ignore_index=True)
    return entries.drop(columns="order")


def counts(reviewed: pd.DataFrame) -> dict[str, int]:
    """Entries per status (every status, zeros too)."""
    n = reviewed["status"].value_counts()
    return {status: int(n.get(status, 0)) for status in STATUSES}


def summary_line(reviewed: pd.DataFrame, lang: str = "zh") -> str:
    """台账核查：账实不符 2、逾期 3、… (the findings always, other statuses where there are some)."""
    n = counts(reviewed)
    shown = [s for s in STATUSES if s in FINDINGS[:3] or n[s]]
    each = T(zh="、", en=", ")(lang).join(f"{status_word(s, lang)} {n[s]}" for s in shown)
    return T(zh="台账核查（{n} 条）：{each}", en="ledger review ({n} rows): {each}").format(lang, n=len(reviewed),
                                                                                     each=each)


def finding_text(row: pd.Series, lang: str = "zh") -> str:
    """One warning line for an entry whose status needs action."""
    name = row.get("village_name") or row["village_code"]
    standard = BY_KEY[row["standard"]].name(lang)
    where = T(zh="{sheet} 第 {row} 行", en="sheet {sheet}, row {row}").format(lang, sheet=row["sheet"], row=row["row"])
    words = {
        FALSE_CLOSURE: T(zh="{name} {standard}：台账填写 {date} 已完成整改，本期仍{verdict}（{reason}）；{where}",
                         en="{name} {standard}: the ledger says fixed on {date}, still {verdict} ({reason}); {where}"),
        OVERDUE: T(zh="{name} {standard}：计划 {date} 完成，已逾期，本期仍{verdict}；{where}",
                   en="{name} {standard}: planned for {date}, overdue, still {verdict}; {where}"),
        NO_MEASURE: T(zh="{name} {standard}：列入清单 {date} 天仍未填写整改措施；{where}",
                      en="{name} {standard}: listed {date} days ago, no corrective measure yet; {where}"),
        UNKNOWN_VILLAGE: T(zh="台账中的村代码 {name}（{standard}）不在本期名单；核对代码是否变更；{where}",
                           en="village code {name} ({standard}) of the ledger is not in this run; check whether "
                              "the code changed; {where}"),
    }
    from layers.verdicts import word

    date = {FALSE_CLOSURE: row["completed_date"], OVERDUE: row["planned_date"]}.get(row["status"], row["days_listed"])
    return words[row["status"]].format(lang, name=name, standard=standard, where=where, date=date,
                                       verdict=word(row["verdict"], lang) if isinstance(row["verdict"], str) else "",
                                       reason=row.get("reason") if isinstance(row.get("reason"), str) else "")


def carried(reviewed: pd.DataFrame, gaps: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The bureau's entries under this run's gap rows (same village and standard), in the
    gaps' order: the fill-in columns, first_listed (this run's date for a new problem) and
    the extra columns."""
    keep = [*FILL_IN, "first_listed", *[c for c in reviewed.columns if c not in _REVIEW_COLUMNS]]
    keyed = _merged(reviewed.set_index(["village_code", "standard"])[keep])
    index = pd.MultiIndex.from_arrays([gaps["village_code"].astype(str), gaps["standard"].astype(str)])
    out = keyed.reindex(index).reset_index(drop=True)
    out["first_listed"] = out["first_listed"].where(out["first_listed"].notna(), as_of)
    return out


def _merged(keyed: pd.DataFrame) -> pd.DataFrame:
    """One entry per problem where villages merged (two old codes, one new): the texts of
    both joined with "；", the earliest planned date and first listing, the completion date
    only when both were completed (the latest)."""
    if not keyed.index.has_duplicates:
        return keyed

    def texts(values: pd.Series):
        found = [str(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        return "；".join(dict.fromkeys(found)) or None

    rules = {name: texts for name in keyed.columns}
    rules.update(planned_date="min", first_listed="min",
                 completed_date=lambda v: v.max() if v.notna().all() else None)
    return keyed.groupby(level=[0, 1], sort=False).agg(rules)


def recode(ledger: Ledger, codes: pd.DataFrame) -> Ledger:
    """The ledger with its villages' codes changed as a code-change table (old_code,
    new_code) says: the period's merges and renames, so that a merged village's problems are
    read under its new code; ``ledger_code`` keeps the code as the bureau wrote it."""
    entries = ledger.entries.assign(ledger_code=ledger.entries["village_code"])
    mapping = codes.drop_duplicates("old_code").set_index("old_code")["new_code"]
    entries["village_code"] = entries["village_code"].map(mapping).fillna(entries["village_code"])
    return Ledger(ledger.paths, entries, ledger.extra)


_REVIEW_COLUMNS = {"ledger_code", *ENTRY_COLUMNS, "village_name", "township_code", "township_name", "verdict", "value", "reason",
                   "status", "status_text", "days_listed"}
