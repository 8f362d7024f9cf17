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
