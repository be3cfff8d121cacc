"""HTTP lives in transport modules: no module that defines a stream, or page logic, imports it.

The stream classes and the page/export logic are tested and read without a network library
in view; `export.transport` and `audit.transport` are the only rooms that speak HTTP.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib

from singer_sdk import Stream

import tap_langdock

PACKAGE = pathlib.Path(tap_langdock.__file__).parent
HTTP_LIBRARIES = {"requests", "urllib3", "http", "httpx", "aiohttp"}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_roots(path: pathlib.Path) -> set[str]:
    """Top-level names of everything ``path`` imports, wherever the import stands."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _stream_modules() -> set[str]:
    found = set()
    for name in _modules():
        if name.endswith("__main__"):
            continue  # importing it runs the tap
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, Stream):
                found.add(name)
    return found


def test_the_stream_modules_are_found() -> None:
    # Guards the test below against finding nothing to check.
    assert {"tap_langdock.streams", "tap_langdock.audit.stream"} <= _stream_modules()


def test_no_module_defining_a_stream_imports_an_http_library() -> None:
    modules = _modules()
    offenders = {
        name: sorted(_imported_roots(modules[name]) & HTTP_LIBRARIES) for name in _stream_modules()
    }
    assert {name: libs for name, libs in offenders.items() if libs} == {}


def test_only_transport_modules_import_an_http_library() -> None:
    speaking = {name for name, path in _modules().items() if _imported_roots(path) & HTTP_LIBRARIES}
    assert speaking == {"tap_langdock.export.transport", "tap_langdock.audit.transport"}
