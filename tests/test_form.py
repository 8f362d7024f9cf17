"""The form definition (data/form.toml): it loads, it is the FORM.md contract, bad definitions are refused
in Vietnamese, and a district's own definition flows into the templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from conftest import ROOT, SAMPLES
from consolidate.campaign import prepare
from consolidate.form import DEFAULT_FORM, FormError, load_form
from consolidate.issues import RunError
from consolidate.templates import INSTRUCTIONS_SHEET, make_templates
from consolidate.text import fold
from consolidate.units import Unit, UnitList

# FORM.md's table: code → measures ("" = header row)
FORM_MD = [
    ("1", "count"), ("1.0", "people"), *((f"1.{i}", "count people") for i in range(1, 14)), ("2", "count"),
    ("3", "count"), ("4", ""), ("4.1", "count"), ("4.2", "count"), ("5", "count"), ("5.1", "count"),
    ("5.2", "count"), *((f"5.{i}", "count people") for i in range(3, 7)), ("6", "count"),
    *((f"6.{i}", "count people") for i in range(1, 4)), ("7", ""), ("7.1", "count"), ("8", "count"), ("9", ""),
    ("9.1", "count"), ("9.2", "count"), ("10", ""), ("10.1", "amount"), ("10.2", "amount"), ("11", "text"),
]


def test_default_definition_is_the_form_md_contract(form):
    assert form.source == str(DEFAULT_FORM)
    assert (form.id, form.version, form.title, form.sheet) == ("tlhtsd-bieu-tong-hop", 1, "BIỂU TỔNG HỢP", "Biểu tổng hợp")
    assert [(r.code, " ".join(r.measures)) for r in form.rows] == FORM_MD
    assert [r.code for r in form.rows if r.is_header] == ["4", "7", "9", "10"]
    assert len(form.value_rows) == 37
    assert form.row("5.2").label == "Trưng bày, triển lãm sách báo, tư liệu"
    assert form.row("10.1").unit == "đồng"
    assert [r.stt for r in form.rows if r.stt] == [str(i) for i in range(1, 12)]


def test_rules_and_plausibility(form):
    assert [(r.total, r.measure, r.parts[0], r.parts[-1], len(r.parts)) for r in form.rules] == [
        ("1", "count", "1.1", "1.13", 13), ("1.0", "people", "1.1", "1.13", 13),
        ("5", "count", "5.1", "5.6", 6), ("6", "count", "6.1", "6.3", 3)]
    assert [(lim.indicator, lim.measure, lim.max) for lim in form.limits] == [("7.1", "count", 1.0)]
    assert "THCS" in form.limits[0].types
    assert (form.outlier_threshold, form.outlier_min_units) == (5.0, 5)


def test_seed_typos_are_accepted_spellings(form):
    assert form.label_keys[fold("Trung bày, triển lãm sách báo, tư liệu")] == "5.2"
    assert form.label_keys[fold("Tổ chức các thi, các buổi tọa đàm về khuyến đọc, khuyến học và xây dựng xã hội học tập")] == "5"
    assert form.label_keys[fold("  XÓA MÙ CHỮ ")] == "1.12"


def test_row_properties(form):
    assert form.row("1.1").single_numeric is None
    assert form.row("10.1").single_numeric == "amount"
    assert form.row("11").numeric_measures == ()
    assert form.subtitle_for(2021) == "Số liệu kết quả tổ chức tuần lễ học tập suốt đời năm 2021"


BASE = '[form]\nid = "x"\nversion = 1\ntitle = "T"\nsheet = "S"\n'
ROW = '[[rows]]\ncode = "1"\nlabel = "A"\nmeasures = ["count"]\n'
ROW2 = '[[rows]]\ncode = "2"\nlabel = "B"\nmeasures = ["people"]\n'


@pytest.mark.parametrize("body, message", [
    (BASE, "không có hàng nào"),
    ('[form]\nid = "x"\n' + ROW, "thiếu khóa [form].version"),
    (BASE + ROW + ROW.replace('"A"', '"B"'), "mã hàng '1' bị trùng"),
    (BASE + ROW.replace('"count"', '"money"'), "hàng 1: loại số liệu không hợp lệ ['money']"),
    (BASE + ROW + ROW.replace('"1"', '"2"').replace('"A"', '"  a "'), "hàng 2 có tên trùng với hàng 1"),
    (BASE + ROW.replace('"A"', '""'), "hàng thứ 1 thiếu mã (code) hoặc tên (label)"),
    (BASE + ROW + '[[rules]]\ntotal = "1"\nmeasure = "count"\nparts = ["9"]\n',
     "quy tắc tổng '1' nhắc đến hàng không có: '9'"),
    (BASE + ROW + ROW2 + '[[rules]]\ntotal = "1"\nmeasure = "count"\nparts = ["2"]\n',
     "quy tắc tổng '1': hàng 2 không có số liệu 'count'"),
    (BASE + ROW + '[[rules]]\ntotal = "1"\nmeasure = "count"\nparts = []\n',
     "quy tắc tổng '1' không có hàng thành phần"),
    (BASE + ROW + '[[plausibility.limits]]\nindicator = "1"\nmeasure = "people"\nmax = 1\n',
     "giới hạn hợp lý nhắc đến '1'/'people' không có trong biểu"),
])
def test_bad_definitions_are_refused_in_vietnamese(tmp_path, body, message):
    path = tmp_path / "form.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(FormError) as exc:
        load_form(path)
    assert str(exc.value) == f"Định nghĩa biểu mẫu {path}: {message}"


def test_unreadable_or_missing_definition(tmp_path):
    path = tmp_path / "form.toml"
    path.write_text("[form\n", encoding="utf-8")
    with pytest.raises(FormError, match=r"^Định nghĩa biểu mẫu .*form\.toml: không đọc được \(Expected"):
        load_form(path)
    with pytest.raises(FormError, match=r"^Định nghĩa biểu mẫu .*khong\.toml: không tìm thấy tệp$"):
        load_form(tmp_path / "khong.toml")


# --- a district's own definition ------------------------------------------------------------------


def district_form(tmp_path: Path) -> Path:
    """The default form with 1.12 renamed, 9.2 removed, a row 12 added and rule 6 dropped."""
    text = DEFAULT_FORM.read_text(encoding="utf-8")
    text = text.replace('label = "Xóa mù chữ"', 'label = "Xóa mù chữ và chống tái mù chữ"')
    text = text.replace('[[rows]]\ncode = "9.2"\nstt = ""\nlabel = "Cá nhân"\nunit = "Người"\nmeasures = ["count"]\n\n', "")
    head, _, tail = text.partition('# Rules between rows')
    head += ('[[rows]]\ncode = "12"\nstt = "12"\nlabel = "Số câu lạc bộ đọc sách được thành lập"\n'
             'unit = "CLB/người"\nmeasures = ["count", "people"]\n\n')
    tail = tail.replace('[[rules]]\ntotal = "6"\nmeasure = "count"\nparts = ["6.1", "6.2", "6.3"]\n'
                        'meaning = "số cuộc của mục 6 bằng tổng các loại (6.1 … 6.3)"\n', "")
    path = tmp_path / "bieu_cua_huyen.toml"
    path.write_text(head + "# Rules between rows" + tail, encoding="utf-8")
    return path


def test_district_definition_flows_into_the_templates(tmp_path):
    form_file = district_form(tmp_path)
    campaign_file = tmp_path / "campaign.toml"
    campaign_file.write_text(
        SAMPLES.joinpath("campaign.toml").read_text(encoding="utf-8")
        .replace('units = "units.csv"', f'units = "{(SAMPLES / "units.csv").as_posix()}"\nform = "{form_file.name}"'),
        encoding="utf-8")
    campaign, form, units, issues = prepare(campaign_file, None)
    assert issues == [] and form.source == str(form_file)
    assert [r.total for r in form.rules] == ["1", "1.0", "5"]
    one = UnitList(units.units[:1])
    result = make_templates(campaign, form, one, tmp_path / "out", now=dt.datetime(2021, 9, 20))
    grid = CalamineWorkbook.from_path(str(result.files[0])).get_sheet_by_name(form.sheet).to_python()
    labels = [row[1] for row in grid[6:6 + len(form.rows)]]
    assert labels == [r.label for r in form.rows]
    assert "Xóa mù chữ và chống tái mù chữ" in labels and "Cá nhân" not in labels
    assert grid[6 + len(form.rows) - 1][:3] == ["12", "Số câu lạc bộ đọc sách được thành lập", "CLB/người"]
    ws = load_workbook(result.files[0])[form.sheet]
    new_row = 6 + len(form.rows)
    assert [ws.cell(new_row, c).protection.locked for c in (4, 5, 6)] == [False, False, False]
    instructions = [r[0] for r in CalamineWorkbook.from_path(str(result.files[0]))
                    .get_sheet_by_name(INSTRUCTIONS_SHEET).to_python()]
    assert not any(str(line).startswith("   – mục 6") for line in instructions)
    assert any(str(line).startswith("   – mục 5") for line in instructions)


def test_definition_that_cannot_be_laid_out_stops_before_writing(tmp_path, campaign):
    path = tmp_path / "form.toml"
    path.write_text(BASE + ROW.replace('["count"]', '["count", "amount"]')
                    + ROW2.replace('["people"]', '["text", "people"]'), encoding="utf-8")
    form = load_form(path)
    units = UnitList((Unit("A", "Trường A", "THCS", ""),))
    with pytest.raises(RunError) as exc:
        make_templates(campaign, form, units, tmp_path / "out")
    assert str(exc.value) == (f"Định nghĩa biểu mẫu {path}: hàng 1: số tiền (amount) phải là số liệu duy nhất của hàng; "
                              "hàng 2: nội dung (text) không đi cùng số liệu khác trên một hàng.")
    assert not (tmp_path / "out").exists()


def test_committed_definition_is_packaged():
    assert DEFAULT_FORM == ROOT / "consolidate" / "data" / "form.toml"
    assert "data/*.toml" in (ROOT / "setup.cfg").read_text(encoding="utf-8")
