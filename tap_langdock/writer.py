"""Singer messages to stdout, encoded by msgspec and written without a flush per record.

The SDK's writers flush stdout after every message: one system call per record, which at a
million rows costs more than encoding them. Records are buffered instead; every other message
(SCHEMA, STATE, ...) flushes, so a checkpoint reaches the target as soon as it is written and
always after the records it covers (one ordered stream, so a crash can only cut it short).
"""

from __future__ import annotations

import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage

from tap_langdock._compat import override


class BufferedMsgSpecWriter(MsgSpecWriter):
    """The SDK's msgspec writer, flushing only at non-RECORD messages."""

    @override
    def write_message(self, message: Message) -> None:
        out = sys.stdout
        data = self.format_message(message)
        buffer = getattr(out, "buffer", None)
        if buffer is None:
            # A text-only stdout (tests capture into io.StringIO): same bytes, as text.
            out.write(data.decode("utf-8"))
        else:
            buffer.write(data)
        if not isinstance(message, RecordMessage):
            out.flush()
