"""report.py: the district's Word report from a folder of returned templates (numbers, narrative, schedule),
opened with python-docx and converted by LibreOffice; render_report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from consolidate import narrative, schedule
from consolidate.issues import RunError
from consolidate.render import render_report
from consolidate.report import ReportResult, build_report, vn_number, write_report
from consolidate.templates import make_templates, write_form_sheet

NOW = dt.datetime(2021, 9, 20, 8, 30)


def layout_of(form):
    """Where each value goes on the form sheet (write_form_sheet is deterministic)."""
    return write_form_sheet(Workbook().active, form, title="t", subtitle="s", unit_line="Đơn vị báo cáo: x")


def text_box_rows(ws) -> list[int]:
    boxes = [r for r in ws.merged_cells.ranges if r.max_row - r.min_row == narrative.TEXT_ROWS - 1]
    return sorted(r.min_row for r in boxes)


FILLED = {
    # unit: (form values, narrative texts by heading index, schedule rows)
    "X01": ({("1.1", "count"): 2, ("1.1", "people"): 40, ("10.1", "amount"): 1_200_000,
             ("10.2", "amount"): 300_000, ("11", "text"): "Ngày hội đọc sách ở bản Phiêng Lanh"},
            {0: "Xã ban hành Kế hoạch số 45/KH-UBND.", 6: "Đề nghị huyện cấp thêm sách."},
            [("8h30", "01/10", "Lễ phát động Tuần lễ cấp xã")]),
    "X02": ({("1.1", "count"): 1, ("1.1", "people"): 25, ("10.1", "amount"): 2_000_000},
            {0: "Xã giao Trung tâm học tập cộng đồng chủ trì."},
            [("14h00", "02/10", "Hội sách thiếu nhi"), ("7h30", "02/10", "Thi kể chuyện theo sách")]),
    "X03": ({("1.1", "count"): "nhiều"}, {}, []),  # an unreadable number: the file is rejected
}


@pytest.fixture(scope="module")
def returned(tmp_path_factory, campaign, form, units):
    """A folder of three returned templates (two valid, one with an error) of the Quỳnh Nhai list."""
    base = tmp_path_factory.mktemp("report")
    picked = [units.get(code) for code in FILLED]
    made = make_templates(campaign, form, picked, base / "bieu_mau", now=NOW,
                          extra_sheets=[narrative.template_writer, schedule.template_writer])
    folder = base / "da_nhan"
    folder.mkdir()
    layout = layout_of(form)
    for path, (code, (values, texts, rows)) in zip(made.files, FILLED.items()):
        wb = load_workbook(path)
        ws = wb[form.sheet]
        for (row, measure), value in values.items():
            ws[layout.cell(row, measure)].value = value
        boxes = text_box_rows(wb["Báo cáo"])
        for i, text in texts.items():
            wb["Báo cáo"].cell(boxes[i], 1).value = text
        for i, (time_, date_, content) in enumerate(rows):
            sheet = wb["Lịch hoạt động"]
            sheet.cell(7 + i, 2).value, sheet.cell(7 + i, 3).value, sheet.cell(7 + i, 4).value = time_, date_, content
        wb.save(folder / path.name)
    return folder


@pytest.fixture(scope="module")
def written(returned, campaign, form, units):
    output = returned.parent / "bao_cao_huyen.docx"
    return write_report(returned, campaign, form, units, output)


def all_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def table_with_header(doc, first: str, second: str):
    for table in doc.tables:
        cells = [c.text for c in table.rows[0].cells]
        if cells[:2] == [first, second]:
            return table
    raise AssertionError(f"no table {first} | {second}")


def test_vietnamese_numbers():
    assert vn_number(1_200_000) == "1.200.000"
    assert vn_number(3.0) == "3"
    assert vn_number(float("nan")) == "" and vn_number(None) == ""


def test_report_holds_district_totals_and_every_reporting_unit(written, units):
    assert written.output.exists()
    assert [u.code for u in written.reported] == ["X01", "X02"]
    assert [u.code for u in written.rejected] == ["X03"]
    assert len(written.missing) == len(units) - 3
    text = all_text(written.output)
    assert "BÁO CÁO" in text and "Tổng kết Tuần lễ học tập suốt đời năm 2021" in text
    assert "UBND HUYỆN QUỲNH NHAI" in text and "Quỳnh Nhai, ngày …… tháng …… năm 2021" in text
    # I.4 Kinh phí: the district's money in đồng
    assert "- Ngân sách nhà nước: 3.200.000 đồng." in text
    assert "- Kinh phí hỗ trợ, huy động từ các nguồn hợp pháp khác (nếu có): 300.000 đồng." in text
    assert "Tổng kinh phí toàn huyện Quỳnh Nhai: 3.500.000 đồng." in text
    for unit in written.reported:
        assert unit.name in text


def test_form_table_is_phu_luc_2_with_merged_numbers(written, form):
    doc = Document(str(written.output))
    table = table_with_header(doc, "STT", "Các hoạt động")
    assert [c.text for c in table.rows[0].cells] == ["STT", "Các hoạt động", "Đơn vị", "Số lớp/số cuộc thi",
                                                     "Người", "Ghi chú"]
    assert len(table.rows) == 1 + len(form.rows)
    by_label = {row.cells[1].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert by_label[form.row("1.1").label][3:5] == ["3", "65"]
    assert by_label[form.row("1").label][3] == "3"  # the total taken from its parts
    assert by_label[form.row("1.0").label][4] == "65"
    assert by_label[form.row("10.1").label][3] == "3.200.000"
    assert by_label[form.row("1.2").label][3:5] == ["", ""]  # nobody reported it: blank, not 0
    assert by_label[form.row("11").label][5] == "UBND xã Mường Giàng: Ngày hội đọc sách ở bản Phiêng Lanh"


def test_schedule_table_in_date_and_time_order(written):
    doc = Document(str(written.output))
    table = table_with_header(doc, "TT", "Giờ")
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert rows == [
        ["1", "8h30", "01/10", "UBND xã Mường Giàng", "Lễ phát động Tuần lễ cấp xã"],
        ["2", "7h30", "02/10", "UBND xã Chiềng Ơn", "Thi kể chuyện theo sách"],
        ["3", "14h00", "02/10", "UBND xã Chiềng Ơn", "Hội sách thiếu nhi"],
    ]
    assert written.activities == 3 and written.schedule_units == 2


def test_narrative_texts_are_gathered_under_their_heading_with_unit_names(written):
    doc = Document(str(written.output))
    paras = [p.text for p in doc.paragraphs]
    at = paras.index("1. Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện.")
    assert paras[at + 1: at + 3] == ["UBND xã Mường Giàng: Xã ban hành Kế hoạch số 45/KH-UBND.",
                                     "UBND xã Chiềng Ơn: Xã giao Trung tâm học tập cộng đồng chủ trì."]
    at3 = paras.index("3. Kiến nghị, đề xuất")
    assert paras[at3 + 1] == "UBND xã Mường Giàng: Đề nghị huyện cấp thêm sách."
    at2 = paras.index("2. Khó khăn, tồn tại")
    assert paras[at2 + 1] == "(Chưa có đơn vị nào viết mục này.)"
    assert doc.paragraphs[at].style.name == "Heading 2"
    assert written.narrative_units == 2


def test_units_that_reported_and_did_not_are_listed(written, units):
    doc = Document(str(written.output))
    text = all_text(written.output)
    assert "Đã nộp và được tổng hợp: 2/23 đơn vị; đã nộp nhưng còn lỗi: 1; chưa nộp: 20." in text
    assert "Các đơn vị đã báo cáo (2): UBND xã Mường Giàng, UBND xã Chiềng Ơn." in text
    missing_line = next(p.text for p in doc.paragraphs if p.text.startswith("Các đơn vị chưa báo cáo (20): "))
    for unit in written.missing:
        assert unit.name in missing_line
    table = table_with_header(doc, "STT", "Đơn vị")
    status = {row.cells[1].text: row.cells[3].text for row in table.rows[1:]}
    assert len(status) == len(units)
    assert status["UBND xã Mường Giàng"] == "Đã nộp, số liệu hợp lệ"
    assert status["UBND xã Chiềng Bằng"] == "Đã nộp, còn lỗi (chưa tổng hợp)"
    assert status[written.missing[0].name] == "Chưa nộp"


def test_document_is_times_new_roman_a4(written):
    doc = Document(str(written.output))
    for name in ("Normal", "Heading 1", "Heading 2"):
        assert doc.styles[name].font.name == "Times New Roman"
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_render_report(written):
    out = render_report(written)
    lines = out.split("\n")
    assert lines[0] == f"Đã ghi dự thảo báo cáo (Word): {written.output}"
    assert lines[1] == "Số liệu tổng hợp từ 2/23 đơn vị; còn lỗi: 1; chưa nộp: 20."
    assert lines[2] == "Lịch tuần lễ: 3 hoạt động của 2 đơn vị, xếp theo ngày và giờ."
    assert lines[3] == "Phần báo cáo (Phụ lục 1): 2 đơn vị đã viết."
    assert lines[4].startswith("Chưa nộp: ") and written.missing[-1].name in lines[4]


@pytest.mark.libreoffice
def test_libreoffice_converts_the_report_to_pdf(written, soffice_convert, tmp_path):
    pdf = soffice_convert(written.output, "pdf", tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


def test_inputs_are_untouched_and_output_rules(returned, campaign, form, units, tmp_path):
    before = {p.name: p.read_bytes() for p in returned.iterdir()}
    with pytest.raises(RunError, match=r"Tệp báo cáo phải có đuôi \.docx \(đang là x\.pdf\)\."):
        write_report(returned, campaign, form, units, tmp_path / "x.pdf")
    with pytest.raises(RunError, match="Hãy ghi tệp báo cáo ra ngoài thư mục báo cáo"):
        write_report(returned, campaign, form, units, returned / "x.docx")
    write_report(returned, campaign, form, units, tmp_path / "again.docx")
    assert {p.name: p.read_bytes() for p in returned.iterdir()} == before


def test_extras_from_the_check_are_used_when_present(returned, campaign, form, units, tmp_path):
    from consolidate.check import check_folder

    run = check_folder(returned, campaign, form, units)
    entry = schedule.ScheduleEntry(1, dt.time(9), dt.date(2021, 10, 3), "Trường X", "Hoạt động từ check")
    run.extras["schedule"] = [entry]
    run.extras["narrative"] = narrative.compile_narrative([("Trường X", {"II.2": "Thiếu kinh phí."})])
    result = build_report(run, tmp_path / "extras.docx")
    text = all_text(result.output)
    assert "1 | 9h00 | 03/10 | Trường X | Hoạt động từ check" in text
    assert "Trường X: Thiếu kinh phí." in text
    assert (result.activities, result.narrative_units) == (1, 1)


def true_totals(name: str) -> dict[str, dict[str, int]]:
    """The district totals of a sample as its generator wrote them (samples/*/expected.json), never as the
    package computes them: the report's numbers are checked against the data, not against merge.totals."""
    import json

    path = Path(__file__).resolve().parent.parent / "samples" / name / "expected.json"
    return json.loads(path.read_text(encoding="utf-8"))["totals"]


def sample_report(name: str, tmp_path_factory) -> ReportResult:  # noqa: ANN001
    """``consolidate report`` on one of the committed sample campaigns."""
    from consolidate.campaign import prepare

    sample = Path(__file__).resolve().parent.parent / "samples" / name
    campaign, form, units, issues = prepare(sample / "campaign.toml", None)
    assert not issues
    out = tmp_path_factory.mktemp(name) / f"bao_cao_{name}.docx"
    return write_report(sample / "da_nhan", campaign, form, units, out)


@pytest.fixture(scope="module")
def dong_da_report(tmp_path_factory):
    return sample_report("dong-da-2024", tmp_path_factory)


def test_dong_da_sample_report_has_the_district_totals_and_every_reporting_unit(dong_da_report):
    result = dong_da_report
    truth = true_totals("dong-da-2024")
    doc = Document(str(result.output))
    text = all_text(result.output)
    assert "UBND QUẬN ĐỐNG ĐA" in text and "Tổng kết Tuần lễ học tập suốt đời năm 2024" in text
    assert (truth["10.1"]["amount"], truth["10.2"]["amount"]) == (209_000_000, 81_500_000)
    assert "- Ngân sách nhà nước: 209.000.000 đồng." in text
    assert "- Kinh phí hỗ trợ, huy động từ các nguồn hợp pháp khác (nếu có): 81.500.000 đồng." in text
    assert "Tổng kinh phí toàn quận Đống Đa: 290.500.000 đồng." in text
    table = table_with_header(doc, "STT", "Các hoạt động")
    by_label = {row.cells[1].text: row.cells for row in table.rows[1:]}
    form = result.run.form
    for row in form.value_rows:
        cells = by_label[row.label]
        for measure in row.numeric_measures:
            want = truth.get(row.code, {}).get(measure)
            got = cells[4 if measure == "people" else 3].text
            assert got == ("" if want is None else vn_number(want)), (row.code, measure)
    assert len(result.reported) == 24
    for unit in result.reported:
        assert unit.name in text
    # the seed's schedule, numbered 1…16 once each, with TH02's activity moved in its report file
    sched = table_with_header(doc, "TT", "Giờ")
    assert [r.cells[0].text for r in sched.rows[1:]] == [str(i) for i in range(1, 17)]
    assert sched.rows[1].cells[1].text == "8h30" and sched.rows[1].cells[2].text == "30/09"


@pytest.mark.libreoffice
def test_libreoffice_converts_the_sample_report_to_pdf(dong_da_report, soffice_convert, tmp_path):
    pdf = soffice_convert(dong_da_report.output, "pdf", tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


def test_render_report_names_schedule_errors_with_their_cells(campaign, form, units, tmp_path):
    made = make_templates(campaign, form, [units.get("X04")], tmp_path / "mau", now=NOW,
                          extra_sheets=[narrative.template_writer, schedule.template_writer])
    folder = tmp_path / "da_nhan"
    folder.mkdir()
    wb = load_workbook(made.files[0])
    wb[form.sheet][layout_of(form).cell("2", "count")].value = 3
    lich = wb["Lịch hoạt động"]
    lich["B7"], lich["C7"], lich["D7"] = "chiều", "03/10", "Hội thi kể chuyện"
    wb.save(folder / made.files[0].name)
    result = write_report(folder, campaign, form, units, tmp_path / "bc.docx")
    lines = render_report(result).split("\n")
    at = lines.index("Có 1 lỗi ở lịch hoạt động (các hoạt động đó không đưa vào lịch):")
    assert lines[at + 1] == (f"  {made.files[0].name}, trang Lịch hoạt động, ô B7: không đọc được giờ \"chiều\" "
                             "(viết như 8h30, 14h00 hoặc 8:30).")
    assert "Lịch tuần lễ: chưa có đơn vị nào gửi lịch hoạt động." in lines


def test_check_puts_parts_in_the_run_and_a_schedule_alone_is_not_a_report(dong_da_report):
    run = dong_da_report.run
    files = {f.file: f for f in run.files}
    # CS02 and MN03 sent only their schedule (round 1): they have not reported, their activities count
    lich = files["CS02_Truong_THCS_Ly_Thuong_Kiet_lich.xlsx"]
    assert (lich.parts, lich.status, lich.issues) == (("schedule",), "accepted", [])
    assert run.unit_status["CS02"].status == "missing" and run.unit_status["MN03"].status == "missing"
    assert {u.code for u in dong_da_report.missing} == {"P03", "P07", "P09", "P14", "MN03", "CS02"}
    assert [e.unit_code for e in run.extras["schedule"]].count("CS02") == 1
    # a unit's round-1 schedule stays in use next to its round-2 report
    assert files["CS01_Truong_THCS_Nguyen_Truong_To_lich.xlsx"].status == "accepted"
    assert files["CS01_Truong_THCS_Nguyen_Truong_To.xlsx"].parts == ("form", "narrative")
    assert run.unit_status["CS01"].file == "CS01_Truong_THCS_Nguyen_Truong_To.xlsx"
    assert files["TH02_Truong_Tieu_hoc_Kim_Lien_lich.xlsx"].status == "superseded"
    assert len(run.extras["schedule"]) == 16
    assert [n for n, _ in run.extras["narrative"]["I.1"]][:2] == ["UBND phường Cát Linh", "UBND phường Văn Miếu"]


def test_a_schedule_error_does_not_keep_the_numbers_out(campaign, form, units, tmp_path):
    from consolidate.check import check_folder

    made = make_templates(campaign, form, [units.get("X05")], tmp_path / "mau", now=NOW,
                          extra_sheets=[narrative.template_writer, schedule.template_writer])
    folder = tmp_path / "da_nhan"
    folder.mkdir()
    wb = load_workbook(made.files[0])
    wb[form.sheet][layout_of(form).cell("2", "count")].value = 3
    lich = wb["Lịch hoạt động"]
    lich["B7"], lich["C7"], lich["D7"] = "8h", "15/11", "Hội thi"
    wb.save(folder / made.files[0].name)
    run = check_folder(folder, campaign, form, units)
    report = run.files[0]
    assert report.parts == ("form", "schedule") and report.status == "accepted"
    assert [i.code for i in report.issues if i.blocking] == ["schedule-out-of-window"]
    assert run.unit_status["X05"].status == "accepted" and run.has_errors


def test_cli_templates_carry_the_report_and_schedule_sheets(tmp_path):
    from click.testing import CliRunner

    from consolidate.cli import main

    sample = Path(__file__).resolve().parent.parent / "samples" / "dong-da-2024"
    out = tmp_path / "bieu_mau"
    res = CliRunner().invoke(main, ["templates", "--campaign", str(sample / "campaign.toml"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out / "P11_UBND_phuong_Trung_Liet.xlsx")
    assert wb.sheetnames[:3] == ["Biểu tổng hợp", "Báo cáo", "Lịch hoạt động"]
    assert wb["Lịch hoạt động"]["A3"].value == "Đơn vị báo cáo: UBND phường Trung Liệt"


def test_merge_says_schedule_only_files_are_used_for_the_schedule(tmp_path):
    from consolidate.campaign import prepare
    from consolidate.merge import merge_folder
    from consolidate.render import render_merge

    sample = Path(__file__).resolve().parent.parent / "samples" / "dong-da-2024"
    campaign, form, units, _ = prepare(sample / "campaign.toml", None)
    result = merge_folder(sample / "da_nhan", campaign, form, units, tmp_path / "tong_hop.xlsx")
    lines = render_merge(result).split("\n")
    assert lines[0] == f"Đã tổng hợp 24/31 đơn vị vào tệp {tmp_path / 'tong_hop.xlsx'}"
    assert ("15 tệp chỉ có lịch hoạt động hoặc phần báo cáo (không có số liệu): dùng cho lịch tuần lễ và phần "
            "báo cáo.") in lines
    assert "2 tệp khác trong thư mục không được dùng: 2 bản cũ (đơn vị đã gửi bản mới hơn)." in lines


@pytest.fixture(scope="module")
def quynh_nhai_report(tmp_path_factory):
    return sample_report("quynh-nhai-2021", tmp_path_factory)


def test_quynh_nhai_sample_report_has_the_district_totals_and_every_reporting_unit(quynh_nhai_report):
    result = quynh_nhai_report
    truth = true_totals("quynh-nhai-2021")
    text = all_text(result.output)
    assert "UBND HUYỆN QUỲNH NHAI" in text
    assert truth["10.1"]["amount"] + truth["10.2"]["amount"] == 52_300_000
    assert "Tổng kinh phí toàn huyện Quỳnh Nhai: 52.300.000 đồng." in text
    table = table_with_header(Document(str(result.output)), "STT", "Các hoạt động")
    by_label = {row.cells[1].text: row.cells for row in table.rows[1:]}
    form = result.run.form
    assert by_label[form.row("1.0").label][4].text == vn_number(truth["1.0"]["people"]) == "4.033"
    assert by_label[form.row("1").label][3].text == vn_number(truth["1"]["count"]) == "116"
    assert len(result.reported) == 15 and len(result.missing) == 6 and len(result.rejected) == 2
    for unit in result.reported:
        assert unit.name in text


@pytest.mark.libreoffice
def test_libreoffice_converts_the_quynh_nhai_report_to_pdf(quynh_nhai_report, soffice_convert, tmp_path):
    pdf = soffice_convert(quynh_nhai_report.output, "pdf", tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


# ---------------------------------------------------------------------------------------------- fit to sign (issue 15)

def test_document_language_is_vietnamese(written):
    from docx.oxml.ns import qn

    doc = Document(str(written.output))
    assert doc.core_properties.language == "vi-VN"
    langs = doc.styles.element.findall(".//" + qn("w:lang"))
    assert langs and {lang.get(qn("w:val")) for lang in langs} == {"vi-VN"}
    assert doc.settings.element.find(qn("w:themeFontLang")).get(qn("w:val")) == "vi-VN"


def test_pages_are_numbered_at_the_top_from_page_two(written):
    from docx.oxml.ns import qn

    section = Document(str(written.output)).sections[0]
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    assert header.alignment == 1  # centred
    assert [t.text for t in header._p.iter(qn("w:instrText"))] == [" PAGE "]
    assert section.first_page_header.paragraphs[0].text == ""


def test_heading_names_the_district_s_levels(written, dong_da_report):
    assert "2. Lễ phát động Tuần lễ cấp huyện/xã." in all_text(written.output)
    text = all_text(dong_da_report.output)
    assert "2. Lễ phát động Tuần lễ cấp quận/phường." in text and "cấp huyện/xã" not in text


def test_agency_is_printed_in_whole_word_groups():
    from consolidate.report import word_groups

    assert word_groups("Phòng Giáo dục và Đào tạo quận Đống Đa", "quận Đống Đa") == [
        "Phòng Giáo dục và Đào tạo", "quận Đống Đa"]
    assert word_groups("Phòng  Giáo dục và Đào tạo", "huyện Quỳnh Nhai") == ["Phòng Giáo dục và Đào tạo"]


def test_heading_block_and_signature(dong_da_report):
    doc = Document(str(dong_da_report.output))
    head = doc.tables[0]
    assert [p.text for p in head.cell(1, 0).paragraphs] == ["PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "QUẬN ĐỐNG ĐA"]
    assert head.cell(0, 1).text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    sign = doc.tables[-1].cell(0, 1)
    assert [p.text for p in sign.paragraphs][:2] == ["TRƯỞNG PHÒNG", "(Ký tên, đóng dấu)"]
    assert sign.paragraphs[1].runs[0].italic


def test_column_widths_follow_the_content(dong_da_report):
    from consolidate.report import TEXT_WIDTH_CM

    doc = Document(str(dong_da_report.output))
    sched = table_with_header(doc, "TT", "Giờ")
    widths = [c.width.cm for c in sched.columns]
    assert sum(widths) == pytest.approx(TEXT_WIDTH_CM, abs=0.01)
    tt, time_, date_, unit, content = widths
    assert content == max(widths) and content > 2 * tt + time_ + date_  # "Nội dung" gets the room
    assert unit > time_ > tt
    # the grid itself (what LibreOffice lays out by) holds the widths, and the table is not autofit
    assert sched.autofit is False


def test_fit_widths():
    from consolidate.report import fit_widths

    short = fit_widths(["TT", "Ngày"], [["1", "01/10"]], total_cm=10)
    assert sum(short) == pytest.approx(10) and short[0] < short[1]
    long = fit_widths(["TT", "Nội dung"], [[str(i), "một hoạt động dài " * 20] for i in range(30)], total_cm=16)
    assert long[0] < 1.5 and long[1] > 14.5
    # a long word is never cut while a short column takes the room
    word = fit_widths(["A", "B"], [["x" * 40, "y " * 200]], total_cm=16, size=11)
    assert word[0] >= 40 * 11 * 0.5 * 2.54 / 72


def test_an_opening_that_disagrees_with_the_plan_is_noted_under_the_schedule(dong_da_report):
    text = all_text(dong_da_report.output)
    assert ("Lưu ý: lịch của TT VH TT & TT quận Đống Đa ghi \"Khai mạc “Tuần lễ hưởng ứng học tập suốt đời” năm "
            "2024\" lúc 8h30 ngày 30/09, còn kế hoạch ghi Lễ khai mạc lúc 14h00 ngày 30/09/2024.") in text
    assert [i.code for i in dong_da_report.issues if i.code == "schedule-opening-differs"] == [
        "schedule-opening-differs"]
