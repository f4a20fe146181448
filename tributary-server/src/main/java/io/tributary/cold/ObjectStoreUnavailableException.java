package io.tributary.cold;

/**
 * The store could not be reached or failed transiently (connection refused or reset, timeout,
 * HTTP 5xx, throttling, a local I/O error). A put or delete may or may not have happened. Try
 * again later; readers answer 503 with {@code Retry-After}.
 */
public final class ObjectStoreUnavailableException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  public ObjectStoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
