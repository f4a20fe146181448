package io.tributary.client;

import io.tributary.protocol.ErrorReason;

/**
 * Every failure the SDK reports, one subtype per thing a caller can do about it:
 *
 * <ul>
 *   <li>{@link NotSubmitted}: nothing happened on the server (refused before submission, the node
 *       could not be reached, or a read failed); the same request is safe to send again, after
 *       {@link #retryAfterMillis}.
 *   <li>{@link OutcomeUnknown}: a write may or may not have been applied (503, a reset or timed-out
 *       connection); retry it only with the same producer triple, which the server deduplicates
 *       ({@link Producer} does exactly that for you).
 *   <li>{@link TooLarge} (413), {@link Gone} (410, with the snapshot to bootstrap from),
 *       {@link Fenced} (403, a newer epoch of this producer id exists), {@link SequenceGap} (409),
 *       {@link StreamClosed} (409), {@link NotFound} (404).
 *   <li>{@link Rejected}: any other refusal (400, 401, 403, 409 conflict, 412); {@link #reason} says which.
 * </ul>
 *
 * <p>Unchecked, so it can travel through {@link java.util.concurrent.CompletableFuture}s and
 * {@link java.util.concurrent.Flow} subscribers; switch over the sealed hierarchy to handle it.
 */
public abstract sealed class TributaryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorReason reason;
  private final int status;
  private final long retryAfterMillis;

  TributaryException(String message, ErrorReason reason, int status, long retryAfterMillis, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.status = status;
    this.retryAfterMillis = retryAfterMillis;
  }

  /** Why, in the protocol's terms ({@link ErrorReason#UNAVAILABLE} for a node that did not answer). */
  public ErrorReason reason() {
    return reason;
  }

  /** The HTTP status, or 0 when no response arrived. */
  public int status() {
    return status;
  }

  /** The server's {@code Retry-After} in milliseconds, or 0 when it sent none. */
  public long retryAfterMillis() {
    return retryAfterMillis;
  }

  /** Nothing was applied: safe to send the same request again. */
  public static final class NotSubmitted extends TributaryException {
    private static final long serialVersionUID = 1L;

    NotSubmitted(String message, ErrorReason reason, int status, long retryAfterMillis, Throwable cause) {
      super(message, reason, status, retryAfterMillis, cause);
    }
  }

  /** The write may have been applied: retry with the same producer triple (never without one). */
  public static final class OutcomeUnknown extends TributaryException {
    private static final long serialVersionUID = 1L;

    OutcomeUnknown(String message, ErrorReason reason, int status, long retryAfterMillis, Throwable cause) {
      super(message, reason, status, retryAfterMillis, cause);
    }
  }

  /** 413: the body or batch is over the server's bound; split it. */
  public static final class TooLarge extends TributaryException {
    private static final long serialVersionUID = 1L;

    TooLarge(String message) {
      super(message, ErrorReason.TOO_LARGE, 413, 0, null);
    }
  }

  /** 404: no such stream. */
  public static final class NotFound extends TributaryException {
    private static final long serialVersionUID = 1L;

    NotFound(String message) {
      super(message, ErrorReason.NOT_FOUND, 404, 0, null);
    }
  }

  /**
   * 410: the stream was deleted, or the offset read is below the retention floor. In the second
   * case {@link #snapshotOffset} names the snapshot to bootstrap from ({@link StreamHandle#bootstrap}).
   */
  public static final class Gone extends TributaryException {
    private static final long serialVersionUID = 1L;
    private final String retainedOffset;
    private final String snapshotOffset;
    private final String snapshotDigest;

    Gone(String message, String retainedOffset, String snapshotOffset, String snapshotDigest) {
      super(message, ErrorReason.GONE, 410, 0, null);
      this.retainedOffset = retainedOffset;
      this.snapshotOffset = snapshotOffset;
      this.snapshotDigest = snapshotDigest;
    }

    /** The retention floor (the first offset still readable), or null if the stream was deleted. */
    public String retainedOffset() {
      return retainedOffset;
    }

    /** The snapshot's offset, or null when there is none (a deleted stream). */
    public String snapshotOffset() {
      return snapshotOffset;
    }

    /** The snapshot's {@code sha256:<hex>} digest, or null. */
    public String snapshotDigest() {
      return snapshotDigest;
    }
  }

  /** 403 with {@code Producer-Epoch}: this producer was fenced by a newer epoch of its id. */
  public static final class Fenced extends TributaryException {
    private static final long serialVersionUID = 1L;
    private final long currentEpoch;

    Fenced(String message, long currentEpoch) {
      super(message, ErrorReason.STALE_EPOCH, 403, 0, null);
      this.currentEpoch = currentEpoch;
    }

    /** The epoch the server holds for this producer id (start a new producer above it to take over). */
    public long currentEpoch() {
      return currentEpoch;
    }
  }

  /** 409 with {@code Producer-Expected-Seq}: the server expected another sequence number. */
  public static final class SequenceGap extends TributaryException {
    private static final long serialVersionUID = 1L;
    private final long expectedSeq;
    private final long receivedSeq;

    SequenceGap(String message, long expectedSeq, long receivedSeq) {
      super(message, ErrorReason.SEQUENCE_GAP, 409, 0, null);
      this.expectedSeq = expectedSeq;
      this.receivedSeq = receivedSeq;
    }

    public long expectedSeq() {
      return expectedSeq;
    }

    public long receivedSeq() {
      return receivedSeq;
    }
  }

  /** 409 with {@code Stream-Closed}: the stream is closed; nothing more can be appended. */
  public static final class StreamClosed extends TributaryException {
    private static final long serialVersionUID = 1L;
    private final String finalOffset;

    StreamClosed(String message, String finalOffset) {
      super(message, ErrorReason.STREAM_CLOSED, 409, 0, null);
      this.finalOffset = finalOffset;
    }

    /** The closed stream's tail. */
    public String finalOffset() {
      return finalOffset;
    }
  }

  /** Any other refusal; {@link #reason} says which (bad request, credentials, conflict, precondition). */
  public static final class Rejected extends TributaryException {
    private static final long serialVersionUID = 1L;

    Rejected(String message, ErrorReason reason, int status) {
      super(message, reason, status, 0, null);
    }
  }
}
