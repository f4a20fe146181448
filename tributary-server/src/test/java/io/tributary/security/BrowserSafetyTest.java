package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a stream body is never a page of the node's origin. Somebody who may create a stream can
 * pick its content type; if they pick {@code text/html} or {@code image/svg+xml} and append a
 * script, a victim sent to the stream's URL must not run it with the node's origin (stored XSS).
 *
 * <p>Method: one node in this JVM; streams of active and passive types, each read through every
 * response that carries stream bytes (catch-up read, HEAD, {@code offset=now}, the create answer,
 * an application snapshot); the headers are checked: a sandboxing Content-Security-Policy on
 * every response, and {@code Content-Disposition: attachment} exactly for the active types.
 */
class BrowserSafetyTest {
  private static final String SCRIPT = "<script>fetch('/v1/stream/secrets?offset=-1')</script>";

  @Test
  void activeStreamTypesAreSandboxedAttachmentsAndPassiveOnesSandboxedInline(@TempDir Path dir) throws Exception {
    try (LocalNode node = new LocalNode(dir.resolve("data"), Map.of())) {
      for (String type : List.of("text/html", "text/html; charset=utf-8", "image/svg+xml", "application/xhtml+xml",
          "application/rss+xml", "text/javascript")) {
        String path = "/v1/stream/active-" + Math.abs(type.hashCode());
        HttpResponse<String> created = node.send("PUT", path, type, SCRIPT);
        assertThat(created.statusCode()).as("create %s", type).isEqualTo(201);
        assertSandboxed(created, type, true);
        for (HttpResponse<String> r : List.of(node.send("GET", path + "?offset=-1", null, null),
            node.send("HEAD", path, null, null), node.send("GET", path + "?offset=now", null, null))) {
          assertThat(r.statusCode()).as("%s %s", r.request().method(), r.request().uri()).isEqualTo(200);
          assertSandboxed(r, type, true);
        }
        String tail = created.headers().firstValue("Stream-Next-Offset").orElseThrow();
        HttpResponse<String> snap = node.send("PUT", path + "/$snapshot/" + tail, type, SCRIPT);
        assertThat(snap.statusCode()).as("snapshot of %s: %s", type, snap.body()).isBetween(200, 204);
        HttpResponse<String> latest = node.send("GET", path + "/$snapshot/" + tail, null, null);
        assertThat(latest.statusCode()).isEqualTo(200);
        assertSandboxed(latest, type, true);
      }
      for (String type : List.of("application/json", "text/plain", "application/octet-stream", "image/png")) {
        String path = "/v1/stream/passive-" + Math.abs(type.hashCode());
        assertThat(node.send("PUT", path, type, type.equals("application/json") ? "[1]" : "x").statusCode())
            .isEqualTo(201);
        HttpResponse<String> r = node.send("GET", path + "?offset=-1", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertSandboxed(r, type, false);
      }
      HttpResponse<String> missing = node.send("GET", "/v1/stream/none?offset=-1", null, null);
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(missing.headers().firstValue("Content-Security-Policy")).as("errors too").hasValueSatisfying(
          v -> assertThat(v).startsWith("sandbox"));
    }
  }

  /**
   * A deployment that names its origins grants cross-origin reads to those only (preflights too),
   * answers only for its own host names, and the admin listener never answers for a DNS name
   * (DNS rebinding); with authentication and no origins named, no origin is granted.
   */
  @Test
  void corsAllowListAndHostChecks(@TempDir Path dir) throws Exception {
    try (LocalNode node = new LocalNode(dir.resolve("a"), Map.of("cors-origins", "https://app.example.com",
        "allowed-hosts", "localhost 127.0.0.1 streams.example.com"))) {
      int port = Integer.parseInt(node.url("").substring(node.url("").lastIndexOf(':') + 1));
      assertThat(node.send("PUT", "/v1/stream/cors", "text/plain", "x").statusCode()).isEqualTo(201);
      Map<String, String> app = raw(port, "GET /v1/stream/cors?offset=-1", "localhost", "https://app.example.com");
      assertThat(app.get(":status")).isEqualTo("200");
      assertThat(app.get("access-control-allow-origin")).isEqualTo("https://app.example.com");
      assertThat(app.get("vary")).containsIgnoringCase("origin");
      Map<String, String> evil = raw(port, "GET /v1/stream/cors?offset=-1", "localhost", "https://evil.example");
      assertThat(evil).doesNotContainKey("access-control-allow-origin").doesNotContainKey("access-control-expose-headers");
      Map<String, String> preflight = raw(port, "OPTIONS /v1/stream/cors", "localhost", "https://evil.example");
      assertThat(preflight).doesNotContainKey("access-control-allow-origin").doesNotContainKey("access-control-allow-methods");
      Map<String, String> appPreflight = raw(port, "OPTIONS /v1/stream/cors", "localhost", "https://app.example.com");
      assertThat(appPreflight.get("access-control-allow-methods")).contains("POST");
      assertThat(raw(port, "GET /v1/stream/cors?offset=-1", "streams.example.com:" + port, null).get(":status"))
          .isEqualTo("200");
      assertThat(raw(port, "GET /v1/stream/cors?offset=-1", "rebound.example:" + port, null).get(":status"))
          .as("a Host not in --allowed-hosts").isEqualTo("421");
      int admin = Integer.parseInt(node.adminUrl("").substring(node.adminUrl("").lastIndexOf(':') + 1));
      assertThat(raw(admin, "GET /healthz", "127.0.0.1:" + admin, null).get(":status")).isEqualTo("200");
    }
    try (LocalNode node = new LocalNode(dir.resolve("b"), Map.of())) {
      int admin = Integer.parseInt(node.adminUrl("").substring(node.adminUrl("").lastIndexOf(':') + 1));
      assertThat(raw(admin, "GET /metrics", "127.0.0.1:" + admin, null).get(":status")).isEqualTo("200");
      assertThat(raw(admin, "GET /metrics", "localhost:" + admin, null).get(":status")).isEqualTo("200");
      assertThat(raw(admin, "GET /metrics", "attacker.example:" + admin, null).get(":status"))
          .as("the admin listener never answers for a DNS name (rebinding)").isEqualTo("421");
      int port = Integer.parseInt(node.url("").substring(node.url("").lastIndexOf(':') + 1));
      assertThat(raw(port, "GET /healthz", "anything.example", "https://a.example").get("access-control-allow-origin"))
          .as("no authentication, no origins named: any origin").isEqualTo("*");
    }
    Path keys = dir.resolve("keys");
    java.nio.file.Files.writeString(keys, "k " + "0".repeat(64) + " read:default\n");
    try (LocalNode node = new LocalNode(dir.resolve("c"), Map.of("auth-api-keys-file", keys.toString()))) {
      int port = Integer.parseInt(node.url("").substring(node.url("").lastIndexOf(':') + 1));
      Map<String, String> r = raw(port, "GET /healthz", "localhost", "https://a.example");
      assertThat(r.get(":status")).isEqualTo("200");
      assertThat(r).as("with authentication and no origins named, no origin may read").doesNotContainKey(
          "access-control-allow-origin");
    }
  }

  /** One raw HTTP/1.1 exchange (the JDK client will not send a chosen Host); header names lower-cased. */
  private static Map<String, String> raw(int port, String requestLine, String host, String origin) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      String req = requestLine + " HTTP/1.1\r\nHost: " + host + "\r\n" + (origin == null ? "" : "Origin: " + origin
          + "\r\nAccess-Control-Request-Method: POST\r\n") + "Connection: close\r\n\r\n";
      s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
          java.nio.charset.StandardCharsets.ISO_8859_1));
      Map<String, String> out = new java.util.HashMap<>();
      out.put(":status", in.readLine().split(" ")[1]);
      for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
        int c = line.indexOf(':');
        out.merge(line.substring(0, c).trim().toLowerCase(java.util.Locale.ROOT), line.substring(c + 1).trim(),
            (a, b) -> a + ", " + b);
      }
      return out;
    }
  }

  private static void assertSandboxed(HttpResponse<String> r, String type, boolean attachment) {
    String what = r.request().method() + " " + r.request().uri() + " (" + type + ")";
    assertThat(r.headers().firstValue("Content-Security-Policy")).as("CSP of %s", what)
        .hasValueSatisfying(v -> assertThat(v).startsWith("sandbox").contains("default-src 'none'"));
    assertThat(r.headers().firstValue("X-Content-Type-Options")).as("nosniff on %s", what).hasValue("nosniff");
    if (attachment) {
      assertThat(r.headers().firstValue("Content-Disposition")).as("disposition of %s", what).hasValue("attachment");
    } else {
      assertThat(r.headers().firstValue("Content-Disposition")).as("disposition of %s", what).isEmpty();
    }
  }
}
