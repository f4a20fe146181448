package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;

/**
 * The timestamped payload line that the fan-out and long-poll workloads append and read back:
 * {@code <seq>:<sendNanos>:xxxx...\n}, padded with {@code x} to a fixed size. One line per append
 * so that a reader can split batched deliveries (SSE data lines, long-poll bodies) on LF.
 * {@code sendNanos} is {@link #nowNanos()} of the sending JVM (monotonic, never negative), so writer
 * and readers must be in the same process. Parsing is allocation-free; a parsed line is held in the fields of a
 * mutable instance owned by one event loop.
 */
public final class Stamp {
  /** Shortest payload that fits two 19-digit longs, two colons and the newline. */
  public static final int BYTES_MIN = 48;

  private static final long ORIGIN_NANOS = System.nanoTime();

  public long seq;
  public long sendNanos;

  private Stamp() {}

  /** Monotonic nanoseconds since this class loaded: non-negative, so it prints as plain digits. */
  public static long nowNanos() {
    return System.nanoTime() - ORIGIN_NANOS;
  }

  public static Stamp holder() {
    return new Stamp();
  }

  /** Writes one line of exactly {@code totalBytes} bytes (including the final LF). */
  public static void write(ByteBuf out, long seq, long sendNanos, int totalBytes) {
    int start = out.writerIndex();
    Requests.writeDecimal(out, seq);
    out.writeByte(':');
    Requests.writeDecimal(out, sendNanos);
    out.writeByte(':');
    int pad = totalBytes - 1 - (out.writerIndex() - start);
    if (pad < 0) {
      throw new IllegalArgumentException("payload of " + totalBytes + " bytes is too short for a stamp");
    }
    for (int i = 0; i < pad; i++) {
      out.writeByte('x');
    }
    out.writeByte('\n');
  }

  /** Parses a line (without its LF); false if it is not a stamp. */
  public boolean parse(ByteBuf buf, int from, int length) {
    int end = from + length;
    int i = from;
    long a = 0;
    int start = i;
    while (i < end) {
      byte b = buf.getByte(i);
      if (b == ':') {
        break;
      }
      if (b < '0' || b > '9') {
        return false;
      }
      a = a * 10 + (b - '0');
      i++;
    }
    if (i == start || i >= end) {
      return false;
    }
    i++;
    start = i;
    long t = 0;
    while (i < end) {
      byte b = buf.getByte(i);
      if (b == ':') {
        break;
      }
      if (b < '0' || b > '9') {
        return false;
      }
      t = t * 10 + (b - '0');
      i++;
    }
    if (i == start || i >= end) {
      return false;
    }
    seq = a;
    sendNanos = t;
    return true;
  }
}
