"""The README is a promise: every command it shows runs here, as written, on a scratch copy of the samples.

For each command block of the README (```` ``` ```` fences; ``pip install … &&`` in front is the install
step and is not repeated here):

- its terminal output equals the ``text`` block shown after it, when there is one, and its exit code is the
  one the README says (``EXIT`` below: a new command in the README fails the test until it is added there);
- every file, folder and sheet the README names exists in what the command wrote, every option it names
  exists, every repository path it names exists;
- the numbers it prints (units, totals) agree with the files it wrote and with the README's prose;
- the committed samples are left byte for byte as they were (the commands run on a copy, outputs land
  outside the inputs).

After a deliberate change of wording, refresh the output blocks with::

    python tests/test_readme.py --update

which refuses (and writes nothing) when a number in a block would change: a changed total is a finding to
look into and then to write into the README by hand, never something a refresh hides.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
QUYNH_NHAI = ROOT / "samples" / "quynh-nhai-2021"
DONG_DA = ROOT / "samples" / "dong-da-2024"
TEST_COMMAND = "pip install '.[test]' && python -m pytest -q"

FENCE = re.compile(r"```([a-z]*)\n(.*?)```", re.S)

# every command the README shows → the exit code the README promises: 1 where the samples hold units that
# are missing or wrong on purpose ("Mã thoát là 1 vì …"; "Mã thoát: 0 không có lỗi, 1 có lỗi"), 0 otherwise
EXIT = {
    "consolidate merge samples/quynh-nhai-2021/da_nhan --campaign samples/quynh-nhai-2021/campaign.toml "
    "-o tong_hop_quynh_nhai_2021.xlsx": 1,
    "consolidate merge samples/dong-da-2024/da_nhan --campaign samples/dong-da-2024/campaign.toml "
    "-o tong_hop_dong_da_2024.xlsx": 1,
    "consolidate report samples/dong-da-2024/da_nhan --campaign samples/dong-da-2024/campaign.toml "
    "-o bao_cao_dong_da_2024.docx": 0,
    "consolidate templates --campaign samples/quynh-nhai-2021/campaign.toml -o bieu_mau": 0,
    "consolidate check da_nhan --campaign campaign.toml --feedback tra_lai": 1,
    "consolidate merge da_nhan --campaign campaign.toml -o tong_hop.xlsx": 1,
    "consolidate report da_nhan --campaign campaign.toml -o bao_cao.docx": 0,
    # the province roll-up: a district summary made with --include-invalid is never taken as clean (issue 14)
    "consolidate merge samples/son-la-2021/da_nhan --campaign samples/son-la-2021/campaign.toml "
    "-o tong_hop_son_la_2021.xlsx": 1,
}
# commands that start the web page and serve until stopped: tests/test_web.py starts exactly these (on a
# copy of the campaign, with --port 0 --no-browser) and drives the page in Chromium
SERVES = ["consolidate web --campaign samples/quynh-nhai-2021/campaign.toml"]
# commands that talk to a mail server: tests/test_mail_send.py and tests/test_mail_fetch.py run exactly these
# (from a copy of the campaign whose [email] names the test's own SMTP and IMAP servers on 127.0.0.1)
MAILS = ["consolidate send --campaign campaign.toml --dry-run", "consolidate send --campaign campaign.toml",
         "consolidate fetch da_nhan --campaign campaign.toml",
         "consolidate send --campaign campaign.toml --reminders da_nhan --deadline 22/10/2021"]
SUMMARY_SHEETS = ["Biểu tổng hợp", "Theo đơn vị", "Tình hình nộp báo cáo", "Lỗi và cảnh báo", "Biểu đồ"]
SCHEDULE_SHEETS = ["Lịch tuần lễ", "Tổng hợp báo cáo"]  # the Đống Đa summary "có thêm" these
# quoted words of the README that are not sheet names, each with the test below that checks it
NOT_SHEETS = {"1.200", "15 người", "2,5 triệu",  # test_number_writings_named_are_read
              "Loại", "trong đó",  # test_unit_list_header_named_is_the_samples
              "bieu_cua_toi.toml",  # a name for the clerk's own copy of the form, used as an example
              "Nhận lúc", "Người gửi",  # columns check adds after fetch: tests/test_mail_fetch.py
              "mật khẩu ứng dụng",  # Gmail's own name for an App Password
              # issue 14's prose: a district code, the form's unit line, a [xac_nhan] line, a file status
              # (tests/test_which_file_counts.py plays each of them)
              "QNH", "Đơn vị báo cáo", "Bao cao TLHTSD - xa Chieng On.ods", "X02", "chưa điền"}


# ---------------------------------------------------------------------------------------------- the README

@dataclass(frozen=True)
class Shown:
    """A command of the README, the output block shown after it (if any) and where that block is."""

    command: str
    output: str | None
    span: tuple[int, int] | None
    install: str | None  # "pip install ." in front of the command


def shown(text: str) -> list[Shown]:
    """Every command block of the README, in order, with its output block when one follows (after at most
    a line of prose)."""
    fences = list(FENCE.finditer(text))
    out = []
    for i, m in enumerate(fences):
        if m.group(1):
            continue
        line = m.group(2).strip()
        install, _, command = line.rpartition(" && ")
        nxt = fences[i + 1] if i + 1 < len(fences) else None
        between = text[m.end():nxt.start()] if nxt else ""
        if nxt is not None and nxt.group(1) == "text" and between.count("\n") <= 4:
            out.append(Shown(command, nxt.group(2), nxt.span(2), install or None))
        else:
            out.append(Shown(command, None, None, install or None))
    return out


def prose(text: str) -> str:
    """The README's part for the clerk, without its code blocks."""
    return FENCE.sub("", text.split("## For developers")[0])


