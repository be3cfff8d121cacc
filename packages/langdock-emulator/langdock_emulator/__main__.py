"""``langdock-emulator``: run the emulator as a standalone server until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from langdock_emulator.server import DEFAULT_API_KEY, Emulator
from langdock_emulator.settings import WorkspaceSettings

API_KEY_ENV = "LANGDOCK_EMULATOR_API_KEY"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langdock-emulator",
        description="Local Langdock Usage Export API for testing. Admin routes under /_emulator/.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--api-key",
        default=None,
        help=f"expected bearer key (default: ${API_KEY_ENV}, else {DEFAULT_API_KEY!r})",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--privacy", action="store_true", help="user-level data disabled")
    parser.add_argument("--byok", action="store_true", help="bring-your-own-key workspace")
    parser.add_argument("--extra-column", action="store_true", help="add undocumented column")
    parser.add_argument("--bom", action="store_true", help="CSV starts with a UTF-8 BOM")
    parser.add_argument("--gzip", action="store_true", help="storage sends gzip encoding")
    parser.add_argument("--plain-names", action="store_true", help="no tricky entity names")
    parser.add_argument(
        "--quiet-day", action="append", default=[], metavar="YYYY-MM-DD", help="repeatable"
    )
    parser.add_argument("--url-ttl", type=float, default=300.0, metavar="S")
    parser.add_argument("--latency", type=float, default=0.0, metavar="S")
    parser.add_argument(
        "--latency-per-inflight",
        type=float,
        default=0.0,
        metavar="S",
        help="extra export latency per other export in flight",
    )
    parser.add_argument(
        "--max-concurrent-exports",
        type=int,
        default=None,
        metavar="N",
        help="answer 429 (Retry-After: 1) while N exports are in flight",
    )
    parser.add_argument("--rate-limit-per-minute", type=int, default=None, metavar="N")
    parser.add_argument("--bulk-rows", type=int, default=None, metavar="N")
    parser.add_argument("--verbose", action="store_true", help="log one line per request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY
    settings = WorkspaceSettings(
        privacy=args.privacy,
        byok=args.byok,
        bom=args.bom,
        extra_column=args.extra_column,
        tricky_names=not args.plain_names,
        quiet_days=set(args.quiet_day),
        url_ttl_seconds=args.url_ttl,
        export_latency_seconds=args.latency,
        latency_per_inflight_seconds=args.latency_per_inflight,
        max_concurrent_exports=args.max_concurrent_exports,
        rate_limit_per_minute=args.rate_limit_per_minute,
        bulk_rows=args.bulk_rows,
        gzip=args.gzip,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    emulator = Emulator(
        api_key, args.seed, host=args.host, port=args.port, settings=settings, verbose=args.verbose
    )
    try:
        # The key itself is never printed: this line ends up in CI logs.
        print(
            f"Langdock emulator listening on {emulator.url} "
            f"(api key from --api-key / {API_KEY_ENV})",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        emulator.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
