package io.tributary.common;

/**
 * The wire form of offsets: {@code %016d_%016d}, read-sequence then byte position. The conformance
 * suite hard-codes this shape (all zeros = start, all nines = beyond any tail). Tributary always
 * mints read-sequence 0 and uses the second field as the byte position in the stream's data.
 * The codec itself is {@link io.tributary.protocol.Offsets}, shared with the Java SDK.
 */
public final class Offsets {
  public static final int LENGTH = io.tributary.protocol.Offsets.LENGTH;
  /** Sentinel for "parse failed". */
  public static final long INVALID = io.tributary.protocol.Offsets.INVALID;
  /** {@code -1}: the beginning of the stream. */
  public static final long BEGINNING = io.tributary.protocol.Offsets.BEGINNING;

  private Offsets() {}

  public static String format(long bytePosition) {
    return io.tributary.protocol.Offsets.format(bytePosition);
  }

  /**
   * Parses a well-formed offset (exactly {@code %016d_%016d}) into its byte position; returns
   * {@link #INVALID} for anything else. A non-zero read-sequence is accepted as syntax but yields
   * a position beyond any tail, so callers answer it with 400 like any offset past the tail.
   */
  public static long parse(String s) {
    return io.tributary.protocol.Offsets.parse(s);
  }
}
