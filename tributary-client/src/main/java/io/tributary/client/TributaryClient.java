package io.tributary.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The entry point of the Java SDK: one per application, thread-safe, holding one JDK
 * {@link HttpClient} (connection pool) for the cluster's nodes.
 *
 * <pre>{@code
 * try (TributaryClient client = TributaryClient.builder()
 *     .nodes("https://n1:4437", "https://n2:4437", "https://n3:4437")
 *     .token(() -> System.getenv("TRIBUTARY_TOKEN"))
 *     .sslContext(sslContext)
 *     .build()) {
 *   StreamHandle chat = client.stream("chat");
 *   chat.create(CreateOptions.of("application/json"));
 * }
 * }</pre>
 *
 * <p>Any node serves any request; the client prefers one and moves to the next when it stops
 * answering (or answers 503), so a list of every node is what makes failover work.
 */
public final class TributaryClient implements AutoCloseable {
  private final Transport transport;
  private final Duration retryDeadline;

  private TributaryClient(Builder b) {
    HttpClient.Builder hb = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(b.connectTimeout).followRedirects(HttpClient.Redirect.NEVER);
    if (b.sslContext != null) {
      hb.sslContext(b.sslContext);
    }
    this.transport = new Transport(hb.build(), b.nodes, b.token, b.requestTimeout);
    this.retryDeadline = b.retryDeadline;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The stream at {@code /v1/stream/{path}} (bucket {@code default}); {@code path} may contain {@code /}. */
  public StreamHandle stream(String path) {
    return new StreamHandle(transport, "/v1/stream/" + StreamHandle.encodePath(path), retryDeadline);
  }

  /** The stream {@code name} of {@code bucket} ({@code /ds/{bucket}/{name}}). */
  public StreamHandle stream(String bucket, String name) {
    return new StreamHandle(transport, "/ds/" + StreamHandle.encodePath(bucket) + "/" + StreamHandle.encodePath(name),
        retryDeadline);
  }

  /** Buckets: create, list, list streams, delete ({@code /ds/...}). */
  public Buckets buckets() {
    return new Buckets(transport, retryDeadline);
  }

  @Override
  public void close() {
    transport.close();
  }

  /** Options of a {@link TributaryClient}; only {@link #nodes} is required. */
  public static final class Builder {
    private final List<String> nodes = new ArrayList<>();
    private Supplier<String> token;
    private SSLContext sslContext;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration retryDeadline = Duration.ofSeconds(60);

    private Builder() {}

    /** Base URLs of the nodes ({@code http://host:4437}, {@code https://...}), any order. */
    public Builder nodes(String... baseUrls) {
      for (String u : baseUrls) {
        URI uri = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
          throw new IllegalArgumentException("not an http(s) base URL: " + u);
        }
        nodes.add(uri.toString());
      }
      return this;
    }

    /** Bearer token, asked for on every request (so it can be refreshed); null or empty sends none. */
    public Builder token(Supplier<String> value) {
      this.token = value;
      return this;
    }

    /** TLS trust and client keys for {@code https} nodes (default: the JDK's). */
    public Builder sslContext(SSLContext value) {
      this.sslContext = value;
      return this;
    }

    public Builder connectTimeout(Duration value) {
      this.connectTimeout = Objects.requireNonNull(value);
      return this;
    }

    /** Bound on one request (not on a live SSE connection, which has none). */
    public Builder requestTimeout(Duration value) {
      this.requestTimeout = Objects.requireNonNull(value);
      return this;
    }

    /**
     * How long create, read, head, delete and a producer's batches keep retrying transient
     * failures (no leader, node down, 503) across nodes before they give up with the last failure.
     */
    public Builder retryDeadline(Duration value) {
      this.retryDeadline = Objects.requireNonNull(value);
      return this;
    }

    public TributaryClient build() {
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException("at least one node URL is required");
      }
      return new TributaryClient(this);
    }
  }
}
