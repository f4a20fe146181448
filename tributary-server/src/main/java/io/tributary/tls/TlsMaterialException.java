package io.tributary.tls;

/**
 * A certificate or key file that cannot serve: unreadable PEM, no certificate, an encrypted or
 * unsupported key, a key that does not belong to the certificate, a chain out of order, or a
 * certificate outside its validity. The message names the file and the problem, never key bytes.
 */
public final class TlsMaterialException extends Exception {
  private static final long serialVersionUID = 1L;

  public TlsMaterialException(String message) {
    super(message);
  }

  public TlsMaterialException(String message, Throwable cause) {
    super(message, cause);
  }
}
