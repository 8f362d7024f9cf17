"""What every part of a returned file shares (the form, the narrative "Báo cáo", the schedule "Lịch hoạt
động"): a read sheet, who the file is from, a sheet's distinct values, and which of a unit's files is the
newest for a part.

The part readers (``schedule.py``, ``narrative.py``) import this module; ``split.py``, which runs them over a
folder, imports them: the data flows one way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from consolidate.campaign import Campaign
    from consolidate.units import UnitList

PARTS = ("form", "narrative", "schedule")


class SheetLike(Protocol):
    """What the reader gives for one sheet (``consolidate.reader.Sheet``)."""

    name: str
    rows: list[list[object]]
    hidden: bool

    def address(self, r: int, c: int) -> str:
        """True Excel address of grid position r, c."""


@dataclass(frozen=True)
class ReadContext:
    """Who a file is from and against what it is checked."""

    file: str
    campaign: Campaign
    unit_code: str | None = None  # the file's unit when identified
    unit_name: str | None = None
    units: UnitList | None = None  # to recognise the "Đơn vị" column of a retyped schedule


def cell_values(sheet: SheetLike) -> set[object] | None:
    """The distinct values of a sheet's cells, to pass over rows by set operations; None when one of them is
    unhashable (calamine gives none)."""
    try:
        return set().union(*sheet.rows)
    except TypeError:
        return None


T = TypeVar("T")


def pick_newest(items: Iterable[tuple[str, str, dt.datetime | None, T]]) -> dict[tuple[str, str], T]:
    """For each (unit, part) the file saved last; ``items`` are (unit, part, saved_at, file) tuples.

    Parts are "form", "narrative", "schedule": the schedule round and the report round are collected
    separately, so a unit's newest schedule may be an older file than its newest report. A file with no
    save time counts as the oldest; of two equal times the later item wins (pass files in name order)."""
    best: dict[tuple[str, str], tuple[dt.datetime, int, T]] = {}
    for i, (unit, part, saved_at, item) in enumerate(items):
        stamp = saved_at or dt.datetime.min
        key = (unit, part)
        if key not in best or (stamp, i) >= best[key][:2]:
            best[key] = (stamp, i, item)
    return {k: v[2] for k, v in best.items()}
