"""Two runs side by side (issue 20, 动态清零): what closed, what is new, what persists.

Pure steps, no file handling (that is ``layers.changes``): the two runs' village tables
(as villages.csv holds them, codes as text), an optional code-change table and the two
runs' profile settings in; the changes table, its counts and the settings that differ out.

Every village x standard falls in one class, from its verdict in the old run and in the new:

    old \\ new   meets        basic        fails        no_data      not_applic.    (absent)
    meets       unchanged    new          new          data_lost    scope_changed  village_removed
    basic       closed       persisting   worsened     data_lost    scope_changed  village_removed
    fails       closed       improved     persisting   data_lost    scope_changed  village_removed
    no_data     data_gained  data_gained  data_gained  unchanged    scope_changed  village_removed
    not_applic. scope_changed x every verdict          unchanged                   village_removed
    (absent)    village_added x every verdict

A standard switched on or off, or applied to other villages ([apply.<standard>]), is
``scope_changed`` for the villages it came to or ceased to apply to: neither a fix nor a new
problem.

Unchanged pairs are not changes and are left out. A village added or removed between the
runs has a row per standard (each bureau sees it in its own list, with the verdict it has
or had), classed village_added / village_removed.

Codes: a code-change table (old_code, new_code, as the statistics bureau publishes them)
maps each old village's code to its new code before matching. A merge (several old codes to
one new code) compares each old village with the merged village: one row per old village,
its ``old_village_code`` telling them apart. A split (one old code to several new codes)
compares the old village with each of them. Codes absent from the table keep their code;
a mapping is applied once (A->B, B->C does not take A to C). Villages matched by no code are
listed as added or removed, never dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd

from gis.errors import DataError
from layers.standards import ALL, Standard, Standards
from layers.standards import affected as standards_affected
from layers.verdicts import BASIC, FAILS, MEETS, NO_DATA, NOT_APPLICABLE, T, bureau_name, standard_name

CLOSED, NEW, PERSISTING, IMPROVED, WORSENED = "closed", "new", "persisting", "improved", "worsened"
DATA_GAINED, DATA_LOST, UNCHANGED = "data_gained", "data_lost", "unchanged"
VILLAGE_ADDED, VILLAGE_REMOVED, SCOPE_CHANGED = "village_added", "village_removed", "scope_changed"
CHANGES = (CLOSED, NEW, PERSISTING, IMPROVED, WORSENED, DATA_GAINED, DATA_LOST, VILLAGE_ADDED, VILLAGE_REMOVED,
           SCOPE_CHANGED)
OPEN = (FAILS, BASIC)   # an open problem: on a bureau's list until it meets

CHANGE_WORDS = {
    CLOSED: T(zh="已销号", en="closed"),
    NEW: T(zh="新增", en="new"),
    PERSISTING: T(zh="仍未解决", en="persisting"),
    IMPROVED: T(zh="好转", en="improved"),
    WORSENED: T(zh="恶化", en="worsened"),
    DATA_GAINED: T(zh="补齐数据", en="data gained"),
    DATA_LOST: T(zh="数据缺失", en="data lost"),
    VILLAGE_ADDED: T(zh="新增村", en="village added"),
    VILLAGE_REMOVED: T(zh="撤销村", en="village removed"),
    SCOPE_CHANGED: T(zh="适用范围变化", en="scope changed"),
}

_STATES = (MEETS, BASIC, FAILS, NO_DATA, NOT_APPLICABLE, None)   # None: the village is not in that run
_SC = SCOPE_CHANGED
_TRANSITIONS = np.array([
    # new: meets        basic        fails        no_data      not_applicable absent
    [UNCHANGED, NEW, NEW, DATA_LOST, _SC, VILLAGE_REMOVED],                              # old meets
    [CLOSED, PERSISTING, WORSENED, DATA_LOST, _SC, VILLAGE_REMOVED],                     # old basic
    [CLOSED, IMPROVED, PERSISTING, DATA_LOST, _SC, VILLAGE_REMOVED],                     # old fails
    [DATA_GAINED, DATA_GAINED, DATA_GAINED, UNCHANGED, _SC, VILLAGE_REMOVED],            # old no_data
    [_SC, _SC, _SC, _SC, UNCHANGED, VILLAGE_REMOVED],                                    # old not_applicable
    [VILLAGE_ADDED, VILLAGE_ADDED, VILLAGE_ADDED, VILLAGE_ADDED, VILLAGE_ADDED, UNCHANGED],  # old absent
], dtype=object)

CODE = "village_code"
NAMES = ("village_name", "township_code", "township_name")
COLUMNS = ("village_code", "old_village_code", "village_name", "township_code", "township_name", "standard",
           "bureau", "change", "change_text", "old_verdict", "new_verdict", "old_value", "new_value",
           "old_reason", "new_reason", "settings_changed")


def change_word(change: str, lang: str) -> str:
    """The word people read for a change key: ``change_word("closed", "zh") == "已销号"``."""
    return CHANGE_WORDS[change](lang)


def classify(old: Iterable, new: Iterable) -> np.ndarray:
    """The change key of each (old verdict, new verdict) pair; None (or NaN): not in that run."""
    return _TRANSITIONS[_state(old), _state(new)]


def _state(verdicts) -> np.ndarray:
    values = pd.Series(np.asarray(verdicts, dtype=object))
    index = pd.Categorical(values, categories=list(_STATES[:-1])).codes.astype(np.int64)
    unknown = (index < 0) & values.notna().to_numpy()
    if unknown.any():
        raise ValueError(f"not a verdict: {values[unknown].iloc[0]!r}; verdicts are {', '.join(_STATES[:-1])}")
    index[index < 0] = len(_STATES) - 1
    return index


def apply_code_changes(old: pd.DataFrame, codes: pd.DataFrame | None) -> pd.DataFrame:
    """The old villages with ``old_village_code`` (as read) and ``village_code`` mapped to the
    new code by ``codes`` (columns old_code, new_code); a split repeats the old village."""
    old = old.assign(old_village_code=old[CODE])
    if codes is None or codes.empty:
        return old
    mapping = codes[["old_code", "new_code"]].drop_duplicates()
    mapped = old.merge(mapping, how="left", left_on=CODE, right_on="old_code", sort=False)
    mapped[CODE] = mapped["new_code"].where(mapped["new_code"].notna(), mapped[CODE])
    return mapped.drop(columns=["old_code", "new_code"])


def check_villages(table: pd.DataFrame, where: str) -> None:
    """A villages table compare can use: a village_code column, each code once."""
    if CODE not in table:
        raise DataError(f"{where}: has no village_code column; give the villages.csv of a covermap output folder")
    twice = table[CODE][table[CODE].duplicated()]
    if len(twice):
        raise DataError(f"{where}: village {twice.iloc[0]} appears more than once ({len(twice)} repeated codes); "
                        "give the villages.csv of a covermap output folder, as covermap wrote it")


def check_codes(codes: pd.DataFrame, where: str) -> None:
    """A code-change table: columns old_code and new_code, no empty cells."""
    missing = [name for name in ("old_code", "new_code") if name not in codes]
    if missing:
        raise DataError(f"{where}: has no {' or '.join(missing)} column (it has {', '.join(map(str, codes.columns))}); "
                        "a code-change table has one row per changed code with columns old_code,new_code")
    empty = codes[["old_code", "new_code"]].isna().any(axis=1) | \
        (codes[["old_code", "new_code"]].astype(str).apply(lambda c: c.str.strip()) == "").any(axis=1)
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0]) + 2   # the header is line 1
        raise DataError(f"{where}: line {row} has an empty old_code or new_code; fill it in or remove the line")


def compare(old: pd.DataFrame, new: pd.DataFrame, codes: pd.DataFrame | None = None,
            changed_standards: Iterable[str] = (), lang: str = "zh") -> pd.DataFrame:
    """One row per village x standard that changed between the ``old`` and ``new`` village
    tables (columns as villages.csv: village_code, names, {standard}_verdict, _reason and
    the standard's measured column), with the columns of ``COLUMNS``; ``changed_standards``:
    the standard keys whose profile settings differ (``settings_changed`` yes)."""
    check_villages(old, "the old villages")
    check_villages(new, "the new villages")
    check_verdicts(old, "the old villages")
    check_verdicts(new, "the new villages")
    both = _matched(old, new, codes)
    at_old, at_new = both["_old"].to_numpy(), both["_new"].to_numpy()
    both["old_village_code"] = both["old_village_code"].where(both["old_village_code"].notna(), both[CODE])
    for name in NAMES:
        newer, older = _column(new, name, None, at_new), _column(old, name, None, at_old)
        both[name] = newer.where(newer.notna(), older)
    changed_standards = set(changed_standards)
    standards = compared(old, new)
    changes_of = []   # of each standard: each village's change, and which changed
    for standard in standards:
        states = [_states(table, f"{standard.key}_verdict", at) for table, at in ((old, at_old), (new, at_new))]
        change = _TRANSITIONS[states[0], states[1]]
        changes_of.append((change, np.flatnonzero(change != UNCHANGED)))
    # the rows in the order of village_code and old_village_code (stable: then standard, then
    # row), the matched villages' order worked out once (490k rows, not 1.4 million)
    by_code = both[[CODE, "old_village_code"]].sort_values([CODE, "old_village_code"], kind="stable")
    same = (by_code[CODE].to_numpy()[1:] == by_code[CODE].to_numpy()[:-1]) & \
        (by_code["old_village_code"].to_numpy()[1:] == by_code["old_village_code"].to_numpy()[:-1])
    rank = np.empty(len(both), dtype=np.int64)
    rank[by_code.index.to_numpy()] = np.cumsum(np.r_[0, ~same])
    row = np.concatenate([rows for _, rows in changes_of])
    kind = np.repeat(np.arange(len(standards)), [len(rows) for _, rows in changes_of])
    order = np.lexsort((row, kind, rank[row]))

    def column(piece) -> pd.Series:
        """A column made a standard at a time (``piece(k, standard, rows)``: its changed
        rows' cells) and put in order; one column at a time, so that the standards' pieces
        and the whole are never all held at once (490k villages: 2.3 -> 1.6 GB)."""
        pieces = [piece(k, standard, rows) for k, (standard, (_, rows)) in enumerate(zip(standards, changes_of))]
        return pd.concat(pieces, ignore_index=True).take(order).reset_index(drop=True)

    def constant(value):
        return lambda k, standard, rows: pd.Series(value(standard), index=range(len(rows)))

    out = {name: column(lambda k, standard, rows, name=name: both[name].iloc[rows].reset_index(drop=True))
           for name in (CODE, "old_village_code", *NAMES)}
    out["standard"] = column(constant(lambda standard: standard.key))
    out["bureau"] = column(constant(lambda standard: standard.bureau))
    out["change"] = column(lambda k, standard, rows: pd.Series(changes_of[k][0][rows]))
    out["change_text"] = out["change"].map({key: change_word(key, lang) for key in CHANGES})
    for side, table, at in (("old", old, at_old), ("new", new, at_new)):
        out[f"{side}_verdict"] = column(lambda k, standard, rows, table=table, at=at: _column(
            table, f"{standard.key}_verdict", NO_DATA, at[rows], missing=NO_DATA))
        out[f"{side}_value"] = column(lambda k, standard, rows, table=table, at=at: _column(
            table, standard.value_column, np.nan, at[rows]))
    for side, table, at in (("old", old, at_old), ("new", new, at_new)):
        out[f"{side}_reason"] = column(lambda k, standard, rows, table=table, at=at: _column(
            table, f"{standard.key}_reason", "", at[rows]))
    out["settings_changed"] = column(constant(lambda standard: "yes" if standard.key in changed_standards
                                              else "no"))
    return pd.DataFrame({name: out.pop(name) for name in COLUMNS})


def _states(table: pd.DataFrame, name: str, at: np.ndarray) -> np.ndarray:
    """``_state`` of column ``name`` (NO_DATA where empty or where the table has none) at
    rows ``at`` (-1: absent)."""
    if name not in table:
        known = np.full(len(table), _STATES.index(NO_DATA), dtype=np.int64)
    else:
        column = table[name].where(table[name].notna(), NO_DATA)
        known = pd.Categorical(column, categories=list(_STATES[:-1])).codes.astype(np.int64)
        if (known < 0).any():
            raise ValueError(f"not a verdict: {column[known < 0].iloc[0]!r}; verdicts are {', '.join(_STATES[:-1])}")
    return np.append(known, len(_STATES) - 1)[at]   # -1: the last, absent


def _matched(old: pd.DataFrame, new: pd.DataFrame, codes: pd.DataFrame | None) -> pd.DataFrame:
    """The old and new villages matched by code (the old ones' mapped by ``codes`` as
    ``apply_code_changes`` maps them), as an outer merge on village_code: the code,
    old_village_code and each side's row (``_old``, ``_new``; -1: not in that run). Only
    the codes are merged; the other columns are taken by row (490k villages: the wide merge
    of both runs' 40 columns took 2.8 GB)."""
    left = apply_code_changes(pd.DataFrame({CODE: old[CODE], "_old": np.arange(len(old))}), codes)
    right = pd.DataFrame({CODE: new[CODE], "_new": np.arange(len(new))})
    both = left.merge(right, how="outer", on=CODE, sort=False)
    for side in ("_old", "_new"):
        both[side] = both[side].fillna(-1).astype(np.int64)
    return both


def _column(table: pd.DataFrame, name: str, default, at: np.ndarray, missing=None, keep=None) -> pd.Series:
    """Column ``name`` of ``table`` (``default`` in every row when it has none; ``missing``
    in its empty cells) at rows ``at``, missing where ``at`` is -1, as an outer merge fills
    a column (numbers become floats where there are missing rows); of those, the rows
    ``keep`` (a mask)."""
    if name in table:
        column = table[name]
        if missing is not None:
            column = column.where(column.notna(), missing)
    else:
        column = pd.Series([default] * len(table)) if default is None else pd.Series(default, index=table.index)
    if keep is not None and isinstance(column.dtype, pd.StringDtype):   # text stays text: only the kept taken
        return pd.Series(pd.api.extensions.take(column.array, at[keep], allow_fill=True), name=name)
    taken = pd.Series(pd.api.extensions.take(column.array, at, allow_fill=True), name=name)
    return taken if keep is None else taken[keep].reset_index(drop=True)


def compared(old: pd.DataFrame, new: pd.DataFrame) -> tuple[Standard, ...]:
    """The standards compared: the five, and the optional ones either run checked (layers/standards)."""
    return tuple(s for s in ALL if s.plugin is None or f"{s.key}_verdict" in old or f"{s.key}_verdict" in new)


def bureaus_in(changes: pd.DataFrame) -> list[str]:
    """The bureaus counted: the five standards', then those of the optional standards with a row."""
    standards = set(changes["standard"].astype(str).unique())   # not each of 1.4 million cells in Python
    return list(dict.fromkeys(s.bureau for s in ALL if s.plugin is None or s.key in standards))


def check_verdicts(table: pd.DataFrame, where: str) -> None:
    """Every {standard}_verdict cell a verdict key."""
    for standard in ALL:
        column = f"{standard.key}_verdict"
        if column not in table:
            continue
        bad = table[column].notna() & ~table[column].isin(_STATES[:-1])
        if bad.any():
            first = np.flatnonzero(bad.to_numpy())[0]
            raise DataError(f"{where}: column {column} of village {table[CODE].iloc[first]} holds "
                            f"{table[column].iloc[first]!r}, not one of {', '.join(_STATES[:-1])}; give the "
                            "villages.csv of a covermap output folder, as covermap wrote it")


# -- counts --------------------------------------------------------------------------------

def counts(changes: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rows per bureau and change key: {"transport": {"closed": 3, ...}, ...} (every key, zeros too)."""
    table = pd.crosstab(changes["bureau"], changes["change"]).reindex(
        index=bureaus_in(changes), columns=list(CHANGES), fill_value=0)
    return {bureau: {key: int(n) for key, n in row.items()} for bureau, row in table.iterrows()}


def summary(changes: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Rows per bureau x township x change: the counts summary.csv holds."""
    keys = ["bureau", "township_code", "township_name", "change"]
    table = (changes.groupby(keys, dropna=False, sort=False).size().rename("villages").reset_index())
    bureaus = bureaus_in(changes)
    table["order"] = table["change"].map({key: i for i, key in enumerate(CHANGES)})
    table["rank"] = table["bureau"].map({key: i for i, key in enumerate(bureaus)})
    table = table.sort_values(["rank", "township_code", "order"], kind="stable", ignore_index=True)
    table.insert(1, "bureau_name", table["bureau"].map(lambda key: bureau_name(key, lang)))
    table.insert(5, "change_text", table["change"].map(lambda key: change_word(key, lang)))
    return table.drop(columns=["order", "rank"])


def open_change(changes: pd.DataFrame) -> pd.Series:
    """Per bureau, open problems (fails or basic) in the new run minus those in the old,
    from the changes table alone (unchanged pairs never open or close a problem)."""
    opened = changes["new_verdict"].isin(OPEN).astype(int) - changes["old_verdict"].isin(OPEN).astype(int)
    bureaus = bureaus_in(changes)
    return opened.groupby(changes["bureau"]).sum().reindex(bureaus, fill_value=0).astype(int)


def summary_line(changes: pd.DataFrame, outdir: object, lang: str = "zh") -> str:
    """The line ``covermap compare`` prints: the count of each change (closed, new and
    persisting always, the others where there are some) and CHANGES_DIR."""
    n = changes["change"].value_counts()
    shown = [key for key in CHANGES if key in (CLOSED, NEW, PERSISTING) or n.get(key, 0)]
    each = T(zh="、", en=", ")(lang).join(f"{change_word(key, lang)} {int(n.get(key, 0))}" for key in shown)
    return T(zh="{each}；输出在 {outdir}", en="{each}; outputs in {outdir}").format(lang, each=each, outdir=outdir)


# -- profile settings ----------------------------------------------------------------------

_DEFAULTS = {f"standards.{key}": value for key, value in
             pd.json_normalize(dataclasses.asdict(Standards()), sep=".").iloc[0].items()}


_PER_PERIOD = {"project.as_of"}


def flatten(settings: dict, prefix: str = "") -> dict[str, object]:
    """Nested tables as dotted keys: {"standards": {"roads": {"max_distance_m": 500}}} ->
    {"standards.roads.max_distance_m": 500}."""
    out = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def settings_differences(old: dict, new: dict) -> list[dict]:
    """The profile settings that differ between two runs, as {"key", "old", "new",
    "standards"}: a key set in one run only compares with its default (standards.*) or
    None; "standards" names the standards whose verdicts the key decides."""
    old, new = flatten(old), flatten(new)
    out = []
    for key in sorted(set(old) | set(new)):
        if key in _PER_PERIOD or key.startswith("ledger."):   # differ from one period to the next by design
            continue
        before, after = old.get(key, _DEFAULTS.get(key)), new.get(key, _DEFAULTS.get(key))
        if before != after:
            out.append({"key": key, "old": before, "new": after, "standards": list(affected(key))})
    return out


def affected(key: str) -> tuple[str, ...]:
    """The standard keys a profile key decides: ``affected("standards.roads.max_distance_m") == ("road",)``."""
    if key.startswith("apply."):   # [apply.<standard>]: its scope
        return (key.split(".")[1],)
    return standards_affected(key) if key.startswith("standards.") else ()


def difference_text(difference: dict, lang: str = "zh") -> str:
    """One warning line for a settings difference."""
    if difference["standards"]:
        names = T(zh="、", en=", ")(lang).join(standard_name(key, lang) for key in difference["standards"])
        return T(zh="两次运行的设置不同：{key} 旧 {old}，新 {new}；{names}的“已销号”可能来自限值改变而非整改",
                 en="the runs' settings differ: {key} was {old}, is {new}; a 'closed' {names} gap may come "
                    "from the changed limit, not from a fix").format(lang, key=difference["key"], old=difference["old"],
                                                                      new=difference["new"], names=names)
    return T(zh="两次运行的设置不同：{key} 旧 {old}，新 {new}", en="the runs' settings differ: {key} was {old}, is {new}") \
        .format(lang, key=difference["key"], old=difference["old"], new=difference["new"])
