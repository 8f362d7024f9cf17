"""Make the sample folder of a province, ``da_nhan/``: the district summaries the Sở receives.

Each file is what ``consolidate merge`` writes for a district — a return with a pedigree: its hidden sheet
carries the district's code (``code`` of the district's campaign file), how many of its units it sums and
whether unchecked data was included. Quỳnh Nhai's summary is its sample merged as its clerk would; the
second one is the same folder merged for another district with ``--include-invalid``, the summary a
province must never take as clean. The files are committed; run this again to regenerate them:

    python samples/son-la-2021/make_returns.py

It also writes ``expected.json`` (samples/truth.py), the province's true figures, from what the district
files were made of — Quỳnh Nhai's own truth (``../quynh-nhai-2021/expected.json``, written by that sample's
generator from the values it typed), never from reading the summaries back: Quỳnh Nhai's summary holds the
totals of its accepted units; Thuận Châu's, made with ``--include-invalid``, the totals of its accepted and
rejected units, and the province refuses it (an error), so the province's totals are Quỳnh Nhai's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from consolidate.campaign import prepare  # noqa: E402
from consolidate.merge import merge_folder  # noqa: E402
from truth import MEASURES, SentFile, write_expected  # noqa: E402

OUT = HERE / "da_nhan"
QUYNH_NHAI = HERE.parent / "quynh-nhai-2021"
MADE = dt.datetime(2021, 10, 18, 16, 30)
EXPECTED = HERE / "expected.json"
QUYNH_NHAI_SUMMARY = "tong_hop_quynh_nhai_2021.xlsx"
THUAN_CHAU_SUMMARY = "TH_Thuan_Chau_2021.xlsx"


def district_values(truth: dict, statuses: tuple[str, ...]) -> dict[str, dict[str, int | float]]:
    """The totals a district summary holds: the sum over the units of ``truth`` whose status is in
    ``statuses`` of the values they reported (rows nobody reported stay out: blank, not 0)."""
    out: dict[str, dict[str, int | float]] = {}
    for unit in truth["units"].values():
        if unit["status"] not in statuses:
            continue
        for row, measures in unit["values"].items():
            for m, v in measures.items():
                if m in MEASURES and v is not None:
                    out.setdefault(row, {})
                    out[row][m] = out[row].get(m, 0) + v
    return out


def write_truth() -> dict:
    """``expected.json`` of the province's folder, from Quỳnh Nhai's truth (see the module docstring)."""
    qn = json.loads((QUYNH_NHAI / "expected.json").read_text(encoding="utf-8"))
    counts = qn["counts"]
    codes = [line.split(",")[0] for line in (HERE / "units.csv").read_text(encoding="utf-8").splitlines()[1:]
             if line.strip()]
    sent = [
        SentFile(QUYNH_NHAI_SUMMARY, "accepted", "QNH", district_values(qn, ("accepted",)),
                 f"Quỳnh Nhai's summary: {counts['accepted']}/{counts['units']} units"),
        SentFile(THUAN_CHAU_SUMMARY, "rejected", "TCH", district_values(qn, ("accepted", "rejected")),
                 "made with --include-invalid: refused by the province"),
    ]
    pedigree = {  # what each district summary says of itself: N/M units merged, unchecked data included
        "QNH": {"merged": counts["accepted"], "total": counts["units"], "include_invalid": False},
        "TCH": {"merged": counts["accepted"] + counts["rejected"], "total": counts["units"], "include_invalid": True},
    }
    return write_expected(EXPECTED, codes, sent, {"pedigree": pedigree})


def main() -> None:
    OUT.mkdir(exist_ok=True)
    campaign, form, units, issues = prepare(QUYNH_NHAI / "campaign.toml", None)
    assert not issues and units is not None
    merge_folder(QUYNH_NHAI / "da_nhan", campaign, form, units, OUT / QUYNH_NHAI_SUMMARY, now=MADE)
    other = dataclasses.replace(campaign, code="TCH", district="huyện Thuận Châu",
                                office="Phòng Giáo dục và Đào tạo huyện Thuận Châu")
    merge_folder(QUYNH_NHAI / "da_nhan", other, form, units, OUT / THUAN_CHAU_SUMMARY,
                 include_invalid=True, now=MADE + dt.timedelta(hours=1))
    write_truth()


if __name__ == "__main__":
    main()
