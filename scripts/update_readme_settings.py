"""Rewrite README.md's settings table from `tap-langdock --about --format=markdown`.

The table between the markers lists the tap's own settings (the SDK's built-in ones, such as
stream_maps, are documented by the SDK); tests/warehouse/test_settings_in_sync.py fails when
README, --about and meltano.yml drift apart. Run: python scripts/update_readme_settings.py
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

START, END = "<!-- settings:start -->", "<!-- settings:end -->"
BUILT_IN = ("stream_maps", "stream_map_config", "faker_config", "flattening_", "batch_config")


def settings_table() -> str:
    about = subprocess.run(
        [sys.executable, "-m", "tap_langdock", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = about.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Setting"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        name = line.split("|")[1].strip()
        if not name.startswith(BUILT_IN):
            table.append(line)
    return "\n".join(table)


def main() -> None:
    readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{settings_table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
