"""Receipt time and sender, end to end (issues 14 and 16): a unit mails two returns to a real IMAP server
(Dovecot on 127.0.0.1); ``fetch`` saves them, the folder is copied (the files' own times are lost), and then
``check`` and ``merge`` must still tell which return counts by the server's receipt time, judge lateness by
it, and show it ("nhận lúc", never as a save time) on screen and on the summary's status sheet."""

from __future__ import annotations

import datetime as dt
import email.policy
import json
import os
import shutil
import tempfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from consolidate.cli import main
from consolidate.form import load_form
from consolidate.mail_config import PASSWORD_ENV
from consolidate.templates import COL_COUNT, COL_LABEL

from conftest import SAMPLES
from mail_servers import start_dovecot, stop_dovecot

CLERK = "buithiyenqn@gmail.com"
X02_MAIL = "ubnd.chiengon@quynhnhai.example"
FIRST, SECOND = "X02_UBND_xa_Chieng_On.xlsx", "Bao cao xa Chieng On.xlsx"
# rows with no total rule between them; the second return corrects both
FIRST_VALUES, SECOND_VALUES = {"2": 3, "4.2": 40}, {"2": 4, "4.2": 55}


def invoke(*args: object):  # noqa: ANN201
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, prog_name="consolidate")


def filled(template: Path, values: dict[str, int], dst: Path) -> Path:
    """The unit's template with ``values`` typed in by openpyxl, which computes no formula: the identity
    sheet's =NOW() keeps no value, so the workbook carries no save time of its own."""
    form = load_form()
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    rows = {str(ws.cell(r, COL_LABEL).value or "").strip(): r for r in range(1, ws.max_row + 1)}
    for code, value in values.items():
        ws.cell(rows[form.row(code).label], COL_COUNT).value = value
    wb.save(dst)
    return dst


def message(sender: str, subject: str, mid: str, attach: Path) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = CLERK
    msg["Subject"] = subject
    msg["Message-ID"] = mid
    msg.set_content("Kính gửi Phòng, xã gửi báo cáo Tuần lễ.")
    msg.add_attachment(attach.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=attach.name)
    return msg.as_bytes(policy=email.policy.SMTP)


