package io.tributary.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Minimal binary encoding for commands, results and snapshots (big endian, length-prefixed strings). */
final class Wire {
  private Wire() {}

  /** Growable output buffer. Single-threaded. */
  static final class Out {
    private byte[] buf;
    private int len;

    Out(int initial) {
      buf = new byte[Math.max(16, initial)];
    }

    private void ensure(int n) {
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
      }
    }

    Out u8(int v) {
      ensure(1);
      buf[len++] = (byte) v;
      return this;
    }

    Out bool(boolean v) {
      return u8(v ? 1 : 0);
    }

    Out i32(int v) {
      ensure(4);
      buf[len++] = (byte) (v >>> 24);
      buf[len++] = (byte) (v >>> 16);
      buf[len++] = (byte) (v >>> 8);
      buf[len++] = (byte) v;
      return this;
    }

    Out i64(long v) {
      i32((int) (v >>> 32));
      return i32((int) v);
    }

    Out bytes(byte[] b) {
      i32(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
      return this;
    }

    /** Nullable string. */
    Out str(String s) {
      if (s == null) {
        return i32(-1);
      }
      return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, len);
    }

    int size() {
      return len;
    }
  }

  /** Reader over a buffer; throws {@link IllegalStateException} on malformed input. */
  static final class In {
    private final ByteBuffer b;

    In(ByteBuffer b) {
      this.b = b;
    }

    int u8() {
      return b.get() & 0xff;
    }

    boolean bool() {
      return u8() != 0;
    }

    int i32() {
      return b.getInt();
    }

    long i64() {
      return b.getLong();
    }

    byte[] bytes() {
      int n = b.getInt();
      if (n < 0 || n > b.remaining()) {
        throw new IllegalStateException("bad length " + n);
      }
      byte[] out = new byte[n];
      b.get(out);
      return out;
    }

    String str() {
      int n = b.getInt();
      if (n == -1) {
        return null;
      }
      if (n < 0 || n > b.remaining()) {
        throw new IllegalStateException("bad string length " + n);
      }
      byte[] out = new byte[n];
      b.get(out);
      return new String(out, StandardCharsets.UTF_8);
    }

    boolean hasRemaining() {
      return b.hasRemaining();
    }
  }
}
