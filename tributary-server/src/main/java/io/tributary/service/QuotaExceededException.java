package io.tributary.service;

/**
 * A request was refused by a quota or a per-caller limit: the caller, not the node, is over its
 * share. Rendered as 429 with {@code Retry-After} and the reason; {@link #limit} names the setting
 * (sent as the {@code Tributary-Limit} header, for clients that must tell quotas apart). Nothing
 * of the refused request was submitted.
 */
public final class QuotaExceededException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String limit;
  private final int retryAfterSeconds;

  public QuotaExceededException(String limit, String reason, int retryAfterSeconds) {
    super(reason, null, false, false);
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The setting whose bound was reached, e.g. {@code bucket-quota-bytes-max}. */
  public String limit() {
    return limit;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
