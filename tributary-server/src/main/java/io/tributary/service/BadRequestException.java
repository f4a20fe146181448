package io.tributary.service;

/** Input the protocol rejects with 400; the message is the reason shown to the client. */
public final class BadRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadRequestException(String reason) {
    super(reason, null, false, false);
  }
}
