"""The pandera schema of the long table, derived from the form definition, and its failures as issues.

One validation runs over the long table of every unit of the folder at once (``lazy=True``), so every
problem of every file is found in one pass and values can be compared between units (outliers).

The schema is built from :class:`~consolidate.form.Form` only: per-value checks from each row's measures,
one total check per measure from ``form.rules``, over-limit checks from ``form.limits``, outliers from
``form.outlier_threshold`` / ``outlier_min_units``. Nothing here names a row of the form.

How the rules reach pandera: before validation the table gets helper columns (``_parts_<measure>``: the sum
of the filled parts for a total row; ``_median_<measure>``/``_scale_<measure>``: what units of the same type
report), computed with pandas group-bys; every check is then a frame-level check that returns a boolean
*Series* (one flag per table row). A Series rather than a boolean DataFrame because pandera drops NaN cells
from a DataFrame check's failure cases, and a blank total or a blank people cell is exactly what some rules
report. Each check is named ``<issue code>|<measure or limit number>``, which is how a failure case finds
its way back to an :class:`~consolidate.issues.Issue`; the severity is the catalogue's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pandera.pandas as pa

from consolidate.form import NUMERIC_MEASURES, Form
from consolidate.issues import Issue, make
from consolidate.results import TABLE_COLUMNS
from consolidate.text import fold
from consolidate.units import UnitList

# MAD → standard deviation of a normal distribution (form.toml: |x − median| > threshold × 1.4826 × MAD).
MAD_SCALE = 1.4826
# When more than half the units report the same value, MAD is 0 and any other value would be "far"; the
# scale is then never less than one (class, person, đồng) nor a tenth of the median, so 5 units reporting
# 1 ceremony flag a unit reporting 40 but not one reporting 2.
MIN_SCALE = 1.0
MIN_SCALE_OF_MEDIAN = 0.1
MAX_PEERS_NAMED = 10


def number(value: float) -> str:
    """A number the Vietnamese way: 1.200.000 for whole numbers, 2,5 for a fraction."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _parts_text(codes: list[str]) -> str:
    """Part rows in a message: all of them when few, else the first and last ("1.1 … 1.13")."""
    return ", ".join(codes) if len(codes) <= 3 else f"{codes[0]} … {codes[-1]}"


# ------------------------------------------------------------------------------------- helper columns

Unread = frozenset[tuple[str, str, str]]  # (file, indicator, measure) of values the reader could not take


def _prepare(table: pd.DataFrame, form: Form, units: UnitList, unread: Unread = frozenset()) -> pd.DataFrame:
    """A copy of the table (fresh RangeIndex) with the helper columns every check reads."""
    t = table.reset_index(drop=True).copy()
    for col in TABLE_COLUMNS:
        if col in NUMERIC_MEASURES:
            t[col] = t[col].astype("float64")
        else:  # None for blank, whatever string dtype the frame was built with
            t[col] = t[col].astype(object).where(t[col].notna(), None)
    types = {u.code: u.type for u in units}
    t["_type"] = pd.Series([types.get(c) if isinstance(c, str) else None for c in t["unit"]], index=t.index,
                           dtype=object)
    keys = list(zip(t["file"], t["indicator"])) if unread else []
    for m in NUMERIC_MEASURES:
        t[f"_rule_{m}"] = -1
        t[f"_parts_{m}"] = np.nan
        t[f"_unread_{m}"] = [(f, code, m) in unread for f, code in keys] if unread else False
    for i, rule in enumerate(form.rules):
        m = rule.measure
        parts = t[t["indicator"].isin(rule.parts)]
        sums = parts.groupby("file")[m].sum(min_count=1)
        # a part that was written but could not be read (already an error) leaves its total unjudged:
        # comparing the total with the readable parts only would add a second, false error
        unread_files = set(parts.loc[parts[f"_unread_{m}"], "file"])
        at = t["indicator"].eq(rule.total)
        t.loc[at, f"_rule_{m}"] = i
        t.loc[at, f"_parts_{m}"] = t.loc[at, "file"].map(sums).astype("float64")
        t.loc[at & t["file"].isin(unread_files), f"_unread_{m}"] = True
    _peer_columns(t, form)
    return t


def _filled(t: pd.DataFrame, m: str) -> pd.Series:
    """The values with blank totals taken from their parts: what the merge will add up."""
    blank_total = t[m].isna() & t[f"_rule_{m}"].ge(0)
    return t[m].where(~blank_total, t[f"_parts_{m}"])


