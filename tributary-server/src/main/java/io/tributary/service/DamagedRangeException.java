package io.tributary.service;

/**
 * A read reached stream bytes whose local copy failed its checksum. Never answered with the
 * damaged bytes: while a repair from a healthy peer runs ({@link #repairing}) it is a 503 with
 * {@code Retry-After} (the same read succeeds once the record is restored, or at another replica);
 * on a node with no peer to repair from it is a 500 naming the damaged range, so an operator can
 * act (see docs/operations.md, "Corruption"). Reads of other ranges are unaffected.
 */
public final class DamagedRangeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean repairing;

  DamagedRangeException(String reason, boolean repairing) {
    super(reason, null, false, false);
    this.repairing = repairing;
  }

  /** True when a repair from a peer is under way, so a retry may succeed. */
  public boolean repairing() {
    return repairing;
  }

  /** Seconds a client should wait before retrying while a repair runs. */
  public int retryAfterSeconds() {
    return 1;
  }
}
