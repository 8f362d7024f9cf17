"""Make the sample folder of returned files, ``da_nhan/``, of the Đống Đa 2024 week (seeds/000), in its two
rounds as the district really runs them.

The files are committed; this script is how they were made (run it again to regenerate).

- Round 1, the schedule (before 27/09/2024): the 16 units of the seed's "LỊCH" send their template with
  only the "Lịch hoạt động" sheet filled, with the seed's own rows, times and dates written as the seed
  writes them ("8h30", "30/9", "2/10"). Files ``<unit>_lich.xlsx``.
- Round 2, the report (by 07/10/2024): units send numbers (Biểu tổng hợp) and the narrative (Báo cáo).
  One unit changes its activity in the report file (its newest schedule is the one used), one has a total
  that does not match its parts, one sends twice, and some units never report.

    python samples/dong-da-2024/make_returns.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE.parent))

from truth import SentFile, write_expected  # noqa: E402

from consolidate import narrative, schedule  # noqa: E402
from consolidate.campaign import load_campaign  # noqa: E402
from consolidate.identity import IDENTITY_SHEET  # noqa: E402
from consolidate.templates import make_templates, write_form_sheet  # noqa: E402
from consolidate.units import load_units  # noqa: E402

OUT = HERE / "da_nhan"
EXPECTED = HERE / "expected.json"
SEED_LICH = ROOT / "tests" / "files" / "schedule" / "seed000_lich.tsv"

# The unit of the list that each "Đơn vị" text of the seed's schedule names.
SEED_UNIT = {
    "TT VH TT & TT Quận": "K01",
    "Hội Khuyến học phối hợp với Hội Cựu chiến binh phường Láng Hạ.": "P20",
    "Tiêu học Cát Linh": "TH01",
    "Hội Khuyến học và TTHTCĐ phường Trung Liệt": "P11",
    "MN Láng Thượng": "MN01",
    "Hội Khuyến học và TTHTCĐ phường Ô Chợ Dừa": "P21",
    "Tiểu học Kim Liên": "TH02",
    "Hội Khuyến học và TTHTCĐ phường Khương Thượng": "P18",
    "Hội Khuyến học và TTHTCĐ phường Văn Chương": "P19",
    "THCS Nguyễn Trường Tộ": "CS01",
    "MN Steame Đống Đa": "MN02",
    "Tiểu học Láng Thượng": "TH03",
    "THCS Lý Thường Kiệt": "CS02",
    "THCS Thịnh Quang": "CS03",
    "Hội Khuyến học và TTHTCĐ phường Phương Mai": "P16",
    "MN Ngã Tư Sở": "MN03",
}

WARD = {
    "1.8": {"count": 2, "people": 85}, "1.13": {"count": 1, "people": 40},
    "2": {"count": 3}, "3": {"count": 6}, "4.1": {"count": 5}, "4.2": {"count": 150},
    "5.5": {"count": 1, "people": 60}, "6.2": {"count": 1, "people": 120},
    "8": {"count": 1}, "9.1": {"count": 1}, "9.2": {"count": 3},
    "10.1": {"amount": 5_000_000}, "10.2": {"amount": 2_000_000},
}
SCHOOL = {
    "1.7": {"count": 4, "people": 160}, "1.9": {"count": 1, "people": 45},
    "2": {"count": 2}, "3": {"count": 4}, "4.1": {"count": 10}, "4.2": {"count": 260},
    "5.1": {"count": 1}, "5.4": {"count": 1, "people": 90},
    "6.1": {"count": 1, "people": 300}, "7.1": {"count": 1}, "9.2": {"count": 2},
    "10.1": {"amount": 3_000_000}, "10.2": {"amount": 1_500_000},
}
OTHER = {"2": {"count": 5}, "3": {"count": 20}, "5.2": {"count": 1}, "8": {"count": 1},
         "10.1": {"amount": 15_000_000}}
RULES = {("1", "count"): [f"1.{i}" for i in range(1, 14)], ("1.0", "people"): [f"1.{i}" for i in range(1, 14)],
         ("5", "count"): [f"5.{i}" for i in range(1, 7)], ("6", "count"): ["6.1", "6.2", "6.3"]}


def with_totals(values: dict[str, dict[str, int]], scale: int = 1) -> dict[str, dict[str, int]]:
    """Scale a unit's values and fill the totals as a careful unit would."""
    # 7.1 is the school itself opening the week: one, whatever the school's size
    out = {code: {m: v * (1 if code == "7.1" else scale) for m, v in d.items()} for code, d in values.items()}
    for (total, measure), parts in RULES.items():
        s = sum(out.get(p, {}).get(measure, 0) for p in parts)
        if s:
            out.setdefault(total, {})[measure] = s
    return out


