"""Generate a folder of N filled returns from the project's own templates, and the totals it expects.

How (fast but realistic):

* A units list of N units, four types in turn (Xã, Mầm non, Tiểu học, THCS). Every code and name of a
  type has the same length (``MN00012`` / ``Trường Mầm non Thử Nghiệm 00012``).
* For each type a *prototype* unit (number 99999) gets its template from
  :func:`consolidate.templates.make_templates` (with the Báo cáo and Lịch hoạt động sheets, as the CLI
  writes it). The prototype template is filled with openpyxl for K value sets ("variants"); variant 0 has
  a deliberate error (total of row 1 ≠ its parts). A few variants per type are saved as .xls and .ods by
  LibreOffice headless (``soffice --convert-to``), as units do.
* Each unit's file is a prototype file with the prototype's code and name replaced by the unit's (same
  length, so even the binary .xls keeps every record size; inside .xlsx/.ods zips the XML is patched).
  Every prototype's patch is verified once by reading the patched file back with calamine (identity
  sheet and "Đơn vị báo cáo" line); since the patch is position-for-position, that holds for every unit.
* Each unit's copy also carries one value of its own: row 3 (leaflets, a count with no total above it) is
  1000 + the unit's number, patched in place of the prototype's sentinel. Without it every return held
  the same values as 40 (N = 1,000) to 400 (N = 10,000) others, each with a ``same-values`` warning, which a
  real district's returns never do (before generator version 6 the bench measured that case at its worst).
* Mix: about 80 % .xlsx, 10 % .xls, 10 % .ods; about 5 % of the files carry the error.

Everything is cached under ``<cache>/n<N>/`` (``ready.json`` marks a complete folder), the prototypes
under ``<cache>/protos/``.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import struct
import subprocess
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = (  # code prefix, type, name stem
    ("X", "Xã", "UBND xã Thử Nghiệm"),
    ("MN", "Mầm non", "Trường Mầm non Thử Nghiệm"),
    ("TH", "Tiểu học", "Trường Tiểu học Thử Nghiệm"),
    ("CS", "THCS", "Trường THCS Thử Nghiệm"),
)
PROTO_NUMBER = 99999
K_XLSX = 32  # value sets per type for .xlsx (variant 0 has the error)
K_OTHER = 4  # value sets per type and format for .xls / .ods (variant 0 has the error)
FORMATS = ("xlsx", "xls", "ods")
GEN_VERSION = 6  # bump when the generator changes, so caches are rebuilt
OWN_ROW = "3"  # the (row, count) each unit's copy holds a value of its own in: no total sums it
SENTINEL = 97531  # the prototypes' value there; unique in every prototype file (checked when patching)

CAMPAIGN_TOML = """\
[campaign]
title = "Tuần lễ hưởng ứng học tập suốt đời năm 2026 (benchmark)"
year = 2026
district = "huyện Thử Nghiệm"
province = "tỉnh Thử Nghiệm"
office = "Phòng Giáo dục và Đào tạo huyện Thử Nghiệm"
email = "pgd@thunghiem.example"
units = "units.csv"
start = "01/10/2026"
end = "07/10/2026"
opening = "01/10/2026"
deadline = "31/12/2099"
"""


def code_of(prefix: str, number: int) -> str:
    return f"{prefix}{number:05d}"


# place names make the unit names as varied in length as a real list; prototypes use PLACES[0], and the
# .xls returns (patched in place, so same length) are made only for units named with it
PLACES = ("Mường Giàng", "Chiềng Ơn", "Nậm Ét", "Pá Ma Pha Khinh", "Cà Nàng", "Chiềng Khay", "Mường Sại",
          "Liệp Tè", "Chiềng Bằng", "Mường Chiên", "Nặm Giôn", "Chiềng Khoang", "Phiêng Lanh")


def name_of(stem: str, number: int, place: int = 0) -> str:
    return unicodedata.normalize("NFC", f"{stem} {PLACES[place]} {number:05d}")


def own_value(number: int) -> int:
    """The unit's own value of row 3 (see OWN_ROW)."""
    return 1000 + number


@dataclass(frozen=True)
class Assignment:
    """Which prototype file a unit's return is made from."""

    number: int
    type_index: int
    fmt: str
    variant: int
    place: int = 0

    @property
    def code(self) -> str:
        return code_of(TYPES[self.type_index][0], self.number)

    @property
    def name(self) -> str:
        return name_of(TYPES[self.type_index][2], self.number, self.place)

    @property
    def has_error(self) -> bool:
        return self.variant == 0


