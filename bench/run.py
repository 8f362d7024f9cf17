"""Benchmark: `templates`, `check`, `merge` against a naive pandas baseline, on N generated returns.

    python bench/run.py --n 100 1000 10000 --repeat 3

Every measurement runs in its own child process (``python bench/run.py --child …`` or the ``consolidate``
command itself), so peak RSS figures (``ru_maxrss`` of that process tree's largest process, from
``os.wait4``) never mix and imports are paid the way a clerk pays them. Medians over ``--repeat`` runs.

Stages, ms per file (per unit for `templates`):

* templates — ``make_templates`` for N units with the Báo cáo and Lịch hoạt động sheets (as the CLI).
* read / validate / merge / write — one in-process ``merge_folder`` in a child, timed around
  ``reader.read_folder`` (read), the rest of ``check_folder`` (validate: parts, schema, statuses),
  totals and merge checks (merge) and ``summary.write_summary`` (write). The child also checks that the
  merged totals equal the totals the generator put into the accepted units, and that every unit has the
  status it should (so every file was attributed to its unit).
* check (CLI) / merge (CLI) — ``consolidate check`` / ``consolidate merge`` end to end, wall clock,
  including interpreter start and imports (``merge`` checks the folder too, so "check + merge end to end"
  is the ``merge`` command's wall time).
* naive — ``pandas.read_excel(engine="openpyxl")`` of the form sheet of every .xlsx file + ``pd.concat``
  (openpyxl reads neither .xls nor .ods, so the baseline covers the .xlsx files only; at most
  ``--naive-max`` of them, evenly spaced, and reported per file). ratio = naive ms/file ÷ merge (CLI)
  ms/file.
* help — ``consolidate --help`` wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "consolidate-bench"
TARGETS = {  # stage → (limit, unit, which N it applies to; None = all)
    "merge_cli": (3.0, "ms/file", 1000),
    "ratio": (8.0, "× naive", 1000),
    "templates": (3.0, "ms/unit", 1000),
}
WALL_10K = 30.0  # s, `merge` of 10,000 returns
RSS_10K = 1024.0  # MB
HELP_LIMIT = 0.25  # s


# ------------------------------------------------------------------------------------ child processes

def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; (wall s, peak RSS MB of its largest process, completed process)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(args, proc.returncode, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace"))
    return wall, usage.ru_maxrss / 1024, done


def child_json(stage: str, *extra: str) -> tuple[dict, float]:
    wall, rss, done = run_child([sys.executable, str(HERE / "run.py"), "--child", stage, *extra])
    if done.returncode != 0:
        raise RuntimeError(f"{stage} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["rss_mb"] = rss
    data["wall"] = wall
    return data, rss


def _consolidate() -> str:
    exe = Path(sys.executable).with_name("consolidate")
    return str(exe) if exe.exists() else "consolidate"


# ------------------------------------------------------------------------------------ in-child stages

def child_templates(info: dict, out: str) -> dict:
    from consolidate import narrative, schedule
    from consolidate.campaign import prepare
    from consolidate.templates import make_templates

    campaign, form, units, issues = prepare(info["campaign"], None)
    assert not issues
    t0 = time.perf_counter()
    res = make_templates(campaign, form, units, Path(out),
                         extra_sheets=[narrative.template_writer, schedule.template_writer])
    took = time.perf_counter() - t0
    assert len(res.files) == info["n"]
    return {"templates": took}


def child_pipeline(info: dict, out: str) -> dict:
    """merge_folder in process, with the time split into read / validate / merge / write."""
    import consolidate.reader as reader
    import consolidate.summary as summary
    from consolidate.campaign import prepare

    t_start = time.perf_counter()
    campaign, form, units, issues = prepare(info["campaign"], None)
    assert not issues
    spent: dict[str, float] = {"read": 0.0, "write": 0.0, "check": 0.0}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t
        return wrapper

    import consolidate.check as check

    saved = reader.read_folder, summary.write_summary, check.check_folder
    reader.read_folder = timed("read", reader.read_folder)
    summary.write_summary = timed("write", summary.write_summary)
    check.check_folder = timed("check", check.check_folder)
    from consolidate.merge import merge_folder

    try:
        t0 = time.perf_counter()
        result = merge_folder(Path(info["folder"]), campaign, form, units, Path(out))
        total = time.perf_counter() - t0
    finally:
        reader.read_folder, summary.write_summary, check.check_folder = saved
    # correctness: merged totals = the generated totals of the accepted units; every unit where it belongs
    expected = info["totals"]
    bad = []
    for code, ms in expected.items():
        for m, v in ms.items():
            got = result.totals.loc[code, m]
            if got != v:
                bad.append(f"{code}/{m}: merged {got}, generated {v}")
    status = result.run.counts() if hasattr(result.run, "counts") else {}
    states = [s.status for s in result.run.unit_status.values()]
    accepted, rejected = states.count("accepted"), states.count("rejected")
    if accepted != info["accepted"] or rejected != info["rejected"]:
        bad.append(f"units: {accepted} accepted, {rejected} rejected; generated {info['accepted']} "
                   f"good and {info['rejected']} with an error")
    return {
        "startup": t0 - t_start,
        "read": spent["read"],
        "validate": spent["check"] - spent["read"],
        "merge": total - spent["check"] - spent["write"],
        "write": spent["write"],
        "pipeline": total,
        "correct": not bad, "problems": bad[:20], "counts": status,
    }


def child_naive(info: dict, limit: str) -> dict:
    import pandas as pd

    files = sorted(p for p in Path(info["folder"]).iterdir() if p.suffix == ".xlsx")
    step = max(1, -(-len(files) // int(limit)))
    files = files[::step]
    t0 = time.perf_counter()
    frames = [pd.read_excel(p, sheet_name=0, engine="openpyxl", header=None) for p in files]
    frame = pd.concat(frames, keys=[p.name for p in files])
    took = time.perf_counter() - t0
    return {"naive": took, "naive_files": len(files), "rows": len(frame)}


def child_main(stage: str, rest: list[str]) -> None:
    info = json.loads(Path(rest[0]).read_text())
    fn = {"templates": child_templates, "pipeline": child_pipeline, "naive": child_naive}[stage]
    print(json.dumps(fn(info, *rest[1:]), default=str))


# ------------------------------------------------------------------------------------ one N

def measure(n: int, cache: Path, repeat: int, naive_max: int, log) -> dict:  # noqa: ANN001
    t0 = time.perf_counter()
    info = generate.generate(n, cache, log)
    log(f"N={n}: folder ready in {time.perf_counter() - t0:.1f} s ({info['formats']}, "
        f"{info['rejected']} with an error)")
    info_path = Path(info["base"]) / "expected.json"
    runs: dict[str, list[float]] = {}
    rss: dict[str, list[float]] = {}
    extra: dict[str, object] = {}

    def add(name: str, value: float, mb: float | None = None) -> None:
        runs.setdefault(name, []).append(value)
        if mb is not None:
            rss.setdefault(name, []).append(mb)

    out = Path(info["base"]) / "out"
    out.mkdir(exist_ok=True)
    cmd = _consolidate()
    for rep in range(repeat):
        tdir = out / f"templates-{rep}"
        d, mb = child_json("templates", str(info_path), str(tdir))
        add("templates", d["templates"] / n, mb)
        d, mb = child_json("pipeline", str(info_path), str(out / "pipeline.xlsx"))
        if not d["correct"]:
            raise SystemExit(f"N={n}: merged totals differ from the generated ones: {d['problems']}")
        for k in ("read", "validate", "merge", "write"):
            add(k, d[k] / n)
        add("pipeline", d["pipeline"] / n, mb)
        wall, mb, done = run_child([cmd, "check", info["folder"], "--campaign", info["campaign"]])
        assert done.returncode in (0, 1), done.stderr[-2000:]
        add("check_cli", wall / n, mb)
        wall, mb, done = run_child([cmd, "merge", info["folder"], "--campaign", info["campaign"],
                                    "-o", str(out / "merge.xlsx")])
        assert done.returncode in (0, 1), done.stderr[-2000:]
        add("merge_cli", wall / n, mb)
        add("merge_wall", wall)
        d, mb = child_json("naive", str(info_path), str(naive_max))
        add("naive", d["naive"] / d["naive_files"], mb)
        extra["naive_files"] = d["naive_files"]
        log(f"  run {rep + 1}/{repeat}: merge {wall:.2f} s, naive {d['naive'] / d['naive_files'] * 1000:.1f} ms/file")
        import shutil

        shutil.rmtree(tdir, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    peak = {k: max(v) for k, v in rss.items()}
    med["ratio"] = med["naive"] / med["merge_cli"]
    return {"n": n, "median": med, "rss": peak, "runs": runs, "info": {k: info[k] for k in ("formats", "accepted", "rejected")},
            **extra}


def help_time(repeat: int) -> float:
    cmd = _consolidate()
    return statistics.median(run_child([cmd, "--help"])[0] for _ in range(max(5, repeat)))


# ------------------------------------------------------------------------------------ table

ROWS = (  # key, label
    ("templates", "templates (per unit)"),
    ("read", "read"),
    ("validate", "validate"),
    ("merge", "merge"),
    ("write", "write"),
    ("pipeline", "read+validate+merge+write (in process)"),
    ("check_cli", "consolidate check, end to end"),
    ("merge_cli", "consolidate merge (= check + merge), end to end"),
    ("naive", "naive pandas/openpyxl baseline (.xlsx)"),
)


def table(results: list[dict], help_s: float) -> str:
    ns = [r["n"] for r in results]
    w = 50
    head = f"{'ms per file':<{w}}" + "".join(f"{'N=' + format(n, ','):>14}" for n in ns) + "   target"
    lines = [head, "-" * len(head)]
    for key, label in ROWS:
        cells = ""
        for r in results:
            cells += f"{r['median'][key] * 1000:>14.2f}"
        target = ""
        if key in TARGETS:
            limit, unit, at = TARGETS[key]
            r = next((x for x in results if x["n"] == at), None)
            if r is not None:
                ok = r["median"][key] * 1000 <= limit
                target = f"   ≤ {limit:g} {unit} at N={at:,}: {'PASS' if ok else 'FAIL'}"
        lines.append(f"{label:<{w}}{cells}{target}")
    cells = "".join(f"{r['median']['ratio']:>13.1f}×" for r in results)
    r = next((x for x in results if x["n"] == 1000), None)
    target = f"   ≥ 8× at N=1,000: {'PASS' if r['median']['ratio'] >= 8 else 'FAIL'}" if r else ""
    lines.append(f"{'ratio naive / merge (CLI)':<{w}}{cells}{target}")
    cells = "".join(f"{r['median']['merge_wall']:>13.2f}s" for r in results)
    r = next((x for x in results if x["n"] == 10000), None)
    target = f"   ≤ {WALL_10K:g} s at N=10,000: {'PASS' if r['median']['merge_wall'] <= WALL_10K else 'FAIL'}" if r else ""
    lines.append(f"{'merge (CLI) wall':<{w}}{cells}{target}")
    lines.append("")
    lines.append(f"{'peak RSS, MB (largest process)':<{w}}" + "".join(f"{'N=' + format(n, ','):>14}" for n in ns))
    for key, label in (("templates", "templates"), ("pipeline", "in-process pipeline"),
                       ("check_cli", "consolidate check"), ("merge_cli", "consolidate merge"),
                       ("naive", "naive baseline")):
        cells = "".join(f"{r['rss'][key]:>14.0f}" for r in results)
        target = ""
        if key == "merge_cli":
            r = next((x for x in results if x["n"] == 10000), None)
            if r:
                target = f"   ≤ 1 GB at N=10,000: {'PASS' if r['rss'][key] <= RSS_10K else 'FAIL'}"
        lines.append(f"{label:<{w}}{cells}{target}")
    lines.append("")
    if len(results) > 1:
        a, b = results[-2], results[-1]
        growth = (b["median"]["merge_wall"] / a["median"]["merge_wall"]) / (b["n"] / a["n"])
        lines.append(f"growth of merge wall N={a['n']:,}→{b['n']:,}: {growth:.2f} × linear "
                     f"(1.00 = linear; per-file {a['median']['merge_cli'] * 1000:.2f} → "
                     f"{b['median']['merge_cli'] * 1000:.2f} ms)")
    ok = help_s <= HELP_LIMIT
    lines.append(f"consolidate --help: {help_s:.3f} s   ≤ {HELP_LIMIT} s: {'PASS' if ok else 'FAIL'}")
    for r in results:
        lines.append(f"N={r['n']:,}: files {r['info']['formats']}, {r['info']['accepted']} accepted + "
                     f"{r['info']['rejected']} rejected as generated; merged totals = generated totals: OK; "
                     f"naive baseline over {r['naive_files']:,} .xlsx files")
    lines.append(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(argv[1], argv[2:])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--repeat", type=int, default=3, help="runs per N; the table shows medians")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where generated folders are kept")
    p.add_argument("--naive-max", type=int, default=1000,
                   help="largest number of .xlsx files the naive baseline reads (evenly spaced)")
    p.add_argument("--json", type=Path, help="also write all figures as JSON")
    args = p.parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = [measure(n, args.cache, args.repeat, args.naive_max, log) for n in args.n]
    help_s = help_time(args.repeat)
    print(table(results, help_s))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "help": help_s}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
