package io.tributary.state;

import io.tributary.common.StreamKey;

/**
 * The result of applying one {@link Command}: a code plus the facts a response needs. Immutable;
 * travels back to the submitter in the Raft reply (encoded by {@link CommandCodec}).
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
    String message) {

  /** What happened. */
  public enum Code {
    CREATED, EXISTS, APPENDED, BUCKET_CREATED, BUCKET_EXISTS, BUCKET_DELETED, DUPLICATE, CLOSED, DELETED, TOUCHED, PINNED, UNPINNED,
    NOT_FOUND, GONE, CONFLICT, CONFLICT_CLOSED, CONFLICT_CONTENT_TYPE, CONFLICT_SEQ,
    PRODUCER_STALE_EPOCH, PRODUCER_BAD_EPOCH, PRODUCER_GAP, PRECONDITION_FAILED, BAD_REQUEST
  }

  public static Outcome of(Code code, String message) {
    return new Outcome(code, -1, false, -1, -1, -1, -1, -1, null, -1, null, -1, null, -1, null, message);
  }

  public static Outcome tail(Code code, long tail, boolean closed) {
    return new Outcome(code, tail, closed, -1, -1, -1, -1, -1, null, -1, null, -1, null, -1, null, null);
  }

  Outcome withProducer(long epoch, long seq) {
    return new Outcome(code, tail, closed, epoch, seq, expectedSeq, receivedSeq, streamId, contentType, ttlSeconds,
        expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message);
  }

  /** This outcome plus an instruction to release {@code pinId} on {@code key}'s group. */
  public Outcome withRelease(StreamKey key, long streamId, String pinId) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, this.streamId,
        contentType, ttlSeconds, expiresAt, expiresAtMillis, key, streamId, pinId, message);
  }

  /** A pin (or release) that the submitter must carry to another group, if any. */
  public boolean hasRelease() {
    return releasePinId != null;
  }
}
