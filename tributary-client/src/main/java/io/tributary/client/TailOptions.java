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
 * @param sseIdleMax        an SSE response that brings no byte for this long (the server sends a
 *                          keep-alive comment every {@code sse-keepalive-ms}, 15 s by default) is
 *                          taken for a dead connection (a node that vanished without closing it, a
 *                          proxy that dropped it) and the tail reconnects from its offset
 */
public record TailOptions(Mode mode, Duration reconnectDeadline, Duration longPollWaitMax, Duration sseIdleMax) {
  /** How live data arrives. */
  public enum Mode {
    /** Server-Sent Events; a long-poll round stands in whenever an SSE response cannot be opened. */
    SSE,
    /** Long-poll only (for proxies that buffer event streams). */
    LONG_POLL
  }

  public static TailOptions sse() {
    return new TailOptions(Mode.SSE, Duration.ofSeconds(60), Duration.ofSeconds(90), Duration.ofSeconds(45));
  }

  public static TailOptions longPoll() {
    return new TailOptions(Mode.LONG_POLL, Duration.ofSeconds(60), Duration.ofSeconds(90), Duration.ofSeconds(45));
  }

  public TailOptions withReconnectDeadline(Duration value) {
    return new TailOptions(mode, value, longPollWaitMax, sseIdleMax);
  }

  public TailOptions withSseIdleMax(Duration value) {
    return new TailOptions(mode, reconnectDeadline, longPollWaitMax, value);
  }
}
