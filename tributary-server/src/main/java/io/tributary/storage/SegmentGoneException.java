package io.tributary.storage;

/**
 * A read asked for a record in a segment this replica has dropped (its records were in the
 * object store and the hot budget was exceeded). Not corruption: the caller reads the range from
 * the cold tier instead, with a fresher view.
 */
public final class SegmentGoneException extends StorageException {
  private static final long serialVersionUID = 1L;

  public SegmentGoneException(String message) {
    super(message);
  }
}