def assignments(n: int, seed: int = 7, k_xlsx: int = K_XLSX, k_other: int = K_OTHER) -> list[Assignment]:
    """Unit i: type i mod 4, format ~80/10/10, variant uniform (variant 0 = the error)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        place = 0 if rng.random() < 0.3 else rng.randrange(1, len(PLACES))
        # .xls only for PLACES[0] names (30 % of units): 10 % of all files
        fmt = rng.choices(FORMATS, weights=(60, 33, 7) if place == 0 else (88, 0, 12))[0]
        k = k_xlsx if fmt == "xlsx" else k_other
        out.append(Assignment(i, i % len(TYPES), fmt, rng.randrange(k), place))
    return out


# ------------------------------------------------------------------------------------------ values

def variant_values(form, variant: int) -> dict[str, dict[str, float]]:  # noqa: ANN001
    """The numbers of one value set: {row code: {measure: value}}, totals consistent except variant 0."""
    rng = random.Random(1000 + variant)
    values: dict[str, dict[str, float]] = {}
    totals = {(r.total, r.measure) for r in form.rules}
    for row in form.value_rows:
        for m in row.numeric_measures:
            if (row.code, m) in totals:
                continue
            if m == "amount":
                v = rng.randrange(0, 50) * 100_000
            elif row.code == "7.1":
                v = rng.randrange(0, 2)  # a school counts only itself (plausibility limit)
            elif m == "count":
                v = rng.randrange(0, 40)
            else:  # at least as many people as classes (else a warning on every other row)
                v = values.get(row.code, {}).get("count", 0) * rng.randrange(1, 30) + rng.randrange(0, 20)
            values.setdefault(row.code, {})[m] = float(v)
    for rule in form.rules:
        s = sum(values.get(p, {}).get(rule.measure, 0.0) for p in rule.parts)
        values.setdefault(rule.total, {})[rule.measure] = s
    if variant == 0:
        values[form.rules[0].total][form.rules[0].measure] += 1  # total ≠ parts: the unit is rejected
    return values


def expected_totals(form, units: list[Assignment]) -> dict[str, dict[str, float]]:  # noqa: ANN001
    """The district totals over the units that must be accepted (no error)."""
    per_variant: dict[int, dict[str, dict[str, float]]] = {}
    out: dict[str, dict[str, float]] = {}
    for a in units:
        if a.has_error:
            continue
        vals = per_variant.setdefault(a.variant, variant_values(form, a.variant))
        for code, ms in vals.items():
            for m, v in ms.items():
                if (code, m) == (OWN_ROW, "count"):
                    v = float(own_value(a.number))
                out.setdefault(code, {})[m] = out.get(code, {}).get(m, 0.0) + v
    return out


# ------------------------------------------------------------------------------------------ prototypes

def _load():  # noqa: ANN202
    from consolidate.campaign import load_campaign
    from consolidate.form import load_form

    return load_form(), load_campaign


def write_units(folder: Path, units: list[tuple[str, str, str]]) -> Path:
    import csv

    path = folder / "units.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Mã đơn vị", "Tên đơn vị", "Loại", "Email"])
        for code, name, utype in units:
            w.writerow([code, name, utype, f"{code.lower()}@thunghiem.example"])
    return path


def write_campaign(folder: Path, units: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_units(folder, units)
    path = folder / "campaign.toml"
    path.write_text(CAMPAIGN_TOML, encoding="utf-8")
    return path


def fill(template: Path, target: Path, form, values: dict[str, dict[str, float]], variant: int) -> None:  # noqa: ANN001
    """Fill a unit template's form sheet with openpyxl, finding each row by its label, as a clerk would."""
    import openpyxl

    from consolidate.templates import MEASURE_COLUMNS

    wb = openpyxl.load_workbook(template)
    ws = wb[form.sheet]
    by_label = {r.label: r for r in form.rows}
    for r in range(1, ws.max_row + 1):
        label = ws.cell(r, 2).value
        row = by_label.get(label) if isinstance(label, str) else None
        if row is None:
            continue
        for m, v in values.get(row.code, {}).items():
            ws.cell(r, MEASURE_COLUMNS[m]).value = SENTINEL if (row.code, m) == (OWN_ROW, "count") else int(v)
        if "text" in row.measures:
            ws.cell(r, MEASURE_COLUMNS["text"]).value = f"Giao lưu văn nghệ, biến thể {variant}"
    wb.save(target)


