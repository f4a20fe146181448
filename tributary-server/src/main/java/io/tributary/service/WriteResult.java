package io.tributary.service;

/**
 * The answer to a write (create, append, close, delete, snapshot, retention, attributes,
 * transaction), in protocol terms. {@code start} is where an append's data began (-1 unknown);
 * {@code snapshotOffset}/{@code digest}/{@code retainedFrom} describe the stream's application
 * snapshot and retention floor after the write; {@code ends} holds a transaction's per-append
 * next offsets; {@code incarnation} is the stream's id after a successful write (and on a 412
 * when a stream is live), for {@code Stream-Incarnation}, else -1. Immutable.
 */
public record WriteResult(
    Status status,
    long tail,
    boolean closed,
    String contentType,
    long producerEpoch,
    long producerSeq,
    long expectedSeq,
    long receivedSeq,
    String reason,
    long start,
    long snapshotOffset,
    String digest,
    long retainedFrom,
    long[] ends,
    long incarnation) {

  /** Outcomes a write can have; the http layer maps each to one status code. */
  public enum Status {
    CREATED, EXISTS, APPENDED, DUPLICATE, CLOSED, DELETED,
    NOT_FOUND, GONE, CONFLICT, CONFLICT_CLOSED, CONFLICT_CONTENT_TYPE, CONFLICT_SEQ,
    PRODUCER_STALE_EPOCH, PRODUCER_BAD_EPOCH, PRODUCER_GAP, PRECONDITION_FAILED, BAD_REQUEST,
    SNAPSHOT_PUBLISHED, RETENTION_SET, ATTRS_SET, COMMITTED, BELOW_RETENTION,
    /** A bound of client-grown state is reached (429; the reason names the setting). */
    LIMIT_REACHED
  }

  static WriteResult of(Status s, String reason) {
    return new WriteResult(s, -1, false, null, -1, -1, -1, -1, reason, -1, -1, null, -1, null, -1);
  }
}
