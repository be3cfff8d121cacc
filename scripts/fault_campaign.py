"""Fault campaign (90 days, >= 1,000 faults): a thin wrapper, run from the repository root.

    .venv/bin/python scripts/fault_campaign.py [--help]

The campaign is test code: tests/robustness/campaigns/fault_campaign.py. How this file imports
it without editing the import path: tests/robustness/campaigns/__init__.py.
"""

if __name__ == "__main__":
    try:
        from tests.robustness.campaigns.fault_campaign import main
    except ImportError as exc:
        hint = "run `make install`, or `python -m tests.robustness.campaigns.fault_campaign`"
        msg = f"scripts/fault_campaign.py: cannot import the campaign ({exc}); {hint}"
        raise SystemExit(msg) from None
    raise SystemExit(main())