def numbers(text: str) -> list[str]:
    """The numbers of a text, in order ("15/23" gives 15 and 23; "4.033" one number)."""
    return re.findall(r"\d+(?:[.,]\d+)*", text)


def refresh(old: str, new: str, command: str) -> str:
    """The new output block, if it says the same numbers as the old one; else an error naming them."""
    if numbers(old) != numbers(new):
        changed = [(a, b) for a, b in zip(numbers(old), numbers(new)) if a != b]
        raise SystemExit(f"{command}: the numbers changed ({changed or 'a number was added or removed'}); "
                         "check them and write them into README.md by hand")
    return new


# ---------------------------------------------------------------------------------------------- running

@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    where: Path


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def scratch(base: Path) -> Path:
    """A folder laid out as the README assumes: ``samples/`` (a copy) for the commands that name it, and
    ``da_nhan/``, ``campaign.toml``, ``units.csv`` (the Quỳnh Nhai sample) for the step-by-step part."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "samples", base / "samples", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("da_nhan", "campaign.toml", "units.csv"):
        src = QUYNH_NHAI / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, base / name)
    return base


def run(command: str, where: Path) -> Ran:
    """Run one README command from ``where``, as the console command would."""
    from consolidate.cli import main

    argv = shlex.split(command)
    assert argv[0] == "consolidate"
    old = Path.cwd()
    os.chdir(where)
    try:
        result = CliRunner().invoke(main, argv[1:], catch_exceptions=False, prog_name="consolidate")
    finally:
        os.chdir(old)
    return Ran(result.exit_code, result.stdout, result.stderr, where)


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    """command → Ran, each run once in its own scratch folder; the inputs are checked unchanged after it."""
    done: dict[str, Ran] = {}

    def get(command: str) -> Ran:
        if command not in done:
            where = scratch(tmp_path_factory.mktemp("readme"))
            inputs = ["samples", "da_nhan", "campaign.toml", "units.csv"]
            before = {name: digest(where / name) if (where / name).is_dir() else (where / name).read_bytes()
                      for name in inputs}
            done[command] = run(command, where)
            after = {name: digest(where / name) if (where / name).is_dir() else (where / name).read_bytes()
                     for name in inputs}
            assert after == before, f"{command} changed its inputs"
        return done[command]

    return get


def command_of(readme: str, start: str) -> str:
    found = [s.command for s in shown(readme) if s.command.startswith(start)]
    assert len(found) == 1, f"the README shows {len(found)} commands starting {start!r}"
    return found[0]


def sheets_of(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).sheet_names


# ---------------------------------------------------------------------------------------------- the tests

def test_readme_shows_the_commands_this_test_runs(readme):
    commands = [s.command for s in shown(readme)]
    assert [c for c in commands if c.startswith("consolidate ") and c not in SERVES + MAILS] == list(EXIT)
    assert [c for c in commands if c in SERVES] == SERVES
    assert [c for c in commands if c in MAILS] == MAILS
    assert [c for c in commands if not c.startswith("consolidate ")] == ["python -m pytest -q"]
    assert [s.install for s in shown(readme) if s.install] == ["pip install .", "pip install '.[test]'"]


def test_ci_runs_exactly_the_readme_test_command(readme):
    assert f"```\n{TEST_COMMAND}\n```" in readme
    lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1].replace("pip install -q ", "pip install ") == TEST_COMMAND  # -q: quiet, same install


@pytest.mark.parametrize("command", list(EXIT))
def test_command_runs_with_the_exit_code_the_readme_promises(command, runs):
    ran = runs(command)
    assert (ran.code, ran.stderr) == (EXIT[command], "")
    output = shlex.split(command)[shlex.split(command).index("-o") + 1] if " -o " in command else None
    if output:
        assert (ran.where / output).exists()


@pytest.mark.parametrize("index", range(4))
def test_output_block_is_the_real_output(index, readme, runs):
    block = [s for s in shown(readme) if s.output is not None][index]
    assert runs(block.command).stdout == block.output


def test_quynh_nhai_prose_counts_are_the_sample(readme):
    from consolidate.units import load_units

    units, issues = load_units(QUYNH_NHAI / "units.csv")
    assert not issues
    files = [p for p in (QUYNH_NHAI / "da_nhan").iterdir() if p.is_file()]
    assert f"({len(units)} đơn vị, {len(files)} tệp nhận về" in prose(readme)
    assert (len(units), len(files)) == (23, 23)
    dong_da, issues = load_units(DONG_DA / "units.csv")
    assert not issues
    assert f"Đống Đa năm 2024 (kế hoạch trong `../shared/seeds/000_…`): {len(dong_da)} đơn vị" in prose(readme)


def _summary_numbers(path: Path) -> tuple[str, dict[tuple[str, str], float]]:
    """The "Tổng hợp từ N/M đơn vị" line of "Biểu tổng hợp" and its values, read back as a province would read
    a district's summary."""
    from consolidate.campaign import prepare
    from consolidate.reader import read_file

    campaign, form, units, _ = prepare(QUYNH_NHAI / "campaign.toml", None)
    rf = read_file(path, path.name, form, campaign, units)
    values = {(r["indicator"], m): r[m] for r in rf.records for m in ("count", "people", "amount")
              if r.get(m) == r.get(m) and r.get(m) is not None}
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    line = next(str(c) for row in wb["Biểu tổng hợp"].iter_rows(max_row=12, values_only=True)
                for c in row if isinstance(c, str) and c.startswith("Tổng hợp từ "))
    wb.close()
    return line, values


