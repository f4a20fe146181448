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
