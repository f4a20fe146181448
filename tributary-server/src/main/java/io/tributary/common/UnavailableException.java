package io.tributary.common;

/**
 * A request could not be served now but may succeed later: a bound was reached, no leader is
 * known, or an outcome is unknown. Rendered as 503 with {@code Retry-After}.
 */
public final class UnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int retryAfterSeconds;

  public UnavailableException(String reason, int retryAfterSeconds) {
    super(reason, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
