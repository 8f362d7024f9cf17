"""The README's commands, run as written on the committed samples, print exactly what the README shows.

Each command block of the README that starts with ``consolidate`` (or ``pip install . && consolidate``) and
is followed by a ``text`` block is run from a scratch folder that sees ``samples/``; its terminal output
must equal the block. After a deliberate change of the output, rewrite the blocks with:

    python tests/test_readme.py --update
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# a command block, then (after at most one line of prose) the text block of its output
PAIR = re.compile(r"```\n(?:pip install [^\n]*?&& )?(consolidate [^\n]+)\n```\n\n(?:[^\n`]*\n\n)?```text\n(.*?)```",
                  re.S)


def pairs(text: str) -> list[tuple[str, str, tuple[int, int]]]:
    """(command, shown output, span of the output) for every command shown with its output."""
    return [(m.group(1), m.group(2), m.span(2)) for m in PAIR.finditer(text)]


def run(command: str, where: Path) -> tuple[int, str]:
    """Run one README command from ``where`` (which must see ``samples/``): (exit code, stdout)."""
    from consolidate.cli import main

    argv = shlex.split(command)
    assert argv[0] == "consolidate"
    old = Path.cwd()
    os.chdir(where)
    try:
        result = CliRunner().invoke(main, argv[1:], catch_exceptions=False, prog_name="consolidate")
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout


def scratch(base: Path) -> Path:
    """A folder where the README's relative paths work and outputs land outside the repository."""
    base.mkdir(parents=True, exist_ok=True)
    link = base / "samples"
    if not link.exists():
        link.symlink_to(ROOT / "samples", target_is_directory=True)
    return base


def test_readme_shows_its_commands_with_their_outputs():
    found = pairs(README.read_text(encoding="utf-8"))
    commands = [c.split()[1] + " " + c.split()[2] for c, _, _ in found]
    assert commands == ["merge samples/quynh-nhai-2021/da_nhan", "merge samples/dong-da-2024/da_nhan",
                        "report samples/dong-da-2024/da_nhan"]


@pytest.mark.parametrize("index", range(3))
def test_readme_output_is_the_real_output(index: int, tmp_path: Path):
    command, shown, _ = pairs(README.read_text(encoding="utf-8"))[index]
    code, out = run(command, scratch(tmp_path))
    assert out == shown
    assert code in (0, 1)  # 1: the samples hold units that are missing or wrong, on purpose
    output = Path(tmp_path, shlex.split(command)[shlex.split(command).index("-o") + 1])
    assert output.stat().st_size > 0


def update() -> None:
    """Rewrite every output block of the README with what its command prints now."""
    import tempfile

    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        for command, _, (start, end) in reversed(pairs(text)):
            _, out = run(command, scratch(Path(tmp)))
            text = text[:start] + out + text[end:]
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        sys.path.insert(0, str(ROOT))
        update()
    else:
        sys.exit(__doc__)
