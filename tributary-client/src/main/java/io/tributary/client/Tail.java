package io.tributary.client;

import io.tributary.protocol.ErrorReason;
import io.tributary.protocol.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows a stream from an offset: every byte after it, once, in order, across disconnects, node
 * failures and the server ending SSE responses ({@code sse-connection-max-ms}).
 *
 * <p><b>How it resumes.</b> The tail remembers the offset it has delivered up to and the last
 * {@code Stream-Cursor}. SSE data is delivered only once the control event after it names where it
 * ends, so a connection lost between the two drops that data and the next connection (to the same
 * node, or the next one when this one fails) asks again from the remembered offset and cursor:
 * nothing is skipped or repeated. Long-poll responses carry both in their headers.
 *
 * <p><b>Bytes.</b> Binary streams arrive base64-encoded over SSE and decode exactly; a text
 * stream's lines arrive as SSE {@code data:} lines, so CR and CRLF come back as LF (use long-poll
 * when a text stream's bytes must be exact).
 *
 * <p><b>Fallback.</b> In {@link TailOptions.Mode#SSE} mode, when an SSE response cannot be opened
 * for a transient reason (say, the node's SSE subscriber bound), one long-poll round stands in
 * before SSE is tried again.
 *
 * <p><b>Giving up.</b> Transient failures (a node down, 503) are retried across nodes until
 * {@link TailOptions#reconnectDeadline} passes without a successful response; others (404, 410
 * below the retention floor, 401) are thrown at once: a {@link TributaryException.Gone} says to
 * {@link StreamHandle#bootstrap}.
 *
 * <p>Threads: {@link #next} runs on the caller's thread, which owns the tail's state; one thread at
 * a time. {@link #close} may be called from any thread and makes a blocked {@link #next} return null.
 */
public final class Tail implements AutoCloseable {
  private static final Pattern NEXT_OFFSET = Pattern.compile("\"streamNextOffset\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern CURSOR = Pattern.compile("\"streamCursor\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern UP_TO_DATE = Pattern.compile("\"upToDate\"\\s*:\\s*true");
  private static final Pattern RETRYABLE = Pattern.compile("\"retryable\"\\s*:\\s*true");
  private static final Pattern CLOSED = Pattern.compile("\"streamClosed\"\\s*:\\s*true");

  private final Transport transport;
  private final String path;
  private final TailOptions options;
  private final Backoff backoff = new Backoff();

  private String offset;
  private String cursor;
  private boolean upToDate;
  private boolean ended;
  private volatile boolean closed;
  /** The open SSE response (volatile: {@link #close} and the idle watchdog abort it from other threads). */
  private volatile SseEvents events;
  /** Checks the open SSE response for silence (null while none is open). */
  private java.util.concurrent.ScheduledFuture<?> watchdog;
  /** Responses the idle watchdog aborted (for tests and metrics). */
  private volatile long idleAborts;
  private boolean base64;
  /** The node of the current or last connection (volatile: read by monitoring threads). */
  private volatile String node;
  private boolean fallBackOnce;
  private long lastSuccessNanos = System.nanoTime();
  private TributaryException lastFailure;
  /** Single writer (the reading thread), read by anyone. */
  private volatile long reconnects;
  private volatile long sseConnections;

  Tail(Transport transport, String path, String offset, TailOptions options) {
    this.transport = transport;
    this.path = path;
    this.offset = offset;
    this.options = options;
  }

  /**
   * The next chunk with data, or the end-of-stream chunk ({@link Chunk#closed}, maybe empty) once
   * the stream is closed and everything was delivered; null after that, or once {@link #close}d.
   */
  public Chunk next() throws InterruptedException {
    while (!ended && !closed) {
      Chunk c;
      try {
        c = options.mode() == TailOptions.Mode.LONG_POLL || fallBackOnce ? longPoll() : sse();
      } catch (TributaryException e) {
        if (!Failures.transientFailure(e)) {
          throw e;
        }
        failed(e);
        continue;
      } catch (IOException e) {
        if (closed) {
          return null; // close() aborted the response we were reading
        }
        failed(Failures.of("tail " + path, node, e, false));
        continue;
      }
      if (c != null && (c.closed() || !c.isEmpty())) {
        ended = c.closed();
        return c;
      }
    }
    return null;
  }

  /** The offset delivered up to: where the next chunk starts. */
  public String offset() {
    return offset;
  }

  /** The last {@code Stream-Cursor}, or null. */
  public String cursor() {
    return cursor;
  }

  /** True if the last response reached the tail. */
  public boolean upToDate() {
    return upToDate;
  }

  /** The base URL of the node the tail reads from now (or last did). */
  public String node() {
    return node;
  }

  /** How many SSE responses the idle watchdog aborted as dead ({@link TailOptions#sseIdleMax}). */
  public long idleAborts() {
    return idleAborts;
  }

  /**
   * Aborts {@code e} once it has been silent for {@link TailOptions#sseIdleMax}: the read it
   * blocks in fails, and {@link #next} reconnects from the delivered offset as after any failure.
   */
  private void watch(SseEvents e) {
    if (watchdog != null) {
      watchdog.cancel(false);
    }
    long idleMaxNanos = options.sseIdleMax().toNanos();
    long periodMillis = Math.max(50, options.sseIdleMax().toMillis() / 4);
    watchdog = WATCHDOG.scheduleWithFixedDelay(() -> {
      if (events != e) {
        throw new java.util.concurrent.CancellationException(); // replaced or closed: stop this check
      }
      if (e.idleNanos() > idleMaxNanos) {
        idleAborts++;
        e.close();
        throw new java.util.concurrent.CancellationException();
      }
    }, periodMillis, periodMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** One daemon thread checks every tail's SSE response for silence; it only closes streams. */
  private static final java.util.concurrent.ScheduledExecutorService WATCHDOG = java.util.concurrent.Executors
      .newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tributary-tail-watchdog");
        t.setDaemon(true);
        return t;
      });

  /** How many attempts failed and were retried (for tests and metrics). */
  public long reconnects() {
    return reconnects;
  }

  /** How many SSE responses were opened (a server ending one after {@code sse-connection-max-ms} adds one). */
  public long sseConnections() {
    return sseConnections;
  }

  @Override
  public void close() {
    closed = true;
    SseEvents e = events;
    if (e != null) {
      e.close();
    }
  }

  /** One step of SSE: opens a response if none is open, then reads events until one chunk is complete. */
  private Chunk sse() throws IOException, InterruptedException {
    if (events == null) {
      open();
      if (events == null) {
        return null; // fell back to long-poll for one round
      }
    }
    ByteArrayOutputStream data = null;
    while (true) {
      SseEvents.Event e = events.next();
      if (e == null) {
        events.close();
        events = null; // the server ended the response (or the node went away): reconnect from offset
        return null;
      }
      if (e.type().equals("data")) {
        if (data == null) {
          data = new ByteArrayOutputStream();
        }
        data.writeBytes(base64 ? Base64.getMimeDecoder().decode(e.data()) : e.data().getBytes(StandardCharsets.UTF_8));
      } else if (e.type().equals("error")) {
        events.close();
        events = null; // the server ends the response after this event; the data before it is dropped
        String what = "tail " + path + " via " + node + ": the server ended the response: " + e.data();
        if (RETRYABLE.matcher(e.data()).find()) {
          throw new TributaryException.NotSubmitted(what, ErrorReason.UNAVAILABLE, 200, 0, null);
        }
        throw new TributaryException.Rejected(what, ErrorReason.SERVER_ERROR, 200);
      } else if (e.type().equals("control")) {
        String from = offset;
        boolean end = control(e.data());
        if (data != null || end) {
          return new Chunk(from, data == null ? new byte[0] : data.toByteArray(), offset, upToDate, end);
        }
      }
    }
  }

  /** Applies a control event; returns true if it says the stream ended. */
  private boolean control(String json) {
    Matcher m = NEXT_OFFSET.matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("tail " + path + " via " + node + ": control event without streamNextOffset: "
          + json);
    }
    offset = m.group(1);
    Matcher c = CURSOR.matcher(json);
    if (c.find()) {
      cursor = c.group(1);
    }
    upToDate = UP_TO_DATE.matcher(json).find();
    return CLOSED.matcher(json).find();
  }

  private void open() throws IOException, InterruptedException {
    node = transport.node();
    String what = "GET " + path + " (SSE from " + offset + ")";
    HttpResponse<InputStream> r = transport.stream(transport.request(node, query(Headers.LIVE_SSE),
        transport.requestTimeout()).header("Accept", "text/event-stream").GET().build());
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (r.statusCode() != 200 || !type.startsWith("text/event-stream")) {
      byte[] body;
      try (InputStream in = r.body()) {
        body = in.readNBytes(4096);
      }
      TributaryException e = Failures.of(what, new Response(node, r.statusCode(), r.headers(), body), false);
      if (!Failures.transientFailure(e)) {
        throw e;
      }
      fallBackOnce = true;
      failed(e);
      return;
    }
    base64 = "base64".equalsIgnoreCase(r.headers().firstValue(Headers.STREAM_SSE_DATA_ENCODING).orElse(""));
    events = new SseEvents(r.body());
    watch(events);
    sseConnections++;
    if (closed) {
      events.close();
    }
    succeeded();
  }

  private Chunk longPoll() throws IOException, InterruptedException {
    fallBackOnce = false;
    node = transport.node();
    String what = "GET " + path + " (long-poll from " + offset + ")";
    Response r = transport.send(node, transport.request(node, query(Headers.LIVE_LONG_POLL), options.longPollWaitMax())
        .GET().build());
    if (r.status() != 200 && r.status() != 204) {
      throw Failures.of(what, r, false);
    }
    succeeded();
    String from = offset;
    String next = r.header(Headers.STREAM_NEXT_OFFSET);
    if (next != null) {
      offset = next;
    }
    String c = r.header(Headers.STREAM_CURSOR);
    if (c != null) {
      cursor = c;
    }
    upToDate = Headers.isTrue(r.header(Headers.STREAM_UP_TO_DATE));
    return new Chunk(from, r.status() == 200 ? r.body() : new byte[0], offset, upToDate,
        Headers.isTrue(r.header(Headers.STREAM_CLOSED)));
  }

  private String query(String live) {
    return path + "?" + Headers.QUERY_OFFSET + "=" + offset + "&" + Headers.QUERY_LIVE + "=" + live
        + (cursor == null ? "" : "&" + Headers.QUERY_CURSOR + "=" + cursor);
  }

  private void succeeded() {
    lastSuccessNanos = System.nanoTime();
    lastFailure = null;
    backoff.reset();
  }

  /** A failed attempt: move to the next node, give up after the reconnect deadline, else back off. */
  private void failed(TributaryException e) throws InterruptedException {
    SseEvents open = events;
    if (open != null) {
      open.close();
      events = null;
    }
    reconnects++;
    lastFailure = e;
    transport.failed(node);
    if (System.nanoTime() - lastSuccessNanos > options.reconnectDeadline().toNanos()) {
      throw lastFailure;
    }
    backoff.pause(e);
  }
}
