package io.tributary.client;

import java.time.Duration;

/**
 * How a {@link Tail} follows a stream.
 *
 * @param mode              SSE (one long response, the default) or long-poll (one request per wait)
 * @param reconnectDeadline how long a tail keeps trying to reach some node after losing its
 *                          connection before it gives up with the last failure
 * @param longPollWaitMax   request timeout of one long-poll; must exceed the server's
 *                          {@code long-poll-timeout-ms} (30 s by default)
 */
public record TailOptions(Mode mode, Duration reconnectDeadline, Duration longPollWaitMax) {
  /** How live data arrives. */
  public enum Mode {
    /** Server-Sent Events; a long-poll round stands in whenever an SSE response cannot be opened. */
    SSE,
    /** Long-poll only (for proxies that buffer event streams). */
    LONG_POLL
  }

  public static TailOptions sse() {
    return new TailOptions(Mode.SSE, Duration.ofSeconds(60), Duration.ofSeconds(90));
  }

  public static TailOptions longPoll() {
    return new TailOptions(Mode.LONG_POLL, Duration.ofSeconds(60), Duration.ofSeconds(90));
  }

  public TailOptions withReconnectDeadline(Duration value) {
    return new TailOptions(mode, value, longPollWaitMax);
  }
}
