package io.tributary.protocol;

import java.util.function.Function;

/**
 * Why a request failed, as a client can act on it: derived from the status code and the protocol
 * headers the server sends with it (shared/protocol.md §16, docs/http-api.md "Errors"), never
 * from the body (error bodies are free text).
 *
 * <p>{@link #outcome} says whether the request may have taken effect, which is what decides how a
 * write is retried: {@link Outcome#NOT_APPLIED} can be retried as is, {@link Outcome#UNKNOWN}
 * only with the same producer triple (the server then deduplicates).
 */
public enum ErrorReason {
  /** 400: malformed request; retrying it unchanged fails the same way. */
  BAD_REQUEST(Outcome.NOT_APPLIED, false),
  /** 401: no or bad credentials. */
  UNAUTHORIZED(Outcome.NOT_APPLIED, false),
  /** 403 without {@code Producer-Epoch}: the credentials do not grant this. */
  FORBIDDEN(Outcome.NOT_APPLIED, false),
  /** 403 with {@code Producer-Epoch}: a newer epoch of this producer id fenced this one. */
  STALE_EPOCH(Outcome.NOT_APPLIED, false),
  /** 404: no such stream (or bucket). */
  NOT_FOUND(Outcome.NOT_APPLIED, false),
  /** 409 with {@code Stream-Closed}: the stream is closed. */
  STREAM_CLOSED(Outcome.NOT_APPLIED, false),
  /** 409 with {@code Producer-Expected-Seq}: the producer skipped a sequence number. */
  SEQUENCE_GAP(Outcome.NOT_APPLIED, false),
  /** Any other 409: different configuration, content type, {@code Stream-Seq} regression. */
  CONFLICT(Outcome.NOT_APPLIED, false),
  /** 410: deleted, or the offset is below the retention floor (bootstrap from the snapshot). */
  GONE(Outcome.NOT_APPLIED, false),
  /** 412: {@code If-Match}, {@code Stream-Incarnation} or {@code Stream-Snapshot-Match} did not hold. */
  PRECONDITION_FAILED(Outcome.NOT_APPLIED, false),
  /** 413: the body or the batch is over a server bound. */
  TOO_LARGE(Outcome.NOT_APPLIED, false),
  /** 429: a bound on buckets, streams or producers; refused before anything was submitted. */
  OVERLOADED(Outcome.NOT_APPLIED, true),
  /** 503 with {@code Tributary-Unavailable: no-leader}: no leader took the request in time; nothing was submitted. */
  NO_LEADER(Outcome.NOT_APPLIED, true),
  /** 503: an election, a timeout, a full queue; for a write the outcome is unknown. */
  UNAVAILABLE(Outcome.UNKNOWN, true),
  /** 507: the node is short of disk; nothing was submitted. */
  INSUFFICIENT_STORAGE(Outcome.NOT_APPLIED, true),
  /** Any other 5xx: the server failed; for a write the outcome is unknown. */
  SERVER_ERROR(Outcome.UNKNOWN, false),
  /** A status this vocabulary does not know. */
  UNEXPECTED(Outcome.UNKNOWN, false);

  /** Whether a failed request may have taken effect. */
  public enum Outcome {
    /** It did not: the same request may be sent again. */
    NOT_APPLIED,
    /** It may have: a write may be sent again only with the same producer triple. */
    UNKNOWN
  }

  private final Outcome outcome;
  private final boolean transientFailure;

  ErrorReason(Outcome outcome, boolean transientFailure) {
    this.outcome = outcome;
    this.transientFailure = transientFailure;
  }

  public Outcome outcome() {
    return outcome;
  }

  /** True if the same request may succeed later without any change (after {@code Retry-After}). */
  public boolean isTransient() {
    return transientFailure;
  }

  /**
   * The reason for a non-2xx/3xx {@code status}; {@code header} answers a response header by name
   * (null when absent).
   */
  public static ErrorReason of(int status, Function<String, String> header) {
    return switch (status) {
      case 400 -> BAD_REQUEST;
      case 401 -> UNAUTHORIZED;
      case 403 -> header.apply(Headers.PRODUCER_EPOCH) != null ? STALE_EPOCH : FORBIDDEN;
      case 404 -> NOT_FOUND;
      case 409 -> Headers.isTrue(header.apply(Headers.STREAM_CLOSED)) ? STREAM_CLOSED
          : header.apply(Headers.PRODUCER_EXPECTED_SEQ) != null ? SEQUENCE_GAP : CONFLICT;
      case 410 -> GONE;
      case 412 -> PRECONDITION_FAILED;
      case 413 -> TOO_LARGE;
      case 429 -> OVERLOADED;
      case 503 -> unavailable(header.apply(Headers.TRIBUTARY_UNAVAILABLE));
      case 507 -> INSUFFICIENT_STORAGE;
      default -> status >= 500 && status < 600 ? SERVER_ERROR : UNEXPECTED;
    };
  }

  private static ErrorReason unavailable(String why) {
    if (Headers.UNAVAILABLE_NO_LEADER.equals(why)) {
      return NO_LEADER;
    }
    // a full queue refused the write before submitting it: as safe to retry as a 429
    return Headers.UNAVAILABLE_OVERLOADED.equals(why) ? OVERLOADED : UNAVAILABLE;
  }
}
