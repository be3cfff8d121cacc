"""`python -m tap_langdock`."""

from tap_langdock.tap import TapLangdock

TapLangdock.cli()
