"""Merge a checked folder into the district's totals, and write the district summary workbook.

The sums are taken over the long table of :class:`~consolidate.results.RunResult` (``results.TABLE_COLUMNS``):
one value per unit and indicator, the unit's current file only (its newest submission). A blank stays
blank in the district total only when no included unit reported the row; otherwise blanks sum as 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from consolidate import outputs
from consolidate.form import NUMERIC_MEASURES, Form
from consolidate.issues import Issue, RunError, UsageError, make
from consolidate.results import MergeResult, RunResult, values_dict  # noqa: F401  (re-exported)

# pandas is imported in the functions: `merge` starts reading the folder before it pays for pandas, which
# check_folder imports while the reading workers run
if TYPE_CHECKING:
    import pandas as pd

    from consolidate.campaign import Campaign
    from consolidate.units import UnitList

VALUE_COLUMNS = ["count", "people", "amount", "text", "note"]


def _current_files(run: RunResult, states: tuple[str, ...]) -> dict[str, str]:
    """unit code → the file that stands for it, for units whose state is one of ``states``."""
    return {code: s.file for code, s in run.unit_status.items() if s.status in states and s.file}


def _unit_rows(run: RunResult, states: tuple[str, ...]) -> pd.DataFrame:
    """The long-table rows of the units in ``states``, each from that unit's current file only."""
    import pandas as pd

    current = _current_files(run, states)
    table = run.table
    if table is None or table.empty or not current:
        return pd.DataFrame(columns=["unit", "indicator", *VALUE_COLUMNS])
    keep = table["unit"].map(current).eq(table["file"])  # a superseded file's rows never count
    return table.loc[keep.fillna(False).astype(bool)]  # a new frame (copy-on-write): no second copy


def _numeric_codes(form: Form) -> list[str]:
    return [r.code for r in form.value_rows if r.numeric_measures]


def _wide(rows: pd.DataFrame, form: Form, units: list[str], codes: list[str]) -> dict[str, pd.DataFrame]:
    """Per measure, a units × row codes frame (NaN = blank), blank totals filled from their parts.

    The check normally filled them already; filling again keeps the district sums consistent either way.
    Built by placing each value at its (unit, code) position, the first record of a pair winning: a
    ``DataFrame.pivot`` per measure cost a tenth of a second at 1,000 units.
    """
    import numpy as np
    import pandas as pd

    present = set(rows["unit"])
    order = [u for u in units if u in present]
    at_unit = {u: k for k, u in enumerate(order)}
    at_code = {c: k for k, c in enumerate(codes)}
    # grid positions, -1 for a unit or code not in the grid (Series.map looks a dict up vectorised)
    r_idx = rows["unit"].map(at_unit).fillna(-1).to_numpy(dtype=np.int64)
    c_idx = rows["indicator"].map(at_code).fillna(-1).to_numpy(dtype=np.int64)
    # one number per (unit, code) pair placed in the grid, the first record of a pair winning
    pair = r_idx * len(codes) + c_idx
    placed = (r_idx >= 0) & (c_idx >= 0)
    first = ~pd.Series(np.where(placed, pair, -1)).duplicated().to_numpy()
    keep = first & placed
    r_idx, c_idx = r_idx[keep], c_idx[keep]
    index = pd.Index(order, name="unit")
    columns = pd.Index(codes, name="indicator")
    out = {}
    for m in (*NUMERIC_MEASURES, "text", "note"):
        if m in NUMERIC_MEASURES:
            grid = np.full((len(order), len(codes)), np.nan)
            grid[r_idx, c_idx] = rows[m].to_numpy(dtype="float64")[keep]
            w = pd.DataFrame(grid, index=index, columns=columns)
            for rule in form.rules:
                if rule.measure == m:
                    w[rule.total] = w[rule.total].fillna(w[list(rule.parts)].sum(axis=1, min_count=1))
        else:
            grid = np.full((len(order), len(codes)), None, dtype=object)
            values = rows[m].to_numpy(dtype=object)[keep]
            grid[r_idx, c_idx] = [None if v is None or (isinstance(v, float) and v != v) else v for v in values]
            w = pd.DataFrame(grid, index=index, columns=columns)
        out[m] = w
    return out


def _states(include_invalid: bool) -> tuple[str, ...]:
    return ("accepted", "rejected") if include_invalid else ("accepted",)


def _read_units_wide(run: RunResult) -> dict[str, pd.DataFrame]:
    """_wide of every unit whose file was read (accepted or rejected), every value row of the form."""
    return _wide(_unit_rows(run, ("accepted", "rejected")), run.form, [u.code for u in run.units],
                 [r.code for r in run.form.value_rows])


