package io.tributary.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Sends requests to the cluster's nodes through one JDK {@link HttpClient}. Any node accepts any
 * request (writes are forwarded to the group's leader), so the transport keeps one preferred node
 * and moves to the next when the preferred one fails to answer or answers 503 ({@link #failed});
 * callers decide whether to retry.
 *
 * <p>Threads: safe for any number of threads: the client is thread-safe and the preferred node is
 * an atomic index.
 */
final class Transport implements AutoCloseable {
  private final HttpClient http;
  private final List<String> nodes;
  private final Supplier<String> token;
  private final Duration requestTimeout;
  private final AtomicInteger preferred = new AtomicInteger();

  Transport(HttpClient http, List<String> nodes, Supplier<String> token, Duration requestTimeout) {
    this.http = http;
    this.nodes = List.copyOf(nodes);
    this.token = token;
    this.requestTimeout = requestTimeout;
  }

  /** The node requests go to now. */
  String node() {
    return nodes.get(Math.floorMod(preferred.get(), nodes.size()));
  }

  /** {@code node} did not serve a request: prefer the next one (unless another thread moved on already). */
  void failed(String node) {
    int i = preferred.get();
    if (nodes.get(Math.floorMod(i, nodes.size())).equals(node)) {
      preferred.compareAndSet(i, i + 1);
    }
  }

  int nodeCount() {
    return nodes.size();
  }

  /** A request builder for {@code pathAndQuery} on {@code node}, with the token and the request timeout. */
  HttpRequest.Builder request(String node, String pathAndQuery, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + pathAndQuery)).timeout(timeout);
    String t = token == null ? null : token.get();
    if (t != null && !t.isEmpty()) {
      b.header("Authorization", "Bearer " + t);
    }
    return b;
  }

  HttpRequest.Builder request(String node, String pathAndQuery) {
    return request(node, pathAndQuery, requestTimeout);
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  /** Sends and reads the whole body. */
  Response send(String node, HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    return new Response(node, r.statusCode(), r.headers(), r.body());
  }

  /** Sends and hands back the body as a stream (SSE): the caller must close it. */
  HttpResponse<InputStream> stream(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
  }

  @Override
  public void close() {
    http.close();
  }
}
