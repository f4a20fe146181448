package io.tributary.cold;

/**
 * An object store operation failed. The subclass says what a caller can do about it; the message
 * names the store, the operation and the key.
 */
public abstract sealed class ObjectStoreException extends RuntimeException
    permits ObjectNotFoundException, ObjectStoreUnavailableException, ObjectStoreRejectedException {
  private static final long serialVersionUID = 1L;

  ObjectStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
