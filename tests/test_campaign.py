"""The campaign file: TOML loading, command-line overrides, bad dates and years."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FILES, SAMPLES
from consolidate.campaign import district_kind, load_campaign, place_name, prepare
from consolidate.issues import RunError

D = dt.date


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text("[campaign]\n" + body, encoding="utf-8")
    return path


def test_sample_campaign_loads(campaign):
    assert campaign.title == "Tuần lễ hưởng ứng học tập suốt đời năm 2021"
    assert (campaign.year, campaign.district, campaign.province) == (2021, "huyện Quỳnh Nhai", "tỉnh Sơn La")
    assert campaign.office == "Phòng Giáo dục và Đào tạo huyện Quỳnh Nhai"
    assert campaign.email == "buithiyenqn@gmail.com"
    assert (campaign.deadline, campaign.start, campaign.end) == (D(2021, 10, 15), D(2021, 10, 1), D(2021, 10, 7))
    assert (campaign.opening, campaign.schedule_deadline) == (D(2021, 10, 1), D(2021, 9, 30))
    assert campaign.units_file == SAMPLES / "units.csv"  # relative to the campaign file, not the cwd
    assert campaign.form_file is None and campaign.form().id == "tlhtsd-bieu-tong-hop"
    assert campaign.window == (D(2021, 10, 1), D(2021, 10, 7))


def test_overrides_win_and_none_is_ignored():
    camp = load_campaign(SAMPLES / "campaign.toml", deadline="20/10/2021", district="huyện Mường La",
                         title=None, year=None)
    assert (camp.deadline, camp.district, camp.year) == (D(2021, 10, 20), "huyện Mường La", 2021)
    assert camp.title == "Tuần lễ hưởng ứng học tập suốt đời năm 2021"
    assert load_campaign(SAMPLES / "campaign.toml", year=2022).year == 2022


@pytest.mark.parametrize("text, expected", [
    ('"15/10/2021"', D(2021, 10, 15)), ('"2021-10-15"', D(2021, 10, 15)), ("2021-10-15", D(2021, 10, 15)),
    ('"15-10-2021"', D(2021, 10, 15)), ('"15.10.2021"', D(2021, 10, 15)), ('""', None),
])
def test_date_writings(tmp_path, text, expected):
    camp = load_campaign(write(tmp_path, f'title = "T"\nyear = 2021\ndeadline = {text}\n'))
    assert camp.deadline == expected


def test_bad_date_in_file_names_the_file_and_key(tmp_path):
    path = write(tmp_path, 'title = "T"\nyear = 2021\ndeadline = "31/02/2021"\n')
    with pytest.raises(RunError) as exc:
        load_campaign(path)
    assert str(exc.value) == (f"Tệp đợt báo cáo {path}: hạn nộp (deadline) = '31/02/2021' không phải ngày hợp lệ "
                              "(viết ngày/tháng/năm, ví dụ 15/10/2021).")


def test_bad_date_override_names_the_option():
    with pytest.raises(RunError) as exc:
        load_campaign(SAMPLES / "campaign.toml", deadline="mai")
    assert str(exc.value) == ("Tùy chọn --deadline: hạn nộp (deadline) = 'mai' không phải ngày hợp lệ "
                              "(viết ngày/tháng/năm, ví dụ 15/10/2021).")


def test_end_before_start(tmp_path):
    path = write(tmp_path, 'title = "T"\nyear = 2021\nstart = "07/10/2021"\nend = "01/10/2021"\n')
    with pytest.raises(RunError, match=r"^Ngày kết thúc Tuần lễ 01/10/2021 trước ngày bắt đầu 07/10/2021\.$"):
        load_campaign(path)


@pytest.mark.parametrize("year", ['"hai nghìn"', "21", "3000"])
def test_bad_year(tmp_path, year):
    path = write(tmp_path, f'title = "T"\nyear = {year}\n')
    with pytest.raises(RunError, match=r"năm .* không hợp lệ \(viết bốn chữ số, ví dụ 2021\)\.$"):
        load_campaign(path)


def test_missing_key_bad_syntax_missing_file(tmp_path):
    with pytest.raises(RunError, match=r": thiếu khóa year\.$"):
        load_campaign(write(tmp_path, 'title = "T"\n'))
    bad = tmp_path / "bad.toml"
    bad.write_text("[campaign\ntitle=", encoding="utf-8")
    with pytest.raises(RunError, match=r"^Tệp đợt báo cáo .*bad\.toml sai cú pháp: "):
        load_campaign(bad)
    with pytest.raises(RunError, match=r"^Không tìm thấy tệp đợt báo cáo .*khong_co\.toml\.$"):
        load_campaign(tmp_path / "khong_co.toml")


def test_no_file_is_this_year_or_the_given_year():
    assert load_campaign(None).year == dt.date.today().year
    camp = load_campaign(None, year=2024)
    assert (camp.year, camp.title) == (2024, "Tuần lễ hưởng ứng học tập suốt đời năm 2024")


def test_prepare_loads_all_and_units_option_wins():
    campaign, form, units, issues = prepare(SAMPLES / "campaign.toml", FILES / "units_en.xlsx")
    assert issues == [] and len(units) == 2 and form.id == "tlhtsd-bieu-tong-hop"
    assert campaign.units_file == FILES / "units_en.xlsx"


def test_prepare_without_units_and_with_a_bad_form(tmp_path):
    with pytest.raises(RunError, match="^Chưa có danh sách đơn vị: dùng --units TỆP"):
        prepare(write(tmp_path, 'title = "T"\nyear = 2021\n'), None)
    (tmp_path / "form.toml").write_text("[form]\nid = 'x'\n", encoding="utf-8")
    path = write(tmp_path, f'title = "T"\nyear = 2021\nform = "form.toml"\nunits = "{(SAMPLES / "units.csv").as_posix()}"\n')
    with pytest.raises(RunError, match=r"^Định nghĩa biểu mẫu .*form\.toml: thiếu khóa \[form\]\.version$"):
        prepare(path, None)


def test_cli_bad_deadline_is_one_line_exit_1(tmp_path):
    from consolidate.cli import main

    result = CliRunner().invoke(main, ["templates", "--campaign", str(SAMPLES / "campaign.toml"),
                                       "--deadline", "32/10/2021", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == ("Lỗi: Tùy chọn --deadline: hạn nộp (deadline) = '32/10/2021' không phải ngày hợp lệ "
                             "(viết ngày/tháng/năm, ví dụ 15/10/2021).\n")
    assert not (tmp_path / "out").exists()


def test_cli_deadline_override_reaches_the_mailing_list(tmp_path):
    from consolidate.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["templates", "--campaign", str(SAMPLES / "campaign.toml"),
                                       "--units", str(FILES / "units_en.xlsx"), "--deadline", "20/10/2021",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "trước ngày 20/10/2021" in (out / "danh_sach_gui_thu.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("district", "kind", "place"), [
    ("huyện Quỳnh Nhai", "huyện", "Quỳnh Nhai"),
    ("quận Đống Đa", "quận", "Đống Đa"),
    ("Thị xã Sơn Tây", "thị xã", "Sơn Tây"),
    ("TP. Sơn La", "thành phố", "Sơn La"),
    ("Mường La", "huyện", "Mường La"),
    ("", "huyện", "……"),
])
def test_district_kind_and_place_name(district: str, kind: str, place: str):
    assert district_kind(district) == kind
    assert place_name(district) == place


def test_opening_time_and_the_district_s_levels(tmp_path):
    camp = load_campaign(write(tmp_path, 'title = "t"\nyear = 2024\ndistrict = "quận Đống Đa"\n'
                                         'opening = "30/09/2024"\nopening_time = "14h00"\n'))
    assert (camp.opening, camp.opening_time) == (D(2024, 9, 30), dt.time(14, 0))
    assert (camp.district_kind, camp.commune_kind) == ("quận", "phường")
    assert camp.levels("cấp {district_kind}/{commune_kind}") == "cấp quận/phường"
    own = load_campaign(write(tmp_path, 'title = "t"\nyear = 2024\ndistrict = "huyện Quỳnh Nhai"\n'
                                        'communes = "xã/thị trấn"\n'))
    assert (own.opening_time, own.levels("cấp {district_kind}/{commune_kind}")) == (None, "cấp huyện/xã/thị trấn")
    assert load_campaign(write(tmp_path, 'title = "t"\nyear = 2024\n')).commune_kind == "xã"  # the form's words
    # a province (the Sở rolling up district summaries, samples/son-la-2021): the level below is the huyện
    sl = load_campaign(write(tmp_path, 'title = "t"\nyear = 2021\ndistrict = "tỉnh Sơn La"\n'))
    assert sl.levels("cấp {district_kind}/{commune_kind}") == "cấp tỉnh/huyện"


def test_bad_opening_time_names_the_file_and_key(tmp_path):
    path = write(tmp_path, 'title = "t"\nyear = 2024\nopening_time = "chiều"\n')
    with pytest.raises(RunError) as err:
        load_campaign(path)
    assert str(err.value) == (f"Tệp đợt báo cáo {path}: giờ khai mạc (opening_time) = 'chiều' không phải giờ hợp lệ "
                              "(ví dụ 14h00).")


def test_xac_nhan_books_files_to_units_and_add_confirmation_keeps_the_file(tmp_path):
    from consolidate.campaign import add_confirmation, confirm_line, load_campaign

    path = tmp_path / "campaign.toml"
    path.write_text('# đợt của tôi\n[campaign]\ntitle = "Tuần lễ"\nyear = 2021\ncode = "QNH"\n', encoding="utf-8")
    assert load_campaign(path).confirmed == {}
    add_confirmation(path, "Bao cao \"cu\".ods", "X02")
    add_confirmation(path, "con/X01.xlsx", "X01")
    add_confirmation(path, "Bao cao \"cu\".ods", "X03")  # a later word replaces the earlier one
    camp = load_campaign(path)
    assert camp.confirmed == {"Bao cao \"cu\".ods": "X03", "con/X01.xlsx": "X01"}
    assert camp.code == "QNH"
    text = path.read_text(encoding="utf-8")
    assert text.startswith('# đợt của tôi\n[campaign]\ntitle = "Tuần lễ"\n')
    assert confirm_line("Bao cao \"cu\".ods", "X03") in text.splitlines()
    assert confirm_line("Bao cao \"cu\".ods", "X03") == '"Bao cao \\"cu\\".ods" = "X03"'


def test_xac_nhan_without_a_code_is_a_message(tmp_path):
    from consolidate.campaign import load_campaign
    from consolidate.issues import RunError

    path = tmp_path / "campaign.toml"
    path.write_text('[campaign]\ntitle = "T"\nyear = 2021\n[xac_nhan]\n"a.xlsx" = ""\n', encoding="utf-8")
    with pytest.raises(RunError) as err:
        load_campaign(path)
    assert str(err.value) == (f"Tệp đợt báo cáo {path}: mục [xac_nhan], tệp 'a.xlsx': cần ghi mã đơn vị, "
                              "ví dụ \"a.xlsx\" = \"TH01\".")
