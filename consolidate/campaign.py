"""The campaign: which form, which year, which district, the deadline and the unit list, from a small
TOML file with command-line overrides."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from consolidate.form import Form, FormError, load_form
from consolidate.identity import confirm_line
from consolidate.issues import Issue, RunError, UsageError
from consolidate.units import UnitList


@dataclass(frozen=True)
class Campaign:
    """One reporting round of one district."""

    title: str
    year: int
    district: str
    deadline: dt.date | None = None
    office: str = ""
    province: str = ""
    email: str = ""
    units_file: Path | None = None
    form_file: Path | None = None
    start: dt.date | None = None  # first day of the week
    end: dt.date | None = None  # last day of the week
    opening: dt.date | None = None  # opening ceremony, may precede the week
    opening_time: dt.time | None = None  # its hour, to check the schedule's entry for it against
    communes: str = ""  # what the units below the district are ("phường", "xã/thị trấn"); see commune_kind
    schedule_deadline: dt.date | None = None  # the schedule is gathered before the week
    signer_title: str = "TRƯỞNG PHÒNG"
    signer: str = ""
    code: str = ""  # the district's own code in the province's unit list (written into its summary)
    # the clerk's word on whose a file is ([xac_nhan]: file path relative to the returns folder → unit code)
    confirmed: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    source: Path | None = field(default=None, compare=False)

    def form(self) -> Form:
        """The form definition this campaign uses."""
        return load_form(self.form_file)

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        """Dates on which activities may take place: the opening day (if earlier) through the end."""
        if not self.start or not self.end:
            return None
        first = min(self.start, self.opening) if self.opening else self.start
        return first, self.end

    @property
    def district_kind(self) -> str:
        """What the district is called ("huyện", "quận", "thị xã", "thành phố"), for "Toàn quận" and the like."""
        return district_kind(self.district)

    @property
    def commune_kind(self) -> str:
        """What the places below the district are called ("xã", "phường", "xã/thị trấn"): ``communes`` from
        the campaign file, else what a district of this kind has (a quận has phường, a huyện xã)."""
        return self.communes or COMMUNE_KINDS[self.district_kind]

    def levels(self, text: str) -> str:
        """A text of the plan with its administrative levels named for this district: "{district_kind}" and
        "{commune_kind}" filled in ("Lễ phát động cấp {district_kind}/{commune_kind}" → "… cấp quận/phường")."""
        if "{" not in text:  # most texts name no level (every heading of a file's "narrative-empty" is asked)
            return text
        return text.replace("{district_kind}", self.district_kind).replace("{commune_kind}", self.commune_kind)


_PLACE_PREFIX = re.compile(r"^(huyện|quận|thị xã|thành phố|tp\.?|tỉnh)\s+", re.I)  # a province rolls up districts


@lru_cache(maxsize=256)  # asked for every heading of every file's narrative; a campaign has one district
def district_kind(district: str) -> str:
    """"quận Đống Đa" → "quận"; a name without a kind counts as a "huyện" (the form's own word)."""
    m = _PLACE_PREFIX.match(district.strip())
    if not m:
        return "huyện"
    kind = m.group(1).lower()
    return "thành phố" if kind.startswith("tp") else kind


# the level below: a province (the Sở rolling up its districts' summaries) has huyện and thành phố
COMMUNE_KINDS = {"huyện": "xã", "quận": "phường", "thị xã": "phường/xã", "thành phố": "phường/xã",
                 "tỉnh": "huyện"}


def place_name(district: str) -> str:
    """"huyện Quỳnh Nhai" → "Quỳnh Nhai", for the date line of a signature block."""
    return _PLACE_PREFIX.sub("", district.strip()).strip() or "……"


DATE_NAMES = {
    "deadline": "hạn nộp (deadline)", "start": "ngày bắt đầu Tuần lễ (start)", "end": "ngày kết thúc Tuần lễ (end)",
    "opening": "ngày khai mạc (opening)", "schedule_deadline": "hạn gửi lịch hoạt động (schedule_deadline)",
}


def _date(value: object, key: str, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise RunError(f"{where}: {DATE_NAMES.get(key, key)} = {text!r} không phải ngày hợp lệ (viết ngày/tháng/năm, "
                   "ví dụ 15/10/2021).")


def _time(value: object, where: str) -> dt.time | None:
    if value in (None, ""):
        return None
    from consolidate.values import parse_time  # how people write hours ("14h00", "8:30")

    found = parse_time(value)
    if found is None:
        raise RunError(f"{where}: giờ khai mạc (opening_time) = {str(value)!r} không phải giờ hợp lệ (ví dụ 14h00).")
    return found


def _year(value: object, where: str) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        year = 0
    if not 1990 <= year <= 2100:
        raise RunError(f"{where}: năm {value!r} không hợp lệ (viết bốn chữ số, ví dụ 2021).")
    return year


def _check_order(camp: Campaign) -> None:
    if camp.start and camp.end and camp.end < camp.start:
        raise RunError(f"Ngày kết thúc Tuần lễ {camp.end:%d/%m/%Y} trước ngày bắt đầu {camp.start:%d/%m/%Y}.")


CONFIRM_TABLE = "xac_nhan"


def _confirmations(table: object, where: str) -> dict[str, str]:
    """The [xac_nhan] table: file (relative path, forward slashes) → unit code."""
    if not isinstance(table, dict):
        raise RunError(f"{where}: mục [{CONFIRM_TABLE}] phải là bảng dạng \"tên tệp\" = \"mã đơn vị\".")
    out: dict[str, str] = {}
    for file, code in table.items():
        if not isinstance(code, (str, int)) or not str(code).strip():
            raise RunError(f"{where}: mục [{CONFIRM_TABLE}], tệp {file!r}: cần ghi mã đơn vị, ví dụ "
                           f"\"{file}\" = \"TH01\".")
        out[unicodedata.normalize("NFC", str(file)).replace("\\", "/").strip()] = str(code).strip()
    return out


def add_confirmation(path: str | Path, file: str, code: str) -> None:
    """Book ``file`` to ``code`` in the campaign file's [xac_nhan] table (a line for the same file is replaced),
    keeping every other line of the file as it is; written atomically."""
    from consolidate.outputs import atomic_write_text

    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    key = json.dumps(file, ensure_ascii=False)
    lines = [ln for ln in lines if not ln.strip().startswith(key + " ") and not ln.strip().startswith(key + "=")]
    header = next((i for i, ln in enumerate(lines) if ln.strip() == f"[{CONFIRM_TABLE}]"), None)
    if header is None:
        lines += ["", f"[{CONFIRM_TABLE}]", confirm_line(file, code)]
    else:
        lines.insert(header + 1, confirm_line(file, code))
    atomic_write_text(path, "\n".join(lines) + "\n")


def default_campaign(year: int | None = None) -> Campaign:
    """A campaign with no file: this year, no deadline."""
    year = year or dt.date.today().year
    return Campaign(title=f"Tuần lễ hưởng ứng học tập suốt đời năm {year}", year=year, district="")


def load_campaign(path: str | Path | None, **overrides: object) -> Campaign:
    """Load a campaign TOML (section [campaign]); keyword overrides win over the file (None is ignored)."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if path is None:
        camp = default_campaign(_year(overrides["year"], "Tùy chọn --year") if "year" in overrides else None)
        base = Path.cwd()
        data: dict = {}
    else:
        path = Path(path)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
            data = document.get("campaign", {})
        except FileNotFoundError:
            raise RunError(f"Không tìm thấy tệp đợt báo cáo {path}.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RunError(f"Tệp đợt báo cáo {path} sai cú pháp: {exc}.") from None
        base = path.parent
        where = f"Tệp đợt báo cáo {path}"
        for key in ("title", "year"):
            if key not in data:
                raise RunError(f"{where}: thiếu khóa {key}.")
        year = _year(data["year"], where)
        camp = Campaign(
            title=str(data["title"]), year=year, district=str(data.get("district", "")),
            deadline=_date(data.get("deadline"), "deadline", where), office=str(data.get("office", "")),
            province=str(data.get("province", "")), email=str(data.get("email", "")),
            units_file=(base / data["units"]) if data.get("units") else None,
            form_file=(base / data["form"]) if data.get("form") else None,
            start=_date(data.get("start"), "start", where), end=_date(data.get("end"), "end", where),
            opening=_date(data.get("opening"), "opening", where),
            opening_time=_time(data.get("opening_time"), where), communes=str(data.get("communes", "")).strip(),
            schedule_deadline=_date(data.get("schedule_deadline"), "schedule_deadline", where),
            signer_title=str(data.get("signer_title", "TRƯỞNG PHÒNG")), signer=str(data.get("signer", "")),
            code=str(data.get("code", "")).strip(),
            confirmed=_confirmations(document.get(CONFIRM_TABLE, {}), where), source=path,
        )
    changes: dict[str, object] = {}
    for key, value in overrides.items():
        if key in DATE_NAMES:
            changes[key] = _date(value, key, f"Tùy chọn --{key.replace('_', '-')}")
        elif key == "year":
            changes[key] = _year(value, "Tùy chọn --year")
        elif key in ("units_file", "form_file"):
            changes[key] = Path(str(value))
        else:
            changes[key] = str(value)
    camp = replace(camp, **changes) if changes else camp
    _check_order(camp)
    return camp


def prepare(campaign_file: str | Path | None, units_file: str | Path | None,
            **overrides: object) -> tuple[Campaign, Form, UnitList | None, list[Issue]]:
    """Load campaign, form and unit list for a command; unit-list problems come back as issues."""
    from consolidate.units import load_units

    campaign = load_campaign(campaign_file, **overrides)
    if units_file:
        campaign = replace(campaign, units_file=Path(units_file))
    if campaign.units_file is None:
        raise UsageError("Chưa có danh sách đơn vị: dùng --units TỆP hoặc khai báo units = \"...\" trong tệp đợt báo cáo.")
    try:
        form = campaign.form()
    except FormError as exc:
        raise RunError(str(exc)) from None
    units, issues = load_units(campaign.units_file)
    return campaign, form, units, issues
