package io.tributary.cold;

/** The key does not exist in the store (a definite answer, not a failure to ask). */
public final class ObjectNotFoundException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  public ObjectNotFoundException(String message) {
    super(message, null);
  }
}
