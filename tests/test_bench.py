"""The benchmark (bench/) must not rot: its generator and its correctness check at a tiny N.

No timing is asserted here; the speed targets are the benchmark's own table (bench/README.md).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _bench_module(name: str):  # noqa: ANN202
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.libreoffice
def test_generated_folder_merges_to_the_generated_totals(tmp_path):
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    generate = _bench_module("generate")
    run = _bench_module("run")
    info = generate.generate(12, tmp_path / "cache", log=lambda _msg: None, k_xlsx=3, k_other=1)
    folder = Path(info["folder"])
    assert len(list(folder.iterdir())) == 12
    assert info["accepted"] > 0 and info["rejected"] > 0
    # every generated file is attributed to its unit, and the merged totals are the generated ones
    got = run.child_pipeline(info, str(tmp_path / "merged.xlsx"))
    assert got["correct"], got["problems"]
    assert got["counts"]["accepted"] == info["accepted"]
    # the cache is reused
    assert generate.generate(12, tmp_path / "cache", log=lambda _msg: None, k_xlsx=3, k_other=1) == info


def test_patched_copy_names_its_unit(tmp_path):
    """The per-unit copies are patched prototypes: the reader finds the unit of each (xlsx only here)."""
    generate = _bench_module("generate")
    from consolidate import narrative, schedule
    from consolidate.campaign import load_campaign
    from consolidate.form import load_form
    from consolidate.templates import make_templates
    from consolidate.units import load_units

    proto = [(generate.code_of(p, generate.PROTO_NUMBER), generate.name_of(s, generate.PROTO_NUMBER), t)
             for p, t, s in generate.TYPES]
    campaign = load_campaign(generate.write_campaign(tmp_path / "c", proto))
    form = load_form()
    units, _ = load_units(campaign.units_file)
    res = make_templates(campaign, form, units, tmp_path / "t",
                         extra_sheets=[narrative.template_writer, schedule.template_writer])
    filled = tmp_path / "filled.xlsx"
    generate.fill(res.files[1], filled, form, generate.variant_values(form, 1), 1)
    generate.verify_patch(filled.read_bytes(), "xlsx", 1, form)
