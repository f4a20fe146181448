package io.tributary.testing;

import io.tributary.common.Clock;
import io.tributary.config.TributaryConfig;
import io.tributary.node.TributaryNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;

/** An in-process node on a free loopback port with its own data dir, ready when constructed. */
public final class LocalNode implements AutoCloseable {
  private final TributaryNode node;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public LocalNode(Path dataDir, Map<String, String> settings) throws Exception {
    Map<String, String> s = new HashMap<>(Map.of("port", "0", "peer-port", "0", "admin-port", "0", "data-dir", dataDir.toString(),
        "long-poll-timeout-ms", "500"));
    s.putAll(settings);
    node = new TributaryNode(TributaryConfig.defaults().with(s), Clock.SYSTEM);
    node.start();
    // asserted, so a timeout prints why the node is not ready
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> org.assertj.core.api.Assertions.assertThat(node.notReady()).as("why %s is not ready", dataDir).isEmpty());
  }

  /** The node itself, for tests that inject faults into its parts. */
  public TributaryNode tributaryNode() {
    return node;
  }

  public String url(String path) {
    return "http://127.0.0.1:" + node.port() + path;
  }

  /** {@code path} on the admin listener (admin API, /metrics). */
  public String adminUrl(String path) {
    return "http://127.0.0.1:" + node.adminPort() + path;
  }

  /** The admin listener's {@code /metrics} text. */
  public String metricsText() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(adminUrl("/metrics"))).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** One request; {@code headers} are name, value pairs. */
  public HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
      throws Exception {
    return http.send(request(method, path, contentType, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  /** {@link #send} answering the body as bytes (multipart responses). */
  public HttpResponse<byte[]> sendForBytes(String method, String path, String contentType, String body,
      String... headers) throws Exception {
    return http.send(request(method, path, contentType, body, headers), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** {@link #send} without waiting: for requests that must race. */
  public java.util.concurrent.CompletableFuture<HttpResponse<String>> sendAsync(String method, String path,
      String contentType, String body, String... headers) {
    return http.sendAsync(request(method, path, contentType, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String method, String path, String contentType, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return b.build();
  }

  @Override
  public void close() {
    node.close();
  }
}
