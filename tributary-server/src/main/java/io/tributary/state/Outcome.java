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

  /**
   * What happened. Each code travels in Raft replies as its own fixed number ({@link #wire()}),
   * never as its position in this list: reordering or inserting a code must not change what an
   * older node reads. A new code takes the next unused number.
   */
  public enum Code {
    CREATED(0), EXISTS(1), APPENDED(2), BUCKET_CREATED(3), BUCKET_EXISTS(4), BUCKET_DELETED(5), DUPLICATE(6), CLOSED(7),
    DELETED(8), TOUCHED(9), PINNED(10), UNPINNED(11),
    NOT_FOUND(12), GONE(13), CONFLICT(14), CONFLICT_CLOSED(15), CONFLICT_CONTENT_TYPE(16), CONFLICT_SEQ(17),
    PRODUCER_STALE_EPOCH(18), PRODUCER_BAD_EPOCH(19), PRODUCER_GAP(20), PRECONDITION_FAILED(21), BAD_REQUEST(22),
    SNAPSHOT_PUBLISHED(23), RETENTION_SET(24), ATTRS_SET(25), COMMITTED(26), BELOW_RETENTION(27),
    COLD_PUBLISHED(28), COLD_IGNORED(29), COLD_COLLECTED(30),
    UPLOAD_EXPIRED(31), NOP(32),
    /** A bound of client-grown state (producers per stream, ...) is reached; the message names it. */
    LIMIT_REACHED(33),
    /** A node's feature level was recorded ({@link Command.AnnounceFeatures}). */
    FEATURES_RECORDED(34);

    private static final Code[] BY_WIRE = new Code[256];

    static {
      for (Code c : values()) {
        if (BY_WIRE[c.wire] != null) {
          throw new ExceptionInInitializerError("outcome wire code " + c.wire + " used twice");
        }
        BY_WIRE[c.wire] = c;
      }
    }

    private final int wire;

    Code(int wire) {
      this.wire = wire;
    }

    /** The code's number in Raft replies (0-255). */
    public int wire() {
      return wire;
    }

    /** The code with wire number {@code n}; {@link UnknownCommandException} for a number this build does not know. */
    public static Code fromWire(int n) {
      Code c = n >= 0 && n < BY_WIRE.length ? BY_WIRE[n] : null;
      if (c == null) {
        throw new UnknownCommandException("outcome code " + n);
      }
      return c;
    }
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

  Outcome withStreamId(long id) {
    return new Outcome(code, tail, closed, producerEpoch, producerSeq, expectedSeq, receivedSeq, id, contentType,
        ttlSeconds, expiresAt, expiresAtMillis, releaseKey, releaseStreamId, releasePinId, message, start, digest,
        retainedFrom, ends);
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
