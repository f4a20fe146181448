package io.tributary.service;

/** The answer to a create, append, close or delete, in protocol terms. Immutable. */
public record WriteResult(
    Status status,
    long tail,
    boolean closed,
    String contentType,
    long producerEpoch,
    long producerSeq,
    long expectedSeq,
    long receivedSeq,
    String reason) {

  /** Outcomes a write can have; the http layer maps each to one status code. */
  public enum Status {
    CREATED, EXISTS, APPENDED, DUPLICATE, CLOSED, DELETED,
    NOT_FOUND, GONE, CONFLICT, CONFLICT_CLOSED, CONFLICT_CONTENT_TYPE, CONFLICT_SEQ,
    PRODUCER_STALE_EPOCH, PRODUCER_BAD_EPOCH, PRODUCER_GAP, PRECONDITION_FAILED, BAD_REQUEST
  }

  static WriteResult of(Status s, String reason) {
    return new WriteResult(s, -1, false, null, -1, -1, -1, -1, reason);
  }
}