def soffice_convert(files: list[Path], fmt: str, out_dir: Path) -> None:
    """Convert many files in one LibreOffice headless run (own profile)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is needed to make the .xls and .ods returns")
    profile = Path("/tmp") / f"lo-bench-{uuid.uuid4().hex}"
    try:
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(out_dir), *map(str, files)],
                       check=True, capture_output=True, timeout=600)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def prototypes(cache: Path, log=print, k_xlsx: int = K_XLSX,  # noqa: ANN001
               k_other: int = K_OTHER) -> dict[tuple[int, str, int], Path]:
    """(type index, format, variant) → filled prototype file, made once and cached."""
    from consolidate import narrative, schedule
    from consolidate.campaign import load_campaign
    from consolidate.form import load_form
    from consolidate.templates import make_templates
    from consolidate.units import load_units

    folder = cache / f"protos-v{GEN_VERSION}-{k_xlsx}-{k_other}"
    marker = folder / "ready.json"
    wanted = {(t, f, v) for t in range(len(TYPES)) for f in FORMATS
              for v in range(k_xlsx if f == "xlsx" else k_other)}
    paths = {(t, f, v): folder / f / f"{TYPES[t][0]}_{v:02d}.{f}" for t, f, v in wanted}
    if all(p.exists() for p in paths.values()):
        if not (marker.exists() and json.loads(marker.read_text()).get("version") == GEN_VERSION):
            _verify_all(paths, marker)
        return paths
    shutil.rmtree(folder, ignore_errors=True)
    proto_units = [(code_of(p, PROTO_NUMBER), name_of(s, PROTO_NUMBER), t) for p, t, s in TYPES]
    campaign_file = write_campaign(folder / "campaign", proto_units)
    form = load_form()
    campaign = load_campaign(campaign_file)
    units, issues = load_units(campaign.units_file)
    assert not issues, issues
    tdir = folder / "templates"
    res = make_templates(campaign, form, units, tdir,
                         extra_sheets=[narrative.template_writer, schedule.template_writer])
    by_code = {u.code: f for u, f in zip(res.units, res.files)}
    log(f"  filling {len(wanted)} prototype returns with openpyxl, converting with LibreOffice …")
    for f in FORMATS:
        (folder / f).mkdir(parents=True)
    src_dir = folder / "filled"
    src_dir.mkdir()
    for t in range(len(TYPES)):
        template = by_code[proto_units[t][0]]
        for v in range(k_xlsx):
            fill(template, folder / "xlsx" / f"{TYPES[t][0]}_{v:02d}.xlsx", form, variant_values(form, v), v)
    for f in ("xls", "ods"):
        batch = []
        for t in range(len(TYPES)):
            for v in range(k_other):
                batch.append(folder / "xlsx" / f"{TYPES[t][0]}_{v:02d}.xlsx")
        soffice_convert(batch, f, folder / f)
    missing = [p for p in paths.values() if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {missing[:3]}")
    _verify_all(paths, marker)
    return paths


def _verify_all(paths: dict[tuple[int, str, int], Path], marker: Path) -> None:
    from consolidate.form import load_form

    form = load_form()
    for (t, f, _v), p in paths.items():
        verify_patch(p.read_bytes(), f, t, form)
    marker.write_text(json.dumps({"version": GEN_VERSION}))


# ------------------------------------------------------------------------------------------ patching

def _replacements(t: int, number: int, place: int) -> list[tuple[str, str]]:
    prefix, _, stem = TYPES[t]
    return [(name_of(stem, PROTO_NUMBER), name_of(stem, number, place)),
            (code_of(prefix, PROTO_NUMBER), code_of(prefix, number))]


def _value_forms(fmt: str, value: int) -> list[bytes]:
    """How a whole number is stored in each format: its RK and IEEE double records (BIFF8: the same length
    for every number, so no record changes size), the value attribute and shown text (ODF), the value
    element (OOXML)."""
    if fmt == "xls":
        return [struct.pack("<I", (value << 2) | 2), struct.pack("<d", float(value))]
    if fmt == "ods":
        return [f'office:value="{value}"'.encode(), f">{value:,}<".encode(), f">{value}<".encode()]
    return [f"<v>{value}</v>".encode()]


def _own_value(data: bytes, fmt: str, number: int) -> tuple[bytes, int]:
    """The unit's own value (see OWN_ROW) in place of the sentinel; (bytes, how many forms were replaced)."""
    found = 0
    for old, new in zip(_value_forms(fmt, SENTINEL), _value_forms(fmt, own_value(number))):
        found += data.count(old)
        data = data.replace(old, new)
    return data, found


# the sentinel stands at exactly one place (ODF: as its value and its shown text), so that the replacement
# can hit no other record
_SENTINEL_FORMS = {"xls": 1, "ods": 2, "xlsx": 1}


