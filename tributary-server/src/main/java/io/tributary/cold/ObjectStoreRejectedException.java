package io.tributary.cold;

/**
 * The store answered and refused the request (access denied, no such bucket, wrong region, an
 * invalid request, or a key that conflicts with a directory in a directory store). Retrying does
 * not help until the configuration is fixed.
 */
public final class ObjectStoreRejectedException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  public ObjectStoreRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