@pytest.mark.parametrize("index", range(2))
def test_printed_totals_are_the_summary_s(index, readme, runs):
    block = [s for s in shown(readme) if s.output is not None and s.command.startswith("consolidate merge")][index]
    ran = runs(block.command)
    output = ran.where / shlex.split(block.command)[-1]
    line, values = _summary_numbers(output)
    merged = re.search(r"Đã tổng hợp (\d+)/(\d+) đơn vị", block.output)
    assert merged and f"{merged.group(1)}/{merged.group(2)} đơn vị" in line
    totals = re.search(r"Toàn (?:huyện|quận): ([\d.]+) lớp bồi dưỡng; ([\d.]+) người tham gia; ([\d.]+) đồng ngân "
                       r"sách; ([\d.]+) đồng huy động khác\.", block.output)
    assert totals, block.output
    printed = [float(g.replace(".", "")) for g in totals.groups()]
    assert printed == [values[("1", "count")], values[("1.0", "people")], values[("10.1", "amount")],
                       values[("10.2", "amount")]]


def test_summaries_have_every_sheet_the_readme_names(readme, runs):
    text = prose(readme)
    named = set(re.findall(r'"([^"\n]+)"', text)) - NOT_SHEETS
    named -= {line for line in named if re.match(r"\d+/\d+ đơn vị hợp lệ", line)}  # the verdict, tested below
    assert named == set(SUMMARY_SHEETS + SCHEDULE_SHEETS)
    quynh = command_of(readme, "consolidate merge samples/quynh-nhai-2021")
    generic = command_of(readme, "consolidate merge da_nhan")
    for command in (quynh, generic):
        ran = runs(command)
        sheets = sheets_of(ran.where / shlex.split(command)[-1])
        assert [s for s in SUMMARY_SHEETS if s not in sheets] == []


