package io.tributary.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A minimal blocking Durable Streams client for tests that talk to a {@link ServerProcess} over
 * real sockets: create, append (optionally as an idempotent producer) and catch-up reads that
 * follow {@code Stream-Next-Offset} to the tail. HTTP/1.1 only (no h2c upgrade attempts), every
 * request with a deadline. Thread-safe; {@link #close} ends the underlying client.
 */
public final class StreamClient implements AutoCloseable {
  /** Stream URLs are {@code <baseUrl>/v1/stream/<name>}. */
  public static final String STREAM_ROOT = "/v1/stream/";

  private final HttpClient http;
  private final Duration requestTimeout;

  public StreamClient(Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** An idempotent producer's identity and the sequence number of one append. */
  public record Producer(String id, long epoch, long seq) {}

  /** One catch-up response. */
  public record Chunk(int status, byte[] body, String nextOffset, boolean upToDate) {}

  /** {@code PUT}: creates a stream of the given content type. */
  public HttpResponse<byte[]> create(String baseUrl, String stream, String contentType)
      throws IOException, InterruptedException {
    HttpRequest r = request(baseUrl, stream, null)
        .header("Content-Type", contentType)
        .PUT(HttpRequest.BodyPublishers.noBody())
        .build();
    return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** {@code POST}: appends {@code body}; with a producer when {@code producer} is not null. */
  public HttpResponse<byte[]> append(String baseUrl, String stream, String contentType, byte[] body,
      Producer producer) throws IOException, InterruptedException {
    HttpRequest.Builder b = request(baseUrl, stream, null)
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (producer != null) {
      b.header("Producer-Id", producer.id())
          .header("Producer-Epoch", Long.toString(producer.epoch()))
          .header("Producer-Seq", Long.toString(producer.seq()));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * {@link #read}, retrying a 503 (an election in progress) every 200 ms for at most
   * {@link #UNAVAILABLE_FOR_AT_MOST}; returns the first other answer, or the last 503.
   */
  public Chunk readAvailable(String baseUrl, String stream, String offset) throws IOException, InterruptedException {
    Chunk c = read(baseUrl, stream, offset);
    long deadline = System.nanoTime() + UNAVAILABLE_FOR_AT_MOST.toNanos();
    while (c.status() == 503 && System.nanoTime() < deadline) {
      Thread.sleep(UNAVAILABLE_RETRY_MILLIS);
      c = read(baseUrl, stream, offset);
    }
    return c;
  }

  /** How long {@link #readAvailable} keeps retrying a read answered 503, and how often. */
  public static final Duration UNAVAILABLE_FOR_AT_MOST = Duration.ofSeconds(30);
  private static final long UNAVAILABLE_RETRY_MILLIS = 200;

  /** One catch-up {@code GET} from {@code offset} ({@code -1} = the beginning). */
  public Chunk read(String baseUrl, String stream, String offset) throws IOException, InterruptedException {
    HttpRequest r = request(baseUrl, stream, Map.of("offset", offset)).GET().build();
    HttpResponse<byte[]> res = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
    return new Chunk(res.statusCode(), res.body(), res.headers().firstValue("Stream-Next-Offset").orElse(null),
        res.headers().firstValue("Stream-Up-To-Date").map("true"::equalsIgnoreCase).orElse(false));
  }

  /**
   * Reads from the beginning, following {@code Stream-Next-Offset}, until a response says
   * {@code Stream-Up-To-Date}. A 503 is retried as a client would (a read barrier cannot confirm
   * the commit index while a group elects a leader, which a starved box sees even in a settled
   * cluster), for at most {@link #UNAVAILABLE_FOR_AT_MOST} per chunk. Fails on any other status but
   * 200, on a response that neither advances nor reaches the tail, and after {@code maxChunks}
   * responses.
   */
  public List<Chunk> readAll(String baseUrl, String stream, int maxChunks) throws IOException, InterruptedException {
    List<Chunk> out = new ArrayList<>();
    String offset = "-1";
    while (true) {
      Chunk c = readAvailable(baseUrl, stream, offset);
      if (c.status() != 200 || c.nextOffset() == null) {
        throw new IOException("GET " + stream + "?offset=" + offset + " answered " + c.status()
            + " (Stream-Next-Offset " + c.nextOffset() + "): " + new String(c.body(), StandardCharsets.UTF_8));
      }
      out.add(c);
      if (c.upToDate()) {
        return out;
      }
      if (c.nextOffset().equals(offset) || out.size() >= maxChunks) {
        throw new IOException("catch-up read of " + stream + " does not progress: " + out.size()
            + " responses, stuck at " + offset);
      }
      offset = c.nextOffset();
    }
  }

  /** {@code GET path} on the node (e.g. {@code /readyz}); returns the status, or -1 if nobody answers. */
  public int status(String baseUrl, String path) throws InterruptedException {
    try {
      HttpRequest r = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout).GET().build();
      return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /** {@code GET path} on the node (e.g. {@code /admin/groups}), with the request timeout. */
  public HttpResponse<byte[]> get(String baseUrl, String path) throws IOException, InterruptedException {
    HttpRequest r = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout).GET().build();
    return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** {@code PUT path} on the node with a body (e.g. a stream's {@code $attrs}), with the request timeout. */
  public HttpResponse<byte[]> put(String baseUrl, String path, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest r = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout)
        .header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpRequest.Builder request(String baseUrl, String stream, Map<String, String> query) {
    StringBuilder uri = new StringBuilder(baseUrl).append(STREAM_ROOT).append(stream);
    if (query != null && !query.isEmpty()) {
      char sep = '?';
      for (Map.Entry<String, String> q : query.entrySet()) {
        uri.append(sep).append(q.getKey()).append('=').append(URLEncoder.encode(q.getValue(), StandardCharsets.UTF_8));
        sep = '&';
      }
    }
    return HttpRequest.newBuilder(URI.create(uri.toString())).timeout(requestTimeout);
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
