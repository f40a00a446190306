"""The architecture holds: each layer imports only the layers before it (DESIGN §4), and no module-level
import cycle exists. Checked on the source with `ast`, so function-level (lazy) imports count too."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fasthep_flow"
LAYERS = [
    "document",
    "expressions",
    "registry",
    "plan",
    "compiler",
    "ops",
    "runtime",
    "backends",
    "service",
    "api|builder",
    "lsp|cli",
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names.split("|")}
# Below every layer: they import no layer (_root_metadata: the TTree opener the compiler and root_tree share).
BASE = {"__init__", "_version", "_cache", "_root_metadata", "resources"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module_level_only: bool) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    here = _module_name(path).split(".")
    package = here if is_package else here[:-1]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # annotations only: never executed
            nested = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                found.append((target, child.lineno))
                found.extend((f"{target}.{a.name}", child.lineno) for a in child.names)
            if not module_level_only or nested:
                visit(child, nested)

    visit(tree, True)
    return [(t, line) for t, line in found if t.startswith("fasthep_flow")]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in BASE:
        return None
    return parts[1] if parts[1] in RANK else None


def test_no_layer_imports_a_later_one() -> None:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _layer(_module_name(path))
        if source is None:
            continue
        for target, line in _imports(path, module_level_only=False):
            layer = _layer(target)
            if layer is not None and RANK[layer] > RANK[source]:
                bad.append(f"{path.relative_to(PACKAGE)}:{line} ({source}) imports {target} ({layer})")
    assert not bad, "imports pointing to a later layer:\n" + "\n".join(bad)


def test_no_module_level_import_cycle() -> None:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in modules.items():
        for target, _ in _imports(path, module_level_only=True):
            while target and target not in modules:  # `from pkg import name` names an attribute
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"module-level import cycles: {cycles[:5]}"


def test_the_language_service_runs_without_pygls() -> None:
    code = "import sys, fasthep_flow.service; print('pygls' in sys.modules, 'lsprotocol' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
