"""The BigQuery lane's emulator: bqemulator (REST) plus a local OAuth token endpoint.

z3 target-bigquery and google-cloud-bigquery reach it through BIGQUERY_EMULATOR_HOST (the
client library's own switch); their credentials are a throwaway service-account key
file whose token endpoint is ``TokenStub``. dbt-bigquery uses its profile's ``api_endpoint``
with ``method: oauth-secrets`` and a dummy token, which never contacts Google.

Two test-only adapters, both named in the README ("BigQuery"): ``bqemulator_server.py``
closes one gap of the emulator (qualified columns in MERGE's UPDATE SET), and
``bigquery_shim/`` removes the loader's fixed eventual-consistency waits (LANGDOCK_BQEMULATOR_SHIM,
read by a ``.pth`` file `make install-lanes` puts into target-bigquery's venv).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from warehouse_emulators.processes import ChildProcess, free_port, http_ok, require_venv
from warehouse_emulators.token_stub import TokenStub

PROJECT = "langdock-emulator"
START_TIMEOUT = 90.0
SHIM_DIR = Path(__file__).resolve().parent / "bigquery_shim"


class BigQueryEmulator:
    """bqemulator on 127.0.0.1, its data in ``data_dir`` (kept after it stops)."""

    def __init__(
        self, root: Path, data_dir: Path, project: str = PROJECT, *, keep_gzip: bool = False
    ) -> None:
        self.root = root
        # True: the gzip adapter is off and every load job fails (a test of the loader's guard).
        self.keep_gzip = keep_gzip
        self.data_dir = data_dir
        self.project = project
        self.url = ""
        self._process: ChildProcess | None = None
        self._token: TokenStub | None = None

    def start(self) -> BigQueryEmulator:
        venv = self.root / ".venv-bqemulator"
        bin_dir = require_venv(venv, "BigQuery emulator")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # bqemulator's own `start`, through the wrapper that closes its MERGE gap.
        command = [
            str(bin_dir / "python"), str(Path(__file__).with_name("bqemulator_server.py")), "start",
            "--rest-host", "127.0.0.1", "--rest-port", str(port),
            "--grpc-host", "127.0.0.1", "--grpc-port", str(free_port()),
            "--persistent", "--data-dir", str(self.data_dir),
            "--project", self.project, "--log-level", "warning",
        ]  # fmt: skip
        # DuckDB finds its spatial extension under $HOME/.duckdb (`make lanes` put it there):
        # offline, bqemulator cannot download it.
        env = {**os.environ, "HOME": str(venv / "duckdb-home")}
        if self.keep_gzip:
            env["LANGDOCK_BQEMULATOR_KEEP_GZIP"] = "1"
        self._process = ChildProcess(
            "BigQuery emulator", command, env, self.data_dir / "bqemulator.log"
        )
        self._process.wait_healthy(lambda: http_ok(self.url + "/healthz"), START_TIMEOUT)
        self._token = TokenStub()
        return self

    def client_env(self) -> dict[str, str]:
        """Variables that point the loader, dbt and the report at this emulator."""
        assert self._token is not None, "start() first"
        credentials = self._token.write_credentials(
            self.data_dir / "credentials.json", self.project
        )
        return {
            "BIGQUERY_EMULATOR_HOST": self.url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
            "TARGET_BIGQUERY_PROJECT": self.project,
            "TARGET_BIGQUERY_LOCATION": "US",
            "DBT_BIGQUERY_API_ENDPOINT": self.url,
            "DBT_BIGQUERY_TOKEN": "emulator",
            "LANGDOCK_BQEMULATOR_SHIM": str(SHIM_DIR),
        }

    def create_dataset(self, name: str) -> None:
        """A dataset registered in the emulator's catalog (409: it exists already)."""
        body = json.dumps(
            {"datasetReference": {"projectId": self.project, "datasetId": name}, "location": "US"}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"{self.url}/bigquery/v2/projects/{self.project}/datasets",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30):  # noqa: S310
                return
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise

    def stop(self) -> None:
        if self._token is not None:
            self._token.close()
            self._token = None
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
