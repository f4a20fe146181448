package io.tributary.common;

/**
 * A write was refused because the node's data directory is short of space (or cannot be
 * written). Rendered as 507 Insufficient Storage with {@code Retry-After}; the node admits writes
 * again by itself once space returns. Nothing of the refused write was submitted.
 */
public final class InsufficientStorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int retryAfterSeconds;

  public InsufficientStorageException(String reason, int retryAfterSeconds) {
    super(reason, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
