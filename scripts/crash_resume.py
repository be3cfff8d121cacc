"""Crash and resume (20 SIGKILL trials through Meltano): a thin wrapper, run from the repo root.

    .venv/bin/python scripts/crash_resume.py [--help]

The campaign is test code: tests/robustness/campaigns/crash_resume.py. How this file imports
it without editing the import path: tests/robustness/campaigns/__init__.py.
"""

if __name__ == "__main__":
    try:
        from tests.robustness.campaigns.crash_resume import main
    except ImportError as exc:
        hint = "run `make install`, or `python -m tests.robustness.campaigns.crash_resume`"
        msg = f"scripts/crash_resume.py: cannot import the campaign ({exc}); {hint}"
        raise SystemExit(msg) from None
    raise SystemExit(main())
