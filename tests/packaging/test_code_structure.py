"""The size and layering limits of the developers' standards, checked on the source itself.

One room per job: no module over 400 lines, no class over 250, no function over 60, and no
import cycle among a package's modules (imports under ``TYPE_CHECKING`` count too: a cycle
hidden from the interpreter is still a cycle for the reader). ruff's C90 covers complexity.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = {
    "tap_langdock": ROOT / "tap_langdock",
    "langdock_emulator": ROOT / "packages/langdock-emulator/langdock_emulator",
    "langdock_report": ROOT / "packages/langdock-report/langdock_report",
}
MAX_FILE_LINES = 400
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 60


def _modules(package_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """Dotted module name -> file, for every module of the package."""
    package = package_dir.name
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = path
    return modules


def size_violations(path: pathlib.Path) -> list[str]:
    """One line per file, class or function over its limit."""
    source = path.read_text(encoding="utf-8")
    found = []
    lines = len(source.splitlines())
    if lines > MAX_FILE_LINES:
        found.append(f"{path}: {lines} lines > {MAX_FILE_LINES}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            limit = MAX_CLASS_LINES
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            limit = MAX_FUNCTION_LINES
        else:
            continue
        # From the first decorator: a long decorator is part of the definition.
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = (node.end_lineno or node.lineno) - start + 1
        if length > limit:
            found.append(f"{path}:{start}: {node.name} is {length} lines > {limit}")
    return found


def _imported(module: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """Modules of the same package that ``module`` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import mod` depends on the module `pkg.mod`, not on pkg's names.
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    own = set()
    for target in targets:
        # `import pkg.a.b` also runs pkg.a; the nearest known module is the dependency.
        nearest = target
        while nearest and nearest not in known:
            nearest = nearest.rpartition(".")[0]
        if nearest and nearest != module:
            own.add(nearest)
    return own


def import_cycles(package_dir: pathlib.Path) -> list[list[str]]:
    """Every import cycle among the package's modules, each as a path a -> ... -> a.

    A module importing names from its own package's ``__init__`` (which imports the
    modules) is a cycle too; ``from pkg import module`` is an edge to that module only.
    """
    modules = _modules(package_dir)
    known = set(modules)
    graph = {name: _imported(name, path, known) for name, path in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_file_class_or_function_over_its_limit(package: str) -> None:
    found = [v for path in _modules(PACKAGES[package]).values() for v in size_violations(path)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle(package: str) -> None:
    cycles = import_cycles(PACKAGES[package])
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_checks_catch_what_they_forbid(tmp_path: pathlib.Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.a import A\n")
    (package / "a.py").write_text(
        "from __future__ import annotations\n"
        "import typing\n"
        "if typing.TYPE_CHECKING:\n"
        "    from pkg.b import B\n"
        "class A:\n" + "    x = 1\n" * MAX_CLASS_LINES
    )
    (package / "b.py").write_text(
        "from . import a\n"
        "def f() -> None:\n" + "    pass\n" * MAX_FUNCTION_LINES + "\n" * MAX_FILE_LINES
    )
    assert import_cycles(package) == [["pkg.a", "pkg.b", "pkg.a"]]
    found = size_violations(package / "a.py") + size_violations(package / "b.py")
    assert [v.split(": ", 1)[1] for v in found] == [
        f"A is {MAX_CLASS_LINES + 1} lines > {MAX_CLASS_LINES}",
        f"{MAX_FILE_LINES + MAX_FUNCTION_LINES + 2} lines > {MAX_FILE_LINES}",
        f"f is {MAX_FUNCTION_LINES + 1} lines > {MAX_FUNCTION_LINES}",
    ]
    (package / "c.py").write_text("from pkg import A\n")
    (package / "__init__.py").write_text("from pkg.c import *\n")
    assert ["pkg", "pkg.c", "pkg"] in import_cycles(package)
