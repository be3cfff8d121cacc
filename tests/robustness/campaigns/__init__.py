"""Campaign drivers: run by the robustness tests at CI size and, at full size, from scripts/.

`scripts/crash_resume.py` and `scripts/fault_campaign.py` are thin wrappers that import
``main`` from here. They edit no import path: `make install` installs the repository in
editable mode, which puts its root, and with it the ``tests`` package, on the venv's path.
Without that install, ``python -m tests.robustness.campaigns.<name>`` from the repository
root runs the same code (``-m`` puts the current directory on the path).
"""
