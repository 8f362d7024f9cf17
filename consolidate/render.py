"""Vietnamese terminal text for each command. Returns strings; ``cli.py`` prints them.

Shared by every command: each adds its own ``render_<command>`` function below.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Display width of a text in a terminal (combining marks take no column)."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in unicodedata.normalize("NFC", text))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(r)).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def render_templates(result) -> str:  # noqa: ANN001  (templates.TemplatesResult; imported lazily)
    """Summary of ``consolidate templates``: how many forms, where, and what to do next."""
    lines = [f"Đã tạo {len(result.files)} biểu mẫu trong thư mục {result.out_dir}"]
    if result.master is not None:
        lines.append(f"Biểu mẫu trắng dùng chung: {result.master.name}")
    lines.append(f"Danh sách gửi thư (email, tệp đính kèm, tiêu đề, nội dung): {result.mailing_list}")
    no_email = [u for u in result.units if not u.email]
    if no_email:
        names = ", ".join(f"{u.code} ({u.name})" for u in no_email)
        lines.append(f"Chưa có email của {len(no_email)} đơn vị: {names}; cần gửi biểu cho các đơn vị này bằng cách khác.")
    lines.append("Bước tiếp theo: gửi mỗi đơn vị tệp của mình (có thể trộn thư từ danh sách trên); "
                 "khi nhận đủ, chép các tệp gửi về vào một thư mục và chạy: consolidate check THƯ_MỤC")
    return "\n".join(lines)


def _vn_number(value: float) -> str:
    """A whole number written the Vietnamese way (1.200.000)."""
    return f"{int(value):,}".replace(",", ".")


def render_merge(result) -> str:  # noqa: ANN001  (merge.MergeResult; imported lazily)
    """Summary of ``consolidate merge``: units merged, missing, with errors, key totals, the output path."""
    import math

    run = result.run
    names = {u.code: u.name for u in run.units}
    merged, total = len(result.merged_units), len(run.units)
    lines = [f"Đã tổng hợp {merged}/{total} đơn vị vào tệp {result.output}"]
    if result.included_invalid:
        bad = result.units_in("rejected")
        lines.append(f"LƯU Ý (--include-invalid): đã cộng cả số liệu chưa kiểm tra của {len(bad)} đơn vị có lỗi"
                     + (": " + ", ".join(names[c] for c in bad) if bad else "")
                     + "; biểu tổng hợp có ghi rõ điều này.")
    sums = result.totals
    picks = [("1", "count", "lớp bồi dưỡng"), ("1.0", "people", "người tham gia"),
             ("10.1", "amount", "đồng ngân sách"), ("10.2", "amount", "đồng huy động khác")]
    shown = []
    for code, measure, what in picks:
        if code in sums.index and measure in sums.columns:
            value = sums.at[code, measure]
            if not (isinstance(value, float) and math.isnan(value)):
                shown.append(f"{_vn_number(value)} {what}")
    if shown:
        lines.append(f"Toàn {run.campaign.district_kind}: " + "; ".join(shown) + ".")
    pending = [f for f in run.files if f.status == "unconfirmed"]
    if pending:
        # first what the clerk must decide: these files count for nobody until then
        lines.append(f"Cần xác nhận đơn vị gửi ({len(pending)} tệp, chưa cộng vào tổng): "
                     + "; ".join(f"{f.file} (có thể của {', '.join(f.claims)})" for f in pending)
                     + ". Xác nhận bằng mục [xac_nhan] của tệp đợt báo cáo (xem consolidate check).")
    missing = result.units_in("missing")
    if missing:
        lines.append(f"Chưa nộp ({len(missing)}): " + ", ".join(f"{names[c]} ({c})" for c in missing))
    rejected = result.units_in("rejected")
    if rejected:
        by_file = {f.file: f for f in run.files}
        parts = []
        for code in rejected:
            report = by_file.get(run.unit_status[code].file)
            parts.append(f"{names[code]} ({code}, {report.errors if report else 0} lỗi)")
        left_out = "đã cộng vào tổng" if result.included_invalid else "chưa được cộng"
        lines.append(f"Có lỗi, {left_out} ({len(rejected)}): " + ", ".join(parts))
    current = {s.file for s in run.unit_status.values() if s.file} - {f.file for f in pending}
    # a file holding only a schedule or a narrative (issue 6) is used for that part, not left out
    parts_only = [f for f in run.files if f.parts and "form" not in f.parts and f.status in ("accepted", "rejected")]
    if parts_only:
        lines.append(f"{len(parts_only)} tệp chỉ có lịch hoạt động hoặc phần báo cáo (không có số liệu): "
                     "dùng cho lịch tuần lễ và phần báo cáo.")
    # numbers replaced by a newer file while the file's schedule or narrative is still the unit's newest
    parts_kept = [f for f in run.files if f.file not in current and f not in parts_only
                  and f.status in ("accepted", "rejected")]
    if parts_kept:
        lines.append(f"{len(parts_kept)} tệp có số liệu đã được thay bằng bản mới hơn nhưng lịch hoạt động hoặc "
                     "phần báo cáo vẫn là bản mới nhất của đơn vị: chỉ dùng cho lịch tuần lễ và phần báo cáo.")
    others = [f for f in run.files if f.file not in current and f not in parts_only and f not in parts_kept]
    if others:
        from consolidate.results import FILE_STATUS_NAMES

        what = {"unconfirmed": "cần xác nhận đơn vị", "blank": "biểu chưa điền (mẫu để trống)",
                "superseded": "bản cũ (đơn vị đã gửi bản mới hơn)", "unknown_unit": "chưa xác định được đơn vị",
                "not_a_report": "không phải báo cáo", "unreadable": "không đọc được"}
        kinds: dict[str, int] = {}
        for f in others:
            kinds[f.status] = kinds.get(f.status, 0) + 1
        order = list(what)
        ranked = sorted(kinds.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
        detail = ", ".join(f"{n} {what.get(k) or FILE_STATUS_NAMES.get(k, k)}" for k, n in ranked)
        lines.append(f"{len(others)} tệp khác trong thư mục không được dùng: {detail}.")
    for issue in result.issues:
        lines.append(f"Cảnh báo: {issue.message}")
    lines.append("Xem chi tiết ở các trang \"Tình hình nộp báo cáo\" và \"Lỗi và cảnh báo\" của tệp tổng hợp.")
    if missing or rejected:
        lines.append("Bước tiếp theo: liên hệ các đơn vị chưa nộp hoặc có lỗi (chạy consolidate check THƯ_MỤC "
                     "--feedback THƯ_MỤC_PHẢN_HỒI để gửi các ô cần sửa), rồi chạy lại consolidate merge.")
    return "\n".join(lines)


def render_report(result) -> str:  # noqa: ANN001  (report.ReportResult; imported lazily)
    """Summary of ``consolidate report``: where the Word draft is and what went into it."""
    run = result.run
    total = len(run.units)
    lines = [f"Đã ghi dự thảo báo cáo (Word): {result.output}",
             f"Số liệu tổng hợp từ {len(result.reported)}/{total} đơn vị; còn lỗi: {len(result.rejected)}; "
             f"chưa nộp: {len(result.missing)}."]
    if result.activities:
        lines.append(f"Lịch tuần lễ: {result.activities} hoạt động của {result.schedule_units} đơn vị, "
                     "xếp theo ngày và giờ.")
    else:
        lines.append("Lịch tuần lễ: chưa có đơn vị nào gửi lịch hoạt động.")
    lines.append(f"Phần báo cáo (Phụ lục 1): {result.narrative_units} đơn vị đã viết.")
    if result.missing:
        lines.append("Chưa nộp: " + ", ".join(u.name for u in result.missing) + ".")
    for issue in result.issues:
        if issue.code == "schedule-opening-differs":  # the plan and a schedule disagree on the opening
            lines.append(f"Lưu ý: {issue.message}")
    errors = [i for i in result.issues if i.severity == "error"]
    if errors:
        lines.append(f"Có {len(errors)} lỗi ở lịch hoạt động (các hoạt động đó không đưa vào lịch):")
        lines += [f"  {i.message}" for i in errors]
    lines.append("Mở tệp bằng Word để biên tập: dưới mỗi mục là nguyên văn của từng đơn vị, "
                 "số liệu và lịch đã được tổng hợp sẵn.")
    return "\n".join(lines)


def _short(issue) -> str:  # noqa: ANN001  (issues.Issue)
    """An issue's message without its leading file name (it is printed as the group's heading)."""
    text = issue.message
    for lead in (f"{issue.file}, ", f"{issue.file}: "):
        if issue.file and text.startswith(lead):
            return text[len(lead):]
    return text


MISSING_ROWS_GROUPED = 4  # from this many rows missing on one sheet, one line says them all


def _grouped(issues: Sequence) -> list[str]:  # (issues.Issue)
    """Issue lines for one file, errors first; many rows missing from one sheet make one line, not one each
    (a form retyped from the plan often leaves out a dozen rows, and 20 identical lines hide the errors)."""
    from consolidate.issues import SEVERITY_NAMES

    order = {"error": 0, "warning": 1, "info": 2}
    missing: dict[str | None, list] = {}
    converted: dict[str | None, list] = {}  # legacy-encoding: a file typed in .VnTime converts every text cell
    for issue in issues:
        if issue.code == "row-missing":
            missing.setdefault(issue.sheet, []).append(issue)
        elif issue.code == "legacy-encoding":
            converted.setdefault(issue.sheet, []).append(issue)
    lines, done = [], set()
    for issue in sorted(issues, key=lambda i: order[i.severity]):
        cells = converted.get(issue.sheet, []) if issue.code == "legacy-encoding" else []
        if len(cells) >= MISSING_ROWS_GROUPED:
            if ("legacy", issue.sheet) not in done:
                done.add(("legacy", issue.sheet))
                shown = ", ".join(i.cell for i in cells[:6]) + (", …" if len(cells) > 6 else "")
                kinds = " và ".join(k for k in ("TCVN3", "VNI") if any(f"mã {k} →" in i.message for i in cells))
                lines.append(f"  {SEVERITY_NAMES[issue.severity]}: trang {issue.sheet}: đã chuyển mã {kinds} → "
                             f"Unicode {len(cells)} ô ({shown}); nên lưu tệp bằng phông Unicode.")
            continue
        group = missing.get(issue.sheet, []) if issue.code == "row-missing" else []
        if len(group) >= MISSING_ROWS_GROUPED:
            if issue.sheet not in done:
                done.add(issue.sheet)
                codes = ", ".join(i.indicator for i in group)
                lines.append(f"  {SEVERITY_NAMES[issue.severity]}: trang {issue.sheet}: không thấy {len(group)} "
                             f"hàng của biểu ({codes}); coi như để trống.")
            continue
        lines.append(f"  {SEVERITY_NAMES[issue.severity]}: {_short(issue)}")
    return lines


def verdict(result) -> str:  # noqa: ANN001  (results.RunResult)
    """The verdict line: "12/15 đơn vị hợp lệ, 2 có lỗi, 1 chưa xác định, 0 chưa nộp"."""
    n = result.counts()
    pending = f", {n['unconfirmed']} cần xác nhận" if n.get("unconfirmed") else ""
    return (f"{n['accepted']}/{n['units']} đơn vị hợp lệ, {n['rejected']} có lỗi{pending}, "
            f"{n['unknown']} chưa xác định, {n['missing']} chưa nộp")


def _confirm(file: str, code: str) -> str:
    from consolidate.identity import confirm_line

    return confirm_line(file, code)


def render_check(result, feedback: bool = False) -> str:  # noqa: ANN001  (results.RunResult; imported lazily)
    """Report of ``consolidate check``: a table of files, the issues grouped by file, missing units, verdict
    (and the hint of ``--feedback`` unless the copies are being written: ``feedback``)."""
    from consolidate.results import FILE_STATUS_NAMES

    names = {u.code: u.name for u in result.units}

    def who(code: str | None) -> str:
        return f"{names.get(code, code)} ({code})" if code else "(chưa xác định)"

    lines = [f"Kiểm tra thư mục {result.folder}: {len(result.files)} tệp"]
    if not result.files:
        lines.append("Thư mục chưa có tệp nào: hãy chép các tệp đơn vị gửi về vào thư mục này rồi chạy lại.")
    # what the clerk must decide comes first: files whose evidence of who sent them disagrees
    pending = [f for f in result.files if f.status == "unconfirmed"]
    if pending:
        lines += ["", f"Tệp cần xác nhận đơn vị gửi ({len(pending)}) — chưa được tính cho đơn vị nào:"]
        for f in pending:
            lines.append(f"  {f.file} — có thể của: {', '.join(who(c) for c in f.claims)}")
            lines += [f"    {e.describe()}" for e in sorted(f.evidence, key=lambda e: -e.strength)]
        lines.append("  Để xác nhận, thêm vào tệp đợt báo cáo (--campaign) mục [xac_nhan] với dòng \"tên tệp\" = "
                     "\"mã đơn vị\", ví dụ:")
        lines += ["    [xac_nhan]", *(f"    {_confirm(f.file, f.claims[0])}" for f in pending)]
    if result.files:
        order = sorted(result.files, key=lambda f: f.status != "unconfirmed")
        mail = result.extras.get("mail") or {}
        if mail:  # fetched by mail (issue 16): when the server received each file, and from whom
            from consolidate.mail_manifest import received_text

            def came(f) -> tuple[str, str]:  # noqa: ANN001
                r = mail.get(f.file)
                return (received_text(r.received_at) if r and r.received_at else "", r.sender if r else "")

            rows = [(f.file, who(f.unit), FILE_STATUS_NAMES[f.status], f.errors, f.warnings, *came(f)) for f in order]
            lines += ["", table(("Tệp", "Đơn vị", "Trạng thái", "Lỗi", "Cảnh báo", "Nhận lúc", "Người gửi"), rows)]
        else:
            rows = [(f.file, who(f.unit), FILE_STATUS_NAMES[f.status], f.errors, f.warnings) for f in order]
            lines += ["", table(("Tệp", "Đơn vị", "Trạng thái", "Lỗi", "Cảnh báo"), rows)]
    with_issues = [f for f in result.files if f.issues]
    if with_issues:
        lines += ["", "Chi tiết theo tệp:"]
        for f in with_issues:
            lines.append(f"{f.file} — {who(f.unit)}: {FILE_STATUS_NAMES[f.status]}")
            lines += _grouped(f.issues)
    missing = [code for code, s in result.unit_status.items() if s.status == "missing"]
    if missing:
        # a unit whose schedule (or narrative) came in the first round is missing only its report
        sent = {f.unit: f.parts for f in result.files if f.unit and f.parts and "form" not in f.parts
                and f.status in ("accepted", "rejected")}
        part_names = {"schedule": "lịch hoạt động", "narrative": "phần báo cáo (Phụ lục 1)"}

        def note(code: str) -> str:
            parts = [part_names[p] for p in sent.get(code, ()) if p in part_names]
            return f" — đã gửi {' và '.join(parts)}, chưa gửi biểu số liệu" if parts else ""

        lines += ["", f"Đơn vị chưa nộp ({len(missing)}):"]
        lines += [f"  {who(code)}{note(code)}" for code in missing]
    lines += ["", verdict(result)]
    if result.has_errors and not feedback:
        lines.append("Các tệp có lỗi chưa được tổng hợp. Dùng --feedback THƯ_MỤC để tạo cho mỗi đơn vị "
                     "một bản sao đánh dấu các ô cần sửa, kèm danh sách gửi thư.")
    return "\n".join(lines)


def render_feedback(result) -> str:  # noqa: ANN001  (feedback.FeedbackResult; imported lazily)
    """Summary of ``check --feedback``: the copies written, the mailing list, what could not be sent."""
    if not result.files and not result.skipped:
        return "Không tệp nào có lỗi hay điểm cần xem lại; không cần gửi lại cho đơn vị nào."
    lines = [f"Đã ghi {len(result.files)} bản sao đánh dấu các ô cần sửa vào thư mục {result.out_dir}"]
    templated = [f for f in result.files if f.converted and f.from_template]
    if templated:
        lines.append(f"{len(templated)} tệp gốc dạng .xls/.ods được làm lại từ biểu mẫu của đơn vị (.xlsx) với các "
                     "số liệu đã đọc được: " + ", ".join(f.report.file for f in templated))
    converted = [f for f in result.files if f.converted and not f.from_template]
    if converted:
        lines.append(f"{len(converted)} tệp gốc dạng .xls/.ods được chép lại giá trị sang .xlsx (không giữ định "
                     "dạng): " + ", ".join(f.report.file for f in converted))
    if result.mailing_list is not None:
        lines.append(f"Danh sách gửi thư (email, đơn vị, tệp đính kèm, tiêu đề, nội dung): {result.mailing_list}")
    no_email = [f for f in result.files if not f.email]
    if no_email:
        lines.append(f"Chưa có email để gửi {len(no_email)} tệp (không rõ đơn vị hoặc đơn vị chưa có email): "
                     + ", ".join(f.report.file for f in no_email))
    for file, reason in result.skipped:
        lines.append(f"Không tạo được bản sao cho {file}: {reason}")
    return "\n".join(lines)


def render_send(plan, result) -> str:  # noqa: ANN001  (mail_send.Plan, mail_send.SendResult; imported lazily)
    """Summary of ``consolidate send``: how many mailed, skipped, refused, and who was left out and why."""
    lines = []
    if plan.run is not None:
        n = plan.run.counts()
        lines.append(f"Đã kiểm tra {plan.run.folder}: {n['missing']} đơn vị chưa nộp, {n['rejected']} đơn vị có lỗi.")
        if plan.feedback is not None and plan.feedback.files:
            lines.append(f"Bản sao đánh dấu lỗi gửi kèm: thư mục {plan.feedback.out_dir}")
        if not plan.letters and not plan.left:
            lines.append("Không có đơn vị nào cần nhắc.")
    kind = "thư nhắc" if plan.run is not None else "thư gửi biểu mẫu"
    if result.dry_run_dir is not None:
        lines.append(f"Chưa gửi (--dry-run): đã ghi {result.count('dry_run')} {kind} thành tệp .eml trong thư mục "
                     f"{result.dry_run_dir}; mở bằng Outlook/Thunderbird để xem trước.")
    else:
        lines.append(f"Đợt gửi \"{result.round}\": đã gửi {result.count('sent')} {kind}"
                     + (f", bỏ qua {result.count('skipped')} đơn vị đã được gửi trước đó (dùng --resend để gửi lại)"
                        if result.count("skipped") else "") + ".")
        if result.log is not None:
            lines.append(f"Nhật ký gửi thư: {result.log}")
    for o in result.outcomes:
        if o.status == "refused":
            lines.append(f"Máy chủ từ chối thư gửi {o.unit.name} ({o.unit.code}, {o.unit.email}): {o.detail}")
        elif o.status == "deferred":
            lines.append(f"Chưa gửi được thư cho {o.unit.name} ({o.unit.code}, {o.unit.email}): {o.detail}; "
                         "chạy lại lệnh để gửi tiếp.")
    no_email = [o for o in plan.left if o.status == "no_email"]
    if no_email:
        lines.append(f"Chưa có email của {len(no_email)} đơn vị, cần gửi bằng cách khác: "
                     + ", ".join(f"{o.unit.name} ({o.unit.code})" for o in no_email))
    for o in plan.left:
        if o.status == "no_file":
            lines.append(f"Không gửi cho {o.unit.name} ({o.unit.code}): {o.detail}.")
    return "\n".join(lines)


def render_fetch(result) -> str:  # noqa: ANN001  (mail_fetch.FetchResult; imported lazily)
    """Summary of ``consolidate fetch``: messages read, files saved, the manifest, what to do next."""
    since = f" từ ngày {result.since:%d/%m/%Y}" if result.since else ""
    lines = [f"Hộp thư {result.mailbox}: {result.seen} thư{since}, {result.known} thư đã tải lần trước."]
    saved = result.saved
    messages = len({r.message_id for r in result.new_rows})
    lines.append(f"Đã đọc {messages} thư mới, lưu {len(saved)} tệp vào thư mục {result.folder}.")
    if saved:
        from consolidate.mail_manifest import received_text

        rows = [(r.saved, r.original, r.sender, received_text(r.received_at) if r.received_at else "")
                for r in saved]
        lines += ["", table(("Tệp đã lưu", "Tệp gốc", "Người gửi", "Nhận lúc"), rows), ""]
    dup = [r for r in result.new_rows if r.saved and r not in saved]
    if dup:
        lines.append(f"{len(dup)} tệp trùng nội dung với tệp đã có, không lưu lại.")
    empty = [r for r in result.new_rows if not r.saved]
    if empty:
        lines.append(f"{len(empty)} thư không có tệp bảng tính: "
                     + "; ".join(f"{r.sender} — {r.subject or '(không tiêu đề)'}" for r in empty))
    lines += result.problems
    lines.append(f"Danh sách thư đã nhận (người gửi, giờ nhận, tệp): {result.manifest}")
    lines.append("Thư trong hộp thư không bị đánh dấu, chuyển hay xóa. "
                 f"Bước tiếp theo: consolidate check {result.folder}")
    return "\n".join(lines)
