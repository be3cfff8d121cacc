"""Run fakesnow's HTTP server, its databases in files under a directory (run by .venv-fakesnow).

fakesnow's server keeps every session in one in-memory DuckDB unless a client sends the
FAKESNOW_DB_PATH session parameter, which dbt-snowflake cannot. This replaces the shared
instance with one whose databases are DuckDB files in ``--data-dir``, so `make run
WAREHOUSE=snowflake` leaves its data under output/ for the report and a curious user.

Usage: python fakesnow_server.py --port N [--data-dir DIR]
"""

from __future__ import annotations

import argparse

import fakesnow.server
import uvicorn
from fakesnow.instance import FakeSnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", default=None, help="keep the databases in files here")
    args = parser.parse_args()
    if args.data_dir:
        fakesnow.server.shared_fs = FakeSnow(db_path=args.data_dir)
    uvicorn.run(fakesnow.server.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
