"""Where the form sits on a sheet: its columns, widths, font and number format, and whether a form definition
can be laid out at all.

Shared by the two writers of the form sheet — ``templates`` (openpyxl: the units' workbooks) and ``summary``
(XlsxWriter: the district's summary, itself a readable return) — so that both lay the form out alike. Kept
apart from ``templates`` so that ``merge`` does not import openpyxl only to learn a column number.
"""

from __future__ import annotations

from consolidate.form import Form
from consolidate.issues import RunError

FONT_NAME = "Times New Roman"
NUMBER_FORMAT = "#,##0"  # shown as 1.200.000 by a Vietnamese-locale Excel/LibreOffice
LINE_HEIGHT = 16.5

# Columns of the form sheet (1-based). Amount rows (đồng) use the first numeric column, as in the seed,
# where "Kinh phí … đồng" is written under "Số lượng"; the text row spans both numeric columns.
COL_STT, COL_LABEL, COL_UNIT, COL_COUNT, COL_PEOPLE, COL_NOTE = 1, 2, 3, 4, 5, 6
MEASURE_COLUMNS = {"count": COL_COUNT, "people": COL_PEOPLE, "amount": COL_COUNT, "text": COL_COUNT,
                   "note": COL_NOTE}
WIDTHS = {COL_STT: 6, COL_LABEL: 58, COL_UNIT: 13, COL_COUNT: 15, COL_PEOPLE: 13, COL_NOTE: 22}


def layout_problems(form: Form) -> list[str]:
    """Rows whose measures do not fit the two numeric columns of the official layout (Vietnamese)."""
    problems = []
    for row in form.rows:
        numeric = row.numeric_measures
        if "amount" in numeric and len(numeric) > 1:
            problems.append(f"hàng {row.code}: số tiền (amount) phải là số liệu duy nhất của hàng")
        if "text" in row.measures and numeric:
            problems.append(f"hàng {row.code}: nội dung (text) không đi cùng số liệu khác trên một hàng")
    return problems


def check_layout(form: Form) -> None:
    """Stop the run when the form definition cannot be laid out (RunError names the rows)."""
    problems = layout_problems(form)
    if problems:
        raise RunError(f"Định nghĩa biểu mẫu {form.source}: " + "; ".join(problems) + ".")