OPENING = {
    "Phường": "Tổ chức phát động Tuần lễ tại Trung tâm học tập cộng đồng phường; cử cán bộ dự Lễ khai mạc cấp "
              "Quận ngày 30/9/2024.",
    "school": "Phát động Tuần lễ trong buổi chào cờ đầu tuần ngày 30/9/2024; treo 02 khẩu hiệu về chủ đề "
              "\"Phát triển văn hóa đọc thúc đẩy học tập suốt đời\".",
    "Khác": "Tổ chức Lễ khai mạc Tuần lễ cấp Quận ngày 30/9/2024 tại số 22 phố Đặng Tiến Đông.",
}
ACTIVITIES = {
    "Phường": "Tuyên truyền trên hệ thống truyền thanh phường; thư viện phường mở cửa liên tục, giới thiệu sách.",
    "school": "Tổ chức ngày hội đọc sách, giới thiệu sách mới; tăng thời lượng đọc tại thư viện trường.",
    "Khác": "Mở cửa Thư viện Quận; hướng dẫn các thư viện phường phục vụ nhân dân suốt Tuần lễ.",
}
RESULTS = [
    "Các hoạt động thiết thực, thu hút đông đảo người tham gia; văn hóa đọc được lan tỏa.",
    "Phối hợp tốt với Hội Khuyến học; nhiều gia đình cùng tham gia các hoạt động đọc sách.",
    "Bài học: chuẩn bị sớm, giao việc rõ người, rõ thời hạn; tận dụng mạng xã hội để tuyên truyền.",
]


def texts(unit_name: str, kind: str, values: dict[str, dict[str, int]], activity: str | None,
          n: int) -> dict[str, str]:
    """What a unit writes under the Phụ lục 1 headings."""
    money = values.get("10.1", {}).get("amount", 0), values.get("10.2", {}).get("amount", 0)
    vn = lambda v: f"{v:,}".replace(",", ".")  # noqa: E731
    group = kind if kind in ("Phường", "Khác") else "school"
    out = {
        "I.1": f"{unit_name} ban hành kế hoạch tổ chức Tuần lễ, phân công cán bộ theo dõi, đôn đốc thực hiện.",
        "I.2": OPENING[group],
        "I.3": (f"{activity}\n" if activity else "") + ACTIVITIES[group],
        "I.4": f"Ngân sách nhà nước: {vn(money[0])} đồng; huy động từ các nguồn hợp pháp khác: {vn(money[1])} đồng.",
        "II.1": RESULTS[n % len(RESULTS)],
    }
    if kind == "Phường":
        out["II.2"] = "Kinh phí tổ chức còn hạn chế; một số hoạt động trùng lịch công tác của phường."
        out["II.3"] = "Đề nghị Quận bổ sung đầu sách cho thư viện, tủ sách của Trung tâm học tập cộng đồng."
    elif group == "school":
        out["II.3"] = "Đề nghị tiếp tục tập huấn khai thác học liệu số cho giáo viên."
    return out


def seed_rows() -> list[list[str]]:
    lines = SEED_LICH.read_text(encoding="utf-8").split("\n")
    return [line.split("\t") for line in lines[1:] if line.strip()]


def text_boxes(ws) -> list[int]:  # noqa: ANN001
    boxes = [r for r in ws.merged_cells.ranges if r.max_row - r.min_row == narrative.TEXT_ROWS - 1]
    return sorted(r.min_row for r in boxes)


def fill(path: Path, saved_at: dt.datetime, layout, *, values=None, sections=None, activities=()) -> None:  # noqa: ANN001
    """Type into a template's white cells as a unit would, and cache the save time Excel writes for =NOW()."""
    wb = openpyxl.load_workbook(path)
    form_ws = wb.worksheets[0]
    for code, measures in (values or {}).items():
        for measure, value in measures.items():
            cell = form_ws[layout.cell(code, measure)]
            assert cell.protection.locked is False, f"{path.name}: {cell.coordinate} is locked"
            cell.value = value
    spec = narrative.load_narrative()
    if sections:
        ws = wb[spec.sheet]
        rows = dict(zip([h.code for h in spec.headings], text_boxes(ws)))
        for code, text in sections.items():
            ws.cell(rows[code], 1).value = text
    ws = wb[schedule.SHEET]
    for i, (time_, date_, content, place) in enumerate(activities):
        for col, value in zip((2, 3, 4, 5), (time_, date_, content, place)):
            ws.cell(7 + i, col).value = value or None
    for row in wb[IDENTITY_SHEET].iter_rows():
        if row[0].value == "saved_at":
            row[1].value = saved_at
    wb.save(path)