def test_dong_da_summary_has_the_schedule_and_narrative_sheets(readme, runs):
    assert 'biểu tổng hợp có thêm "Lịch tuần lễ" và\n"Tổng hợp báo cáo"' in readme
    command = command_of(readme, "consolidate merge samples/dong-da-2024")
    sheets = sheets_of(runs(command).where / shlex.split(command)[-1])
    assert [s for s in SUMMARY_SHEETS + SCHEDULE_SHEETS if s not in sheets] == []


def test_templates_writes_the_files_the_readme_names(readme, runs):
    command = command_of(readme, "consolidate templates")
    out = runs(command).where / "bieu_mau"
    text = prose(readme)
    assert "`bieu_mau/`" in text and "`MN01_Truong_Mam_non_Muong_Giang.xlsx`" in text
    assert "`danh_sach_gui_thu.csv` (email, đơn vị, tệp, tiêu đề, nội dung thư)" in text
    from consolidate.units import load_units

    units, _ = load_units(QUYNH_NHAI / "units.csv")
    per_unit = sorted(p.name for p in out.glob("*.xlsx") if p.name != "bieu_tong_hop.xlsx")
    assert len(per_unit) == len(units) and "MN01_Truong_Mam_non_Muong_Giang.xlsx" in per_unit
    with (out / "danh_sach_gui_thu.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Email", "Mã đơn vị", "Tên đơn vị", "Tệp đính kèm", "Tiêu đề", "Nội dung"]
    assert sorted(r[3] for r in rows[1:]) == per_unit
    # "mang mã đơn vị trong một trang ẩn"
    from openpyxl import load_workbook

    wb = load_workbook(out / "MN01_Truong_Mam_non_Muong_Giang.xlsx")
    hidden = [ws for ws in wb.worksheets if ws.sheet_state != "visible"]
    assert [(ws.title, {r[0]: r[1] for r in ws.iter_rows(values_only=True)}["unit_code"]) for ws in hidden] == [
        ("_dinh_danh", "MN01")]


def test_check_prints_the_verdict_the_readme_quotes_and_writes_the_files_it_names(readme, runs):
    command = command_of(readme, "consolidate check")
    ran = runs(command)
    verdicts = [line for line in re.findall(r'"([^"\n]+)"', prose(readme)) if re.match(r"\d+/\d+ đơn vị hợp lệ", line)]
    assert len(verdicts) == 1
    lines = ran.stdout.splitlines()
    assert verdicts[0] in lines
    assert "`danh_sach_gui_lai.csv`" in prose(readme)
    assert (ran.where / "tra_lai" / "danh_sach_gui_lai.csv").exists()
    copies = sorted(p.name for p in (ran.where / "tra_lai").glob("*.xlsx"))
    assert f"Đã ghi {len(copies)} bản sao đánh dấu các ô cần sửa vào thư mục tra_lai" in lines
    assert "X04_UBND_xa_Chieng_Khoang_can_sua.xlsx" in copies  # the sample's total that does not match


def test_check_json_option_the_readme_names_writes_the_counts_it_printed(readme, runs):
    assert "`--json ketqua.json`" in prose(readme)
    command = command_of(readme, "consolidate check") + " --json ketqua.json"
    ran = runs(command)
    doc = json.loads((ran.where / "ketqua.json").read_text(encoding="utf-8"))
    n = doc["summary"]
    assert (f"{n['accepted']}/{n['units']} đơn vị hợp lệ, {n['rejected']} có lỗi, {n['unknown']} chưa xác định, "
            f"{n['missing']} chưa nộp") in ran.stdout.splitlines()


