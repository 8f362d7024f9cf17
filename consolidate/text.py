"""Text normalisation shared by every stage: NFC, control characters, and the folded keys used to match
labels, headers and unit names whatever their accents, case, spacing or punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# C0 controls except TAB/LF/CR, DEL, C1 controls, and the bidi overrides/isolates that can disguise text.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\ufeff]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"[ \t]+")
EXCEL_CELL_LIMIT = 32_767
# OOXML writes characters as "_xHHHH_" in text; LibreOffice also decodes shorter forms, so a file name such as
# "X01_UBND_xa_Muong_Giang.xlsx" shows a line break for "_xa_". The standard escape of such an underscore
# is "_x005F_", which Excel, LibreOffice and calamine all read back as "_".
_OOXML_ESCAPE_LIKE = re.compile(r"_(?=x[0-9A-Fa-f]{1,4}_)")


def clean(text: str) -> str:
    """NFC-normalise, drop control and bidi characters, collapse runs of spaces, strip the ends."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub("", text).replace("\u00a0", " ")
    return _SPACES.sub(" ", text).strip()  # compiled once: re.sub looks its pattern up on every call


def strip_accents(text: str) -> str:
    """Remove Vietnamese diacritics (đ→d included), keeping the base letters."""
    decomposed = unicodedata.normalize("NFD", text)
    base = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return base.replace("đ", "d").replace("Đ", "D")


def fold_exact(text: str) -> str:
    """:func:`fold` by its definition: clean, drop the accents, lower case, keep only ASCII letters and digits."""
    return _NON_ALNUM.sub("", strip_accents(clean(text)).lower())


class _FoldTable(dict[int, str]):
    """``str.translate`` table: a character → ``fold_exact`` of that character alone, filled as they come."""

    def __missing__(self, code: int) -> str:
        if len(self) > 20_000:  # a folder of many scripts must not grow it without end
            self.clear()
        folded = self[code] = fold_exact(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Matching key: accent-, case-, space- and punctuation-insensitive ("Trưng bày," → "trungbay").

    Folded character by character through a table, 6–8 times faster than :func:`fold_exact` on a new text
    (every returned file brings a few: its unit's name, its title line), with the same result: only ASCII
    letters and digits are kept, and no step moves or changes one of them because of its neighbours
    (normalising reorders combining marks only, which are dropped; lower case depends on context only
    for the Greek sigma, which is dropped too)."""
    return text.translate(_FOLD_TABLE)


@lru_cache(maxsize=16384)
def fold_cached(text: str) -> str:
    """:func:`fold` remembered: the labels and headers of a template come back in every file of a folder."""
    return fold(text)


def words_exact(text: str) -> list[str]:
    """:func:`words` by its definition: clean, drop the accents, lower case, split at what is not an ASCII
    letter or digit."""
    return [w for w in _NON_ALNUM.split(strip_accents(clean(text)).lower()) if w]


class _WordsTable(dict[int, str]):
    """``str.translate`` table: a character → its folded letters, or a space where it separates words."""

    def __missing__(self, code: int) -> str:
        if len(self) > 20_000:
            self.clear()
        # clean() of the one character, but for its strip: a space or a line break alone must stay one
        kept = _UNSAFE.sub("", unicodedata.normalize("NFC", chr(code))).replace("\u00a0", " ")
        mapped = self[code] = _NON_ALNUM.sub(" ", strip_accents(kept).lower())
        return mapped


_WORDS_TABLE = _WordsTable()


def words(text: str) -> list[str]:
    """Folded words of a text, in order ("Trường Mầm non Mường Giàng" → ["truong", "mam", "non", …]).

    Character by character through a table, as :func:`fold` is and for the same reasons; a character that
    folds to nothing (an accent, a control character) joins its neighbours, as in :func:`words_exact`."""
    return text.translate(_WORDS_TABLE).split()


def ascii_slug(text: str, max_len: int = 60) -> str:
    """ASCII file-name fragment from a Vietnamese name ("Trường TH Chiềng Ơn" → "Truong_TH_Chieng_On")."""
    parts = re.split(r"[^0-9A-Za-z]+", strip_accents(clean(text)))
    slug = "_".join(p for p in parts if p)
    return slug[:max_len].rstrip("_")


# the texts openpyxl stores as Excel error values (openpyxl.cell.cell.ERROR_CODES; not imported here, as
# reading never needs openpyxl)
_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def looks_like_formula(value: object) -> bool:
    """A unit's text that a spreadsheet would take for a formula ("=HYPERLINK(…)"): kept as text, never run,
    and never printed on the signed summary page."""
    return isinstance(value, str) and value.lstrip().startswith("=")


def set_text(cell, value: object) -> None:  # noqa: ANN001  (an openpyxl cell)
    """Write a value into a worksheet cell; a string is always stored as text, as written.

    A string starting with "=" would become a formula (SECURITY.md: text from a unit is never run), "#N/A"
    an error value, and an "_x…_" inside it would be read as an escaped character; all are prevented here.
    """
    if isinstance(value, str) and "_x" in value:
        value = _OOXML_ESCAPE_LIKE.sub("_x005F_", value)
    cell.value = value
    if isinstance(value, str) and (value.startswith("=") or value in _ERROR_CODES):
        cell.data_type = "s"  # openpyxl would store a formula, or an error value for a note "#N/A"
