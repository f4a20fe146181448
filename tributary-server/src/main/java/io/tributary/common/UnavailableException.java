package io.tributary.common;

/**
 * A request could not be served now but may succeed later: a bound was reached, no leader is
 * known, or an outcome is unknown. Rendered as 503 with {@code Retry-After}.
 */
public final class UnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int retryAfterSeconds;
  private final String notSubmitted;

  public UnavailableException(String reason, int retryAfterSeconds) {
    this(reason, retryAfterSeconds, null);
  }

  /**
   * @param notSubmitted why the request was refused before anything was submitted (the
   *     {@code Tributary-Unavailable} value: no-leader, overloaded), or null when its outcome is unknown
   */
  public UnavailableException(String reason, int retryAfterSeconds, String notSubmitted) {
    super(reason, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
    this.notSubmitted = notSubmitted;
  }

  /** The {@code Tributary-Unavailable} value, or null. */
  public String notSubmitted() {
    return notSubmitted;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
