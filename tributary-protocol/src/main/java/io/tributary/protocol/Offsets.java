package io.tributary.protocol;

/**
 * The wire form of offsets: {@code %016d_%016d}, read-sequence then byte position. The conformance
 * suite hard-codes this shape (all zeros = start, all nines = beyond any tail). Tributary always
 * mints read-sequence 0 and uses the second field as the byte position in the stream's data, so
 * offsets compare as strings exactly as their positions compare ({@link #compare}).
 *
 * <p>Clients treat offsets as opaque tokens (they only echo what the server handed out) but may
 * compare two of them, e.g. to drop a chunk a reconnect delivered twice.
 */
public final class Offsets {
  public static final int LENGTH = 33;
  /** Sentinel for "parse failed". */
  public static final long INVALID = -2;
  /** {@code -1}: the beginning of the stream. */
  public static final long BEGINNING = -1;
  /** The read sentinel for the beginning of the stream. */
  public static final String BEGINNING_TOKEN = "-1";
  /** The read sentinel for the current tail. */
  public static final String NOW_TOKEN = "now";

  private Offsets() {}

  /** The offset of byte position {@code bytePosition} (0 .. 10^16 - 1; the caller keeps it in range). */
  public static String format(long bytePosition) {
    char[] out = new char[LENGTH];
    for (int i = 0; i < 16; i++) {
      out[i] = '0';
    }
    out[16] = '_';
    long v = bytePosition;
    for (int i = LENGTH - 1; i > 16; i--) {
      out[i] = (char) ('0' + (v % 10));
      v /= 10;
    }
    return new String(out);
  }

  /**
   * Parses a well-formed offset (exactly {@code %016d_%016d}) into its byte position; returns
   * {@link #INVALID} for anything else. A non-zero read-sequence is accepted as syntax but yields
   * a position beyond any tail ({@link Long#MAX_VALUE}).
   */
  public static long parse(String s) {
    if (s == null || s.length() != LENGTH || s.charAt(16) != '_') {
      return INVALID;
    }
    long seq = 0;
    long pos = 0;
    for (int i = 0; i < LENGTH; i++) {
      if (i == 16) {
        continue;
      }
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return INVALID;
      }
      if (i < 16) {
        seq = seq * 10 + (c - '0');
      } else {
        pos = pos * 10 + (c - '0');
      }
    }
    return seq == 0 ? pos : Long.MAX_VALUE;
  }

  /** True for {@code -1}, {@code now} and well-formed offsets: what a read may start from. */
  public static boolean isReadable(String s) {
    return BEGINNING_TOKEN.equals(s) || NOW_TOKEN.equals(s) || parse(s) != INVALID;
  }

  /**
   * Orders two offsets; {@code -1} sorts before every offset. Throws for anything else (including
   * {@code now}, which names no fixed position).
   */
  public static int compare(String a, String b) {
    return Long.compare(position(a), position(b));
  }

  private static long position(String s) {
    if (BEGINNING_TOKEN.equals(s)) {
      return BEGINNING;
    }
    long p = parse(s);
    if (p == INVALID) {
      throw new IllegalArgumentException("not an offset: '" + s + "'");
    }
    return p;
  }
}
