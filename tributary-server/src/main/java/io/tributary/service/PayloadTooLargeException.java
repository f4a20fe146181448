package io.tributary.service;

/** A body or part of one over a configured bound: the protocol answers 413 with this reason. */
public final class PayloadTooLargeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PayloadTooLargeException(String reason) {
    super(reason, null, false, false);
  }
}
