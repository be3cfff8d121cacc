"""The tap's wheel, as a user installs it: the tap alone, working in an empty virtualenv."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("tap_langdock-*.whl")
    return built


def test_wheel_ships_the_tap_only(wheel: pathlib.Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("tap_langdock-")}
    assert packages == {"tap_langdock"}
    assert "tap_langdock/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "tap-langdock = tap_langdock.tap:TapLangdock.cli" in text
    assert "emulator" not in text


@pytest.mark.slow
def test_wheel_installed_alone_gives_about_and_discover(
    wheel: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    tap = env_dir / "bin" / "tap-langdock"
    about = json.loads(
        subprocess.run(
            [str(tap), "--about", "--format", "json"], check=True, capture_output=True, timeout=120
        ).stdout
    )
    assert about["name"] == "tap-langdock"
    assert "test" in about["capabilities"]
    catalog = json.loads(
        subprocess.run(
            [str(tap), "--discover"], check=True, capture_output=True, timeout=120
        ).stdout
    )
    assert len(catalog["streams"]) >= 11
    missing = subprocess.run(
        [str(python), "-c", "import langdock_emulator"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode != 0
