"""The samples' figures against the truth their generators wrote (``samples/*/expected.json``).

``make_returns.py`` knows what each unit typed and which mistakes it made on purpose; it writes the true
file verdicts, unit values and district totals beside the files (``samples/truth.py``, no import of the
package). Here the program's outputs are compared with that truth, never with the package's own sums:
the CLI's ``merge --json``, the cells of the summary workbook (read with python-calamine, rows found by
their labels and units by their codes, not by position), the numbers of the Word report (python-docx),
and the totals and counts the README shows for the same commands.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from python_calamine import CalamineWorkbook

from consolidate.form import load_form

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ["quynh-nhai-2021", "dong-da-2024", "son-la-2021"]
MEASURES = ("count", "people", "amount")
FORM = load_form()


def truth(sample: str) -> dict:
    return json.loads((ROOT / "samples" / sample / "expected.json").read_text(encoding="utf-8"))


def vn(n: int) -> str:
    """A whole number as the README and the report write it: 4.033, 43.400.000."""
    return f"{n:,}".replace(",", ".")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "consolidate", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def _digests(sample: str) -> dict[str, str]:
    import hashlib

    folder = ROOT / "samples" / sample / "da_nhan"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


BEFORE = {sample: _digests(sample) for sample in SAMPLES}  # at import, before any run of this module


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess, dict, Path]]:
    """Each sample merged once by the CLI: (the process, the --json document, the summary workbook)."""
    out = {}
    for sample in SAMPLES:
        folder = tmp_path_factory.mktemp(sample)
        here = ROOT / "samples" / sample
        proc = run_cli("merge", str(here / "da_nhan"), "--campaign", str(here / "campaign.toml"),
                       "-o", str(folder / "tong_hop.xlsx"), "--json", str(folder / "ket_qua.json"))
        out[sample] = (proc, json.loads((folder / "ket_qua.json").read_text(encoding="utf-8")),
                       folder / "tong_hop.xlsx")
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    out = {}
    for sample in SAMPLES:
        folder = tmp_path_factory.mktemp(f"{sample}-report")
        here = ROOT / "samples" / sample
        proc = run_cli("report", str(here / "da_nhan"), "--campaign", str(here / "campaign.toml"),
                       "-o", str(folder / "bao_cao.docx"))
        out[sample] = (proc, folder / "bao_cao.docx")
    return out


# ------------------------------------------------------------------------------------ the truth itself

@pytest.mark.parametrize("sample", SAMPLES)
def test_the_truth_covers_every_file_and_unit_of_the_sample(sample: str) -> None:
    t = truth(sample)
    here = ROOT / "samples" / sample
    assert sorted(t["files"]) == sorted(p.name for p in (here / "da_nhan").iterdir())
    codes = [line.split(",")[0] for line in (here / "units.csv").read_text(encoding="utf-8").splitlines()[1:]
             if line.strip()]
    assert list(t["units"]) == codes
    # the totals are plain sums of the accepted units' values (what the generator wrote, checked again)
    for row, measures in t["totals"].items():
        for m, total in measures.items():
            assert total == sum(u["values"].get(row, {}).get(m) or 0 for u in t["units"].values()
                                if u["status"] == "accepted"), (row, m)


def test_the_headline_figures_of_the_samples() -> None:
    """The figures the README quotes, as the generators' data give them (not as the program computes)."""
    qn, dd = truth("quynh-nhai-2021"), truth("dong-da-2024")
    assert (qn["counts"]["accepted"], qn["counts"]["units"], qn["counts"]["rejected"], qn["counts"]["missing"]) \
        == (15, 23, 2, 6)
    assert (qn["totals"]["1"]["count"], qn["totals"]["1.0"]["people"], qn["totals"]["10.1"]["amount"],
            qn["totals"]["10.2"]["amount"]) == (116, 4033, 43_400_000, 8_900_000)
    assert (dd["counts"]["accepted"], dd["counts"]["units"], dd["counts"]["rejected"], dd["counts"]["missing"]) \
        == (24, 31, 1, 6)
    assert (dd["totals"]["1"]["count"], dd["totals"]["1.0"]["people"], dd["totals"]["10.1"]["amount"],
            dd["totals"]["10.2"]["amount"]) == (158, 6540, 209_000_000, 81_500_000)
    # the province: Quỳnh Nhai's summary is added; Thuận Châu's (--include-invalid) is refused
    sl = truth("son-la-2021")
    assert (sl["counts"]["accepted"], sl["counts"]["units"], sl["counts"]["rejected"], sl["counts"]["missing"]) \
        == (1, 12, 1, 10)
    assert sl["totals"] == qn["totals"]
    assert sl["units"]["TCH"]["values"]["1"]["count"] == 137  # 116 + X04's 10 + TH03's 11, unchecked
    assert sl["pedigree"] == {"QNH": {"merged": 15, "total": 23, "include_invalid": False},
                              "TCH": {"merged": 17, "total": 23, "include_invalid": True}}