@pytest.fixture(scope="module")
def fetched(tmp_path_factory) -> dict[str, Path]:
    """A campaign whose X02 mailed two returns (the second after the deadline), fetched from Dovecot."""
    base = tmp_path_factory.mktemp("receipt")
    shutil.copy(SAMPLES / "units.csv", base / "units.csv")
    campaign = base / "campaign.toml"
    campaign.write_text((SAMPLES / "campaign.toml").read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("templates", "--campaign", campaign, "-o", base / "bieu_mau")
    assert result.exit_code == 0, result.output
    template = next((base / "bieu_mau").glob("X02_*.xlsx"))
    first = filled(template, FIRST_VALUES, base / FIRST)
    second = filled(template, SECOND_VALUES, base / SECOND)
    mail_dir = Path(tempfile.mkdtemp(prefix="consolidate-dovecot-"))
    os.chmod(mail_dir, 0o755)  # the dovecot user reads its mail folder inside
    server = start_dovecot(mail_dir / "srv", password="Mật khẩu IMAP 7#")
    try:
        server.deliver(message(f"UBND xã Chiềng Ơn <{X02_MAIL}>", "Báo cáo Tuần lễ", "<lan1@quynhnhai.example>",
                               first), '"14-Oct-2021 09:00:00 +0700"')
        server.deliver(message(X02_MAIL, "Gửi lại báo cáo (đã sửa)", "<lan2@quynhnhai.example>", second),
                       '"16-Oct-2021 08:00:00 +0700"')  # after the deadline (15/10/2021)
        text = campaign.read_text(encoding="utf-8")
        text += (f'\n[email]\npreset = "gmail"\nuser = "{server.user}"\nfrom = "{CLERK}"\nimap_host = "127.0.0.1"\n'
                 f'imap_port = {server.port}\nimap_security = "plain"\ntimeout = 20\n')
        campaign.write_text(text, encoding="utf-8")
        os.environ[PASSWORD_ENV] = server.password
        try:
            result = invoke("fetch", base / "da_nhan", "--campaign", campaign)
        finally:
            del os.environ[PASSWORD_ENV]
        assert result.exit_code == 0, result.output
    finally:
        stop_dovecot(server)
        shutil.rmtree(mail_dir, ignore_errors=True)
    assert sorted(p.name for p in (base / "da_nhan").iterdir()) == sorted([FIRST, SECOND])
    return {"base": base, "campaign": campaign, "folder": base / "da_nhan"}


def copied(fetched: dict[str, Path], name: str) -> Path:
    """The fetched folder copied as a plain copy does it: both files get the same, new modification time
    (the manifest beside the folder is copied with it)."""
    folder = fetched["base"] / name
    shutil.copytree(fetched["folder"], folder)
    shutil.copy(fetched["base"] / "da_nhan_thu_nhan.csv", fetched["base"] / f"{name}_thu_nhan.csv")
    now = dt.datetime(2021, 10, 20, 7, 0).timestamp()
    for path in folder.iterdir():
        os.utime(path, (now, now))
    return folder


def test_check_counts_the_return_the_server_received_last(fetched):
    folder = copied(fetched, "ban_chep")
    out = fetched["base"] / "kq.json"
    result = invoke("check", folder, "--campaign", fetched["campaign"], "--json", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    files = {f["file"]: f for f in doc["files"]}
    assert (files[SECOND]["status"], files[SECOND]["unit"]) == ("accepted", "X02")
    assert (files[FIRST]["status"], files[FIRST]["unit"]) == ("superseded", "X02")
    assert (doc["units"]["X02"]["status"], doc["units"]["X02"]["file"]) == ("accepted", SECOND)
    # the sender's address is one more piece of evidence, and it agrees
    assert sorted((-e["strength"], e["source"], e["unit"], e["said"]) for e in files[SECOND]["evidence"]) == [
        (-40, "identity", "X02", "X02"), (-30, "sender", "X02", X02_MAIL), (-20, "title", "X02", "UBND xã Chiềng Ơn"),
        (-10, "filename", "X02", SECOND)]
    assert files[SECOND]["mail"] == {"received_at": "2021-10-16T08:00:00+07:00", "sender": X02_MAIL,
                                     "message_id": "<lan2@quynhnhai.example>"}
    assert files[FIRST]["mail"]["received_at"] == "2021-10-14T09:00:00+07:00"
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "check.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert files[SECOND]["replaces"] == FIRST
    assert [(c["indicator"], c["old"], c["new"]) for c in files[SECOND]["changes"]] == [("2", 3.0, 4.0),
                                                                                       ("4.2", 40.0, 55.0)]
    # late by the server's receipt time; the workbook carries no save time of its own to show
    assert [i["message"] for i in files[SECOND]["issues"] if i["code"] == "late-received"] == [
        f"{SECOND}: nhận lúc 08:00 16/10/2021 (giờ máy chủ thư), sau hạn 15/10/2021."]
    # on screen: "Nhận lúc" and "Người gửi" of each file
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert f"{SECOND} UBND xã Chiềng Ơn (X02) hợp lệ 0 0 08:00 16/10/2021 {X02_MAIL}" in lines
    assert f"{FIRST} UBND xã Chiềng Ơn (X02) đã có bản mới hơn 0 0 09:00 14/10/2021 {X02_MAIL}" in lines


def test_merge_status_sheet_shows_the_receipt_time_and_judges_lateness_by_it(fetched):
    folder = copied(fetched, "tong_hop_thu")
    target = fetched["base"] / "tong_hop.xlsx"
    result = invoke("merge", folder, "--campaign", fetched["campaign"], "-o", target,
                    "--json", fetched["base"] / "tong_hop.json")
    assert result.exit_code in (0, 1), result.output
    merged = json.loads((fetched["base"] / "tong_hop.json").read_text(encoding="utf-8"))
    assert merged["totals"]["2"]["count"] == 4 and merged["totals"]["4.2"]["count"] == 55
    ws = load_workbook(target)["Tình hình nộp báo cáo"]
    head = next(r for r in range(1, 10) if ws.cell(r, 1).value == "STT")
    col = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(head + 1, ws.max_row + 1) if ws.cell(r, col["Mã đơn vị"]).value == "X02")
    assert ws.cell(row, col["Tệp"]).value == SECOND
    assert ws.cell(row, col["Thời điểm gửi (lưu tệp)"]).value is None  # no save time: neither receipt nor copy
    assert ws.cell(row, col["Hạn nộp"]).value == "Muộn 1 ngày"
    assert ws.cell(row, col["Ghi chú"]).value.splitlines()[0] == (
        f"Nhận qua thư lúc 08:00 16/10/2021 (giờ máy chủ thư), từ {X02_MAIL}.")
    foot = next(ws.cell(r, 1).value for r in range(row, ws.max_row + 1)
                if str(ws.cell(r, 1).value or "").startswith("Hạn nộp được so"))
    assert foot.endswith("Tệp tải từ hộp thư được so theo thời điểm máy chủ thư nhận thư (ghi ở cột Ghi chú).")
    # a unit that sent nothing has no note about mail
    other = next(r for r in range(head + 1, ws.max_row + 1) if ws.cell(r, col["Mã đơn vị"]).value == "X01")
    assert ws.cell(other, col["Ghi chú"]).value is None
