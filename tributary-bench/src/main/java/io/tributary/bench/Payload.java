package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.tributary.bench.client.Stamp;
import java.util.SplittableRandom;

/** The body of one append, written straight into the request buffer. Stateless after construction. */
interface Payload {
  int bytes();

  /** Writes exactly {@link #bytes()} bytes; {@code tag} is the op's sequence number. */
  void write(ByteBuf out, long tag, long nowNanos);

  /** Fixed random printable bytes (the same for every append: the server does not compress). */
  static Payload fixed(int bytes, long seed) {
    byte[] body = new byte[bytes];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < bytes; i++) {
      body[i] = (byte) ('a' + r.nextInt(26));
    }
    return new Payload() {
      @Override
      public int bytes() {
        return bytes;
      }

      @Override
      public void write(ByteBuf out, long tag, long nowNanos) {
        out.writeBytes(body);
      }
    };
  }

  /** A {@link Stamp} line carrying the tag and the send time, for end-to-end latency. */
  static Payload stamped(int bytes) {
    if (bytes < Stamp.BYTES_MIN) {
      throw new IllegalArgumentException("stamped payloads need at least " + Stamp.BYTES_MIN + " bytes");
    }
    return new Payload() {
      @Override
      public int bytes() {
        return bytes;
      }

      @Override
      public void write(ByteBuf out, long tag, long nowNanos) {
        Stamp.write(out, tag, Stamp.nowNanos(), bytes);
      }
    };
  }
}
