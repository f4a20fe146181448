package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.testing.LocalNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goal: the admin API the web console reads (docs/console.md, docs/http-api.md "Admin API")
 * lists a bucket's streams by name prefix page by page, describes one stream, follows a stream's
 * new records as a long-poll, and serves the console's page; all of it on the admin listener
 * only, behind the node-admin grant when authentication is on, while stream routes stay absent
 * from the admin listener and the admin routes from the client listener.
 *
 * <p>Method: one in-process node with API keys (an {@code admin:*} key and a key with every
 * permission on one bucket but no admin grant); streams written through the client listener, read
 * back through the admin listener with each key and without one.
 */
class AdminStreamRoutesTest {
  private static final String ADMIN = "console-admin-" + "a".repeat(20);
  private static final String WRITER = "console-writer-" + "w".repeat(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static Path dir;
  private static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("admin-stream-routes");
    Files.writeString(dir.resolve("keys"), String.join("\n", "# name sha256 grants",
        "admin " + sha256(ADMIN) + " admin:*", "writer " + sha256(WRITER) + " *:shop", ""));
    node = new LocalNode(dir.resolve("data"), Map.of("auth-api-keys-file", dir.resolve("keys").toString(),
        "long-poll-timeout-ms", "5000"));
    ok(client("PUT", "/ds/shop", ADMIN, null, null), 201);
    for (int i = 1; i <= 5; i++) {
      ok(client("PUT", "/ds/shop/orders-0" + i, WRITER, "application/json", "[{\"order\":" + i + "}]"), 201);
    }
    ok(client("PUT", "/ds/shop/other", WRITER, "application/json", null), 201);
    ok(client("PUT", "/ds/shop/ordersz", WRITER, "application/json", null), 201);
    ok(client("PUT", "/ds/shop/blob", WRITER, "application/octet-stream", null), 201);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void listsABucketByPrefixOnePageAtATime() throws Exception {
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      JsonNode page = admin("/admin/streams?bucket=shop&prefix=orders-&limit=2" + (after == null ? "" : "&after=" + after));
      page.get("streams").forEach(s -> seen.add(s.get("name").asText()));
      after = page.get("next").isNull() ? null : page.get("next").asText();
      assertThat(++pages).as("pages for 5 streams at 2 a page").isLessThanOrEqualTo(3);
    } while (after != null);
    assertThat(seen).containsExactly("orders-01", "orders-02", "orders-03", "orders-04", "orders-05");
    assertThat(names(admin("/admin/streams?bucket=shop&prefix=orders"))).containsExactly("orders-01", "orders-02",
        "orders-03", "orders-04", "orders-05", "ordersz");
    assertThat(names(admin("/admin/streams?bucket=shop&prefix=oth"))).containsExactly("other");
    assertThat(names(admin("/admin/streams?bucket=shop&prefix=zzz"))).isEmpty();
    assertThat(names(admin("/admin/streams?bucket=shop"))).hasSize(8);
    assertThat(admin("/admin/buckets").get("buckets").toString()).contains("\"shop\"", "\"default\"");
    assertThat(send(adminUrl("/admin/streams?bucket=nope"), ADMIN).statusCode()).isEqualTo(404);
    assertThat(send(adminUrl("/admin/streams?bucket=shop&limit=0"), ADMIN).statusCode()).isEqualTo(400);
  }

  @Test
  void describesAStreamAsTheClientListenerSeesIt() throws Exception {
    HttpResponse<String> head = client("HEAD", "/ds/shop/orders-03", WRITER, null, null);
    JsonNode m = admin("/admin/stream?bucket=shop&name=orders-03");
    assertThat(m.get("contentType").asText()).isEqualTo("application/json");
    assertThat(m.get("nextOffset").asText()).isEqualTo(head.headers().firstValue("Stream-Next-Offset").orElseThrow());
    assertThat(m.get("tailBytes").asLong()).isEqualTo("{\"order\":3}\n".length());
    assertThat(m.get("storedRecords").asLong()).isEqualTo(1);
    assertThat(m.get("closed").asBoolean()).isFalse();
    assertThat(m.get("snapshot").isNull()).isTrue();
    assertThat(m.get("retainedFromBytes").asLong()).isZero();
    assertThat(send(adminUrl("/admin/stream?bucket=shop&name=missing"), ADMIN).statusCode()).isEqualTo(404);
    assertThat(send(adminUrl("/admin/stream?bucket=shop"), ADMIN).statusCode()).as("no name").isEqualTo(400);
  }

