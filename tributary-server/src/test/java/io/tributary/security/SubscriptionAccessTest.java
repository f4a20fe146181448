package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goal: with authentication on, the subscription API follows docs/security.md: managing a
 * subscription needs admin on the default bucket, reading one and claiming need read there, the
 * callback-token routes accept nothing but a genuine callback token, the JWKS is public; and by
 * default a webhook may not target loopback (the node's own admin listener is there). Method: one
 * node in this JVM with API keys for a reader, a writer without admin, and an admin of the default
 * bucket; a pull-wake subscription whose wake stream the test reads.
 */
class SubscriptionAccessTest {
  private static final String READER = "reader-key-" + "r".repeat(20);
  private static final String WRITER = "writer-key-" + "w".repeat(20);
  private static final String ADMIN = "admin-key-" + "a".repeat(20);
  private static final String SUB = "/v1/stream/__ds/subscriptions/jobs";
  private static Path dir;
  private static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("subscription-access");
    Files.writeString(dir.resolve("keys"), String.join("\n",
        "reader " + sha256(READER) + " read:default",
        "writer " + sha256(WRITER) + " read,append,create,delete:default",
        "admin " + sha256(ADMIN) + " admin,read,append,create:default", ""));
    node = new LocalNode(dir.resolve("data"), Map.of("auth-api-keys-file", dir.resolve("keys").toString()));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
    return key == null ? node.send(method, path, "application/json", body)
        : node.send(method, path, "application/json", body, "Authorization", "Bearer " + key);
  }

  @Test
  void eachRouteNeedsItsGrantOrItsCallbackToken() throws Exception {
    String pull = "{\"type\":\"pull-wake\",\"pattern\":\"jobs/*\",\"wake_stream\":\"wake/jobs\",\"lease_ttl_ms\":5000}";
    assertThat(send("PUT", "/v1/stream/wake/jobs", ADMIN, "[]").statusCode()).isEqualTo(201);
    assertThat(send("PUT", SUB, null, pull).statusCode()).as("no token").isEqualTo(401);
    assertThat(send("PUT", SUB, READER, pull).statusCode()).as("read only").isEqualTo(403);
    assertThat(send("PUT", SUB, WRITER, pull).statusCode()).as("every stream permission but admin").isEqualTo(403);
    assertThat(send("GET", SUB, READER, null).statusCode()).as("nothing was created").isEqualTo(404);
    assertThat(send("PUT", SUB, ADMIN, pull).statusCode()).isEqualTo(201);
    assertThat(send("GET", SUB, READER, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", SUB, null, null).statusCode()).isEqualTo(401);
    assertThat(send("DELETE", SUB, WRITER, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/v1/stream/__ds/jwks.json", null, null).statusCode()).as("public keys").isEqualTo(200);

    assertThat(send("PUT", "/v1/stream/jobs/1", WRITER, "{\"job\":1}").statusCode()).isEqualTo(201);
    org.awaitility.Awaitility.await("the wake event in the wake stream").atMost(java.time.Duration.ofSeconds(20))
        .until(() -> send("GET", "/v1/stream/wake/jobs?offset=-1", READER, null).body().contains("\"jobs\""));
    assertThat(send("POST", SUB + "/claim", null, "{\"worker\":\"w\"}").statusCode()).as("claim without a token")
        .isEqualTo(401);
    HttpResponse<String> claim = send("POST", SUB + "/claim", READER, "{\"worker\":\"w\"}");
    assertThat(claim.statusCode()).as(claim.body()).isEqualTo(200);
    String ack = "{\"wake_id\":\"" + field(claim.body(), "wake_id") + "\",\"generation\":"
        + claim.body().replaceAll(".*\"generation\":(\\d+).*", "$1") + ",\"done\":true}";
    for (String key : new String[] {null, READER, ADMIN, "v1.1.x.forged"}) {
      HttpResponse<String> r = send("POST", SUB + "/ack", key, ack);
      assertThat(r.statusCode()).as("ack with %s", key).isEqualTo(401);
      assertThat(r.body()).contains("TOKEN_INVALID");
    }
    assertThat(send("POST", SUB + "/ack", field(claim.body(), "token"), ack).statusCode()).isEqualTo(200);
  }

  @Test
  void webhooksToLoopbackArePrivateByDefault() throws Exception {
    HttpResponse<String> r = send("PUT", "/v1/stream/__ds/subscriptions/hook", ADMIN,
        "{\"type\":\"webhook\",\"pattern\":\"a/*\",\"webhook\":{\"url\":\"http://127.0.0.1:4440/admin/cluster\"}}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("WEBHOOK_URL_REJECTED").contains("--webhook-loopback-allowed");
  }

  private static String field(String json, String name) {
    return json.replaceAll(".*\"" + name + "\":\"([^\"]*)\".*", "$1");
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
