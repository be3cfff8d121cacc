"""A read-only connection to Snowflake (or the local Snowflake emulator of `make run`).

Settings from the variables target-snowflake and dbt's profile read: TARGET_SNOWFLAKE_ACCOUNT,
_USER, _PASSWORD, _DATABASE, _WAREHOUSE, _ROLE; DBT_SNOWFLAKE_HOST, _PORT and _PROTOCOL only
for an emulator. Snowflake upper-cases the unquoted names dbt creates, so the marts schema is
looked up in upper case, and result columns come back lower-cased like the other warehouses'.
"""

from __future__ import annotations

import importlib
import os
import re
import typing as t

from langdock_report.errors import ReportError
from langdock_report.warehouse import Warehouse

SNOWFLAKE_VARIABLES = {
    "account": "TARGET_SNOWFLAKE_ACCOUNT",
    "user": "TARGET_SNOWFLAKE_USER",
    "password": "TARGET_SNOWFLAKE_PASSWORD",
    "database": "TARGET_SNOWFLAKE_DATABASE",
    "warehouse": "TARGET_SNOWFLAKE_WAREHOUSE",
    "role": "TARGET_SNOWFLAKE_ROLE",
    "host": "DBT_SNOWFLAKE_HOST",
    "port": "DBT_SNOWFLAKE_PORT",
    "protocol": "DBT_SNOWFLAKE_PROTOCOL",
}


def snowflake_settings() -> dict[str, object]:
    settings: dict[str, object] = {}
    for key, variable in SNOWFLAKE_VARIABLES.items():
        value = os.environ.get(variable)
        if value:
            settings[key] = int(value) if key == "port" else value
    missing = [SNOWFLAKE_VARIABLES[k] for k in ("account", "user", "database") if k not in settings]
    if missing:
        msg = "--snowflake-env: set " + ", ".join(missing) + " (and _PASSWORD, _WAREHOUSE)"
        raise ReportError(msg)
    return settings


class SnowflakeWarehouse(Warehouse):
    dialect = "snowflake"

    def __init__(self, schema: str) -> None:
        try:
            connector = importlib.import_module("snowflake.connector")
        except ImportError as exc:
            msg = "Snowflake needs its connector: pip install 'langdock-report[snowflake]'"
            raise ReportError(msg) from exc
        super().__init__(schema.upper())
        settings = snowflake_settings()
        where = settings.get("host") or f"{settings['account']}.snowflakecomputing.com"
        self.label = f"Snowflake database {settings['database']} at {where}"
        try:
            self._connection = connector.connect(
                **settings, login_timeout=30, network_timeout=60,
                session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            )  # fmt: skip
        except connector.Error as exc:
            # The connector's messages name account and user, never the password.
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = f"cannot connect to the {self.label}: {first}"
            raise ReportError(msg) from exc

    def tables(self) -> set[str]:
        return {name.lower() for name in super().tables()}

    def _placeholder(self, match: re.Match[str]) -> str:
        return f"%({match.group(1)})s"

    def _execute(
        self, sql: str, params: dict[str, object]
    ) -> tuple[list[str], list[tuple[t.Any, ...]]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params)
            columns = [str(c[0]).lower() for c in cursor.description or []]
            return columns, [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()