def _peer_columns(t: pd.DataFrame, form: Form) -> None:
    """Median and robust scale of what units of the same type report, per (type, indicator, measure).

    Vectorised group-bys: a loop over the groups cost ~0.3 s at 1,000 units. Which units were compared
    is only needed for an outlier's message, so :func:`_peers` finds them then."""
    known = t["_type"].notna()
    for m in NUMERIC_MEASURES:
        col = f"_value_{m}"
        t[col] = _filled(t, m)
        t[f"_median_{m}"] = np.nan
        t[f"_scale_{m}"] = np.nan
        # a value that is already an error (negative, not whole) is neither compared nor a yardstick
        rows = t.loc[known & _sound(t[col]), ["_type", "indicator", "unit", col]]
        if rows.empty:
            continue
        keys = [rows["_type"], rows["indicator"]]
        median = rows[col].groupby(keys, sort=False).transform("median")
        mad = (rows[col] - median).abs().groupby(keys, sort=False).transform("median")
        scale = np.maximum(np.maximum(MAD_SCALE * mad, MIN_SCALE), MIN_SCALE_OF_MEDIAN * median.abs())
        enough = rows["unit"].groupby(keys, sort=False).transform("nunique").ge(form.outlier_min_units)
        t.loc[rows.index[enough], f"_median_{m}"] = median[enough].to_numpy()
        t.loc[rows.index[enough], f"_scale_{m}"] = scale[enough].to_numpy()


def _sound(values: pd.Series) -> pd.Series:
    return values.ge(0) & values.eq(np.floor(values))


def _peers(t: pd.DataFrame, i: int, m: str) -> list[str]:
    """The units row i was compared with (its type's units that reported a sound value for the row)."""
    key = (id(t), t.at[i, "_type"], t.at[i, "indicator"], m)
    if key not in _PEERS:
        col = f"_value_{m}"
        same = t["_type"].eq(key[1]) & t["indicator"].eq(key[2]) & _sound(t[col])
        _PEERS[key] = list(dict.fromkeys(t.loc[same, "unit"]))
    return _PEERS[key]


_PEERS: dict[tuple, list[str]] = {}  # (table, type, indicator, measure) → compared units, while validating


# ------------------------------------------------------------------------------------------- checks

Mask = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class RowCheck:
    """One check of the schema: where it fails (a row mask) and which issue it gives."""

    code: str  # issue code (catalogue)
    key: str  # measure, or the limit's number for over-limit
    fails: Mask  # True where the row breaks the rule

    @property
    def name(self) -> str:
        """The pandera check name that carries code and key back from the failure cases."""
        return f"{self.code}|{self.key}"


def _rules(form: Form) -> list[RowCheck]:
    """Every check, derived from the form."""
    rules: list[RowCheck] = []
    has: dict[str, set[str]] = {m: {r.code for r in form.value_rows if m in r.measures}
                                for m in (*NUMERIC_MEASURES, "text")}
    both = has["count"] & has["people"]
    for m in NUMERIC_MEASURES:
        rules += [
            RowCheck("value-negative", m, lambda t, m=m: t[m].lt(0)),
            RowCheck("value-not-whole", m, lambda t, m=m: t[m].notna() & t[m].ne(np.floor(t[m]))),
        ]
    for m in (*NUMERIC_MEASURES, "text"):
        rules.append(RowCheck("value-not-allowed", m, lambda t, m=m: t[m].notna() & ~t["indicator"].isin(has[m])))
    rules.append(RowCheck("duplicate-record", "", lambda t: t.duplicated(["file", "indicator"], keep="first")))
    rules.append(RowCheck("row-unknown", "", lambda t: ~t["indicator"].isin([r.code for r in form.value_rows])))
    for m in sorted({rule.measure for rule in form.rules}, key=NUMERIC_MEASURES.index):
        is_total = lambda t, m=m: t[f"_rule_{m}"].ge(0) & ~t[f"_unread_{m}"]  # noqa: E731
        rules += [
            RowCheck("total-mismatch", m, lambda t, m=m, tot=is_total:
                 tot(t) & t[m].notna() & t[f"_parts_{m}"].notna() & t[m].ne(t[f"_parts_{m}"])),
            RowCheck("total-from-parts", m, lambda t, m=m, tot=is_total:
                 tot(t) & t[m].isna() & t[f"_parts_{m}"].notna()),
            # a total of 0 needs no breakdown: its blank parts add up to it
            RowCheck("total-without-parts", m, lambda t, m=m, tot=is_total:
                 tot(t) & t[m].gt(0) & t[f"_parts_{m}"].isna()),
        ]
    rules += [
        RowCheck("people-less-than-count", "people",
                 lambda t: t["indicator"].isin(both) & t["people"].lt(t["count"])),
        RowCheck("people-missing", "people",
                 lambda t: t["indicator"].isin(both) & t["count"].gt(0) & t["people"].isna()
                 & ~t["_unread_people"]),
    ]
    for i, limit in enumerate(form.limits):
        types = {fold(x) for x in limit.types}
        rules.append(RowCheck("over-limit", str(i), lambda t, limit=limit, types=types: (
            t["indicator"].eq(limit.indicator) & t[limit.measure].gt(limit.max)
            & t["_type"].isin(_types_among(t["_type"], types)))))
    for m in NUMERIC_MEASURES:
        rules.append(RowCheck("outlier", m, lambda t, m=m: t[f"_scale_{m}"].gt(0) & (
            (t[f"_value_{m}"] - t[f"_median_{m}"]).abs() > form.outlier_threshold * t[f"_scale_{m}"])))
    rules.append(RowCheck("no-values", "", _no_values))
    return rules


