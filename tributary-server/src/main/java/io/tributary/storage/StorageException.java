package io.tributary.storage;

/** Disk I/O failed or stored bytes failed their checksum; the message names file and position. */
public class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageException(String message) {
    super(message);
  }
}
