"""The pandera schema of the long table, derived from the form definition, and its failures as issues.

One validation runs over the long table of every unit of the folder at once (``lazy=True``), so every
problem of every file is found in one pass and values can be compared between units (outliers).

The schema is built from :class:`~consolidate.form.Form` only: per-value checks from each row's measures,
one total check per measure from ``form.rules``, over-limit checks from ``form.limits``, outliers from
``form.outlier_threshold`` / ``outlier_min_units``. Nothing here names a row of the form.

How the rules reach pandera: before validation the table gets helper columns (``_parts_<measure>``: the sum
of the filled parts for a total row; ``_median_<measure>``/``_scale_<measure>``: what units of the same type
report), computed with pandas group-bys over integer codes (``file``, ``indicator`` and the unit's ``_type``
become categoricals, factorized once); every check is then a frame-level check that returns a boolean
*Series* (one flag per table row). A Series rather than a boolean DataFrame because pandera drops NaN cells
from a DataFrame check's failure cases, and a blank total or a blank people cell is exactly what some rules
report. Each check is named ``<issue code>|<measure or limit number>``, which is how a failure case finds
its way back to an :class:`~consolidate.issues.Issue`; the severity is the catalogue's. What an issue says
beyond its own row (the cell of a blank value, the filled parts of a total, the units an outlier was compared
with) is looked up for all failing rows at once, one pass over the table per measure or rule.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa


def _import_checks_without_strategies() -> None:
    """Import pandera's built-in checks as if hypothesis were not installed.

    On its first validation pandera imports its data-synthesis strategies, which import hypothesis when it
    is there (0.1 s, a quarter of pandera's own import); nothing here synthesises data. A module set to
    None in ``sys.modules`` makes ``import`` raise ImportError, which pandera takes for "not installed";
    the entry is removed again, so hypothesis stays importable. When it is already imported (the test
    run), pandera simply uses it."""
    hide = "hypothesis" not in sys.modules
    if hide:
        sys.modules["hypothesis"] = None  # type: ignore[assignment]
    try:
        import pandera.backends.pandas.builtin_checks  # noqa: F401
    finally:
        if hide:
            del sys.modules["hypothesis"]


_import_checks_without_strategies()

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


def _hit(codes: np.ndarray, wanted: np.ndarray, size: int) -> np.ndarray:
    """Per row: is its code (below ``size``) one of ``wanted``; a blank (-1) never is."""
    hit = np.zeros(size + 1, dtype=bool)  # the last slot answers for code -1
    hit[wanted[wanted >= 0]] = True
    return hit[codes]


def _among(codes: np.ndarray, categories: pd.Index, values: Iterable[object]) -> np.ndarray:
    """Per row: is its category (``codes`` into ``categories``) one of ``values``."""
    return _hit(codes, categories.get_indexer(list(values)), len(categories))


def _factorize_runs(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize`` of a column whose equal values come in runs (a file's rows, its unit): only the
    first value of each run is hashed, 7× faster at 370,000 rows, the same codes and uniques."""
    values = column.to_numpy(dtype=object)
    new_run = np.ones(len(values), dtype=bool)
    try:
        np.not_equal(values[1:], values[:-1], out=new_run[1:])
    except TypeError:  # pd.NA cannot be compared
        return pd.factorize(column)
    starts = np.flatnonzero(new_run)
    codes, uniques = pd.factorize(values[starts])
    return np.repeat(codes, np.diff(np.append(starts, len(values)))), pd.Index(uniques, dtype=object)


def _codes(column: pd.Series) -> np.ndarray:
    """The codes of a categorical column of the prepared table, wide enough for keys built from them."""
    return column.cat.codes.to_numpy().astype(np.int64)


def _groups(t: pd.DataFrame) -> np.ndarray:
    """A number per (unit type, indicator) of each row, -1 where the type is unknown."""
    types, indicators = _codes(t["_type"]), _codes(t["indicator"])
    width = len(t["indicator"].cat.categories) + 1
    return np.where((types >= 0) & (indicators >= 0), types * width + indicators, -1)


def _prepare(table: pd.DataFrame, form: Form, units: UnitList, unread: Unread = frozenset()) -> pd.DataFrame:
    """The table (fresh RangeIndex) with the helper columns every check reads.

    ``file``, ``indicator`` and ``_type`` become categoricals: factorized once here, their codes serve every
    group-by and lookup below and in the issues (hashing the strings of every row again for each of them
    cost more than the checks). Blank strings stay as they come (None or NaN): the checks only ask whether a
    string is there, and the issues read their rows through :func:`_rows`."""
    t = table.reset_index(drop=True)  # copy-on-write: the columns set here leave the caller's table as it is
    n = len(t)
    for m in NUMERIC_MEASURES:
        t[m] = t[m].astype("float64")
    file_codes, files = _factorize_runs(t["file"])
    ind_codes, indicators = pd.factorize(t["indicator"])
    unit_codes, unit_values = _factorize_runs(t["unit"])
    types = {u.code: u.type for u in units}
    unit_types, type_values = pd.factorize(pd.Series(
        [types.get(u) if isinstance(u, str) else None for u in unit_values], dtype=object))
    t["file"] = pd.Categorical.from_codes(file_codes, categories=files)
    t["indicator"] = pd.Categorical.from_codes(ind_codes, categories=indicators)
    t["_type"] = pd.Categorical.from_codes(np.append(unit_types, -1)[unit_codes], categories=type_values)
    unread_at = {m: np.zeros(n, dtype=bool) for m in NUMERIC_MEASURES}
    if unread:
        width = len(indicators) + 1
        pairs = file_codes * width + ind_codes
        for m in NUMERIC_MEASURES:
            wanted = [(f, code) for f, code, measure in unread if measure == m]
            at_file = files.get_indexer([f for f, _ in wanted])
            at_code = indicators.get_indexer([code for _, code in wanted])
            known = (at_file >= 0) & (at_code >= 0)
            unread_at[m] = np.isin(pairs, at_file[known] * width + at_code[known])
    rule_at = {m: np.full(n, -1) for m in NUMERIC_MEASURES}
    parts_at = {m: np.full(n, np.nan) for m in NUMERIC_MEASURES}
    for i, rule in enumerate(form.rules):
        m = rule.measure
        part = _among(ind_codes, indicators, rule.parts)
        sums = pd.Series(t[m].to_numpy()[part]).groupby(file_codes[part]).sum(min_count=1)
        per_file = np.full(len(files) + 1, np.nan)
        per_file[sums.index.to_numpy(dtype=np.int64)] = sums.to_numpy()
        # a part that was written but could not be read (already an error) leaves its total unjudged:
        # comparing the total with the readable parts only would add a second, false error
        unread_file = np.zeros(len(files) + 1, dtype=bool)
        unread_file[file_codes[part & unread_at[m]]] = True
        at = _among(ind_codes, indicators, [rule.total])
        rule_at[m][at] = i
        parts_at[m][at] = per_file[file_codes[at]]
        unread_at[m] |= at & unread_file[file_codes]
    helpers: dict[str, np.ndarray] = {}
    for m in NUMERIC_MEASURES:
        helpers |= {f"_rule_{m}": rule_at[m], f"_parts_{m}": parts_at[m], f"_unread_{m}": unread_at[m]}
    _peer_columns(t, form, unit_codes, helpers)
    # one frame of the helper arrays as they are: setting them column by column copied each of them
    return pd.concat([t, pd.DataFrame(helpers, copy=False)], axis=1)


def _filled(values: np.ndarray, rule: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """The values with blank totals (``rule`` ≥ 0) taken from their parts: what the merge will add up."""
    return np.where(np.isnan(values) & (rule >= 0), parts, values)


def _peer_columns(t: pd.DataFrame, form: Form, unit_codes: np.ndarray, helpers: dict[str, np.ndarray]) -> None:
    """Add to ``helpers`` the median and robust scale of what units of the same type report, per (type,
    indicator, measure).

    Vectorised group-bys over integer keys: a loop over the groups cost ~0.3 s at 1,000 units, grouping by
    the strings again for each measure most of the rest. Which units were compared is only needed for an
    outlier's message, so :func:`_peers` finds them then."""
    group = _groups(t)
    for m in NUMERIC_MEASURES:
        value = _filled(t[m].to_numpy(), helpers[f"_rule_{m}"], helpers[f"_parts_{m}"])
        median_at = np.full(len(t), np.nan)
        scale_at = np.full(len(t), np.nan)
        # a value that is already an error (negative, not whole) is neither compared nor a yardstick
        rows = np.flatnonzero((group >= 0) & _sound(value))
        if rows.size:
            keys = group[rows]
            values = pd.Series(value[rows])
            median = values.groupby(keys, sort=False).transform("median")
            mad = (values - median).abs().groupby(keys, sort=False).transform("median")
            scale = np.maximum(np.maximum(MAD_SCALE * mad, MIN_SCALE), MIN_SCALE_OF_MEDIAN * median.abs())
            # units per group: each (group, unit) pair counted once (transform("nunique") is 2–3× slower)
            width = unit_codes.max() + 1
            units_of = np.bincount(pd.unique(keys * width + unit_codes[rows]) // width)
            enough = units_of[keys] >= form.outlier_min_units
            median_at[rows[enough]] = median.to_numpy()[enough]
            scale_at[rows[enough]] = scale.to_numpy()[enough]
        helpers |= {f"_value_{m}": value, f"_median_{m}": median_at, f"_scale_{m}": scale_at}


def _sound(values: np.ndarray) -> np.ndarray:
    return (values >= 0) & (values == np.floor(values))


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
    written = t["text"].notna()
    for m in NUMERIC_MEASURES:
        written |= t[m].notna()
    empty_files = ~t["file"].isin(t.loc[written, "file"].unique())
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

_CELLS = ("cell_count", "cell_people", "cell_amount", "cell_text", "cell_note")
# string columns whose blanks the issues read as None, however the table wrote them
_STRINGS = ("file", "unit", "indicator", "text", "note", "sheet", "_type", *_CELLS)
Row = dict[str, Any]  # one row of the prepared table, column → Python value


def _column_letters(cell: str) -> tuple[str, str]:
    letters = "".join(ch for ch in cell if ch.isalpha())
    return letters, cell[len(letters):]


def _rows(t: pd.DataFrame, positions: list[int]) -> dict[int, Row]:
    """The failing rows, taken from the table column by column in one go (a ``.loc`` per issue cost
    45 µs at 10,000 files, ``to_dict`` 2.5 times what this does)."""
    picked = t.iloc[positions]
    columns = {c: picked[c].tolist() for c in picked.columns}
    for c in _STRINGS:
        columns[c] = [None if blank else v for v, blank in zip(columns[c], picked[c].isna().tolist())]
    return dict(zip(positions, (dict(zip(columns, values)) for values in zip(*columns.values()))))


@dataclass(frozen=True)
class _Details:
    """What the issues read beyond their own row, looked up for every failing row at once: one pass over
    the table per measure or rule rather than a filtered frame per issue, which grew with the folder."""

    rows: dict[int, Row]
    cells: dict[tuple[int, str], str | None]  # (row, measure) → where the value is or would be
    parts: dict[tuple[int, str], str]  # (total row, measure) → its filled parts, "1.1 (3), 1.4 (2)"
    peers: dict[tuple[int, str], list[str]]  # (outlier row, measure) → the units it was compared with


def _details(t: pd.DataFrame, form: Form, failures: list[tuple[int, RowCheck]]) -> _Details:
    """The details of the issues of these failing rows."""
    rows = _rows(t, sorted({i for i, _ in failures}))
    placed = {(i, form.limits[int(r.key)].measure if r.code == "over-limit" else r.key) for i, r in failures
              if r.code not in ("no-values", "duplicate-record", "row-unknown")}
    totals = [(i, r.key) for i, r in failures if r.code in ("total-mismatch", "total-from-parts")]
    outliers = [(i, r.key) for i, r in failures if r.code == "outlier"]
    return _Details(rows, _cells(t, rows, placed), _filled_parts(t, form, rows, totals), _peers(t, outliers))


def _cells(t: pd.DataFrame, rows: dict[int, Row],
           wanted: set[tuple[int, str]]) -> dict[tuple[int, str], str | None]:
    """Where each value is, or would be when it is blank: its row's number, the measure's usual column."""
    cells: dict[tuple[int, str], str | None] = {}
    blank: dict[str, list[int]] = {}
    for i, m in wanted:
        own = rows[i][f"cell_{m}"]
        if own:
            cells[(i, m)] = str(own)
        else:
            blank.setdefault(m, []).append(i)
    files, n_files = _codes(t["file"]), len(t["file"].cat.categories)
    for m, at in blank.items():
        letters = _usual_letters(t[f"cell_{m}"], files, _hit(files, files[at], n_files))
        for i in at:
            row_no = next((_column_letters(str(rows[i][c]))[1] for c in _CELLS if rows[i][c]), None)
            letter = letters.get(int(files[i]))
            cells[(i, m)] = None if row_no is None or letter is None else f"{letter}{row_no}"
    return cells


def _usual_letters(column: pd.Series, files: np.ndarray, among: np.ndarray) -> dict[int, str]:
    """By file code, the column letter the files of the ``among`` rows use most in this cell column (the
    first in alphabetical order on a tie, as ``Series.mode`` gives it)."""
    rows = np.flatnonzero(among)
    cells = column.to_numpy(dtype=object)[rows]
    filled = ~pd.isna(cells)
    counts: dict[int, Counter[str]] = {}
    for f, cell in zip(files[rows][filled].tolist(), cells[filled].tolist()):
        counts.setdefault(f, Counter())[_column_letters(str(cell))[0]] += 1
    usual: dict[int, str] = {}
    for f, count in counts.items():
        most = max(count.values())
        usual[f] = min(letter for letter, k in count.items() if k == most)
    return usual


def _first_cell(row: Row) -> str | None:
    return next((str(row[c]) for c in _CELLS if row[c]), None)


def _filled_parts(t: pd.DataFrame, form: Form, rows: dict[int, Row],
                  totals: list[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The filled parts of each total row, in the rule's order, every file of a rule in one pass."""
    files, codes = _codes(t["file"]), _codes(t["indicator"])
    indicators = t["indicator"].cat.categories
    n_files = len(t["file"].cat.categories)
    by_rule: dict[int, list[int]] = {}
    for i, m in totals:
        by_rule.setdefault(rows[i][f"_rule_{m}"], []).append(i)
    # each distinct indicator and value written once: the same few recur in every file
    named = [f"{code} (" for code in indicators]
    texts: dict[tuple[int, str], str] = {}
    for r, at in by_rule.items():
        rule = form.rules[r]
        rank = np.full(len(indicators) + 1, -1)
        for k, code in enumerate(rule.parts):
            found = indicators.get_indexer([code])[0]
            if found >= 0:
                rank[found] = k
        values = t[rule.measure].to_numpy()
        part = np.flatnonzero(_hit(files, files[at], n_files) & (rank[codes] >= 0) & ~np.isnan(values))
        part = part[np.lexsort((part, rank[codes[part]], files[part]))]
        distinct, which = np.unique(values[part], return_inverse=True)
        shown = [f"{number(v)})" for v in distinct.tolist()]
        filled: dict[int, list[str]] = {}
        for f, code, k in zip(files[part].tolist(), codes[part].tolist(), which.tolist()):
            filled.setdefault(f, []).append(named[code] + shown[k])
        for i in at:
            texts[(i, rule.measure)] = ", ".join(filled.get(int(files[i]), []))
    return texts


def _peers(t: pd.DataFrame, outliers: list[tuple[int, str]]) -> dict[tuple[int, str], list[str]]:
    """The units each outlier row was compared with (its type's units that reported a sound value for the
    row, in table order), every (type, indicator) of a measure in one pass."""
    if not outliers:
        return {}
    group = _groups(t)
    units = t["unit"].to_numpy(dtype=object)
    peers: dict[tuple[int, str], list[str]] = {}
    for m in dict.fromkeys(m for _, m in outliers):
        at = [i for i, mm in outliers if mm == m]
        rows = np.flatnonzero(_hit(group, group[at], group.max() + 1) & _sound(t[f"_value_{m}"].to_numpy()))
        rows = rows[np.argsort(group[rows], kind="stable")]
        starts = np.flatnonzero(np.diff(group[rows], prepend=-2))
        compared = {int(group[chunk[0]]): list(dict.fromkeys(units[chunk].tolist()))
                    for chunk in np.split(rows, starts[1:])}
        for i in at:
            peers[(i, m)] = compared[int(group[i])]
    return peers


def _peers_text(peers: list[str]) -> str:
    named = ", ".join(peers[:MAX_PEERS_NAMED])
    more = len(peers) - MAX_PEERS_NAMED
    return named + (f" và {more} đơn vị khác" if more > 0 else "")


def _issue(rule: RowCheck, i: int, form: Form, details: _Details) -> Issue:
    """The issue of one failing row."""
    code, key = rule.code, rule.key
    at = details.rows[i]
    base = {"file": at["file"], "unit": at["unit"] or None, "sheet": at["sheet"] or None, "indicator": at["indicator"]}
    if code == "no-values":  # about the whole file, not a row
        return make(code, file=base["file"], unit=base["unit"], sheet=base["sheet"])
    if code == "duplicate-record":
        return make(code, cell=_first_cell(at), **base)
    if code == "row-unknown":
        return make(code, cell=_first_cell(at), value=at["indicator"], **base)
    if code == "over-limit":
        limit = form.limits[int(key)]
        m = limit.measure
        return make(code, measure=m, cell=details.cells[(i, m)], value=number(at[m]), max=number(limit.max),
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
                  else details.parts[(i, m)],
                  "expected": None if math.isnan(expected) else number(expected)}
    elif code in ("people-less-than-count", "people-missing"):
        fields = {"count": number(at["count"])}
    elif code == "outlier":
        peers = details.peers[(i, m)]
        shown = number(at[f"_value_{m}"])
        fields = {"type": at["_type"], "median": number(at[f"_median_{m}"]), "n": len(peers),
                  "units": _peers_text(peers)}
    return _tidy(make(code, measure=m, cell=details.cells[(i, m)], value=shown, **fields, **base))


def _tidy(issue: Issue) -> Issue:
    """Drop the empty "ô" of a message when the cell of a blank value cannot be told."""
    if issue.cell:
        return issue
    return replace(issue, message=issue.message.replace(", ô : ", ": "))


_NOT_CHECKED = ("cell_", "note", "unit")  # columns no check reads (issues read them from the full table)


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
        # the checks read the values and the helper columns; without the cell addresses pandera's failure
        # cases (every column of every failing row) stay small. In place: pandera's own copy of the frame
        # took as long as the rest of its bookkeeping, and neither pandera nor a check writes to it
        schema.validate(t.drop(columns=[c for c in t.columns if c.startswith(_NOT_CHECKED)]), lazy=True,
                        inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        broken = cases[~cases["check"].isin(list(rules)) | cases["index"].isna()]
        if not broken.empty:
            # a column of the wrong type or a check that crashed is a bug, not a problem of a unit's file
            raise TypeError(f"schema could not run on the long table: {broken.to_dict('records')}")
        for name, index in cases[["check", "index"]].drop_duplicates().itertuples(index=False):
            failures.append((int(index), str(name)))
    details = _details(t, form, [(i, rules[name]) for i, name in failures])
    order = {r: k for k, r in enumerate(rules)}
    failures.sort(key=lambda f: (str(details.rows[f[0]]["file"]), f[0], order[f[1]]))
    issues = [_issue(rules[name], i, form, details) for i, name in failures]
    # copy-on-write: filling totals here copies only the columns filled, never the caller's table
    out = table.reset_index(drop=True)
    for name, rule in rules.items():
        if rule.code == "total-from-parts":
            m = rule.key
            rows = [i for i, n in failures if n == name]
            out.loc[rows, m] = t.loc[rows, f"_parts_{m}"]
    unknown_rows = [i for i, n in failures if rules[n].code == "row-unknown"]
    if unknown_rows:  # dropping no row still copies the whole table
        out = out.drop(index=unknown_rows).reset_index(drop=True)
    return out[TABLE_COLUMNS], issues