def _included(run: RunResult, include_invalid: bool,
              read_wide: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """_wide of the units in the sums, numeric rows only; cut from ``read_wide`` when given (a unit's row
    of the grid and the totals filled from its parts depend on that unit's values alone)."""
    states = _states(include_invalid)
    codes = _numeric_codes(run.form)
    if read_wide is None:
        return _wide(_unit_rows(run, states), run.form, [u.code for u in run.units], codes)
    keep = [u for u in read_wide["count"].index if run.unit_status[u].status in states]
    return {m: w.loc[keep, codes] for m, w in read_wide.items() if m in NUMERIC_MEASURES}


def totals(run: RunResult, include_invalid: bool = False,
           read_wide: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Sum of count/people/amount per indicator over accepted units (and rejected ones when asked).

    Indexed by the form's row codes that carry a number, in form order; NaN only where no included unit
    reported the value, or where the row has no such measure.
    """
    import pandas as pd

    form = run.form
    wide = _included(run, include_invalid, read_wide)
    out = pd.DataFrame({m: wide[m].sum(axis=0, min_count=1) for m in NUMERIC_MEASURES},
                       index=pd.Index(_numeric_codes(form), name="indicator")).astype("float64")
    for code in out.index:  # a measure the row does not have is never a number, whatever a file held
        for m in NUMERIC_MEASURES:
            if m not in form.row(code).measures:
                out.at[code, m] = float("nan")
    return out


def per_unit(run: RunResult, read_wide: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every value of every unit whose file was read (accepted or rejected), blank kept apart from 0.

    Indexed by (unit, indicator) in unit-list order then form order; columns count, people, amount (NaN =
    blank), text, note, and ``status`` (the unit's state).
    """
    import pandas as pd

    order = [r.code for r in run.form.value_rows]
    wide = read_wide if read_wide is not None else _read_units_wide(run)
    present = list(wide["count"].index)
    index = pd.MultiIndex.from_product([present, order], names=["unit", "indicator"])
    # row-major ravel of a units × codes frame is exactly the (unit, indicator) product order
    frame = pd.DataFrame({m: wide[m].to_numpy(dtype="float64").ravel() for m in NUMERIC_MEASURES}, index=index)
    for m in ("text", "note"):
        col = pd.Series(wide[m].to_numpy(dtype=object).ravel(), index=index, dtype=object)
        frame[m] = col.where(col.notna(), None).astype(object)
    frame["status"] = pd.Series([run.unit_status[u].status for u in present for _ in order], index=index,
                                dtype=object)
    return frame


def merge_checks(run: RunResult, sums: pd.DataFrame, include_invalid: bool = False,
                 read_wide: dict[str, pd.DataFrame] | None = None) -> list[Issue]:
    """Warn where a district total differs from the sum of its parts, naming the units that cause it."""
    import pandas as pd

    form = run.form
    wide = _included(run, include_invalid, read_wide)
    names = {u.code: u.name for u in run.units}
    issues = []
    for rule in form.rules:
        total = sums.at[rule.total, rule.measure]
        parts = sums.loc[list(rule.parts), rule.measure].sum(min_count=1)
        parts = 0.0 if pd.isna(parts) else parts
        if pd.isna(total) or total == parts:
            continue
        w = wide[rule.measure]
        causes = []
        for unit in w.index:
            own, own_parts = w.at[unit, rule.total], w.loc[unit, list(rule.parts)]
            if pd.isna(own):
                continue
            if own_parts.isna().all():
                causes.append(f"{names.get(unit, unit)} chỉ ghi số tổng, không ghi số chi tiết")
            elif own != own_parts.sum():
                causes.append(f"{names.get(unit, unit)} ghi tổng {_fmt(own)} khác tổng chi tiết "
                              f"{_fmt(own_parts.sum())} (đơn vị có lỗi)")
        issues.append(make("merge-total-differs", indicator=rule.total, measure=rule.measure,
                           value=_fmt(total), expected=_fmt(parts), parts=f"{rule.parts[0]} … {rule.parts[-1]}",
                           units="; ".join(causes) or "số liệu của các đơn vị",
                           kind=run.campaign.district_kind))
    return issues


def formula_texts(run: RunResult, include_invalid: bool = False,
                  read_wide: dict[str, pd.DataFrame] | None = None) -> list[Issue]:
    """Warn about each text or note of a merged unit that looks like a formula: the summary's form sheet
    (the page the district signs) leaves it out, so the issues sheet is where it is shown."""
    from consolidate.text import looks_like_formula

    wide = read_wide if read_wide is not None else _read_units_wide(run)
    states = _states(include_invalid)
    names = {u.code: u.name for u in run.units}
    issues = []
    for measure in ("text", "note"):
        frame = wide[measure]
        grid = frame.to_numpy(dtype=object)
        units, codes = frame.index.tolist(), frame.columns.tolist()
        for i, j in zip(*((grid != None) & (grid != "")).nonzero()):  # noqa: E711  (elementwise)
            unit, value = units[i], grid[i, j]
            if run.unit_status[unit].status in states and looks_like_formula(value):
                issues.append(make("merge-formula-text", unit=unit, indicator=codes[j], measure=measure,
                                   value=value, name=names.get(unit, unit),
                                   measure_name="ghi chú" if measure == "note" else "nội dung"))
    return issues


def _fmt(value: float) -> str:
    """A whole number written the Vietnamese way (1.200.000)."""
    return f"{int(value):,}".replace(",", ".")


def _clear_leftovers(output: Path) -> None:
    """Remove half-written summaries of runs that were killed (we hold the folder lock: none is live)."""
    for stale in output.parent.glob(f".~tmp-*{output.suffix}"):
        stale.unlink(missing_ok=True)


def nothing_to_merge(run: RunResult, what: str = "tệp tổng hợp") -> str | None:
    """Why a folder holds nothing to merge (no file, or no file that is a readable report); None when it does."""
    if not run.files:
        return (f"Thư mục {run.folder} không có tệp nào; chưa ghi {what}. Hãy chép các tệp đơn vị gửi "
                "về vào thư mục này rồi chạy lại.")
    if any(f.status not in ("not_a_report", "unreadable") for f in run.files):
        return None
    kinds = {"not_a_report": "không phải báo cáo", "unreadable": "không đọc được"}
    counts = [f"{n} {what}" for status, what in kinds.items()
              if (n := sum(f.status == status for f in run.files))]
    return (f"Thư mục {run.folder} có {len(run.files)} tệp nhưng không tệp nào là báo cáo đọc được "
            f"({', '.join(counts)}); chưa ghi {what}. Chạy consolidate check {run.folder} để xem từng tệp.")


def merge_folder(folder: Path, campaign: Campaign, form: Form, units: UnitList, output: Path, *,
                 include_invalid: bool = False, progress: Callable[[int, int], None] | None = None,
                 now: dt.datetime | None = None) -> MergeResult:
    """Check a folder, sum the accepted units and write the district summary atomically to ``output``."""
    folder, output = Path(folder), Path(output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"Tệp tổng hợp phải có đuôi .xlsx (đang là {output.name}).")
    if output.resolve().is_relative_to(folder.resolve()):
        # the next run would read the summary back as one more unit's report
        raise UsageError(f"Hãy ghi tệp tổng hợp ra ngoài thư mục báo cáo {folder} (ví dụ ở thư mục cha).")
    if output.is_dir():
        raise UsageError(f"{output} là một thư mục, không phải tệp .xlsx.")
    from consolidate.check import check_folder

    def import_writer() -> None:  # openpyxl, while the folder is read
        import consolidate.summary  # noqa: F401

    run = check_folder(folder, campaign, form, units, progress=progress, meanwhile=import_writer)
    nothing = nothing_to_merge(run)
    if nothing:
        raise RunError(nothing)  # a summary of 0/N units would be a page of blanks that looks like a result
    from consolidate.summary import write_summary

    read_wide = _read_units_wide(run)  # one grid serves the sums, each unit's values and the checks
    sums = totals(run, include_invalid, read_wide)
    result = MergeResult(run, sums, per_unit(run, read_wide), output, include_invalid,
                         created_at=(now or dt.datetime.now()).replace(microsecond=0),
                         issues=merge_checks(run, sums, include_invalid, read_wide)
                         + formula_texts(run, include_invalid, read_wide))
    try:
        with outputs.folder_lock(output.parent):
            _clear_leftovers(output)
            outputs.atomic_write(output, lambda tmp: write_summary(tmp, result))
    except PermissionError:
        raise RunError(f"Không ghi được {output}: không có quyền ghi vào thư mục {output.parent} "
                       "hoặc tệp đang được mở (có thể trong Excel). Hãy đóng tệp rồi chạy lại.") from None
    except OSError as exc:
        raise RunError(f"Không ghi được {output}: {exc.strerror or exc}.") from None
    return result
