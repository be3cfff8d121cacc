"""``langdock-emulator``: run the emulator as a standalone server until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from langdock_emulator.audit_log import BOUNDS, CURSORS, ORDERS, AuditSettings
from langdock_emulator.audit_query import MAX_LIMIT
from langdock_emulator.server import Emulator
from langdock_emulator.settings import WorkspaceSettings
from langdock_emulator.workspace import DEFAULT_API_KEY

API_KEY_ENV = "LANGDOCK_EMULATOR_API_KEY"
AUDIT_API_KEY_ENV = "LANGDOCK_EMULATOR_AUDIT_API_KEY"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langdock-emulator",
        description=(
            "Local Langdock Usage Export API and Audit Logs API for testing. "
            "Admin routes under /_emulator/."
        ),
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
    _add_audit_options(parser.add_argument_group("Audit Logs API (GET /audit-logs/{org_id})"))
    return parser


def _add_audit_options(group: argparse._ArgumentGroup) -> None:
    defaults = AuditSettings()
    group.add_argument(
        "--audit-api-key",
        default=None,
        metavar="KEY",
        help=f"a separate key with the audit scope (default: ${AUDIT_API_KEY_ENV}, else the "
        "export key serves both APIs); the export key then gets 403 on audit routes",
    )
    group.add_argument("--audit-order", choices=ORDERS, default=defaults.order)
    group.add_argument(
        "--audit-bounds",
        choices=BOUNDS,
        default=defaults.bounds,
        help="how from/to bound created_at (half_open: from <= t < to)",
    )
    group.add_argument(
        "--audit-page-size",
        type=int,
        default=defaults.page_size,
        metavar="N",
        help=f"most entries per page whatever limit asks, 1..{MAX_LIMIT}",
    )
    group.add_argument(
        "--audit-cursor",
        choices=CURSORS,
        default=defaults.cursor,
        help="id: a stable keyset cursor; offset: shifts when late entries arrive",
    )
    group.add_argument(
        "--audit-late-max",
        type=float,
        default=defaults.late_max_seconds,
        metavar="S",
        help="latest arrival after created_at of the one entry in eight that comes late",
    )
    group.add_argument(
        "--audit-entries-per-day",
        type=int,
        default=None,
        metavar="N",
        help="at most N entries a UTC day (default: all, about 216)",
    )
    group.add_argument(
        "--audit-retention-days", type=int, default=defaults.retention_days, metavar="DAYS"
    )
    group.add_argument("--audit-rate-limit-per-minute", type=int, default=None, metavar="N")
    group.add_argument(
        "--audit-now",
        type=iso_instant,
        default=None,
        metavar="ISO",
        help="freeze the audit log's clock (e.g. 2026-05-10T12:00:00Z): repeatable pages",
    )


def iso_instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset or Z")
    return value


def _workspace_settings(args: argparse.Namespace) -> WorkspaceSettings:
    return WorkspaceSettings(
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


def _audit_settings(args: argparse.Namespace) -> AuditSettings:
    """Raises ValueError naming the option when a value is out of range."""
    if not 1 <= args.audit_page_size <= MAX_LIMIT:
        raise ValueError(f"--audit-page-size must be 1..{MAX_LIMIT}")
    if args.audit_late_max < 0 or args.audit_retention_days < 1:
        raise ValueError("--audit-late-max must be >= 0 and --audit-retention-days >= 1")
    if args.audit_entries_per_day is not None and args.audit_entries_per_day < 0:
        raise ValueError("--audit-entries-per-day must be >= 0")
    return AuditSettings(
        api_key=args.audit_api_key or os.environ.get(AUDIT_API_KEY_ENV) or None,
        order=args.audit_order,
        bounds=args.audit_bounds,
        page_size=args.audit_page_size,
        cursor=args.audit_cursor,
        late_max_seconds=args.audit_late_max,
        entries_per_day=args.audit_entries_per_day,
        retention_days=args.audit_retention_days,
        rate_limit_per_minute=args.audit_rate_limit_per_minute,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY
    try:
        audit = _audit_settings(args)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    emulator = Emulator(
        api_key,
        args.seed,
        host=args.host,
        port=args.port,
        settings=_workspace_settings(args),
        verbose=args.verbose,
        audit_settings=audit,
    )
    if args.audit_now is not None:
        frozen = args.audit_now
        emulator.audit.clock = lambda: frozen
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
