"""Shared fixtures: the sample campaign, its units, and LibreOffice headless conversion."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "quynh-nhai-2021"
FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture(scope="session")
def campaign():
    from consolidate.campaign import load_campaign

    return load_campaign(SAMPLES / "campaign.toml")


@pytest.fixture(scope="session")
def form():
    from consolidate.form import load_form

    return load_form()


@pytest.fixture(scope="session")
def units():
    from consolidate.units import load_units

    result, issues = load_units(SAMPLES / "units.csv")
    assert not issues
    return result


def soffice_path() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(src: Path, fmt: str, out_dir: Path) -> Path:
    """Convert a file with LibreOffice headless (own profile per call, so parallel runs never clash)."""
    exe = soffice_path()
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"lo-profile-{uuid.uuid4().hex}"
    try:
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
             "--outdir", str(out_dir), str(src)],
            check=True, capture_output=True, timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = out_dir / (src.stem + "." + fmt.split(":")[0])
    assert out.exists(), f"LibreOffice did not write {out}"
    return out


@pytest.fixture
def soffice_convert():
    """convert(src, "xls"|"ods"|"xlsx", out_dir) -> Path"""
    return convert


def shown(value: object) -> object:
    """A cell value as Excel shows it: openpyxl leaves OOXML escapes ("_x005F_" for "_") undecoded."""
    from openpyxl.utils.escape import unescape

    return unescape(value) if isinstance(value, str) else value