def test_the_province_truth_follows_the_district_truth() -> None:
    """Sơn La's truth is made from Quỳnh Nhai's (its district summaries are Quỳnh Nhai's sample merged): if that
    sample changes, the committed province truth must be regenerated (python samples/son-la-2021/make_returns.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("son_la_make_returns",
                                                  ROOT / "samples" / "son-la-2021" / "make_returns.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    qn, sl = truth("quynh-nhai-2021"), truth("son-la-2021")
    assert sl["units"]["QNH"]["values"] == module.district_values(qn, ("accepted",))
    assert sl["units"]["TCH"]["values"] == module.district_values(qn, ("accepted", "rejected"))
    assert sl["pedigree"]["TCH"]["merged"] == qn["counts"]["accepted"] + qn["counts"]["rejected"]


# ------------------------------------------------------------------------------------- merge --json

@pytest.mark.parametrize("sample", SAMPLES)
def test_merge_json_agrees_with_the_truth(sample: str, merged) -> None:
    proc, doc, _ = merged[sample]
    t = truth(sample)
    assert proc.returncode == 1, proc.stderr  # units missing and files with errors: "problems found"
    assert {f["file"]: f["status"] for f in doc["files"]} == {name: f["status"] for name, f in t["files"].items()}
    assert {f["file"]: f["unit"] for f in doc["files"] if f["unit"]} == {
        name: f["unit"] for name, f in t["files"].items() if f["unit"] and f["status"] not in ("unreadable",)}
    for key in ("units", "accepted", "rejected", "missing"):
        assert doc["summary"][key] == t["counts"][key], key
    assert doc["merge"]["merged_units"] == [u for u, v in t["units"].items() if v["status"] == "accepted"]
    for code, unit in t["units"].items():
        got = doc["units"][code]
        assert (got["status"], got["file"]) == (unit["status"], unit["file"]), code
        if unit["status"] == "missing":
            continue
        for row in FORM.value_rows:
            for m in row.numeric_measures:
                want = unit["values"].get(row.code, {}).get(m)
                assert got["values"][row.code][m] == want, (code, row.code, m)
    for row in FORM.value_rows:
        for m in row.numeric_measures:
            assert doc["totals"][row.code][m] == t["totals"].get(row.code, {}).get(m), (row.code, m)


# ------------------------------------------------------------------------------- the summary workbook

def _sheet(path: Path, name: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def _labels() -> dict[str, str]:
    return {row.label: row.code for row in FORM.rows}


def _form_cells(rows: list[list[object]]) -> dict[tuple[str, str], object]:
    """(row code, measure) → cell value of a sheet laid out as the form, found by its header texts."""
    header = next(r for r, cells in enumerate(rows) if any(str(c).strip() == "Các hoạt động" for c in cells))
    label_col = next(c for c, v in enumerate(rows[header]) if str(v).strip() == "Các hoạt động")
    cols: dict[str, int] = {}
    last = header  # the column titles stand on one header row or two ("Số lượng" over its two columns)
    for r in (header, header + 1):
        for c, v in enumerate(rows[r]):
            text = str(v).strip()
            if text.startswith("Số lớp"):
                cols["count"] = cols["amount"] = c
                last = r
            elif text == "Người":
                cols["people"] = c
                last = r
    assert set(cols) == {"count", "amount", "people"}, rows[header:header + 2]
    labels, out = _labels(), {}
    for cells in rows[last + 1:]:
        code = labels.get(str(cells[label_col]).strip()) if label_col < len(cells) else None
        if code is None:
            continue
        for m in FORM.row(code).numeric_measures:
            out[(code, m)] = cells[cols[m]] if cols[m] < len(cells) else ""
    return out


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_summary_form_sheet_holds_the_true_totals(sample: str, merged) -> None:
    _, _, xlsx = merged[sample]
    t = truth(sample)
    cells = _form_cells(_sheet(xlsx, "Biểu tổng hợp"))
    wanted = [(row.code, m) for row in FORM.value_rows for m in row.numeric_measures]
    assert sorted(cells) == sorted(wanted)
    for code, m in wanted:
        want = t["totals"].get(code, {}).get(m)
        got = cells[(code, m)]
        if want is None:  # no accepted unit reported it: blank (a district total of nothing may show 0)
            assert got in ("", None, 0, 0.0), (code, m, got)
        else:
            assert got == want, (code, m, got, want)
    text = " ".join(str(c) for row in _sheet(xlsx, "Biểu tổng hợp")[:12] for c in row)
    assert f"{t['counts']['accepted']}/{t['counts']['units']} đơn vị" in text


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_per_unit_sheet_holds_each_accepted_units_values(sample: str, merged) -> None:
    """Rows of one measure (their value stands on the label's own row), each accepted unit's column found
    by its code: the unit's true value, blank kept apart from 0."""
    _, _, xlsx = merged[sample]
    t = truth(sample)
    rows = _sheet(xlsx, "Theo đơn vị")
    units = t["units"]
    accepted = [u for u, v in units.items() if v["status"] == "accepted"]
    code_row = next(r for r in rows if sum(str(c).strip() in accepted for c in r) >= min(2, len(accepted)))
    at = {str(c).strip(): k for k, c in enumerate(code_row) if str(c).strip() in units}
    assert sorted(at) == sorted(accepted)  # only the units that are added up have a column
    labels = _labels()
    single = {r.code for r in FORM.value_rows if len(r.numeric_measures) == 1}
    checked = 0
    for cells in rows:
        code = next((labels[str(c).strip()] for c in cells[:4] if str(c).strip() in labels), None)
        if code not in single:
            continue
        (m,) = FORM.row(code).numeric_measures
        for unit in accepted:
            want = units[unit]["values"].get(code, {}).get(m)
            got = cells[at[unit]]
            assert got == ("" if want is None else want), (unit, code, m, got, want)
            checked += 1
    assert checked >= 10 * len(accepted)


# ------------------------------------------------------------------------------------ the Word report

def _number(text: str) -> int:
    return int(text.replace(".", ""))


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_word_report_numbers_are_the_true_ones(sample: str, reports) -> None:
    proc, path = reports[sample]
    assert proc.returncode == 0, proc.stderr  # the draft is written: success, whatever the units did
    t = truth(sample)
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    money = {"10.1": "Ngân sách nhà nước", "10.2": "Kinh phí hỗ trợ, huy động từ các nguồn hợp pháp khác (nếu có)"}
    for code, label in money.items():
        line = next(p for p in paragraphs if p.startswith(f"- {label}: "))
        assert line == f"- {label}: {vn(t['totals'][code]['amount'])} đồng."
    total_line = next(p for p in paragraphs if p.startswith("Tổng kinh phí toàn "))
    assert total_line.endswith(f": {vn(t['totals']['10.1']['amount'] + t['totals']['10.2']['amount'])} đồng.")
    c = t["counts"]
    assert (f"Đã nộp và được tổng hợp: {c['accepted']}/{c['units']} đơn vị; đã nộp nhưng còn lỗi: "
            f"{c['rejected']}; chưa nộp: {c['missing']}.") in paragraphs
    # the merged form (Phụ lục 2) under II.4: every number of it, found by the row labels
    table = next(tb for tb in document.tables if any(cell.text.strip() == "Các hoạt động" for cell in tb.rows[0].cells))
    grid = [[cell.text for cell in row.cells] for row in table.rows]
    cells = _form_cells(grid)
    for row in FORM.value_rows:
        for m in row.numeric_measures:
            want = t["totals"].get(row.code, {}).get(m)
            got = cells[(row.code, m)].strip()
            assert (got in ("", "0") if want is None else _number(got) == want), (row.code, m, got, want)
    if "schedule" in t:
        schedule = next(tb for tb in document.tables if [c.text for c in tb.rows[0].cells][:3] == ["TT", "Giờ", "Ngày"])
        assert len(schedule.rows) - 1 == t["schedule"]["activities"]


# ---------------------------------------------------------------------------------------- the README

def _readme_output(command: str) -> str:
    """The ```text block that follows the README's code block holding ``command``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, re.S)
    for k, (lang, body) in enumerate(blocks):
        if lang != "text" and command in body:
            following = next((b for lg, b in blocks[k + 1:k + 2] if lg == "text"), None)
            assert following is not None, f"no output block after {command!r}"
            return following
    raise AssertionError(f"README has no command {command!r}")


def _codes_in(line: str) -> list[str]:
    return re.findall(r"\(([A-Z]+\d*)(?:, \d+ lỗi)?\)", line)  # a school's MN01, a district's QNH


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_readme_merge_output_shows_the_true_figures(sample: str) -> None:
    t = truth(sample)
    out = _readme_output(f"consolidate merge samples/{sample}/da_nhan")
    c, totals = t["counts"], t["totals"]
    assert re.search(rf"^Đã tổng hợp {c['accepted']}/{c['units']} đơn vị vào tệp ", out, re.M), out
    headline = re.search(r"^Toàn (?:huyện|quận|thị xã|thành phố|tỉnh): (.*)$", out, re.M)
    assert headline is not None, out
    assert headline.group(1) == (
        f"{vn(totals['1']['count'])} lớp bồi dưỡng; {vn(totals['1.0']['people'])} người tham gia; "
        f"{vn(totals['10.1']['amount'])} đồng ngân sách; {vn(totals['10.2']['amount'])} đồng huy động khác.")
    missing = next(line for line in out.splitlines() if line.startswith("Chưa nộp ("))
    assert missing.startswith(f"Chưa nộp ({c['missing']}): ")
    assert _codes_in(missing) == [u for u, v in t["units"].items() if v["status"] == "missing"]
    rejected = next(line for line in out.splitlines() if line.startswith("Có lỗi, chưa được cộng ("))
    assert rejected.startswith(f"Có lỗi, chưa được cộng ({c['rejected']}): ")
    assert _codes_in(rejected) == [u for u, v in t["units"].items() if v["status"] == "rejected"]
    unused = c["files_superseded"] + c["files_unknown_unit"] + c["files_not_a_report"] + c["files_unreadable"]
    other = next((line for line in out.splitlines() if "tệp khác trong thư mục không được dùng" in line), None)
    if not unused:
        assert other is None, other
        return
    assert other is not None and other.startswith(f"{unused} tệp khác trong thư mục không được dùng: ")
    if c["files_superseded"]:
        assert f"{c['files_superseded']} bản cũ" in other


def test_the_province_check_shows_each_districts_true_completeness() -> None:
    """The README promises that the province's check shows how many units each district summary adds up:
    the N/M of each district comes from Quỳnh Nhai's truth, and the --include-invalid one is an error."""
    t = truth("son-la-2021")
    here = ROOT / "samples" / "son-la-2021"
    proc = run_cli("check", str(here / "da_nhan"), "--campaign", str(here / "campaign.toml"))
    assert proc.returncode == 1, proc.stderr
    names = {f["unit"]: name for name, f in t["files"].items()}
    for code, p in t["pedigree"].items():
        missing = p["total"] - p["merged"]
        district = {"QNH": "Quỳnh Nhai", "TCH": "Thuận Châu"}[code]
        assert (f"  Thông tin: biểu tổng hợp của Phòng Giáo dục và Đào tạo huyện {district}, tổng hợp từ "
                f"{p['merged']}/{p['total']} đơn vị, thiếu {missing} đơn vị.") in proc.stdout.splitlines()
        refused = (f"  Lỗi: biểu tổng hợp của Phòng Giáo dục và Đào tạo huyện {district} được lập với "
                   "--include-invalid")
        assert any(line.startswith(refused) for line in proc.stdout.splitlines()) == p["include_invalid"]
        status = {"accepted": "hợp lệ", "rejected": "có lỗi"}[t["files"][names[code]]["status"]]
        assert re.search(rf"^{re.escape(names[code])}\s+.*\({code}\)\s+{status}\s", proc.stdout, re.M), code


def test_the_readme_report_output_shows_the_true_figures() -> None:
    t = truth("dong-da-2024")
    out = _readme_output("consolidate report samples/dong-da-2024/da_nhan")
    c = t["counts"]
    assert f"Số liệu tổng hợp từ {c['accepted']}/{c['units']} đơn vị; còn lỗi: {c['rejected']}; " \
           f"chưa nộp: {c['missing']}." in out
    assert f"Lịch tuần lễ: {t['schedule']['activities']} hoạt động của {t['schedule']['units']} đơn vị" in out
    assert f"Phần báo cáo (Phụ lục 1): {t['narrative']['units']} đơn vị đã viết." in out


def test_the_readme_exit_code_of_the_sample_merge_is_the_clis(merged) -> None:
    """The README says why the sample merge exits 1; the truth says units are missing and files have errors."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"^Mã thoát là (\d) vì thư mục mẫu cố ý có đơn vị chưa nộp và tệp có lỗi", text, re.M)
    assert said is not None
    t = truth("quynh-nhai-2021")
    assert t["counts"]["missing"] > 0 and t["counts"]["rejected"] > 0
    assert int(said.group(1)) == merged["quynh-nhai-2021"][0].returncode == 1


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_inputs_are_byte_identical_after_merge_and_report(sample: str, merged, reports) -> None:
    """SECURITY.md: the returned files are opened read-only and unchanged by any run (nothing added either)."""
    assert merged[sample][0].returncode == 1 and reports[sample][0].returncode == 0
    assert _digests(sample) == BEFORE[sample]
