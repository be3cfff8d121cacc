"""One measured run, in a fresh process: ``python -m benchmarks.child VARIANT STREAM CSV OUT``.

Singer messages go to stdout (the parent reads and counts them, like a target would); the
timing goes to the JSON file OUT. Variants:

- ``raw``: the floor. ``csv.reader`` plus ``orjson`` of a RECORD envelope per row.
- ``plain``: a plain singer-sdk ``Stream`` yielding the same rows parsed and typed with
  ``csv.DictReader``, default writer and default type conformance.
- ``tap``: ``TapLangdock.sync_all()``, with only the two HTTP steps replaced by a local copy of
  the same file, so everything from the downloaded file to stdout is the tap's own code.
"""

from __future__ import annotations

import csv
import json
import sys
import time
import typing as t

csv.field_size_limit(16 * 1024 * 1024)


def run_raw(stream: str, path: str) -> int:
    import orjson

    write = sys.stdout.buffer.write
    dumps = orjson.dumps
    rows = 0
    with open(path, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        header = next(reader)
        for row in reader:
            write(
                dumps(
                    {
                        "type": "RECORD",
                        "stream": stream,
                        "record": dict(zip(header, row, strict=True)),
                    }
                )
            )
            write(b"\n")
            rows += 1
    sys.stdout.buffer.flush()
    return rows


def _plain_tap(stream_name: str, path: str) -> t.Any:
    from singer_sdk import Stream, Tap
    from singer_sdk import typing as th

    from tap_langdock.columns import Kind, schema_for
    from tap_langdock.streams import STREAMS

    # The SDK declares `name` as an instance attribute; every stream class sets it.
    declared = next(cls for cls in STREAMS if cls.name == stream_name)  # type: ignore[misc]
    casts: dict[Kind, t.Callable[[str], t.Any]] = {
        Kind.STRING: str,
        Kind.INTEGER: int,
        Kind.NUMBER: float,
        Kind.BOOLEAN: lambda cell: cell.lower() == "true",
        Kind.DATE: str,
        Kind.OBJECT: json.loads,
    }
    kinds = {column.name: casts[column.kind] for column in declared.columns}
    schema = schema_for(declared.columns)

    class PlainStream(Stream):
        name = stream_name
        primary_keys = list(declared.primary_keys)  # noqa: RUF012

        def get_records(self, context: t.Any) -> t.Iterable[dict[str, t.Any]]:
            with open(path, encoding="utf-8-sig", newline="") as text:
                for row in csv.DictReader(text):
                    yield {
                        name: (kinds[name](cell) if cell != "" else None)
                        for name, cell in row.items()
                    }

    class PlainTap(Tap):
        name = "tap-plain"
        config_jsonschema = th.PropertiesList().to_dict()

        def discover_streams(self) -> list[Stream]:
            return [PlainStream(self, schema=schema)]

    return PlainTap(config={}, setup_mapper=True)


def _local_tap(stream_name: str, path: str, config: dict[str, t.Any]) -> t.Any:
    import shutil

    from tap_langdock.export.transport import ExportApi, Reply
    from tap_langdock.tap import TapLangdock

    rows = sum(1 for _ in csv.reader(open(path, encoding="utf-8-sig", newline=""))) - 1  # noqa: SIM115
    envelope = json.dumps(
        {"success": True, "data": {"downloadUrl": "https://storage.invalid/f", "recordCount": rows}}
    ).encode()

    class LocalFileApi(ExportApi):
        """Langdock's answers without a network: the same file for every window."""

        def post_export(self, path_: str, body: dict[str, t.Any]) -> Reply:
            return Reply(200, envelope, None)

        def download(self, url: str, sink: t.IO[bytes]) -> int:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, sink, 1024 * 1024)
            return sink.tell()

    tap = TapLangdock(config=config, setup_mapper=True)
    tap.run.export_api = LocalFileApi
    for stream in tap.streams.values():
        stream.selected = stream.name == stream_name
    return tap


def main(argv: list[str]) -> None:
    variant, stream, path, out = argv[:4]
    config = json.loads(argv[4]) if len(argv) > 4 else {}
    started = time.perf_counter()
    if variant == "raw":
        rows = run_raw(stream, path)
    else:
        tap = _plain_tap(stream, path) if variant == "plain" else _local_tap(stream, path, config)
        # Set-up (imports, discovery, counting rows for the fake envelope) is not timed.
        started = time.perf_counter()
        tap.sync_all()
        sys.stdout.flush()
        rows = -1
    seconds = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as sink:
        json.dump({"seconds": seconds, "rows": rows}, sink)


if __name__ == "__main__":
    main(sys.argv[1:])
