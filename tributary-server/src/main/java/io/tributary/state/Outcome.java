package io.tributary.state;

import io.tributary.common.StreamKey;

/**
 * The result of applying one {@link Command}: a code plus the facts a response needs. Immutable;
 * travels back to the submitter in the Raft reply (encoded by {@link CommandCodec}).
 *
 * <p>{@code start} is where the command's data began in the stream (for a duplicate of the
 * producer's latest seq: where the original began), {@code -1} when not applicable;
 * {@code digest}/{@code retainedFrom} describe a stream's application snapshot and retention
 * floor; {@code ends} holds one end offset per append of a transaction.
 */
public record Outcome(
    Code code,
    long tail,
    boolean closed,
    long producerEpoch,
    long producerSeq,
    long expectedSeq,
    long receivedSeq,
    long streamId,
    String contentType,
    long ttlSeconds,
    String expiresAt,
    long expiresAtMillis,
    StreamKey releaseKey,
    long releaseStreamId,
    String releasePinId,
    String message,
    long start,
    String digest,
    long retainedFrom,
    long[] ends) {

  /** What happened. */
  public enum Code {
    CREATED, EXISTS, APPENDED, BUCKET_CREATED, BUCKET_EXISTS, BUCKET_DELETED, DUPLICATE, CLOSED, DELETED, TOUCHED, PINNED, UNPINNED,
    NOT_FOUND, GONE, CONFLICT, CONFLICT_CLOSED, CONFLICT_CONTENT_TYPE, CONFLICT_SEQ,
    PRODUCER_STALE_EPOCH, PRODUCER_BAD_EPOCH, PRODUCER_GAP, PRECONDITION_FAILED, BAD_REQUEST,
    SNAPSHOT_PUBLISHED, RETENTION_SET, ATTRS_SET, COMMITTED, BELOW_RETENTION,
    COLD_PUBLISHED, COLD_IGNORED, COLD_COLLECTED,
    // appended: replies carry the ordinal
    UPLOAD_EXPIRED, NOP,
    /** A bound of client-grown state (producers per stream, ...) is reached; the message names it. */
    LIMIT_REACHED
  }

  public static Outcome of(Code code, String message) {
    return new Outcome(code, -1, false, -1, -1, -1, -1, -1, null, -1, null, -1, null, -1, null, message, -1, null, -1,
        null);
  }

  public static Outcome tail(Code code, long tail, boolean closed) {
    return new Outcome(code, tail, closed, -1, -1, -1, -1, -1, null, -1, null, -1, null, -1, null, null, -1, null, -1,
        null);
  }

  Outcome withProducer(long epoch, long seq) {
    return new Outcome(code, tail, closed, epoch, seq, expectedSeq, receivedSeq, streamId, contentType, ttlSeconds,
        expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message, start, digest, retainedFrom,
        ends);
  }

  Outcome withSeqs(long expected, long received) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expected, received, streamId, contentType,
        ttlSeconds, expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message, start, digest,
        retainedFrom, ends);
  }

  Outcome withStream(long id, String ct, long ttl, String exp, long expMs) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, id, ct, ttl, exp,
        expMs, releaseKey, releaseStreamId, releasePinId, message, start, digest, retainedFrom, ends);
  }

  Outcome withMessage(String m) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, streamId, contentType,
        ttlSeconds, expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, m, start, digest,
        retainedFrom, ends);
  }

  Outcome withStart(long s) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, streamId, contentType,
        ttlSeconds, expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message, s, digest,
        retainedFrom, ends);
  }

  Outcome withSnapshot(long snapshotOffset, String d, long floor) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, streamId, contentType,
        ttlSeconds, expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message, snapshotOffset, d,
        floor, ends);
  }

  Outcome withEnds(long[] e) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, streamId, contentType,
        ttlSeconds, expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message, start, digest,
        retainedFrom, e);
  }

  /** This outcome plus an instruction to release {@code pinId} on {@code key}'s group. */
  public Outcome withRelease(StreamKey key, long streamId, String pinId) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, this.streamId,
        contentType, ttlSeconds, expiresAt, expiresAtMillis, key, streamId, pinId, message, start, digest,
        retainedFrom, ends);
  }

  /** A pin (or release) that the submitter must carry to another group, if any. */
  public boolean hasRelease() {
    return releasePinId != null;
  }
}
