package io.tributary.service;

/**
 * A catch-up read: the stream's bytes from the requested offset to {@code next} (framed JSON
 * messages for JSON streams), and whether {@code next} is the tail. Immutable.
 */
public record ReadResult(Status status, StreamInfo info, byte[] data, long from, long next, boolean upToDate,
    String reason) {

  /** Read outcomes. */
  public enum Status { OK, NOT_FOUND, GONE, BAD_OFFSET }

  static ReadResult of(Status s, String reason) {
    return new ReadResult(s, null, null, -1, -1, false, reason);
  }

  /** True when the stream is closed and this read reached its final offset. */
  public boolean closedAtEnd() {
    return info != null && info.closed() && upToDate;
  }
}
