package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Splits a byte stream that arrives in arbitrary pieces into lines ending in LF (a CR before the
 * LF is dropped). Complete lines are handed out as a slice of the input when possible; only a
 * line cut by a piece boundary is copied. Owned by the event loop of its connection.
 */
public final class LineSplitter {
  /** Receives each line; {@code line} is valid only during the call. */
  public interface Sink {
    void line(ByteBuf buf, int from, int length);
  }

  /** A line longer than this is a protocol error on our side (our payloads are short). */
  private static final int LINE_BYTES_MAX = 16 * 1024 * 1024;

  private final ByteBuf partial = Unpooled.buffer(512);

  public void feed(ByteBuf in, Sink sink) {
    int r = in.readerIndex();
    int end = in.writerIndex();
    while (r < end) {
      int nl = in.indexOf(r, end, (byte) '\n');
      if (nl < 0) {
        if (partial.readableBytes() + (end - r) > LINE_BYTES_MAX) {
          throw new IllegalStateException("line longer than " + LINE_BYTES_MAX + " bytes");
        }
        partial.writeBytes(in, r, end - r);
        break;
      }
      if (partial.isReadable()) {
        partial.writeBytes(in, r, nl - r);
        emit(partial, partial.readerIndex(), partial.readableBytes(), sink);
        partial.clear();
      } else {
        emit(in, r, nl - r, sink);
      }
      r = nl + 1;
    }
    in.readerIndex(end);
  }

  /** Forgets a partial line (a new response starts). */
  public void reset() {
    partial.clear();
  }

  private static void emit(ByteBuf buf, int from, int length, Sink sink) {
    if (length > 0 && buf.getByte(from + length - 1) == '\r') {
      length--;
    }
    sink.line(buf, from, length);
  }
}