def test_report_counts_are_the_word_document_s(readme, runs):
    from docx import Document

    block = [s for s in shown(readme) if s.output is not None and s.command.startswith("consolidate report")][0]
    ran = runs(block.command)
    doc = Document(str(ran.where / shlex.split(block.command)[-1]))
    m = re.search(r"Lịch tuần lễ: (\d+) hoạt động của (\d+) đơn vị", block.output)
    assert m
    schedule = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:3] == ["TT", "Giờ", "Ngày"]]
    assert len(schedule) == 1
    rows = [[c.text for c in r.cells] for r in schedule[0].rows[1:]]
    assert len(rows) == int(m.group(1)) and len({r[3] for r in rows}) == int(m.group(2))
    missing = re.search(r"^Chưa nộp: (.*)\.$", block.output, re.M)
    assert missing
    status = [t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["STT", "Đơn vị", "Loại", "Tình trạng"]]
    assert len(status) == 1
    not_sent = [r.cells[1].text for r in status[0].rows[1:] if r.cells[3].text == "Chưa nộp"]
    assert not_sent == missing.group(1).split(", ")


def test_options_the_readme_names_exist(readme):
    from consolidate.cli import main

    names = {opt for command in main.commands.values() for p in command.params for opt in p.opts}
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", prose(readme)))
    assert {"--feedback", "--json", "--include-invalid", "--units", "--year"} <= named
    assert named - names == set()


def test_repository_paths_the_readme_names_exist(readme):
    paths = [p for p in re.findall(r"`([^`\s]+/[^`\s]*)`", prose(readme)) if not p.startswith("../")
             # what the clerk's commands write or fill
             and p not in ("bieu_mau/", "da_nhan/", "thu_xem_truoc/", "phan_hoi/")]
    assert "consolidate/data/form.toml" in paths and "templates/bieu_tong_hop.xlsx" in paths
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_number_writings_named_are_read(readme):
    from consolidate.values import parse_value

    assert '"1.200", "15 người", "2,5 triệu"' in prose(readme)
    assert [parse_value(t, m).number for t, m in (("1.200", "count"), ("15 người", "people"),
                                                 ("2,5 triệu", "amount"))] == [1200, 15, 2_500_000]


def test_unit_list_header_named_is_the_samples(readme):
    assert "`Mã đơn vị | Tên đơn vị | Loại | Email`" in prose(readme)
    header = (QUYNH_NHAI / "units.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == ["Mã đơn vị", "Tên đơn vị", "Loại", "Email"]
    assert '"trong đó"' in prose(readme)
    from consolidate.form import load_form

    assert load_form().rules  # the "trong đó" rules the README says live in form.toml


def test_update_refreshes_wording_but_never_a_number():
    old = "Đã tổng hợp 15/23 đơn vị\nToàn huyện: 116 lớp bồi dưỡng; 4.033 người tham gia.\n"
    assert refresh(old, old.replace("Toàn huyện", "Cả huyện"), "merge") == old.replace("Toàn huyện", "Cả huyện")
    with pytest.raises(SystemExit, match=r"the numbers changed \(\[\('4\.033', '4\.034'\)\]\)"):
        refresh(old, old.replace("4.033", "4.034"), "merge")
    with pytest.raises(SystemExit, match="a number was added or removed"):
        refresh(old, old + "Chưa nộp (6)\n", "merge")


def update() -> None:
    """Rewrite every output block of the README with what its command prints now, wording only."""
    import tempfile

    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        for block in reversed([s for s in shown(text) if s.output is not None]):
            where = Path(tmp) / str(abs(hash(block.command)))
            new = run(block.command, scratch(where)).stdout
            start, end = block.span  # type: ignore[misc]
            text = text[:start] + refresh(block.output or "", new, block.command) + text[end:]
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "tests"))
        update()
    else:
        sys.exit(__doc__)
