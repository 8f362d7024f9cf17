"""The data flows one way between the package's modules: no import circle, even through an import made
inside a function (issue 15); the part readers share ``parts.py`` and only ``split.py`` runs them both."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "consolidate"


def imports(path: Path, type_checking: bool) -> set[str]:
    """The package's modules that a module imports anywhere (functions too); ``type_checking``: also those
    imported only for type hints."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hinted: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                hinted |= {id(n) for n in ast.walk(node)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hinted:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "consolidate":
            if node.module == "consolidate":
                out |= {a.name for a in node.names}
            else:
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("consolidate.")}
    return out - {path.stem}


def graph(type_checking: bool = False) -> dict[str, set[str]]:
    return {p.stem: imports(p, type_checking) for p in PACKAGE.glob("*.py")}


def circles(g: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(a, b) for every import a → b from which a is reached again."""
    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in g.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    return sorted((a, b) for a in g for b in g[a] if a in reach(b))


def test_the_finder_sees_a_circle_made_inside_a_function():
    g = graph()
    g["parts"] = g["parts"] | {"split"}  # as if parts.py imported split inside a function
    assert ("parts", "split") in circles(g)


def test_no_module_imports_itself_back():
    assert circles(graph()) == []


def test_part_readers_share_parts_and_only_split_runs_them():
    g = graph(type_checking=True)
    assert g["parts"] & {"schedule", "narrative", "split", "reader", "check"} == set()
    assert "split" not in g["schedule"] | g["narrative"]
    assert "narrative" not in g["schedule"] and "schedule" not in g["narrative"]
    assert {"schedule", "narrative", "parts"} <= g["split"]
    assert "split" in g["check"] and "split" in g["report"]
