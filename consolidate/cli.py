"""Command line: ``consolidate templates | check | merge | report | send | fetch``.

A thin shell: parse options, call the library, print what it returns, choose the exit code
(0 ok, 1 problems found, 2 bad usage). Library modules are imported inside the commands so that
``--help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from consolidate import cli_vi

cli_vi.install()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
OPTS = "[TÙY CHỌN]"


def _campaign_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--title", metavar="TÊN", help="Ghi đè tên đợt báo cáo.")(f)
    f = click.option("--district", metavar="TÊN", help="Ghi đè tên huyện/quận.")(f)
    f = click.option("--deadline", metavar="NGÀY", help="Ghi đè hạn nộp (dd/mm/yyyy).")(f)
    f = click.option("--year", type=int, metavar="NĂM", help="Ghi đè năm của đợt báo cáo.")(f)
    f = click.option("--units", "units_file", type=click.Path(exists=True, dir_okay=False),
                     help="Danh sách đơn vị (.xlsx hoặc .csv: Mã đơn vị | Tên đơn vị | Loại | Email).")(f)
    f = click.option("--campaign", "campaign_file", type=click.Path(exists=True, dir_okay=False),
                     help="Tệp đợt báo cáo (.toml): năm, huyện, hạn nộp, danh sách đơn vị.")(f)
    return f


@contextmanager
def _guard() -> Iterator[None]:
    """Turn run-stopping errors into one Vietnamese line and exit 1 (2 for bad usage); Ctrl-C into exit 130."""
    from consolidate.issues import RunError, UsageError

    try:
        yield
    except RunError as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(2 if isinstance(exc, UsageError) else 1)
    except KeyboardInterrupt:
        click.echo("Đã dừng theo yêu cầu; không tệp kết quả nào bị ghi dở.", err=True)
        sys.exit(130)
    except OSError as exc:  # an output the library did not foresee: still a sentence, never a traceback
        from consolidate.outputs import os_reason

        where = f" {exc.filename}" if exc.filename else ""
        click.echo(f"Lỗi: không ghi hoặc đọc được{where}: {os_reason(exc)}.", err=True)
        sys.exit(1)


def _prepare(campaign_file: str | None, units_file: str | None, **overrides: Any):  # noqa: ANN202
    from consolidate.campaign import prepare

    campaign, form, units, issues = prepare(campaign_file, units_file, **overrides)
    if issues:
        for issue in issues:
            click.echo(f"Lỗi: {issue.message}", err=True)
        click.echo("Chưa ghi tệp nào. Hãy sửa danh sách đơn vị rồi chạy lại.", err=True)
        sys.exit(1)
    return campaign, form, units


@contextmanager
def _progress(total_hint: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; None otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if total < 20:
            return
        if "bar" not in bar:
            bar["bar"] = click.progressbar(length=total, label=total_hint, file=sys.stderr)
            bar["bar"].__enter__()
        bar["bar"].update(done - bar["bar"].pos)

    try:
        yield update
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)


def _write_json(path: str, data: dict[str, Any]) -> None:
    from consolidate.outputs import atomic_write_text

    # no indent: json's C encoder runs only without one (with indent=2 the document of a 1,000-file merge
    # took longer to write than the summary workbook)
    atomic_write_text(Path(path), json.dumps(data, ensure_ascii=False, default=str) + "\n")


@click.group(context_settings=CONTEXT, options_metavar=OPTS, subcommand_metavar="LỆNH [THAM SỐ]...")
@click.version_option(package_name="consolidate", message="consolidate %(version)s")
def main() -> None:
    """Gửi biểu mẫu, kiểm tra và tổng hợp báo cáo của các đơn vị.

    \b
    Các bước:
      1. consolidate templates  — tạo biểu mẫu riêng cho từng đơn vị để gửi đi
      2. consolidate check      — kiểm tra các tệp đơn vị gửi về
      3. consolidate merge      — tổng hợp thành biểu của huyện
      4. consolidate report     — soạn dự thảo báo cáo (Word) của huyện
      Gửi và nhận qua email: consolidate send (gửi biểu, --reminders để nhắc),
      consolidate fetch (lưu các tệp đơn vị gửi về vào một thư mục).
      Hoặc làm tất cả trên trình duyệt: consolidate web --campaign TỆP_ĐỢT.toml
    """


@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@_campaign_options
@click.option("-o", "--output", "out_dir", default="bieu_mau", show_default=True,
              type=click.Path(file_okay=False), help="Thư mục ghi các biểu mẫu.")
def templates(campaign_file: str | None, units_file: str | None, out_dir: str, **overrides: Any) -> None:
    """Tạo một biểu mẫu cho mỗi đơn vị và danh sách gửi thư."""
    with _guard():
        campaign, form, units = _prepare(campaign_file, units_file, **overrides)
        from consolidate import narrative, schedule
        from consolidate.render import render_templates
        from consolidate.templates import make_templates

        # each unit's workbook also carries the narrative report and the week's schedule (issue 6)
        result = make_templates(campaign, form, units, Path(out_dir),
                                extra_sheets=[narrative.template_writer, schedule.template_writer])
        click.echo(render_templates(result))


@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@click.argument("folder", metavar="THƯ_MỤC", type=click.Path(exists=True, file_okay=False))
@_campaign_options
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Ghi kết quả dạng JSON vào tệp này.")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False),
              help="Ghi cho mỗi đơn vị có lỗi một bản sao đánh dấu các ô cần sửa, kèm danh sách gửi thư.")
def check(folder: str, campaign_file: str | None, units_file: str | None, json_file: str | None,
          feedback_dir: str | None, **overrides: Any) -> None:
    """Kiểm tra các tệp báo cáo trong THƯ_MỤC."""
    with _guard():
        campaign, form, units = _prepare(campaign_file, units_file, **overrides)
        from consolidate.check import check_folder
        from consolidate.outputs import check_output
        from consolidate.render import render_check, render_feedback

        # before reading anything: an output inside the returns would be read back as a unit's file
        if json_file:
            check_output(Path(json_file), Path(folder), what="tệp JSON")
        if feedback_dir:
            check_output(Path(feedback_dir), Path(folder), folder=True, what="các bản sao đánh dấu")

        with _progress("Đang đọc") as progress:
            result = check_folder(Path(folder), campaign, form, units, progress=progress)
        click.echo(render_check(result, feedback=bool(feedback_dir)))
        if json_file:
            _write_json(json_file, result.to_dict())
        if feedback_dir:
            from consolidate.feedback import write_feedback

            click.echo(render_feedback(write_feedback(result, Path(feedback_dir))))
        sys.exit(1 if result.has_errors else 0)


@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@click.argument("folder", metavar="THƯ_MỤC", type=click.Path(exists=True, file_okay=False))
@_campaign_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Tệp tổng hợp (.xlsx) sẽ ghi.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Ghi kết quả và số tổng dạng JSON.")
@click.option("--include-invalid", is_flag=True,
              help="Cộng cả số liệu đọc được của đơn vị có lỗi (biểu sẽ ghi rõ là có số liệu chưa kiểm tra).")
def merge(folder: str, campaign_file: str | None, units_file: str | None, output: str, json_file: str | None,
          include_invalid: bool, **overrides: Any) -> None:
    """Tổng hợp các báo cáo hợp lệ trong THƯ_MỤC thành biểu của huyện."""
    with _guard():
        campaign, form, units = _prepare(campaign_file, units_file, **overrides)
        from consolidate.merge import merge_folder
        from consolidate.outputs import check_output
        from consolidate.render import render_merge

        check_output(Path(output), Path(folder), what="tệp tổng hợp")
        if json_file:
            check_output(Path(json_file), Path(folder), what="tệp JSON")

        with _progress("Đang đọc") as progress:
            result = merge_folder(Path(folder), campaign, form, units, Path(output),
                                  include_invalid=include_invalid, progress=progress)
        click.echo(render_merge(result))
        if json_file:
            _write_json(json_file, result.to_dict())
        sys.exit(1 if result.run.has_errors else 0)


@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@click.argument("folder", metavar="THƯ_MỤC", type=click.Path(exists=True, file_okay=False))
@_campaign_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Tệp Word (.docx) sẽ ghi.")
def report(folder: str, campaign_file: str | None, units_file: str | None, output: str, **overrides: Any) -> None:
    """Soạn dự thảo báo cáo của huyện (Word) từ các báo cáo trong THƯ_MỤC."""
    with _guard():
        campaign, form, units = _prepare(campaign_file, units_file, **overrides)
        from consolidate.outputs import check_output
        from consolidate.render import render_report
        from consolidate.report import write_report

        check_output(Path(output), Path(folder), what="tệp báo cáo Word")

        click.echo(render_report(write_report(Path(folder), campaign, form, units, Path(output))))


def _ask_password(text: str) -> str:
    if not sys.stdin.isatty():
        from consolidate.issues import UsageError
        from consolidate.mail_config import PASSWORD_ENV

        raise UsageError(f"Chưa có mật khẩu thư: đặt biến môi trường {PASSWORD_ENV} hoặc lưu vào kho mật khẩu "
                         "của hệ thống (keyring).")
    return click.prompt(text, hide_input=True)


def _mail_settings(campaign_file: str | None, campaign: Any, **overrides: Any) -> Any:
    from consolidate.mail_config import load_mail_settings

    return load_mail_settings(campaign_file, campaign.email, campaign.office, campaign.start, **overrides)


@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@_campaign_options
@click.option("--templates", "templates_dir", default="bieu_mau", show_default=True, type=click.Path(file_okay=False),
              help="Thư mục các biểu mẫu do lệnh templates tạo.")
@click.option("--reminders", "returns_dir", type=click.Path(exists=True, file_okay=False), metavar="THƯ_MỤC",
              help="Gửi thư nhắc sau khi kiểm tra THƯ_MỤC các tệp đã nhận: chỉ đơn vị chưa nộp (kèm biểu mẫu) "
                   "và đơn vị có lỗi (kèm bản sao đánh dấu ô cần sửa).")
@click.option("--feedback", "feedback_dir", default="phan_hoi", show_default=True, type=click.Path(file_okay=False),
              help="Thư mục ghi bản sao đánh dấu lỗi gửi kèm thư nhắc.")
@click.option("--dry-run", is_flag=True, help="Không gửi: ghi mỗi thư thành một tệp .eml để mở xem trước.")
@click.option("-o", "--output", "eml_dir", default="thu_xem_truoc", show_default=True,
              type=click.Path(file_okay=False), help="Thư mục ghi các tệp .eml khi dùng --dry-run.")
@click.option("--resend", is_flag=True, help="Gửi lại cả cho đơn vị đã được gửi trong đợt này.")
@click.option("--round", "round_name", metavar="TÊN", help="Tên đợt gửi trong nhật ký (mặc định: gui-bieu, "
              "hoặc nhac-<hạn nộp> cho thư nhắc).")
@click.option("--pace", type=float, metavar="GIÂY",
              help="Nghỉ giữa hai thư (Gmail giới hạn số thư gửi mỗi ngày và tốc độ gửi).")
@click.option("--unit", "only", multiple=True, metavar="MÃ", help="Chỉ gửi cho đơn vị có mã này (dùng nhiều lần được).")
def send(campaign_file: str | None, units_file: str | None, templates_dir: str, returns_dir: str | None,
         feedback_dir: str, dry_run: bool, eml_dir: str, resend: bool, round_name: str | None, pace: float | None,
         only: tuple[str, ...], **overrides: Any) -> None:
    """Gửi cho mỗi đơn vị biểu mẫu của mình qua email (hoặc thư nhắc với --reminders)."""
    with _guard():
        campaign, form, units = _prepare(campaign_file, units_file, **overrides)
        from consolidate.mail_config import get_password
        from consolidate.mail_send import plan_letters, send_letters
        from consolidate.render import render_send

        settings = _mail_settings(campaign_file, campaign, pace=pace)
        plan = plan_letters(campaign, form, units, settings, Path(templates_dir),
                            Path(returns_dir) if returns_dir else None, Path(feedback_dir), only, round_name)
        password = None
        if not dry_run:
            settings.check_security("smtp")
            if settings.user and plan.letters:
                password = get_password(settings, _ask_password)
        with _progress("Đang gửi") as progress:
            result = send_letters(plan.letters, settings, round_name=plan.round, password=password, resend=resend,
                                  dry_run_dir=Path(eml_dir) if dry_run else None, progress=progress)
        click.echo(render_send(plan, result))
        sys.exit(1 if result.has_problems or plan.left else 0)


@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@click.argument("folder", metavar="THƯ_MỤC", type=click.Path(file_okay=False))
@click.option("--campaign", "campaign_file", type=click.Path(exists=True, dir_okay=False),
              help="Tệp đợt báo cáo (.toml) có mục [email].")
@click.option("--mailbox", "mailbox", metavar="TÊN", help="Hộp thư hoặc nhãn cần đọc (mặc định INBOX).")
@click.option("--since", metavar="NGÀY", help="Chỉ đọc thư nhận từ ngày này (mặc định: ngày bắt đầu của đợt).")
def fetch(folder: str, campaign_file: str | None, mailbox: str | None, since: str | None) -> None:
    """Lưu các tệp báo cáo đơn vị gửi qua email vào THƯ_MỤC (không đánh dấu, không xóa thư nào)."""
    with _guard():
        from consolidate.campaign import load_campaign
        from consolidate.mail_config import get_password
        from consolidate.mail_fetch import fetch_returns
        from consolidate.render import render_fetch

        campaign = load_campaign(campaign_file)
        settings = _mail_settings(campaign_file, campaign, folder=mailbox, since=since)
        settings.check_security("imap")
        password = get_password(settings, _ask_password)
        with _progress("Đang tải thư") as progress:
            result = fetch_returns(settings, password, Path(folder), progress=progress)
        click.echo(render_fetch(result))
        sys.exit(1 if result.problems else 0)
@main.command(context_settings=CONTEXT, options_metavar=OPTS)
@click.argument("folder", metavar="[THƯ_MỤC]", required=False, type=click.Path(file_okay=False))
@_campaign_options
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Thư mục lưu các tệp tải về (mặc định: thư mục ket_qua bên cạnh tệp đợt báo cáo).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ mở trang. Khác 127.0.0.1 (cho máy khác trong mạng vào) thì phải đặt --password.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Cổng của trang (đang bận thì dùng cổng kế tiếp).")
@click.option("--password", envvar="CONSOLIDATE_WEB_PASSWORD", metavar="MẬT_KHẨU",
              help="Mật khẩu vào trang (bắt buộc khi dùng --host).")
@click.option("--no-browser", is_flag=True, help="Không tự mở trình duyệt.")
@click.option("--shortcut", is_flag=True,
              help="Không mở trang: tạo lối tắt bấm đúp để mở trang của đợt này (trên màn hình nền, hoặc cạnh tệp "
                   "đợt báo cáo).")
def web(folder: str | None, campaign_file: str | None, units_file: str | None, out_dir: str | None, host: str,
        port: int, password: str | None, no_browser: bool, shortcut: bool = False, **overrides: Any) -> None:
    """Mở trang làm việc trên trình duyệt: tình hình nộp, nhận tệp, tải biểu mẫu, tổng hợp, báo cáo.

    THƯ_MỤC là thư mục nhận báo cáo của đơn vị (mặc định: da_nhan bên cạnh tệp đợt báo cáo)."""
    with _guard():
        from consolidate.issues import UsageError

        loopback = host in ("127.0.0.1", "localhost", "::1")
        if not loopback and not password:
            raise UsageError(f"Mở trang ở địa chỉ {host} cho máy khác vào thì phải đặt mật khẩu: thêm --password MẬT_KHẨU.")
        base = Path(campaign_file).resolve().parent if campaign_file else Path.cwd()
        campaign = _prepare(campaign_file, units_file, **overrides)[0]  # a bad unit list stops here
        if shortcut:
            from consolidate.web.shortcut import write_shortcut

            if campaign_file is None:
                raise UsageError("Lối tắt mở trang của một đợt báo cáo: thêm --campaign TỆP.")
            made = write_shortcut(Path(campaign_file), campaign, Path(units_file) if units_file else None,
                                  Path(folder) if folder else None, Path(out_dir) if out_dir else None)
            click.echo(f"Đã tạo lối tắt mở trang làm việc của đợt này: {made}")
            click.echo("Bấm đúp vào lối tắt để mở trang; giữ cửa sổ đi kèm mở trong khi làm việc.")
            return
        from consolidate.web import WebConfig, make_server

        returns = Path(folder) if folder else base / "da_nhan"
        config = WebConfig(Path(campaign_file) if campaign_file else None, Path(units_file) if units_file else None,
                           returns.resolve(), Path(out_dir).resolve() if out_dir else base / "ket_qua",
                           {k: v for k, v in overrides.items() if v is not None}, password or None, not loopback)
        if config.out_dir.resolve().is_relative_to(config.folder):
            raise UsageError(f"Hãy để thư mục tải về ({config.out_dir}) ra ngoài thư mục nhận báo cáo {config.folder}.")
        config.folder.mkdir(parents=True, exist_ok=True)
        server = make_server(config, host, port)
        shown = "127.0.0.1" if loopback else host
        url = f"http://{shown}:{server.server_port}/"
        click.echo(f"Trang làm việc đang mở ở {url}", err=False)
        click.echo(f"Thư mục nhận báo cáo: {config.folder}")
        click.echo(f"Tệp tải về được lưu ở: {config.out_dir}")
        click.echo("Giữ cửa sổ này mở trong khi làm việc; nhấn Ctrl+C để tắt trang.")
        sys.stdout.flush()
        if not no_browser:
            import webbrowser

            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("Đã tắt trang.")
        finally:
            server.server_close()


def run() -> None:
    """The console command: :func:`main`, then leave the process at once.

    Everything is written and flushed by then; what the interpreter would still do is free the modules of
    pandas, pandera and openpyxl one object at a time, ~0.3 s after every command. CliRunner tests call
    :func:`main` itself."""
    # numpy's OpenBLAS starts a spinning thread per core at import, ~0.06 s of CPU taken from the reading
    # workers; nothing here multiplies matrices. A value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"), as the interpreter would show it
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more can reach it
            pass
    os._exit(code)
