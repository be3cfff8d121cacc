"""Test-only: imported by Python at start when this directory is on sys.path.

Only the Snowflake emulator lane puts it there (LANGDOCK_FAKESNOW_SHIM, read by the ``.pth``
file `make install-lanes` adds to target-snowflake's venv), and it acts only in the loader's
process (where ``target_snowflake`` is importable) when LANGDOCK_FAKESNOW_PORT is set: then
``langdock_fakesnow_adapter`` routes the loader to fakesnow and stands in for its stage path.
"""

import importlib.util
import os

if os.environ.get("LANGDOCK_FAKESNOW_PORT") and importlib.util.find_spec("target_snowflake"):
    import langdock_fakesnow_adapter

    langdock_fakesnow_adapter.install(int(os.environ["LANGDOCK_FAKESNOW_PORT"]))