  @Test
  void tailAnswersWithRecordsAndWaitsForTheNextOnes() throws Exception {
    JsonNode first = admin("/admin/tail?bucket=shop&name=orders-01&offset=-1");
    assertThat(first.get("records")).hasSize(1);
    assertThat(first.get("records").get(0).get("value").get("order").asInt()).isEqualTo(1);
    String next = first.get("next").asText();
    // parked until the append below lands: the wait is a watch, not a poll loop
    CompletableFuture<HttpResponse<String>> waiting = HTTP.sendAsync(get(adminUrl(
        "/admin/tail?bucket=shop&name=orders-01&offset=" + next), ADMIN), HttpResponse.BodyHandlers.ofString());
    ok(client("POST", "/ds/shop/orders-01", WRITER, "application/json", "[{\"order\":11},{\"order\":12}]"), 204);
    JsonNode woke = JSON.readTree(waiting.get(4, TimeUnit.SECONDS).body());
    assertThat(woke.get("records").findValues("order").stream().map(JsonNode::asInt).toList()).containsExactly(11, 12);
    assertThat(woke.get("from").asText()).isEqualTo(next);

    ok(client("POST", "/ds/shop/blob", WRITER, "application/octet-stream", "\u0001bytes"), 204);
    JsonNode blob = admin("/admin/tail?bucket=shop&name=blob&offset=-1");
    assertThat(blob.get("json").asBoolean()).isFalse();
    assertThat(Base64.getDecoder().decode(blob.get("records").get(0).get("base64").asText()))
        .isEqualTo("\u0001bytes".getBytes(StandardCharsets.UTF_8));
    assertThat(send(adminUrl("/admin/tail?bucket=shop&name=blob"), ADMIN).statusCode()).as("no offset").isEqualTo(400);
  }

  @Test
  void everyAdminRouteNeedsTheNodeAdminGrantButThePageDoesNot() throws Exception {
    for (String path : List.of("/admin/buckets", "/admin/streams?bucket=shop", "/admin/stream?bucket=shop&name=other",
        "/admin/tail?bucket=shop&name=other&offset=-1", "/admin/cluster")) {
      assertThat(send(adminUrl(path), null).statusCode()).as("%s without a token", path).isEqualTo(401);
      HttpResponse<String> writer = send(adminUrl(path), WRITER);
      assertThat(writer.statusCode()).as("%s with a bucket's grant only", path).isEqualTo(403);
      assertThat(writer.body()).contains("admin:*").doesNotContain("orders");
    }
    HttpResponse<String> page = send(adminUrl("/console/"), null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<title>Tributary console</title>");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'self'");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(page.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(send(adminUrl("/console/console.js"), null).headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/javascript");
    HttpResponse<String> root = send(adminUrl("/"), null);
    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("Location")).contains("/console/");
    assertThat(send(adminUrl("/console/nothing.js"), null).statusCode()).isEqualTo(404);
    JsonNode cluster = admin("/admin/cluster");
    assertThat(cluster.get("ready").asBoolean()).isTrue();
    assertThat(cluster.get("notReady")).isEmpty();
  }

  @Test
  void streamsStayOffTheAdminListenerAndTheAdminApiOffTheClientListener() throws Exception {
    for (String path : List.of("/ds/shop/orders-01?offset=-1", "/v1/stream/orders-01?offset=-1", "/shop/orders-01",
        "/ds/shop")) {
      assertThat(send(adminUrl(path), ADMIN).statusCode()).as("%s on the admin listener", path).isEqualTo(404);
    }
    for (String path : List.of("/admin/streams?bucket=shop", "/admin/tail?bucket=shop&name=other&offset=-1",
        "/%61dmin/stream?bucket=shop&name=other")) {
      HttpResponse<String> r = send(node.url(path), ADMIN);
      assertThat(r.statusCode()).as("%s on the client listener", path).isEqualTo(404);
      assertThat(r.body()).doesNotContain("orders");
    }
    HttpResponse<String> console = send(node.url("/console/"), ADMIN);
    assertThat(console.body()).as("the client listener has no console: /console is a bucket name there")
        .doesNotContain("<html");
    HttpRequest post = HttpRequest.newBuilder(URI.create(adminUrl("/admin/streams?bucket=shop")))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + ADMIN)
        .POST(HttpRequest.BodyPublishers.ofString("x")).build();
    assertThat(HTTP.send(post, HttpResponse.BodyHandlers.ofString()).statusCode()).as("read-only").isEqualTo(405);
  }

  private static List<String> names(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.get("streams").forEach(s -> out.add(s.get("name").asText()));
    return out;
  }

  private static JsonNode admin(String path) throws Exception {
    HttpResponse<String> r = send(adminUrl(path), ADMIN);
    assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    return JSON.readTree(r.body());
  }

  private static String adminUrl(String path) {
    return node.adminUrl(path);
  }

  private static HttpRequest get(String url, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b.build();
  }

  private static HttpResponse<String> send(String url, String key) throws Exception {
    return HTTP.send(get(url, key), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> client(String method, String path, String key, String contentType, String body)
      throws Exception {
    return node.send(method, path, contentType, body, "Authorization", "Bearer " + key);
  }

  private static void ok(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("%s %s: %s", r.request().method(), r.request().uri(), r.body()).isEqualTo(status);
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
