"""The layers of DEVELOPERS.md, checked on the source: what each may import, no cycles, no Qt below ui.

Every module is found by walking ``wsconsole/``, so a new module is checked
the day it is added: no list to keep up to date.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wsconsole"

# What each layer may import besides itself, as in DEVELOPERS.md.  "errors" and
# the package's root (``__version__``) are below every layer.
ALLOWED = {
    "errors": set(),
    "files": set(),
    "text": set(),
    "protocol": set(),
    "client": {"protocol", "text"},
    "storage": {"client", "protocol", "text"},
    "server": {"protocol", "text", "storage"},
    "session": {"client", "server", "protocol", "storage", "text"},
    "relay": {"session", "client", "server", "protocol", "storage", "text"},
    "cli": {"relay", "session", "client", "server", "protocol", "storage", "text", "ui"},
    "ui": {"relay", "session", "client", "server", "protocol", "storage", "text"},
    # The public paths README gives (wsconsole.peer, .options, .certs): re-exports only.
    "public": {"client", "server", "protocol"},
}
BELOW_EVERY_LAYER = {"errors", "files", "root"}
PUBLIC_MODULES = {"wsconsole.peer", "wsconsole.options", "wsconsole.certs"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module in PUBLIC_MODULES:
        return "public"
    if len(parts) == 1 or module == "wsconsole.__main__":
        return "root"
    return parts[1]


def imports_of(module: str) -> set[str]:
    """Every wsconsole module ``module`` imports, at the top or inside a function."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from a.b import c``: the module a.b.c if there is one, else a.b
            names = [
                f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] == "wsconsole")
    found.discard(module)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_walk_finds_the_layers() -> None:
    layers = {layer_of(module) for module in MODULES}
    assert {"protocol", "client", "server", "session", "storage", "text", "cli", "ui"} <= layers


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_imports_only_the_layers_below_it(module: str) -> None:
    layer = layer_of(module)
    if layer == "root":
        return  # wsconsole/__init__ and __main__ (which starts the command line)
    allowed = ALLOWED[layer] | BELOW_EVERY_LAYER | {layer}
    wrong = sorted(name for name in GRAPH[module] if layer_of(name) not in allowed)
    assert not wrong, f"{module} ({layer}) imports {wrong}"


def test_no_module_imports_the_public_paths() -> None:
    # They only re-export for users; inside, each name comes from where it lives.
    users = sorted(module for module, names in GRAPH.items() if names & PUBLIC_MODULES)
    assert not users


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


NO_QT_PROBE = """
import importlib, sys

class NoQt:
    # Refuses PySide6 outright, so a module that needs it fails here by name.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"{name} imported below wsconsole.ui")
        return None

sys.meta_path.insert(0, NoQt())
for name in sys.argv[1:]:
    importlib.import_module(name)
print("QT:" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))))
"""

CORE = sorted(module for module in MODULES if layer_of(module) != "ui" and module != "wsconsole.__main__")


def _probe(modules: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", NO_QT_PROBE, *modules], capture_output=True, text=True, timeout=60, check=False
    )


def test_every_module_outside_ui_imports_without_qt() -> None:
    assert len(CORE) > 30
    result = _probe(CORE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "QT:", result.stdout


def test_the_probe_refuses_qt() -> None:
    # The same probe on the window must fail, or the test above proves nothing.
    result = _probe(["wsconsole.ui.window.main_window"])
    assert result.returncode != 0
    assert "PySide6" in result.stderr
