"""What running the suite on several pytest-xdist workers (`make test`: ``-n 4``) needs.

Module- and session-scoped fixtures run once per *worker*. A module's tests that share such a
fixture (the bad-input corpus runs every case once; a warehouse load runs three Meltano runs)
would pay for it on every worker that gets one of them, so `assign_groups` puts them into one
``xdist_group`` (``--dist loadgroup`` keeps a group on one worker). Tests sharing a
session-scoped fixture of this suite (the report's loaded workspaces) are grouped across
modules the same way. Fixtures in `SHARED_ACROSS_WORKERS` are exempt: they are cheap per
worker and safe to use from several at once.

`meltano_project` is *not* exempt: Meltano keeps a plugin's generated files (the tap's
catalog ``tap.properties.json``, its config) in ``.meltano/run/<plugin>/`` of the project, so
two `meltano run` at once in one project delete each other's catalog ("Invalid value for
'--catalog' ... No such file"). Every test using Meltano therefore runs on one worker, in
turn, while the others take the rest of the suite.
"""

from __future__ import annotations

import inspect
import os
import shutil
import typing as t
from pathlib import Path

import pytest
from filelock import FileLock

TESTS = Path(__file__).resolve().parents[1]
SHARED_ACROSS_WORKERS = frozenset({"postgres", "chromium_path", "isolated_meltano_project"})


def _costly_fixtures(item: pytest.Item) -> list[str]:
    """Keys of the suite's module/class/session fixtures ``item`` uses."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    keys = []
    for name, definitions in info.name2fixturedefs.items():
        definition = definitions[-1]
        source = inspect.getsourcefile(definition.func)
        if source is None or TESTS not in Path(source).parents or name in SHARED_ACROSS_WORKERS:
            continue  # pytest's own (tmp_path_factory ...) or shared
        if definition.scope == "session":
            keys.append(f"session:{name}")
        elif definition.scope in ("package", "module", "class"):
            keys.append(f"module:{item.nodeid.split('::')[0]}")
    return keys


class _Groups:
    """Union-find over fixture keys: tests linked by any shared fixture end in one group."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, keys: list[str]) -> None:
        roots = sorted({self.find(key) for key in keys})
        for root in roots[1:]:
            self.parent[root] = roots[0]


def assign_groups(items: list[pytest.Item]) -> None:
    """Mark each test that shares a costly fixture with its group (no explicit group kept)."""
    groups = _Groups()
    keyed = [(item, _costly_fixtures(item)) for item in items]
    for _, keys in keyed:
        if keys:
            groups.join(keys)
    meltano = groups.find("session:meltano_project")
    for item, keys in keyed:
        if keys and item.get_closest_marker("xdist_group") is None:
            root = groups.find(keys[0])
            name = "meltano" if root == meltano else root.split(":", 1)[1].replace("/", ".")
            item.add_marker(pytest.mark.xdist_group(name=name))


def lost_groups(config: pytest.Config, items: list[pytest.Item]) -> str | None:
    """Why a `--dist loadgroup` run's groups were not applied by xdist, or None.

    xdist hands a test's group to its scheduler as an ``@group`` suffix of the node id; when that
    suffix does not stick (pytest 9.2's structured node ids, pytest-dev/pytest-xdist#1386),
    grouping is silently off and the Meltano tests run at once in one project, where they
    delete each other's catalog. The suite then fails the grouped tests with this line.
    """
    # In a worker `dist` reads "no"; xdist keeps the run's choice in `loadgroup`.
    if not os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("loadgroup", False):
        return None
    lost = [
        item.nodeid
        for item in items
        if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid
    ]
    if not lost:
        return None
    return (
        f"pytest-xdist did not apply the xdist_group of {len(lost)} test(s): --dist loadgroup "
        f"is silently off with pytest {pytest.__version__} (pytest-dev/pytest-xdist#1386). "
        "Run `make install` again (pyproject pins pytest<9.2)."
    )


def run_root(factory: pytest.TempPathFactory) -> Path:
    """The temporary directory of this test run, the same for every xdist worker."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_meltano_project(
    factory: pytest.TempPathFactory, install: t.Callable[[Path], Path]
) -> Path:
    """One Meltano install per test run, whichever worker asks first (under a file lock).

    The tests that use it share one xdist group (see the module docstring), so they run one
    after another; each passes its own system database, dbt target and log paths.
    """
    root = run_root(factory)
    directory = root / "meltano-project"
    done = root / "meltano-project.installed"
    with FileLock(str(root / "meltano-project.lock")):
        if not done.exists():
            shutil.rmtree(directory, ignore_errors=True)  # a worker's install that failed
            install(directory)
            done.touch()
    return directory