def main() -> None:
    campaign = load_campaign(HERE / "campaign.toml")
    form = campaign.form()
    units, issues = load_units(HERE / "units.csv")
    assert units and not issues
    layout = write_form_sheet(openpyxl.Workbook().active, form, title="t", subtitle="s", unit_line="x")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        made = make_templates(campaign, form, units, tmp / "mau", now=dt.datetime(2024, 9, 20, 8, 0),
                              extra_sheets=[narrative.template_writer, schedule.template_writer])
        by_code = {p.name.split("_")[0]: p for p in made.files}

        sent: list[SentFile] = []
        activities_in: dict[str, int] = {}  # file name → schedule rows it carries

        def put(code: str, saved: dt.datetime, suffix: str = "", status: str = "accepted", why: str = "",
                **kwargs) -> Path:  # noqa: ANN003
            src = by_code[code]
            target = OUT / (src.stem + suffix + src.suffix)
            shutil.copy(src, target)
            fill(target, saved, layout, **kwargs)
            parts = tuple(p for p, given in (("form", kwargs.get("values")), ("narrative", kwargs.get("sections")),
                                            ("schedule", kwargs.get("activities"))) if given)
            sent.append(SentFile(target.name, status, code, dict(kwargs.get("values") or {}), why, parts))
            activities_in[target.name] = len(kwargs.get("activities") or ())
            return target

        # round 1: the schedule, as the seed's "LỊCH" gives it
        planned: dict[str, tuple[str, str, str, str]] = {}
        for i, (_tt, time_, date_, who, content) in enumerate(seed_rows()):
            code = SEED_UNIT[who]
            planned[code] = (time_, date_, content, "")
            put(code, dt.datetime(2024, 9, 24 + i % 4, 9 + i % 7, 15), "_lich", activities=[planned[code]],
                why="round 1: the schedule only")

        # round 2: numbers and narrative
        kinds = {u.code: u.type for u in units}
        base = {"Phường": WARD, "Mầm non": SCHOOL, "Tiểu học": SCHOOL, "THCS": SCHOOL, "Khác": OTHER}
        never = {"P03", "P07", "P09", "P14", "MN03", "CS02"}  # CS02 and MN03 sent their schedule only
        for n, unit in enumerate(units):
            if unit.code in never:
                continue
            values = with_totals(base[unit.type], 1 + n % 3)
            activity = planned.get(unit.code, (None, None, None, None))[2]
            sections = texts(unit.name, kinds[unit.code], values, activity, n)
            saved = dt.datetime(2024, 10, 3 + n % 5, 8 + n % 9, 40)
            extra: dict[str, object] = {}
            if unit.code == "TH02":
                # the school moved its activity; the report file carries the new schedule row
                extra["activities"] = [("14h00", "03/10", "Hoạt động trải nghiệm của học sinh khối 5 (dời lịch)",
                                        "Sân trường")]
            if unit.code == "P05":
                values["1"]["count"] = 9  # its parts say 3: a total that does not match
            if unit.code == "P12":
                first = with_totals(base[unit.type])
                first["4.2"]["count"] = "một trăm"
                put(unit.code, saved - dt.timedelta(days=1), " (lan 1)", status="superseded",
                    why="a count in words; sent again corrected", values=first, sections=sections)
                put(unit.code, saved, " (lan 2)", values=values, sections=sections)
                continue
            put(unit.code, saved, status="rejected" if unit.code == "P05" else "accepted",
                why="total 1 is 9, its parts 3" if unit.code == "P05" else "", values=values, sections=sections,
                **extra)
        # TH02's report file carries its moved activity: its round-1 schedule is superseded by it
        th02 = next(f for f in sent if f.unit == "TH02" and f.parts == ("schedule",))
        th02.status, th02.why = "superseded", "the report file carries the moved activity"
        assert sorted(f.name for f in sent) == sorted(p.name for p in OUT.iterdir())
        schedule_files = [f for f in sent if "schedule" in f.parts and f.status != "superseded"]
        schedule_units = {f.unit for f in schedule_files}
        narrative_units = {f.unit for f in sent if "narrative" in f.parts and f.status != "superseded"}
        write_expected(EXPECTED, [u.code for u in units], sent, extra={
            "schedule": {"activities": sum(activities_in[f.name] for f in schedule_files),
                         "units": len(schedule_units)},
            "narrative": {"units": len(narrative_units)}})
    print(f"{len(list(OUT.iterdir()))} files in {OUT}")


if __name__ == "__main__":
    main()
