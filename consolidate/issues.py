"""One issue model for every problem the tool reports, and the catalogue of issue codes.

Like frictionless-py's error catalogue: every problem is data (an :class:`Issue`) with a stable
kebab-case code, a severity and a Vietnamese message built from the catalogue's template. Only what stops
a whole run is an exception (:class:`RunError`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SEVERITY_NAMES = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}


class RunError(Exception):
    """Something that stops the whole run (bad usage, unusable unit list, unwritable output)."""


class UsageError(RunError):
    """The command asks for what cannot be done as asked (no unit list, an output of the wrong kind or place):
    bad usage, exit code 2, like a mistyped option."""


@dataclass(frozen=True)
class IssueType:
    """A catalogue entry: code, default severity, message template (str.format fields) and a title."""

    code: str
    severity: Severity
    title: str
    template: str


# The catalogue. Templates use the fields passed to make(): file, sheet, cell, indicator, measure, value,
# plus any extra keyword. Keep codes stable: they are the machine-readable contract of --json.
_TYPES = [
    # unit list, campaign, output
    IssueType("units-missing-column", "error", "Danh sách đơn vị thiếu cột",
              "Danh sách đơn vị {file}: thiếu cột {column} (hàng tiêu đề phải có: Mã đơn vị | Tên đơn vị | Loại | Email)."),
    IssueType("units-duplicate-code", "error", "Trùng mã đơn vị",
              "Danh sách đơn vị {file}, hàng {row}: mã đơn vị {value!r} đã có ở hàng {first_row}."),
    IssueType("units-empty-code", "error", "Thiếu mã đơn vị",
              "Danh sách đơn vị {file}, hàng {row}: thiếu mã đơn vị."),
    IssueType("units-empty-name", "error", "Thiếu tên đơn vị",
              "Danh sách đơn vị {file}, hàng {row}: thiếu tên đơn vị (mã {value})."),
    IssueType("units-bad-email", "error", "Email không hợp lệ",
              "Danh sách đơn vị {file}, hàng {row}: email {value!r} không hợp lệ."),
    IssueType("units-duplicate-name", "error", "Trùng tên đơn vị",
              "Danh sách đơn vị {file}, hàng {row}: tên {value!r} trùng với hàng {first_row}; không thể phân biệt hai đơn vị."),
    IssueType("units-empty", "error", "Danh sách đơn vị rỗng",
              "Danh sách đơn vị {file}: không có đơn vị nào."),
    IssueType("units-unreadable", "error", "Không đọc được danh sách đơn vị",
              "Không đọc được danh sách đơn vị {file}: {reason}."),
    # what a file is
    IssueType("not-a-report", "info", "Không phải báo cáo",
              "{file}: không phải tệp báo cáo ({reason}), đã bỏ qua."),
    IssueType("lock-file", "info", "Tệp khóa tạm",
              "{file}: tệp khóa tạm của Excel/LibreOffice (có người đang mở tệp), đã bỏ qua."),
    IssueType("wrong-format", "error", "Sai định dạng",
              "{file}: {reason}. Hãy mở tệp bằng Excel và lưu lại dạng .xlsx rồi gửi lại."),
    IssueType("unsupported-format", "error", "Dạng bảng tính chưa đọc được",
              "{file}: {reason}: đề nghị lưu lại dạng .xlsx (mở bằng Excel hoặc LibreOffice, chọn Lưu thành… → "
              "Sổ làm việc Excel .xlsx) rồi gửi lại."),
    IssueType("encrypted", "error", "Tệp có mật khẩu",
              "{file}: tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu (Tệp → Thông tin → Bảo vệ sổ làm việc) và gửi lại."),
    IssueType("corrupt", "error", "Tệp hỏng",
              "{file}: tệp bị hỏng hoặc chưa tải về đủ ({reason}). Đề nghị đơn vị gửi lại."),
    IssueType("empty-file", "error", "Tệp rỗng",
              "{file}: tệp rỗng (0 byte). Đề nghị đơn vị gửi lại."),
    IssueType("unsafe-file", "error", "Tệp không an toàn",
              "{file}: tệp bị từ chối vì lý do an toàn ({reason}). Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."),
    IssueType("too-large", "error", "Tệp quá lớn",
              "{file}: tệp quá lớn để là một biểu báo cáo ({reason})."),
    IssueType("unreadable", "error", "Không đọc được tệp",
              "{file}: không đọc được tệp ({reason})."),
    IssueType("cannot-open", "error", "Không mở được tệp",
              "{file}: không mở được tệp ({reason}); có thể tệp đang được mở hoặc đang chép dở."),
    # finding the form
    IssueType("form-not-found", "error", "Không tìm thấy biểu",
              "{file}: không tìm thấy bảng \"Biểu tổng hợp\" (hàng tiêu đề có \"Các hoạt động\", \"Số lớp/số cuộc thi\", \"Người\") trên trang nào."),
    IssueType("column-missing", "error", "Thiếu cột",
              "{file}, trang {sheet}: bảng thiếu cột {column}."),
    IssueType("row-missing", "warning", "Thiếu hàng",
              "{file}, trang {sheet}: không thấy hàng {indicator} \"{label}\"; coi như để trống."),
    IssueType("row-duplicate", "error", "Hàng lặp lại",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} xuất hiện lần thứ hai (lần đầu ở ô {first_cell})."),
    IssueType("row-unknown", "warning", "Hàng lạ",
              "{file}, trang {sheet}, ô {cell}: hàng \"{value}\" không có trong biểu mẫu, số liệu của hàng này không được tính."),
    IssueType("sheet-too-large", "error", "Trang quá lớn",
              "{file}, trang {sheet}: trang có {reason}, vượt giới hạn an toàn; không đọc."),
    IssueType("sheet-unreadable", "warning", "Không đọc được một trang",
              "{file}, trang {sheet}: không đọc được trang này ({reason}); các trang khác vẫn được đọc."),
    IssueType("too-many-sheets", "error", "Quá nhiều trang",
              "{file}: tệp có {count} trang, vượt giới hạn {limit}; không đọc."),
    # values
    IssueType("value-unreadable", "error", "Không đọc được số",
              "{file}, trang {sheet}, ô {cell} (hàng {indicator}, {measure_name}): không đọc được giá trị \"{value}\" thành số."),
    IssueType("value-not-whole", "error", "Không phải số nguyên",
              "{file}, trang {sheet}, ô {cell} (hàng {indicator}, {measure_name}): \"{value}\" không phải số nguyên; cần một số nguyên không âm."),
    IssueType("value-negative", "error", "Số âm",
              "{file}, trang {sheet}, ô {cell} (hàng {indicator}, {measure_name}): \"{value}\" là số âm; cần một số nguyên không âm."),
    IssueType("value-not-allowed", "error", "Số liệu ở ô không dùng",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} không có số liệu \"{measure_name}\" nhưng ô có giá trị \"{value}\"."),
    IssueType("value-conflict", "error", "Hai giá trị khác nhau",
              "{file}, trang {sheet}, hàng {indicator}: cùng một số liệu được ghi hai lần khác nhau ({value} ở ô {cell} và {other} ở ô {other_cell})."),
    IssueType("formula-no-value", "error", "Công thức chưa có kết quả",
              "{file}, trang {sheet}, ô {cell} (hàng {indicator}): ô có công thức nhưng tệp không lưu kết quả; hãy mở tệp bằng Excel, lưu lại và gửi lại."),
    IssueType("formula-computed", "info", "Tính lại công thức",
              "{file}, trang {sheet}, ô {cell} (hàng {indicator}): công thức không lưu kết quả, đã tính bằng tổng các hàng thành phần = {value}."),
    IssueType("legacy-encoding", "info", "Chuyển mã phông chữ cũ",
              "{file}, trang {sheet}, ô {cell}: đã chuyển mã {encoding} → Unicode (\"{value}\"); nên lưu tệp bằng phông Unicode (như Times New Roman)."),
    IssueType("text-too-long", "warning", "Văn bản quá dài",
              "{file}, trang {sheet}, ô {cell}: nội dung dài {length} ký tự, vượt giới hạn 32.767 ký tự của Excel; phần thừa bị cắt khi tổng hợp."),
    IssueType("duplicate-record", "error", "Trùng dòng số liệu",
              "{file}: hàng {indicator} có nhiều hơn một dòng số liệu."),
    # identity
    IssueType("unit-unknown", "error", "Không xác định được đơn vị",
              "{file}: không xác định được đơn vị gửi báo cáo ({reason}). Hãy đổi tên tệp theo mã đơn vị hoặc ghi đúng dòng \"Đơn vị báo cáo:\"."),
    IssueType("unit-ambiguous", "error", "Đơn vị không rõ ràng",
              "{file}: {reason} khớp với nhiều đơn vị ({candidates}); không tự đoán, tệp chưa được tính cho đơn vị "
              "nào. Khi đã biết tệp của đơn vị nào, thêm vào tệp đợt báo cáo, mục [xac_nhan], dòng {line} (thay mã "
              "cho đúng) rồi chạy lại."),
    IssueType("unit-mismatch", "warning", "Đơn vị không khớp",
              "{file}: {reason}."),
    IssueType("unit-unconfirmed", "error", "Cần xác nhận đơn vị",
              "{file}: cần xác nhận đơn vị gửi — các dấu hiệu không khớp nhau: {reason}. Tệp chưa được tính cho "
              "đơn vị nào ({candidates}). Khi đã biết tệp của đơn vị nào, thêm vào tệp đợt báo cáo, mục [xac_nhan], "
              "dòng {line} (thay mã cho đúng) rồi chạy lại."),
    IssueType("identity-confirmed", "info", "Đơn vị đã được xác nhận",
              "{file}: tính cho đơn vị {unit} theo xác nhận trong tệp đợt báo cáo ([xac_nhan]); các dấu hiệu: {reason}."),
    IssueType("confirm-unknown-code", "error", "Mã xác nhận không có trong danh sách",
              "{file}: mục [xac_nhan] của tệp đợt báo cáo ghi mã \"{value}\" nhưng danh sách đơn vị không có mã này."),
    IssueType("identity-source", "info", "Cách xác định đơn vị",
              "{file}: đơn vị {unit} được xác định theo {reason}."),
    IssueType("wrong-year", "error", "Sai năm",
              "{file}: biểu của năm {value}, không phải năm {year} của đợt báo cáo này."),
    IssueType("wrong-form", "error", "Sai biểu mẫu",
              "{file}: đây là biểu \"{value}\", không phải biểu \"{expected}\"."),
    IssueType("old-form-version", "warning", "Mẫu cũ",
              "{file}: biểu theo mẫu phiên bản {value}, mẫu hiện hành là {expected}; vẫn đọc theo tên hàng."),
    IssueType("blank-return", "warning", "Biểu chưa điền",
              "{file}: biểu chưa điền số liệu nào (mẫu để trống); không tính là một lần nộp báo cáo{kept}."),
    IssueType("resubmitted", "info", "Bản gửi lại",
              "{file}: thay bản {older}; {changed}."),
    IssueType("same-values", "warning", "Số liệu giống hệt đơn vị khác",
              "{file}: số liệu giống hệt tệp {other} của đơn vị {other_unit} ({n} ô có số); hãy kiểm tra xem có "
              "gửi nhầm tệp hay chép số liệu không."),
    IssueType("value-outside-form", "warning", "Số ghi ngoài ô nhập liệu",
              "{file}, trang {sheet}, ô {cell}: có số \"{value}\" ngoài ô nhập liệu của biểu{belongs}; số này "
              "không được tính. Nếu là số liệu của hàng đó, hãy ghi vào cột \"Số lớp/số cuộc thi\" hoặc \"Người\"."),
    IssueType("summary-pedigree", "info", "Biểu tổng hợp của huyện",
              "{file}: biểu tổng hợp của {name}, tổng hợp từ {merged}/{total} đơn vị{missing}."),
    IssueType("summary-incomplete", "warning", "Biểu tổng hợp chưa đủ đơn vị",
              "{file}: biểu tổng hợp của {name} chỉ gồm {merged}/{total} đơn vị; số liệu của huyện chưa đủ."),
    IssueType("summary-include-invalid", "error", "Biểu tổng hợp có số liệu chưa kiểm tra",
              "{file}: biểu tổng hợp của {name} được lập với --include-invalid (có cộng số liệu của đơn vị còn lỗi); "
              "đề nghị huyện sửa lỗi và gửi lại biểu tổng hợp không dùng --include-invalid."),
    IssueType("superseded", "info", "Đã có bản mới hơn",
              "{file}: đơn vị {unit} đã gửi bản mới hơn ({newer}); bản này không được dùng."),
    # schema: values and rules
    IssueType("total-mismatch", "error", "Tổng không khớp",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} ({measure_name}) ghi {value} nhưng tổng các hàng {parts} là {expected}; {meaning}."),
    IssueType("total-from-parts", "info", "Tổng được tính từ thành phần",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} ({measure_name}) để trống, lấy bằng tổng các hàng {parts} = {expected}."),
    IssueType("total-without-parts", "warning", "Thiếu số liệu chi tiết",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} ({measure_name}) = {value} nhưng các hàng chi tiết {parts} đều để trống."),
    IssueType("people-less-than-count", "warning", "Số người ít hơn số lớp",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} có {value} người nhưng {count} lớp/cuộc; số người ít hơn số lớp, hãy kiểm tra lại."),
    IssueType("people-missing", "warning", "Thiếu số người",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} có {count} lớp/cuộc nhưng để trống số người."),
    IssueType("over-limit", "warning", "Vượt mức hợp lý",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} = {value}, lớn hơn {max} đối với đơn vị loại {type} ({meaning})."),
    IssueType("outlier", "warning", "Khác thường so với đơn vị cùng loại",
              "{file}, trang {sheet}, ô {cell}: hàng {indicator} ({measure_name}) = {value}, rất khác các đơn vị cùng loại {type} (trung vị {median}, so với {n} đơn vị: {units})."),
    IssueType("no-values", "warning", "Biểu trống",
              "{file}: biểu không có số liệu nào."),
    # merge / completeness
    IssueType("unit-missing", "warning", "Chưa nộp",
              "Đơn vị {unit} ({name}) chưa nộp báo cáo."),
    IssueType("late", "info", "Nộp muộn",
              "{file}: lưu lúc {value}, sau hạn {deadline}."),
    # mail (issue 16), from the manifest that fetch writes beside the folder: the server's receipt time decides
    # lateness; the sender's address is one more piece of evidence of whose file it is (identity.Evidence)
    IssueType("late-received", "info", "Nộp muộn",
              "{file}: nhận lúc {value} (giờ máy chủ thư), sau hạn {deadline}."),
    IssueType("sender-not-listed", "info", "Gửi từ địa chỉ ngoài danh sách",
              "{file}: {how} gửi từ địa chỉ {value}, không phải email của {unit_name} trong danh sách đơn vị "
              "({listed})."),
    IssueType("merge-total-differs", "warning", "Tổng chung khác tổng chi tiết",
              "Tổng hợp: hàng {indicator} ({measure_name}) toàn {kind} là {value} nhưng tổng các hàng {parts} "
              "là {expected}, do {units}."),
    IssueType("merge-formula-text", "warning", "Nội dung dạng công thức",
              "Tổng hợp: {name} ghi ở hàng {indicator} ({measure_name}) nội dung dạng công thức Excel \"{value}\"; "
              "biểu tổng hợp không in nội dung này, chỉ ghi lại ở đây."),
    # schedule and narrative (Lịch hoạt động, Báo cáo)
    IssueType("schedule-bad-time", "error", "Không đọc được giờ",
              "{file}, trang {sheet}, ô {cell}: không đọc được giờ \"{value}\" (viết như 8h30, 14h00 hoặc 8:30)."),
    IssueType("schedule-bad-date", "error", "Không đọc được ngày",
              "{file}, trang {sheet}, ô {cell}: không đọc được ngày \"{value}\" (viết như 01/10 hoặc 01/10/{year})."),
    IssueType("schedule-out-of-window", "error", "Ngày ngoài Tuần lễ",
              "{file}, trang {sheet}, ô {cell}: ngày {value} nằm ngoài thời gian Tuần lễ ({start} – {end})."),
    IssueType("schedule-no-content", "error", "Thiếu nội dung hoạt động",
              "{file}, trang {sheet}, hàng {row}: có giờ/ngày nhưng không có nội dung hoạt động."),
    IssueType("schedule-duplicate", "warning", "Hoạt động lặp lại",
              "{file}, trang {sheet}, ô {cell}: hoạt động \"{value}\" đã ghi ở hàng {first_row}; chỉ tính một lần."),
    IssueType("schedule-no-date", "error", "Thiếu ngày",
              "{file}, trang {sheet}, ô {cell}: hoạt động chưa ghi ngày (viết như 02/10)."),
    IssueType("schedule-date-swapped", "warning", "Ngày bị đảo tháng/ngày",
              "{file}, trang {sheet}, ô {cell}: máy ghi ngày {value}, ngoài Tuần lễ; đã hiểu là {read} (ngày và tháng bị đảo). Hãy kiểm tra lại."),
    IssueType("schedule-unit-unknown", "warning", "Không nhận ra đơn vị của hoạt động",
              "{file}, trang {sheet}, ô {cell}: không nhận ra đơn vị \"{value}\" trong danh sách đơn vị; lịch tổng hợp giữ nguyên tên như đã ghi."),
    IssueType("schedule-tt-repeated", "warning", "Số thứ tự lặp lại",
              "{file}, trang {sheet}, ô {cell}: số thứ tự {value} đã dùng ở hàng {first_row}; lịch tổng hợp đánh số lại từ 1."),
    IssueType("schedule-opening-differs", "warning", "Lịch khai mạc khác kế hoạch",
              "{file}, trang {sheet}, ô {cell}: \"{value}\" ghi lúc {written}, nhưng kế hoạch (tệp đợt báo cáo) "
              "ghi Lễ khai mạc lúc {planned}. Hãy thống nhất một thời gian trước khi gửi lịch."),
    IssueType("narrative-empty", "info", "Chưa viết báo cáo",
              "{file}, trang {sheet}: các mục báo cáo để trống: {heading}."),
    # receiving files on the web page (intake.py)
    IssueType("upload-unsafe-name", "error", "Tên tệp không an toàn",
              "{file}: tên tệp chứa đường dẫn ra ngoài thư mục (\"..\" hoặc đường dẫn tuyệt đối); tệp không được lưu."),
    IssueType("upload-too-many", "error", "Quá nhiều tệp",
              "{file}: {count} tệp trong một lần nhận, giới hạn {limit}; không tệp nào được lưu. Hãy chia thành nhiều lần."),
    IssueType("upload-too-large", "error", "Tệp quá lớn",
              "{file}: tệp quá lớn ({reason}); không lưu."),
    IssueType("upload-not-kept", "info", "Không lưu",
              "{file}: {reason}; không lưu vào thư mục báo cáo."),
    IssueType("upload-duplicate", "info", "Đã có",
              "{file}: thư mục báo cáo đã có tệp giống hệt ({other}); không lưu thêm bản nữa."),
]
CATALOGUE: dict[str, IssueType] = {t.code: t for t in _TYPES}


_JSON_FIELDS = ("severity", "code", "indicator", "measure", "sheet", "cell", "value", "message")


@dataclass(frozen=True)
class Issue:
    """One problem found in one place. Every field but code, severity and message is optional."""

    severity: Severity
    code: str
    message: str
    file: str | None = None
    unit: str | None = None
    sheet: str | None = None
    cell: str | None = None
    indicator: str | None = None
    measure: str | None = None
    value: str | None = None
    expected: str | None = None  # what the rule expected, where the catalogue's message names it

    @property
    def blocking(self) -> bool:
        """Errors keep a unit out of the merge; warnings and info never do."""
        return self.severity == "error"

    def to_dict(self) -> dict[str, str | None]:
        """The JSON shape of an issue (see ``check --json``)."""
        # the fields are plain strings: read directly (dataclasses.asdict deep-copies every one of them, 0.1 s
        # of a 1,000-file ``merge --json``)
        return {k: getattr(self, k) for k in _JSON_FIELDS}

    def with_file(self, file: str) -> Issue:
        """The same issue attributed to another file name."""
        return replace(self, file=file)


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def make(code: str, *, severity: Severity | None = None, file: str | None = None,
         unit: str | None = None, sheet: str | None = None, cell: str | None = None,
         indicator: str | None = None, measure: str | None = None, value: object = None,
         **extra: object) -> Issue:
    """Build an issue from the catalogue, formatting its Vietnamese message from the given fields."""
    from consolidate.form import MEASURE_NAMES

    kind = CATALOGUE[code]
    text_value = None if value is None else str(value)
    fields = _Fields(file=file or "", sheet=sheet or "", cell=cell or "", indicator=indicator or "",
                     measure=measure or "", measure_name=MEASURE_NAMES.get(measure or "", measure or ""),
                     unit=unit or "", value=text_value if text_value is not None else "")
    fields.update({k: v for k, v in extra.items()})
    message = kind.template.format_map(fields)
    expected = extra.get("expected")
    return Issue(severity or kind.severity, code, message, file, unit, sheet, cell, indicator, measure,
                 text_value, None if expected is None else str(expected))


def count(issues: list[Issue], severity: Severity) -> int:
    """How many issues have this severity."""
    return sum(1 for i in issues if i.severity == severity)