def _types_among(column: pd.Series, folded: set[str]) -> list[str]:
    """The unit types of the column that fold to one of ``folded`` (each distinct type folded once)."""
    return [x for x in column.dropna().unique() if isinstance(x, str) and fold(x) in folded]


def _no_values(t: pd.DataFrame) -> pd.Series:
    """The first row of each file whose every value is blank."""
    blank = t[[*NUMERIC_MEASURES, "text"]].isna().all(axis=1)
    empty_files = blank.groupby(t["file"]).transform("all")
    return empty_files & ~t["file"].duplicated(keep="first")


def warm_up() -> None:
    """Validate a one-cell frame: pandera imports its backends (~0.2 s) on its first validation, which
    ``check_folder`` would otherwise pay after the files are read rather than while they are read."""
    pa.DataFrameSchema({"x": pa.Column("float64")}, checks=[pa.Check(lambda t: t["x"].ge(0))]).validate(
        pd.DataFrame({"x": [1.0]}))


def build_schema(form: Form) -> tuple[pa.DataFrameSchema, dict[str, RowCheck]]:
    """The schema of the prepared long table, and its rules by check name."""
    rules = _rules(form)
    checks = [pa.Check(lambda t, r=r: ~r.fails(t).fillna(False).astype(bool), name=r.name, ignore_na=False)
              for r in rules]
    numeric = {m: pa.Column("float64", nullable=True) for m in NUMERIC_MEASURES}
    schema = pa.DataFrameSchema(
        {"file": pa.Column(), "indicator": pa.Column(), **numeric,
         "text": pa.Column(nullable=True), "sheet": pa.Column(nullable=True)},
        checks=checks, name=form.name,
    )
    return schema, {r.name: r for r in rules}


# ------------------------------------------------------------------------------------------- issues

def _column_letters(cell: str) -> tuple[str, str]:
    letters = "".join(ch for ch in cell if ch.isalpha())
    return letters, cell[len(letters):]


def _file_rows(t: pd.DataFrame, i: int) -> np.ndarray:
    """Positions of the rows of row i's file (in table order), from per-file positions computed once: a
    filter over the whole table for every issue made validating a province's folder quadratic."""
    held = _FILE_ROWS.get(id(t))
    if held is None or held[0] is not t:
        held = (t, t.groupby("file", sort=False).indices)
        _FILE_ROWS.clear()
        _FILE_ROWS[id(t)] = held
    return held[1][t.at[i, "file"]]


_FILE_ROWS: dict[int, tuple[pd.DataFrame, dict]] = {}  # the prepared table being validated → its files' rows


def _cell(t: pd.DataFrame, i: int, m: str) -> str | None:
    """Where a value is, or would be when it is blank: its row's number, the measure's usual column."""
    col = f"cell_{m}"
    if col not in t.columns:
        return None
    own = t.at[i, col]
    if own:
        return str(own)
    row_no = next((_column_letters(str(t.at[i, c]))[1] for c in ("cell_count", "cell_people", "cell_amount",
                                                              "cell_text", "cell_note") if t.at[i, c]), None)
    mine = t[col].iloc[_file_rows(t, i)]
    same = mine[mine.notna()]
    if row_no is None or same.empty:
        return None
    letter = same.map(lambda c: _column_letters(str(c))[0]).mode().iloc[0]
    return f"{letter}{row_no}"


def _first_cell(t: pd.DataFrame, i: int) -> str | None:
    return next((str(t.at[i, c]) for c in ("cell_count", "cell_people", "cell_amount", "cell_text", "cell_note")
                 if t.at[i, c]), None)


def _filled_parts(t: pd.DataFrame, i: int, form: Form, m: str) -> str:
    rule = form.rules[int(t.at[i, f"_rule_{m}"])]
    mine = _file_rows(t, i)
    codes, values = t["indicator"].iloc[mine].tolist(), t[m].iloc[mine].tolist()
    order = {code: k for k, code in enumerate(rule.parts)}
    filled = sorted((order[c], n) for n, (c, v) in enumerate(zip(codes, values)) if c in order and not math.isnan(v))
    return ", ".join(f"{codes[n]} ({number(values[n])})" for _, n in filled)


