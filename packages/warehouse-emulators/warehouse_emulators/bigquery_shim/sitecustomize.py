"""Test-only: imported by Python at start when this directory is on sys.path.

Only the BigQuery emulator lane puts it there (LANGDOCK_BQEMULATOR_SHIM, read by the ``.pth``
file `make install-lanes` adds to target-bigquery's venv). It replaces exactly one thing in
z3 target-bigquery 0.7.2: the fixed waits for BigQuery's eventual consistency after creating
a table (``time.sleep(5)`` and ``time.sleep(2.5)`` in ``target_bigquery.core``, 12.5 s per
stream and run). The emulator is consistent at once; every request, load job and MERGE the
loader sends is unchanged.
"""

import importlib.util
import os
import time
import types

if os.environ.get("LANGDOCK_BQEMULATOR_SHIM") and importlib.util.find_spec("target_bigquery"):
    import target_bigquery.core

    no_waits = types.ModuleType("time")
    no_waits.__dict__.update(time.__dict__)
    setattr(no_waits, "sleep", lambda seconds: None)  # noqa: B010 - a module built here
    target_bigquery.core.time = no_waits
