"""The Snowflake lane's emulator: fakesnow's HTTP server, and how the clients reach it.

dbt-snowflake and the report's connector take host/port/protocol directly. The loader
(meltanolabs-target-snowflake) has no such settings and loads through a user stage that
fakesnow does not have, so its process gets the test-only adapter in ``snowflake_shim/``
(see that module for exactly what it replaces). Meltano drops PYTHONPATH from a plugin's
environment, so `make install-lanes` puts a one-line ``.pth`` file into the loader's venv
that adds the shim directory to ``sys.path`` only when LANGDOCK_FAKESNOW_SHIM names it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from warehouse_emulators.processes import ChildProcess, free_port, require_venv

START_TIMEOUT = 60.0
SHIM_DIR = Path(__file__).resolve().parent / "snowflake_shim"
DATABASE = "LANGDOCK"


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class SnowflakeEmulator:
    """fakesnow on 127.0.0.1; with ``data_dir`` its databases are files there (kept)."""

    def __init__(self, root: Path, data_dir: Path | None = None) -> None:
        self.root = root
        self.data_dir = data_dir
        self.port = 0
        self._process: ChildProcess | None = None

    def start(self) -> SnowflakeEmulator:
        bin_dir = require_venv(self.root / ".venv-fakesnow", "Snowflake emulator")
        self.port = free_port()
        command = [str(bin_dir / "python"), str(Path(__file__).with_name("fakesnow_server.py")),
                   "--port", str(self.port)]  # fmt: skip
        log_dir = self.data_dir or self.root / "output"
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            command += ["--data-dir", str(self.data_dir)]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self._process = ChildProcess("Snowflake emulator", command, env, log_dir / "fakesnow.log")
        self._process.wait_healthy(lambda: _port_open(self.port), START_TIMEOUT)
        return self

    def connect_kwargs(self, schema: str | None = None) -> dict[str, object]:
        """snowflake.connector.connect(**these) reaches the emulator."""
        kwargs: dict[str, object] = {
            "account": "fakesnow", "user": "fake", "password": "snow",
            "host": "127.0.0.1", "port": self.port, "protocol": "http",
            "database": DATABASE, "network_timeout": 30, "login_timeout": 30,
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        }  # fmt: skip
        if schema:
            kwargs["schema"] = schema
        return kwargs

    def client_env(self) -> dict[str, str]:
        """Variables that point the loader (with the shim), dbt and the report here."""
        return {
            "TARGET_SNOWFLAKE_ACCOUNT": "fakesnow",
            "TARGET_SNOWFLAKE_USER": "fake",
            "TARGET_SNOWFLAKE_PASSWORD": "snow",
            "TARGET_SNOWFLAKE_DATABASE": DATABASE,
            "TARGET_SNOWFLAKE_WAREHOUSE": "EMULATOR",
            "LANGDOCK_FAKESNOW_PORT": str(self.port),
            "DBT_SNOWFLAKE_HOST": "127.0.0.1",
            "DBT_SNOWFLAKE_PORT": str(self.port),
            "DBT_SNOWFLAKE_PROTOCOL": "http",
            "LANGDOCK_FAKESNOW_SHIM": str(SHIM_DIR),
        }

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> SnowflakeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