def _peers_text(peers: list[str]) -> str:
    named = ", ".join(peers[:MAX_PEERS_NAMED])
    more = len(peers) - MAX_PEERS_NAMED
    return named + (f" và {more} đơn vị khác" if more > 0 else "")


def _issue(rule: RowCheck, t: pd.DataFrame, i: int, form: Form) -> Issue:
    """The issue of one failing row."""
    code, key = rule.code, rule.key
    at = t.loc[i]
    base = {"file": at["file"], "unit": at["unit"] or None, "sheet": at["sheet"] or None, "indicator": at["indicator"]}
    if code == "no-values":  # about the whole file, not a row
        return make(code, file=base["file"], unit=base["unit"], sheet=base["sheet"])
    if code == "duplicate-record":
        return make(code, cell=_first_cell(t, i), **base)
    if code == "row-unknown":
        return make(code, cell=_first_cell(t, i), value=at["indicator"], **base)
    if code == "over-limit":
        limit = form.limits[int(key)]
        m = limit.measure
        return make(code, measure=m, cell=_cell(t, i, m), value=number(at[m]), max=number(limit.max),
                    type=at["_type"], meaning=limit.meaning, **base)
    m = key
    raw = at[m]
    shown = None if raw is None or (isinstance(raw, float) and math.isnan(raw)) else (
        raw if m == "text" else number(raw))
    fields: dict[str, object] = {}
    if code in ("total-mismatch", "total-from-parts", "total-without-parts"):
        rule_def = form.rules[int(at[f"_rule_{m}"])]
        expected = at[f"_parts_{m}"]
        fields = {"meaning": rule_def.meaning,
                  "parts": _parts_text(list(rule_def.parts)) if code == "total-without-parts"
                  else _filled_parts(t, i, form, m),
                  "expected": None if math.isnan(expected) else number(expected)}
    elif code in ("people-less-than-count", "people-missing"):
        fields = {"count": number(at["count"])}
    elif code == "outlier":
        peers = _peers(t, i, m)
        shown = number(at[f"_value_{m}"])
        fields = {"type": at["_type"], "median": number(at[f"_median_{m}"]), "n": len(peers),
                  "units": _peers_text(peers)}
    return _tidy(make(code, measure=m, cell=_cell(t, i, m), value=shown, **fields, **base))


def _tidy(issue: Issue) -> Issue:
    """Drop the empty "ô" of a message when the cell of a blank value cannot be told."""
    if issue.cell:
        return issue
    return replace(issue, message=issue.message.replace(", ô : ", ": "))


_NOT_CHECKED = ("cell_", "note")  # columns no check reads (issues read them from the full table)


def validate(table: pd.DataFrame, form: Form, units: UnitList,
             unread: Unread = frozenset()) -> tuple[pd.DataFrame, list[Issue]]:
    """Validate the long table of all files at once: (the table with blank totals filled, the issues).

    ``unread`` names the values that were written but could not be read (the reader's errors): they are
    not blanks, so no rule judges a total or a people cell by them.

    Issues come sorted by file, then in table order; each carries file, unit, sheet, cell, indicator,
    measure, severity, code, value and its Vietnamese message.
    """
    t = _prepare(table, form, units, unread)
    schema, rules = build_schema(form)
    failures: list[tuple[int, str]] = []
    try:
        # the checks read the values and the helper columns; without the cell addresses
        # pandera's failure cases (every column of every failing row) stay small
        schema.validate(t.drop(columns=[c for c in t.columns if c.startswith(_NOT_CHECKED)]), lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        broken = cases[~cases["check"].isin(list(rules)) | cases["index"].isna()]
        if not broken.empty:
            # a column of the wrong type or a check that crashed is a bug, not a problem of a unit's file
            raise TypeError(f"schema could not run on the long table: {broken.to_dict('records')}")
        for name, index in cases[["check", "index"]].drop_duplicates().itertuples(index=False):
            failures.append((int(index), str(name)))
    order = {r: k for k, r in enumerate(rules)}
    failures.sort(key=lambda f: (str(t.at[f[0], "file"]), f[0], order[f[1]]))
    try:
        issues = [_issue(rules[name], t, i, form) for i, name in failures]
    finally:
        _FILE_ROWS.clear()
        _PEERS.clear()
    out = table.reset_index(drop=True).copy()
    for name, rule in rules.items():
        if rule.code == "total-from-parts":
            m = rule.key
            rows = [i for i, n in failures if n == name]
            out.loc[rows, m] = t.loc[rows, f"_parts_{m}"]
    unknown_rows = [i for i, n in failures if rules[n].code == "row-unknown"]
    out = out.drop(index=unknown_rows).reset_index(drop=True)
    return out[TABLE_COLUMNS], issues
