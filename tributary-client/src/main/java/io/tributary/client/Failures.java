package io.tributary.client;

import io.tributary.protocol.ErrorReason;
import io.tributary.protocol.Headers;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;

/**
 * Turns a failed exchange into the {@link TributaryException} a caller can act on. Whether a write
 * may have been applied decides between {@link TributaryException.NotSubmitted} and
 * {@link TributaryException.OutcomeUnknown}: {@link ErrorReason#outcome} for answers, and for
 * connections that failed, whether the request could have left this process (a refused or
 * timed-out connect could not).
 */
final class Failures {
  private static final int BODY_CHARS_MAX = 300;

  private Failures() {}

  /** The failure a non-2xx answer means; {@code write} says whether the request could change the stream. */
  static TributaryException of(String what, Response r, boolean write) {
    ErrorReason reason = ErrorReason.of(r.status(), r::header);
    String text = r.bodyText();
    String message = what + " via " + r.node() + ": " + r.status() + " "
        + (text.length() > BODY_CHARS_MAX ? text.substring(0, BODY_CHARS_MAX) + "..." : text).trim();
    return switch (reason) {
      case TOO_LARGE -> new TributaryException.TooLarge(message);
      case NOT_FOUND -> new TributaryException.NotFound(message);
      case GONE -> new TributaryException.Gone(message, r.header(Headers.STREAM_RETAINED_OFFSET),
          r.header(Headers.STREAM_SNAPSHOT_OFFSET), r.header(Headers.STREAM_SNAPSHOT_DIGEST));
      case STALE_EPOCH -> new TributaryException.Fenced(message, number(r.header(Headers.PRODUCER_EPOCH)));
      case SEQUENCE_GAP -> new TributaryException.SequenceGap(message, number(r.header(Headers.PRODUCER_EXPECTED_SEQ)),
          number(r.header(Headers.PRODUCER_RECEIVED_SEQ)));
      case STREAM_CLOSED -> new TributaryException.StreamClosed(message, r.header(Headers.STREAM_NEXT_OFFSET));
      case NO_LEADER, OVERLOADED, INSUFFICIENT_STORAGE, UNAVAILABLE, SERVER_ERROR, UNEXPECTED -> {
        long retryAfter = retryAfterMillis(r.header(Headers.RETRY_AFTER));
        yield write && reason.outcome() == ErrorReason.Outcome.UNKNOWN
            ? new TributaryException.OutcomeUnknown(message, reason, r.status(), retryAfter, null)
            : new TributaryException.NotSubmitted(message, reason, r.status(), retryAfter, null);
      }
      case BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, CONFLICT, PRECONDITION_FAILED ->
          new TributaryException.Rejected(message, reason, r.status());
    };
  }

  /** The failure a request that got no answer means. */
  static TributaryException of(String what, String node, IOException e, boolean write) {
    String message = what + " via " + node + ": no answer (" + e + ")";
    boolean neverSent = e instanceof ConnectException || e instanceof HttpConnectTimeoutException;
    return write && !neverSent
        ? new TributaryException.OutcomeUnknown(message, ErrorReason.UNAVAILABLE, 0, 0, e)
        : new TributaryException.NotSubmitted(message, ErrorReason.UNAVAILABLE, 0, 0, e);
  }

  /** True if the same request may succeed when sent again, possibly to another node. */
  static boolean transientFailure(TributaryException e) {
    return e instanceof TributaryException.NotSubmitted || e instanceof TributaryException.OutcomeUnknown;
  }

  private static long retryAfterMillis(String value) {
    if (value == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(value.trim())) * 1000;
    } catch (NumberFormatException e) {
      return 0; // an HTTP date: the SDK's own backoff applies
    }
  }

  private static long number(String value) {
    try {
      return value == null ? -1 : Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