def patch(data: bytes, fmt: str, t: int, number: int, place: int = 0) -> tuple[bytes, int]:
    """The prototype's bytes with the unit's code, name and own value (row 3) in place of the prototype's;
    (bytes, how many code and name strings were replaced)."""
    assert fmt != "xls" or place == 0, "an .xls is patched in place: same-length names only"
    pairs = _replacements(t, number, place)
    hits = 0
    if fmt == "xls":  # OLE2/BIFF8: strings as UTF-16-LE or 8-bit; same length keeps every record size
        out = data
        for old, new in pairs:
            for enc in ("utf-16-le", "utf-8", "latin-1"):
                try:
                    ob, nb = old.encode(enc), new.encode(enc)
                except UnicodeEncodeError:
                    continue
                hits += out.count(ob)
                out = out.replace(ob, nb)
        out, found = _own_value(out, fmt, number)
        assert found == _SENTINEL_FORMS[fmt], (fmt, found)
        return out, hits
    zin = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    found = 0
    with zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            member = zin.read(info)
            for old, new in pairs:
                # openpyxl writes non-ASCII as &#NNN; references, LibreOffice as UTF-8
                forms = {old.encode(): new.encode(),
                         old.encode("ascii", "xmlcharrefreplace"): new.encode("ascii", "xmlcharrefreplace")}
                for ob, nb in forms.items():
                    if ob in member:
                        hits += member.count(ob)
                        member = member.replace(ob, nb)
            if info.filename.endswith(".xml"):
                member, more = _own_value(member, fmt, number)
                found += more
            zout.writestr(info, member, compress_type=info.compress_type, compresslevel=1)
    assert found == _SENTINEL_FORMS[fmt], (fmt, found)
    return buf.getvalue(), hits


def verify_patch(proto: bytes, fmt: str, t: int, form) -> None:  # noqa: ANN001
    """Patch a prototype to unit 12 and read it with calamine: identity code and title line must be its."""
    from python_calamine import CalamineWorkbook

    number = 12
    place = 0 if fmt == "xls" else 3  # a zip's XML takes a name of another length
    data, hits = patch(proto, fmt, t, number, place)
    assert hits >= 3, (fmt, t, hits)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ident = {str(r[0]): r[1] for r in wb.get_sheet_by_name("_dinh_danh").to_python() if r}
    prefix, _, stem = TYPES[t]
    assert ident.get("unit_code") == code_of(prefix, number), (fmt, t, ident)
    assert ident.get("unit_name") == name_of(stem, number, place), (fmt, t, ident)
    rows = wb.get_sheet_by_name(form.sheet).to_python()
    assert any(f"Đơn vị báo cáo: {name_of(stem, number, place)}" == c for r in rows[:5] for c in r), (fmt, t)
    label = next(r.label for r in form.rows if r.code == OWN_ROW)
    own = [r[3] for r in rows if len(r) > 3 and r[1] == label]
    assert own == [float(own_value(number))], (fmt, t, own)
    wb.close()


def generate(n: int, cache: Path, log=print, k_xlsx: int = K_XLSX, k_other: int = K_OTHER) -> dict:  # noqa: ANN001
    """Make (or reuse) ``<cache>/n<N>/``: campaign.toml, units.csv, da_nhan/ with N returns, expected.json."""
    from consolidate.form import load_form
    from consolidate.outputs import unit_file_name

    base = cache / f"n{n}"
    marker = base / "ready.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("version") == GEN_VERSION and info.get("k") == [k_xlsx, k_other]:
            return info
    protos = prototypes(cache, log, k_xlsx, k_other)
    form = load_form()
    shutil.rmtree(base, ignore_errors=True)
    units = assignments(n, k_xlsx=k_xlsx, k_other=k_other)
    write_campaign(base, [(a.code, a.name, TYPES[a.type_index][1]) for a in units])
    folder = base / "da_nhan"
    folder.mkdir()
    raw = {key: p.read_bytes() for key, p in protos.items()}
    for a in units:
        data, hits = patch(raw[(a.type_index, a.fmt, a.variant)], a.fmt, a.type_index, a.number, a.place)
        assert hits >= 3
        (folder / unit_file_name(a.code, a.name, "." + a.fmt)).write_bytes(data)
    expected = expected_totals(form, units)
    info = {
        "version": GEN_VERSION, "k": [k_xlsx, k_other], "n": n, "base": str(base), "folder": str(folder),
        "campaign": str(base / "campaign.toml"),
        "formats": {f: sum(a.fmt == f for a in units) for f in FORMATS},
        "accepted": sum(not a.has_error for a in units), "rejected": sum(a.has_error for a in units),
        "totals": expected,
    }
    (base / "expected.json").write_text(json.dumps(info, ensure_ascii=False, indent=1))
    marker.write_text(json.dumps(info, ensure_ascii=False))
    return info
