"""Local stand-ins for Snowflake and BigQuery, for `make run WAREHOUSE=...` and the tests.

Each emulator runs from a virtualenv of its own at the project root (.venv-fakesnow,
.venv-bqemulator; `make lanes` creates them), on a free loopback port, and is stopped by its
PID. Nothing here is imported by the tap or by the report.
"""
