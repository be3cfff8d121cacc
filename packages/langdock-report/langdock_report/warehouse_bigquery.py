"""A read-only connection to BigQuery (or the local BigQuery emulator of `make run`).

Settings from the variables target-bigquery and dbt's profile read: TARGET_BIGQUERY_PROJECT,
_LOCATION and _CREDENTIALS_PATH (a service-account key file; without it the machine's
application-default credentials). google-cloud-bigquery itself honours BIGQUERY_EMULATOR_HOST,
which `make run WAREHOUSE=bigquery` sets for its emulator. The marts schema is a dataset of
that project; parameters are BigQuery's typed ``@name`` query parameters.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import typing as t

from langdock_report.errors import ReportError
from langdock_report.warehouse import Warehouse, quote_identifier

QUERY_TIMEOUT = 300.0


def _parameter_type(value: object) -> str:
    # None goes as a STRING: every parameter that can be null is cast in the SQL.
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, dt.date):
        return "DATE"
    return "STRING"


class BigQueryWarehouse(Warehouse):
    dialect = "bigquery"

    def __init__(self, schema: str) -> None:
        try:
            self._bigquery = importlib.import_module("google.cloud.bigquery")
            exceptions = importlib.import_module("google.api_core.exceptions")
            auth_exceptions = importlib.import_module("google.auth.exceptions")
        except ImportError as exc:
            msg = "BigQuery needs its client: pip install 'langdock-report[bigquery]'"
            raise ReportError(msg) from exc
        super().__init__(schema)
        self._errors = (exceptions.GoogleAPIError, auth_exceptions.GoogleAuthError)
        project = os.environ.get("TARGET_BIGQUERY_PROJECT")
        if not project:
            msg = "--bigquery-env: set TARGET_BIGQUERY_PROJECT (and _CREDENTIALS_PATH, _LOCATION)"
            raise ReportError(msg)
        where = os.environ.get("BIGQUERY_EMULATOR_HOST") or "bigquery.googleapis.com"
        self.label = f"BigQuery project {project} at {where}"
        key_file = os.environ.get("TARGET_BIGQUERY_CREDENTIALS_PATH")
        try:
            if key_file:
                self._client = self._bigquery.Client.from_service_account_json(
                    key_file, project=project
                )
            else:
                self._client = self._bigquery.Client(project=project)
        except (*self._errors, OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = (
                f"cannot connect to the {self.label}: {first} (set "
                "TARGET_BIGQUERY_CREDENTIALS_PATH to a service-account key file)"
            )
            raise ReportError(msg) from exc
        self._location = os.environ.get("TARGET_BIGQUERY_LOCATION") or None

    def quote(self, name: str) -> str:
        quote_identifier(name)  # the same plain-identifier rule as the other warehouses
        return f"`{name}`"

    def tables(self) -> set[str]:
        try:
            return {table.table_id for table in self._client.list_tables(self.schema)}
        except self._errors as exc:
            if type(exc).__name__ == "NotFound":
                return set()
            raise ReportError(f"{self.label}: {_first_line(exc)}") from exc

    def _placeholder(self, match: re.Match[str]) -> str:
        return "@" + match.group(1)

    def _execute(
        self, sql: str, params: dict[str, object]
    ) -> tuple[list[str], list[tuple[t.Any, ...]]]:
        bigquery = self._bigquery
        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter(name, _parameter_type(value), value)
                for name, value in sorted(params.items())
            ]
        )
        try:
            job = self._client.query(sql, job_config=config, location=self._location)
            result = job.result(timeout=QUERY_TIMEOUT)
        except self._errors as exc:
            raise ReportError(f"{self.label}: {_first_line(exc)}") from exc
        columns = [field.name for field in result.schema]
        return columns, [tuple(row.values()) for row in result]

    def close(self) -> None:
        self._client.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
