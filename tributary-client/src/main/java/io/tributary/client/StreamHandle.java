package io.tributary.client;

import io.tributary.protocol.Headers;
import io.tributary.protocol.Offsets;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * One stream: create, append, read, head, delete, close, and the entry points to its
 * {@link Producer}, {@link Tail} and {@link #bootstrap}. A handle is a name, not a connection:
 * cheap, immutable and thread-safe.
 *
 * <p>Retries: create, read, head and delete are idempotent, so they retry transient failures
 * (node down, no leader, 503, 429) across nodes until the client's retry deadline, then throw the
 * last failure. A plain {@link #append} carries no producer triple, so it is retried only when
 * nothing was submitted; an unknown outcome is thrown as {@link TributaryException.OutcomeUnknown}
 * (use a {@link Producer} for exactly-once appends).
 */
public final class StreamHandle {
  private static final String HEX = "0123456789ABCDEF";

  private final Transport transport;
  private final String path;
  private final Duration retryDeadline;

  StreamHandle(Transport transport, String path, Duration retryDeadline) {
    this.transport = transport;
    this.path = path;
    this.retryDeadline = retryDeadline;
  }

  /** The request path of the stream ({@code /v1/stream/chat}). */
  public String path() {
    return path;
  }

  /** Creates the stream; true if it was created now, false if it existed with the same options (409 otherwise). */
  public boolean create(CreateOptions options) throws InterruptedException {
    return retrying("PUT " + path, true, node -> {
      HttpRequest.Builder b = transport.request(node, path).header("Content-Type", options.contentType());
      if (options.ttl() != null) {
        b.header(Headers.STREAM_TTL, Long.toString(options.ttl().toSeconds()));
      }
      if (options.expiresAt() != null) {
        b.header(Headers.STREAM_EXPIRES_AT, DateTimeFormatter.ISO_INSTANT.format(options.expiresAt()));
      }
      if (options.closed()) {
        b.header(Headers.STREAM_CLOSED, Headers.TRUE);
      }
      Response r = transport.send(node, b.PUT(HttpRequest.BodyPublishers.noBody()).build());
      expect(r, "PUT " + path, true, 200, 201);
      return r.status() == 201;
    });
  }

  /** Appends one message (at most once: see the class comment); returns the stream's new tail. */
  public String append(String contentType, byte[] body) throws InterruptedException {
    Objects.requireNonNull(contentType, "contentType");
    return attempt("POST " + path, node -> {
      Response r = transport.send(node, transport.request(node, path).header("Content-Type", contentType)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
      expect(r, "POST " + path, true, 200, 204);
      return r.header(Headers.STREAM_NEXT_OFFSET);
    });
  }

  /** {@link #append(String, byte[])} of UTF-8 text. */
  public String append(String contentType, String text) throws InterruptedException {
    return append(contentType, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Catch-up read from {@code offset} ({@code -1} = the beginning, {@code now}, or an offset the server handed out). */
  public Chunk read(String offset) throws InterruptedException {
    requireReadable(offset);
    String what = "GET " + path + "?offset=" + offset;
    return retrying(what, false, node -> {
      Response r = transport.send(node, transport.request(node, path + "?offset=" + offset).GET().build());
      expect(r, what, false, 200);
      return chunk(offset, r);
    });
  }

  /** The stream's metadata. */
  public StreamInfo head() throws InterruptedException {
    return retrying("HEAD " + path, false, node -> {
      Response r = transport.send(node, transport.request(node, path).HEAD().build());
      expect(r, "HEAD " + path, false, 200);
      String ttl = r.header(Headers.STREAM_TTL);
      return new StreamInfo(r.header("Content-Type"), r.header(Headers.STREAM_NEXT_OFFSET),
          Headers.isTrue(r.header(Headers.STREAM_CLOSED)), ttl == null ? -1 : Long.parseLong(ttl),
          r.header(Headers.STREAM_EXPIRES_AT), r.header(Headers.STREAM_RETAINED_OFFSET),
          r.header(Headers.STREAM_SNAPSHOT_OFFSET), r.header(Headers.STREAM_INCARNATION));
    });
  }

  /**
   * Deletes the stream. A retry after an attempt with an unknown outcome that then finds no stream
   * counts as done (the first attempt deleted it).
   */
  public void delete() throws InterruptedException {
    boolean[] unknownBefore = {false};
    retrying("DELETE " + path, true, node -> {
      Response r = transport.send(node, transport.request(node, path).DELETE().build());
      if (r.status() == 404 && unknownBefore[0]) {
        return null;
      }
      try {
        expect(r, "DELETE " + path, true, 204);
      } catch (TributaryException.OutcomeUnknown e) {
        unknownBefore[0] = true;
        throw e;
      }
      return null;
    });
  }

  /** Closes the stream (no more appends; readers see the end); idempotent. Returns the final offset. */
  public String closeStream() throws InterruptedException {
    return retrying("POST " + path + " (close)", true, node -> {
      Response r = transport.send(node, transport.request(node, path).header(Headers.STREAM_CLOSED, Headers.TRUE)
          .POST(HttpRequest.BodyPublishers.noBody()).build());
      expect(r, "POST " + path + " (close)", true, 204);
      return r.header(Headers.STREAM_NEXT_OFFSET);
    });
  }

  /** An exactly-once producer appending to this stream (start one per writer; close it when done). */
  public Producer producer(ProducerOptions options) {
    return new Producer(transport, path, options, retryDeadline);
  }

  /** Follows the stream from {@code offset} (see {@link Tail}); close it when done. */
  public Tail tail(String offset, TailOptions options) {
    requireReadable(offset);
    return new Tail(transport, path, offset, options);
  }

  /** {@link #tail} as a {@link java.util.concurrent.Flow.Publisher}: each subscriber gets its own tail from {@code offset}. */
  public TailPublisher publisher(String offset, TailOptions options) {
    requireReadable(offset);
    return new TailPublisher(this, offset, options);
  }

  /**
   * The latest snapshot and the retained messages after it ({@code GET {s}/$bootstrap}); read on
   * (or {@link #tail}) from its {@link Bootstrap#nextOffset}.
   */
  public Bootstrap bootstrap() throws InterruptedException {
    String p = path + "/" + Headers.EXT_BOOTSTRAP;
    return retrying("GET " + p, false, node -> {
      Response r = transport.send(node, transport.request(node, p).GET().build());
      expect(r, "GET " + p, false, 200);
      return Bootstrap.parse(r);
    });
  }

  /**
   * Publishes an application snapshot covering the stream up to {@code offset} (a message boundary
   * the server handed out); readers that fall below the retention floor {@link #bootstrap} from it.
   */
  public void publishSnapshot(String offset, String contentType, byte[] blob) throws InterruptedException {
    String p = path + "/" + Headers.EXT_SNAPSHOT + "/" + offset;
    requireOffset(offset);
    retrying("PUT " + p, true, node -> {
      Response r = transport.send(node, transport.request(node, p).header("Content-Type", contentType)
          .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build());
      expect(r, "PUT " + p, true, 204);
      return null;
    });
  }

  /** Moves the retention floor to {@code offset} (at most the latest snapshot's): the bytes below may be released. */
  public void retainFrom(String offset) throws InterruptedException {
    String p = path + "/" + Headers.EXT_RETENTION + "/" + offset;
    requireOffset(offset);
    retrying("PUT " + p, true, node -> {
      Response r = transport.send(node, transport.request(node, p).PUT(HttpRequest.BodyPublishers.noBody()).build());
      expect(r, "PUT " + p, true, 204);
      return null;
    });
  }

  private static void requireOffset(String offset) {
    if (Offsets.parse(offset) == Offsets.INVALID) {
      throw new IllegalArgumentException("not an offset: '" + offset + "'");
    }
  }

  static Chunk chunk(String offset, Response r) {
    return new Chunk(offset, r.body(), r.header(Headers.STREAM_NEXT_OFFSET),
        Headers.isTrue(r.header(Headers.STREAM_UP_TO_DATE)), Headers.isTrue(r.header(Headers.STREAM_CLOSED)));
  }

  static void requireReadable(String offset) {
    if (!Offsets.isReadable(offset)) {
      throw new IllegalArgumentException("not an offset to read from: '" + offset + "' (use -1, now, or an offset"
          + " the server handed out)");
    }
  }

  /** Throws the typed failure unless the status is one of {@code ok}. */
  static void expect(Response r, String what, boolean write, int... ok) {
    for (int s : ok) {
      if (r.status() == s) {
        return;
      }
    }
    throw Failures.of(what, r, write);
  }

  /** One request to one node. */
  interface Call<T> {
    T run(String node) throws IOException, InterruptedException;
  }

  private <T> T retrying(String what, boolean write, Call<T> call) throws InterruptedException {
    return retrying(transport, retryDeadline, what, write, call);
  }

  /** {@code call}, retried on transient failures across nodes until the retry deadline. */
  static <T> T retrying(Transport transport, Duration retryDeadline, String what, boolean write, Call<T> call)
      throws InterruptedException {
    return retrying(transport, retryDeadline, what, write, call, Failures::transientFailure);
  }

  /** {@code call}, retried only while nothing was submitted. */
  private <T> T attempt(String what, Call<T> call) throws InterruptedException {
    return retrying(transport, retryDeadline, what, true, call, e -> e instanceof TributaryException.NotSubmitted);
  }

  /**
   * {@code call} on the transport's current node, again (on whichever node is current then, after a
   * backoff) while its failure is {@code retryable} and the retry deadline has not passed.
   */
  private static <T> T retrying(Transport transport, Duration retryDeadline, String what, boolean write, Call<T> call,
      java.util.function.Predicate<TributaryException> retryable) throws InterruptedException {
    long deadline = System.nanoTime() + retryDeadline.toNanos();
    Backoff backoff = new Backoff();
    while (true) {
      String node = transport.node();
      TributaryException last;
      try {
        return call.run(node);
      } catch (TributaryException e) {
        if (!retryable.test(e)) {
          throw e;
        }
        last = e;
      } catch (IOException e) {
        last = Failures.of(what, node, e, write);
        if (!retryable.test(last)) {
          transport.failed(node);
          throw last;
        }
      }
      transport.failed(node);
      if (System.nanoTime() - deadline > 0) {
        throw last;
      }
      backoff.pause(last);
    }
  }

  /** Percent-encodes each {@code /}-separated segment (RFC 3986 unreserved characters stay). */
  static String encodePath(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("empty stream path");
    }
    StringBuilder sb = new StringBuilder();
    for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/@".indexOf(c) >= 0) {
        sb.append(c);
      } else {
        sb.append('%').append(HEX.charAt((b >> 4) & 0xf)).append(HEX.charAt(b & 0xf));
      }
    }
    return sb.toString();
  }
}
