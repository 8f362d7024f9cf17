"""Make the sample folder of a province, ``da_nhan/``: the district summaries the Sở receives.

Each file is what ``consolidate merge`` writes for a district — a return with a pedigree: its hidden sheet
carries the district's code (``code`` of the district's campaign file), how many of its units it sums and
whether unchecked data was included. Quỳnh Nhai's summary is its sample merged as its clerk would; the
second one is the same folder merged for another district with ``--include-invalid``, the summary a
province must never take as clean. The files are committed; run this again to regenerate them:

    python samples/son-la-2021/make_returns.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from consolidate.campaign import prepare  # noqa: E402
from consolidate.merge import merge_folder  # noqa: E402

OUT = HERE / "da_nhan"
QUYNH_NHAI = HERE.parent / "quynh-nhai-2021"
MADE = dt.datetime(2021, 10, 18, 16, 30)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    campaign, form, units, issues = prepare(QUYNH_NHAI / "campaign.toml", None)
    assert not issues and units is not None
    merge_folder(QUYNH_NHAI / "da_nhan", campaign, form, units, OUT / "tong_hop_quynh_nhai_2021.xlsx", now=MADE)
    other = dataclasses.replace(campaign, code="TCH", district="huyện Thuận Châu",
                                office="Phòng Giáo dục và Đào tạo huyện Thuận Châu")
    merge_folder(QUYNH_NHAI / "da_nhan", other, form, units, OUT / "TH_Thuan_Chau_2021.xlsx",
                 include_invalid=True, now=MADE + dt.timedelta(hours=1))


if __name__ == "__main__":
    main()
