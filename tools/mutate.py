"""A small mutation check, run by hand: does the test suite notice when one rule of the package is broken?

Each mutation below changes one line of ``consolidate/`` (a bound of SECURITY.md turned off, a rule of
FORM.md weakened, a comparison moved by one). For each, the repository is copied to a temporary folder,
the line is changed there (the working tree is never touched), and the tests that cover that module run
against the copy (``PYTHONPATH`` and the working directory point at it, so the CLI run by subprocess tests
is the mutated one too). A mutation is *killed* when at least one test fails, *survived* when all pass.

    python tools/mutate.py                 # every mutation, the module's own tests
    python tools/mutate.py --full          # every mutation, the whole suite (slow)
    python tools/mutate.py -k sniff        # only mutations whose name contains "sniff"
    python tools/mutate.py --list          # the mutations, without running them

Written by hand rather than with mutmut: mutmut rewrites every operator of every module (thousands of
mutants, hours on this machine) while the question asked here is narrower: does each stated rule have a
test that fails without it. Every mutation names the rule it breaks; a mutation whose text is no longer
found in the module (the code moved) is reported as "stale" so that the list is kept up to date.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the tests of each module, the quickest first (pytest stops at the first failure)
SNIFF_TESTS = ("tests/test_bounds.py", "tests/test_sniff.py")
VALUES_TESTS = ("tests/test_values.py", "tests/test_bounds.py")
SCHEMA_TESTS = ("tests/test_schema.py", "tests/test_bounds.py")
READER_TESTS = ("tests/test_reader.py", "tests/test_which_file_counts.py", "tests/test_bounds.py")
MERGE_TESTS = ("tests/test_merge.py", "tests/test_truth.py", "tests/test_bounds.py")
TEXT_TESTS = ("tests/test_text.py", "tests/test_reader.py", "tests/test_bounds.py")
OUTPUT_TESTS = ("tests/test_outputs.py", "tests/test_bounds.py")
INTAKE_TESTS = ("tests/test_intake.py", "tests/test_bounds.py")
SCHEDULE_TESTS = ("tests/test_schedule.py", "tests/test_truth.py")


@dataclass(frozen=True)
class Mutation:
    """One line of one module changed: ``old`` (found exactly once) becomes ``new``."""

    name: str
    module: str
    old: str
    new: str
    tests: tuple[str, ...]
    rule: str


MUTATIONS = [
    # ---- SECURITY.md bounds (sniff.py); the first three survived the whole suite when issue 19 was filed
    Mutation("sniff-file-size-off", "sniff.py", "if len(data) > MAX_FILE_BYTES:", "if False:", SNIFF_TESTS,
             "20 MB file limit"),
    Mutation("sniff-file-size-off-by-one", "sniff.py", "if len(data) > MAX_FILE_BYTES:",
             "if len(data) >= MAX_FILE_BYTES:", SNIFF_TESTS, "a file of exactly 20 MB is still read"),
    Mutation("sniff-members-off", "sniff.py", "if len(infos) > MAX_MEMBERS:", "if False:", SNIFF_TESTS,
             "1,000-entry zip limit"),
    Mutation("sniff-members-off-by-one", "sniff.py", "if len(infos) > MAX_MEMBERS:",
             "if len(infos) >= MAX_MEMBERS:", SNIFF_TESTS, "a zip of exactly 1,000 entries is still read"),
    Mutation("sniff-unpacked-total-off", "sniff.py", "if total > MAX_UNCOMPRESSED:", "if False:", SNIFF_TESTS,
             "100 MB total-unpacked zip bound"),
    Mutation("sniff-unpacked-total-off-by-one", "sniff.py", "if total > MAX_UNCOMPRESSED:",
             "if total >= MAX_UNCOMPRESSED:", SNIFF_TESTS, "exactly 100 MB unpacked is still read"),
    Mutation("sniff-ratio-off", "sniff.py",
             "if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):",
             "if False:", SNIFF_TESTS, "compression ratio bound"),
    Mutation("sniff-methods-off", "sniff.py",
             "if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):", "if False:",
             SNIFF_TESTS, "STORED/DEFLATED only"),
    Mutation("sniff-duplicate-members-off", "sniff.py", "if key in seen:", "if False:", SNIFF_TESTS,
             "duplicate member names"),
    Mutation("sniff-absolute-names-off", "sniff.py",
             'if member.startswith(("/", "\\\\")) or _DRIVE.match(member) or ".." in parts:',
             'if ".." in parts:', SNIFF_TESTS, "absolute and drive member names"),
    Mutation("sniff-dotdot-names-off", "sniff.py",
             'if member.startswith(("/", "\\\\")) or _DRIVE.match(member) or ".." in parts:',
             'if member.startswith(("/", "\\\\")) or _DRIVE.match(member):', SNIFF_TESTS, "'..' member names"),
    Mutation("sniff-zip-encryption-off", "sniff.py", "if info.flag_bits & 0x1:", "if False:", SNIFF_TESTS,
             "encrypted zip members"),
    Mutation("sniff-sheet-cells-raised", "sniff.py", "MAX_SHEET_CELLS = 500_000 ", "MAX_SHEET_CELLS = 10**12 ",
             SNIFF_TESTS, "far-corner cell / dense grid bound"),
    Mutation("sniff-max-sheets-raised", "sniff.py", "MAX_SHEETS = 100\n", "MAX_SHEETS = 10**6\n", SNIFF_TESTS,
             "200 sheets refused"),
    Mutation("sniff-ole-encryption-off", "sniff.py",
             'if "encryptioninfo" in lower or "encryptedpackage" in lower:', "if False:", SNIFF_TESTS,
             "encrypted workbook detected"),
    Mutation("sniff-lock-files-off", "sniff.py", "if is_lock_file(name):", "if False:", SNIFF_TESTS,
             "lock files skipped"),
    Mutation("sniff-doctype-in-full-parts-off", "sniff.py",
             "if b\"!\" in body and _DOCTYPE.search(body):  # one memchr rules out most parts", "if False:",
             SNIFF_TESTS, "a part with <!DOCTYPE/<!ENTITY is refused"),
    Mutation("sniff-doctype-in-prologs-off", "sniff.py", "        if _DOCTYPE.search(buf):\n            raise _Unsafe(name)",
             "        if False:\n            raise _Unsafe(name)", SNIFF_TESTS,
             "a DOCTYPE in a part read only to its root is refused"),
    Mutation("sniff-ods-sheets-off", "sniff.py",
             "    if len(tables) > MAX_SHEETS:\n        return _bad(\"too-many-sheets\", rel, count=len(tables), limit=MAX_SHEETS)",
             "    if False:\n        return _bad(\"too-many-sheets\", rel, count=len(tables), limit=MAX_SHEETS)",
             SNIFF_TESTS, "an .ods of 200 tables is refused"),
    Mutation("sniff-ods-repeat-off", "sniff.py", "        reason = _ods_area(content[m.end():end])",
             "        reason = None", SNIFF_TESTS, "ODS repeated rows × columns bounded"),
    Mutation("sniff-shared-strings-off", "sniff.py",
             "if declared and int(declared.group(1)) > len(strings) // 4:", "if False:", SNIFF_TESTS,
             "a shared-string table declaring more strings than its bytes hold is refused"),
    Mutation("sniff-xlsb-grid-off", "sniff.py",
             "    if height * width > MAX_SHEET_CELLS:\n        return f\"vùng dữ liệu {_dotted(height)}",
             "    if False:\n        return f\"vùng dữ liệu {_dotted(height)}", SNIFF_TESTS,
             "an .xlsb sheet's grid (its cells' rows × columns) is bounded before calamine builds it"),
    Mutation("sniff-xlsb-record-size-off", "sniff.py", "        if pos + size > n:\n            raise _BadRecords(",
             "        if False:\n            raise _BadRecords(", SNIFF_TESTS,
             "an .xlsb record declaring more bytes than its part holds is refused (calamine allocates them)"),
    Mutation("sniff-xlsb-row-past-excel-off", "sniff.py", "            if row > _XLSB_LAST_ROW:",
             "            if False:", SNIFF_TESTS, "an .xlsb row past Excel's last is refused"),
    Mutation("sniff-xlsb-strings-off", "sniff.py", "        if n_strings > len(strings) // 4:", "        if False:",
             SNIFF_TESTS, "an .xlsb string table declaring more strings than its bytes hold is refused"),
    Mutation("sniff-xlsb-budget-off", "sniff.py", "        if self.budget.left < 0:", "        if False:",
             SNIFF_TESTS, "the .xlsb record walk has a budget per file"),
    Mutation("reader-area-unbounded", "reader.py", "rows = [r[:MAX_COLS] for r in sh.to_python(nrows=MAX_ROWS)]",
             "rows = sh.to_python()", READER_TESTS, "only the form's area is read, with a fixed bound"),
    # ---- SECURITY.md text and output rules (text.py, outputs.py, reader.py)
    Mutation("text-nfc-off", "text.py", '    text = unicodedata.normalize("NFC", text)\n', "", TEXT_TESTS,
             "text is normalised to NFC"),
    Mutation("text-controls-kept", "text.py", 'text = _UNSAFE.sub("", text).replace("\\u00a0", " ")',
             'text = text.replace("\\u00a0", " ")', TEXT_TESTS, "C0 controls and bidi overrides are stripped"),
    Mutation("text-bidi-kept", "text.py", "\\u202a-\\u202e\\u2066-\\u2069", "", TEXT_TESTS,
             "bidi overrides and isolates are stripped"),
    Mutation("text-formula-written-live", "text.py",
             'if isinstance(value, str) and (value.startswith("=") or value in _ERROR_CODES):', "if False:",
             TEXT_TESTS, "unit text starting with = is written as text, never a formula"),
    Mutation("reader-long-text-silent", "reader.py",
             "if longest >= EXCEL_CELL_LIMIT:  # at the limit a writer has already cut the text", "if False:",
             TEXT_TESTS, "warn at 32,767 characters"),
    Mutation("outputs-reserved-names-kept", "outputs.py", 'if slug.split(".")[0].upper() in _RESERVED:',
             "if False:", OUTPUT_TESTS, "no CON/PRN/AUX/NUL/COMn/LPTn file names"),
    Mutation("outputs-names-collide-by-case", "outputs.py", "        seen.add(candidate.lower())",
             "        seen.add(candidate)", OUTPUT_TESTS, "two names differing in case only are made distinct"),
    Mutation("outputs-inside-off", "outputs.py", "    if target.parent != folder:", "    if False:", OUTPUT_TESTS,
             "an output name never resolves outside the output folder"),
    Mutation("outputs-lock-ignored", "outputs.py", "        if pid and _alive(pid):", "        if False:",
             OUTPUT_TESTS, "two runs never write one output folder at once"),
    Mutation("outputs-wrapped-os-error-unseen", "outputs.py",
             "        current = wrapped or current.__cause__ or current.__context__", "        current = None",
             OUTPUT_TESTS, "a writer library's wrapped OS error (XlsxWriter's FileCreateError) is a message too"),
    Mutation("outputs-failed-writer-loud", "outputs.py", "    sys.unraisablehook = _quiet_os_errors(previous)",
             "    sys.unraisablehook = previous", OUTPUT_TESTS,
             "a full disk is one message, not a second traceback from a half-closed zip"),
    Mutation("outputs-csv-quote-only-equals", "outputs.py", 'if text and text[0] in "=+-@\\t\\r":',
             'if text and text[0] in "=":', OUTPUT_TESTS, "= + - @ TAB CR get a quote prefix in CSV"),
    # ---- the web page's intake of handed-over files (intake.py, issue 17): its own bounds over sniff's
    Mutation("intake-files-per-drop-off", "intake.py", "    if len(files) > MAX_FILES:", "    if False:",
             INTAKE_TESTS, "at most 500 files kept from one hand-over"),
    Mutation("intake-zip-members-off", "intake.py", "        if len(infos) > MAX_FILES:", "        if False:",
             INTAKE_TESTS, "at most 500 files kept from one zip"),
    Mutation("intake-member-size-off", "intake.py", "            if info.file_size > MAX_FILE_BYTES:",
             "            if False:", INTAKE_TESTS, "a zip member over 20 MB is left out"),
    # not listed: turning off intake's "len(body) > MAX_FILE_BYTES" after fh.read(MAX_FILE_BYTES + 1) is an
    # equivalent mutation here: zipfile never returns more than a member's declared size (it raises
    # BadZipFile on the CRC instead), and the declared size was bounded the line before
    Mutation("intake-file-size-off", "intake.py",
             "        if len(data) > limit:",
             "        if False:", INTAKE_TESTS, "a file over 20 MB (a zip over 100 MB) is refused unread"),
    Mutation("intake-traversal-off", "intake.py",
             'if text.startswith("/") or _DRIVE.match(text) or any(p.strip() == ".." for p in parts):',
             "if False:", INTAKE_TESTS, "a name climbing out of its folder refuses the file"),
    Mutation("intake-refusal-off", "intake.py",
             "    if refused:\n        return Received(shown, issues=refused, archive=archive)",
             "    if False:\n        return Received(shown, issues=refused, archive=archive)", INTAKE_TESTS,
             "an unsafe file is never written into the returns folder"),
    # ---- FORM.md "Values" (values.py)
    Mutation("values-bool-as-number", "values.py", "if isinstance(raw, bool):", "if False:", VALUES_TESTS,
             "TRUE/FALSE is not a number"),
    Mutation("values-trieu", "values.py", '"trieu": 10**6', '"trieu": 10**5', VALUES_TESTS,
             "\"1,2 triệu\" is 1 200 000"),
    Mutation("values-dot-groups-loose", "values.py", r'_DOT_GROUPS = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$")',
             r'_DOT_GROUPS = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3})+$")', VALUES_TESTS,
             "\"1.5\" for a count is unreadable, not 15"),
    Mutation("values-sign-dropped", "values.py", 'if sign in ("-", "\\u2212"):', "if False:", VALUES_TESTS,
             "a negative stays negative (and is then an error)"),
    Mutation("values-unknown-words-accepted", "values.py", "if words and words not in UNIT_WORDS:", "if False:",
             VALUES_TESTS, "\"nhiều\", \"x\" and other words make a cell unreadable"),
    # ---- FORM.md "Rules between rows" and plausibility (schema.py)
    Mutation("schema-total-smaller-than-parts", "schema.py",
             'tot(t) & t[m].notna() & t[f"_parts_{m}"].notna() & t[m].ne(t[f"_parts_{m}"])),',
             'tot(t) & t[m].notna() & t[f"_parts_{m}"].notna() & t[m].gt(t[f"_parts_{m}"])),', SCHEMA_TESTS,
             "a total smaller than its parts is an error"),
    Mutation("schema-total-mismatch-off", "schema.py",
             'tot(t) & t[m].notna() & t[f"_parts_{m}"].notna() & t[m].ne(t[f"_parts_{m}"])),',
             'tot(t) & False),', SCHEMA_TESTS, "a total that differs from its parts is an error"),
    Mutation("schema-total-from-parts-off", "schema.py",
             'tot(t) & t[m].isna() & t[f"_parts_{m}"].notna()),', "tot(t) & False),", SCHEMA_TESTS,
             "a blank total is taken from its parts (information)"),
    Mutation("schema-total-without-parts-off", "schema.py", 'tot(t) & t[m].gt(0) & t[f"_parts_{m}"].isna()),',
             "tot(t) & False),", SCHEMA_TESTS, "a total without its breakdown is a warning"),
    Mutation("schema-unread-parts-judged", "schema.py", "unread_at[m] |= at & unread_file[file_codes]",
             "pass", SCHEMA_TESTS, "an unreadable part leaves its total unjudged (no second error)"),
    Mutation("schema-people-less-than-count-off", "schema.py",
             'lambda t: t["indicator"].isin(both) & t["people"].lt(t["count"])),',
             'lambda t: t["indicator"].isin(both) & t["people"].lt(0)),', SCHEMA_TESTS,
             "fewer participants than classes is a warning"),
    Mutation("schema-people-missing-off", "schema.py",
             'lambda t: t["indicator"].isin(both) & t["count"].gt(0) & t["people"].isna()',
             'lambda t: t["indicator"].isin(both) & t["count"].gt(10**9) & t["people"].isna()', SCHEMA_TESTS,
             "count > 0 with people blank is a warning"),
    Mutation("schema-negative-off", "schema.py", 'RowCheck("value-negative", m, lambda t, m=m: t[m].lt(0)),',
             'RowCheck("value-negative", m, lambda t, m=m: t[m].lt(-1)),', SCHEMA_TESTS,
             "values are ≥ 0"),
    Mutation("schema-not-whole-off", "schema.py", "t[m].notna() & t[m].ne(np.floor(t[m]))",
             "t[m].notna() & t[m].ne(t[m])", SCHEMA_TESTS, "count, people and đồng are whole"),
    Mutation("schema-school-limit-off", "schema.py", "& t[limit.measure].gt(limit.max)",
             "& t[limit.measure].gt(limit.max * 10)", SCHEMA_TESTS, "a school reporting 7.1 > 1 is warned"),
    Mutation("schema-outlier-off", "schema.py",
             '(t[f"_value_{m}"] - t[f"_median_{m}"]).abs() > form.outlier_threshold * t[f"_scale_{m}"])))',
             '(t[f"_value_{m}"] - t[f"_median_{m}"]).abs() > 1000 * form.outlier_threshold * t[f"_scale_{m}"])))',
             SCHEMA_TESTS, "a value far outside its peers is warned"),
    # ---- FORM.md reading rules (reader.py)
    Mutation("reader-conflict-off", "reader.py", "if len(found) == 2 and found[0][1] != found[1][1]:",
             "if False:", READER_TESTS, "one-measure row filled in both columns with different numbers: error"),
    Mutation("reader-single-measure-first-column-only", "reader.py",
             "for c, raw in ((count_col, count_raw), (people_col, people_raw)):\n            if c is None:",
             "for c, raw in ((count_col, count_raw),):\n            if c is None:", READER_TESTS,
             "a one-measure value is accepted from either numeric column"),
    Mutation("reader-uncached-formula-silent", "reader.py", "if (row.code, measure) not in totals:", "if False:",
             READER_TESTS, "a formula with no cached value that is not a total is reported"),
    Mutation("reader-template-identity-ignored", "reader.py",
             'rf.evidence.append(Evidence("identity", unit.code if unit else None, ident.unit_code))', "pass",
             READER_TESTS, "the template's embedded unit is evidence (the strongest a unit gives)"),
    Mutation("reader-title-line-ignored", "reader.py",
             'rf.evidence.append(Evidence("title", named[0] if len(named) == 1 else None, title[0],',
             'rf.evidence.append(Evidence("title", None, title[0],', READER_TESTS,
             "the \"Đơn vị báo cáo:\" line tells the unit"),
    Mutation("reader-file-name-ignored", "reader.py", "    rf.evidence.append(filename_evidence(rel, units))\n    rf.evidence.extend(",
             "    rf.evidence.extend(", READER_TESTS, "the file name tells the unit when nothing else does"),
    Mutation("identity-conflict-guessed", "identity.py", "    if len(named) == 1:\n        return named.pop(), False",
             "    if len(named) >= 1:\n        return named.pop(), False", READER_TESTS,
             "evidence naming two units is reported (cần xác nhận), never guessed"),
    Mutation("identity-candidates-ignored", "identity.py", "    named = {code for e in evidence for code in e.names}",
             "    named = {e.unit for e in evidence if e.unit}", READER_TESTS,
             "a \"Đơn vị báo cáo\" line naming two units is a claim for both: reported, never settled by the file name"),
    Mutation("identity-claims-without-candidates", "identity.py", "        for code in e.names:",
             "        for code in ((e.unit,) if e.unit else ()):", READER_TESTS,
             "every unit a file may belong to is shown as waiting for the clerk (cần xác nhận)"),
    Mutation("identity-confirmation-ignored", "identity.py", "    if confirmed:\n        return confirmed[-1].unit, False",
             "    if False:\n        return confirmed[-1].unit, False", READER_TESTS,
             "the clerk's [xac_nhan] decides"),
    Mutation("reader-newest-is-oldest", "reader.py",
             "newest = max(group, key=lambda f: (f.typed or not f.form_found, f.saved_at or oldest,",
             "newest = min(group, key=lambda f: (f.typed or not f.form_found, f.saved_at or oldest,",
             READER_TESTS, "of two submissions the newest is used"),
    # ---- FORM.md "The other two systems": the compiled schedule (schedule.py)
    Mutation("schedule-order-without-time", "schedule.py",
             "return (a.date, a.time is None, a.time or dt.time(0), fold(a.unit_name), fold(a.content))",
             "return (a.date, fold(a.unit_name), fold(a.content))", SCHEDULE_TESTS,
             "activities in date and time order"),
    Mutation("schedule-order-without-date", "schedule.py",
             "return (a.date, a.time is None, a.time or dt.time(0), fold(a.unit_name), fold(a.content))",
             "return (a.time is None, a.time or dt.time(0), fold(a.unit_name), fold(a.content))", SCHEDULE_TESTS,
             "activities in date order first"),
    Mutation("schedule-not-renumbered", "schedule.py", "for i, a in enumerate(ordered, start=1)]",
             "for i, a in enumerate(ordered, start=0)]", SCHEDULE_TESTS, "the compiled schedule is numbered 1…N anew"),
    # ---- merge.py: sums over accepted units
    Mutation("merge-superseded-counted", "merge.py", 'keep = table["unit"].map(current).eq(table["file"])',
             'keep = table["unit"].map(current).notna()', MERGE_TESTS, "a superseded file never counts"),
    Mutation("merge-rejected-counted", "merge.py",
             'return ("accepted", "rejected") if include_invalid else ("accepted",)',
             'return ("accepted", "rejected")', MERGE_TESTS, "a unit with errors is not added"),
    Mutation("merge-blank-total-not-filled", "merge.py",
             "w[rule.total] = w[rule.total].fillna(w[list(rule.parts)].sum(axis=1, min_count=1))", "pass",
             MERGE_TESTS, "a blank total is the sum of its parts in the district total"),
    Mutation("merge-blank-is-zero", "merge.py",
             "out = pd.DataFrame({m: wide[m].sum(axis=0, min_count=1) for m in NUMERIC_MEASURES},",
             "out = pd.DataFrame({m: wide[m].sum(axis=0) for m in NUMERIC_MEASURES},", MERGE_TESTS,
             "blank stays blank where no unit reported the row"),
    Mutation("merge-foreign-measure-kept", "merge.py", "if m not in form.row(code).measures:", "if False:",
             MERGE_TESTS, "a measure the row does not have is never a number"),
]


def _copy_repo(dest: Path) -> None:
    """The package, tests, samples and project files, without git data, caches or virtual environments."""
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis",
                                    "*.egg-info", "build", "dist")
    for entry in ROOT.iterdir():
        if entry.name in (".git", ".pytest_cache", ".hypothesis", "build", "dist") or entry.name.endswith(
                ".egg-info"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name, ignore=ignore)
        else:
            shutil.copy2(entry, dest / entry.name)


def _pytest(repo: Path, tests: tuple[str, ...], timeout: float) -> tuple[bool, str]:
    """Run pytest on the copy; (all passed, the first failing test or the last line of its output)."""
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rf", "-p", "no:cacheprovider", "--no-header", *tests]
    try:
        out = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timeout (counted as killed)"
    lines = (out.stdout + out.stderr).strip().splitlines()
    failed = next((line.split(" - ")[0].removeprefix("FAILED ") for line in lines if line.startswith(("FAILED ", "ERROR "))),
                  lines[-1] if lines else "")
    return out.returncode == 0, failed


def _run(mutation: Mutation, work: Path, full: bool, timeout: float) -> tuple[str, str]:
    """('killed' | 'survived' | 'stale', the test that failed) for one mutation, on the copy of the package."""
    target = work / "consolidate" / mutation.module
    pristine = (ROOT / "consolidate" / mutation.module).read_text(encoding="utf-8")
    if pristine.count(mutation.old) != 1:
        return "stale", ""
    target.write_text(pristine.replace(mutation.old, mutation.new), encoding="utf-8")
    try:
        tests = () if full else tuple(t for t in mutation.tests if (work / t).exists())
        passed, failed = _pytest(work, tests, timeout)
    finally:
        target.write_text(pristine, encoding="utf-8")
    return ("survived", "") if passed else ("killed", failed)


def main(argv: list[str] | None = None) -> int:
    """Run the mutations and print the score."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only mutations whose name contains this text")
    parser.add_argument("--full", action="store_true", help="run the whole suite for each mutation")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per mutation (default 900)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the tests")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if args.k in m.name]
    if args.list:
        for m in chosen:
            print(f"{m.name:42} {m.module:10} {m.rule}")
        return 0
    results: dict[str, list[str]] = {"killed": [], "survived": [], "stale": []}
    # stopped from outside: end the running pytest and remove the copy, as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        work = Path(tmp) / "repo"
        work.mkdir()
        _copy_repo(work)
        if not args.no_baseline:
            tests = () if args.full else tuple(sorted({t for m in chosen for t in m.tests if (work / t).exists()}))
            passed, tail = _pytest(work, tests, args.timeout)
            if not passed:
                print(f"the unmutated package fails its tests; no score:\n{tail}")
                return 2
        for m in chosen:
            start = time.monotonic()
            verdict, by = _run(m, work, args.full, args.timeout)
            results[verdict].append(m.name)
            print(f"{verdict:8} {time.monotonic() - start:6.1f}s  {m.name:42} {m.rule}", flush=True)
            if by:
                print(f"{'':17}by {by}", flush=True)
    scored = len(results["killed"]) + len(results["survived"])
    print(f"\nscore: {len(results['killed'])}/{scored} killed")
    if results["survived"]:
        print("survived: " + ", ".join(results["survived"]))
    if results["stale"]:
        print("stale (text not found, update the list): " + ", ".join(results["stale"]))
    return 1 if results["survived"] or results["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
