package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.tributary.common.StreamKey;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a webhook subscription is replicated state (docs/subscriptions.md). Created through one
 * node, it is read through the others; a delivery is signed with the key every node publishes;
 * a callback is accepted through any node; when the node that delivers (the leader of the
 * subscription log's group) is killed, the next wake comes from the new leader with a higher
 * generation; after every node restarts, the subscription and its acknowledged offsets are still
 * there; each wake is one delivery cycle: once acknowledged as done, no further delivery comes
 * while nothing new is appended; and a pull-wake claimed through all three nodes at once has one
 * winner, whom the other two are told of.
 *
 * <p>Method: 3 node processes; a webhook receiver in this JVM on 127.0.0.1 (the nodes run with
 * {@code --webhook-loopback-allowed true}) that answers {} so the test acknowledges by callback;
 * the JWKS fetched from a node other than the one the subscription was created through; signatures
 * verified with the JDK's Ed25519 from the JWK alone.
 */
class SubscriptionClusterTest {
  private static final long SEED = Long.getLong("seed", System.nanoTime());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DELIVERY_MAX = Duration.ofSeconds(60);
  /** How long the test watches for a delivery that must not come (nothing pending). */
  private static final Duration QUIET = Duration.ofSeconds(3);
  private static final byte[] SPKI_HEADER = HexFormat.of().parseHex("302a300506032b6570032100");

  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private ClusterNodes cluster;
  private HttpServer receiver;
  private String ctx;

  /** One webhook request as the receiver got it. */
  record Delivery(JsonNode body, byte[] raw, String signature) {
    String wakeId() {
      return body.path("wake_id").asText();
    }

    long generation() {
      return body.path("generation").asLong();
    }

    JsonNode stream(String path) {
      for (JsonNode s : body.path("streams")) {
        if (s.path("path").asText().equals(path)) {
          return s;
        }
      }
      throw new AssertionError("delivery names no stream " + path + ": " + body);
    }
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
    client.close();
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aWebhookSubscriptionSurvivesTheLossOfItsDeliveringNodeAndARestart() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    receiver.createContext("/hook", ex -> {
      byte[] raw = ex.getRequestBody().readAllBytes();
      deliveries.add(new Delivery(JSON.readTree(raw), raw, ex.getRequestHeaders().getFirst("Webhook-Signature")));
      byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    receiver.start();
    String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";

    Path work = ServerProcess.defaultLogDir().resolveSibling("subscriptions").resolve("seed-" + SEED);
    ctx = "seed=" + SEED + ", logs in " + work;
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(SEED)), ClusterNodes.DIRECT,
        Map.of("webhook-loopback-allowed", "true", "groups", "3"), client);
    cluster.startAll();
    cluster.awaitAllReady(Duration.ofSeconds(90), ctx);
    cluster.awaitConverged(Duration.ofSeconds(90), ctx);

    // created through n1, read through n2, keys from n3
    String sub = "/v1/stream/__ds/subscriptions/orders";
    HttpResponse<String> created = send(0, "PUT", sub, "{\"type\":\"webhook\",\"pattern\":\"orders/*\","
        + "\"webhook\":{\"url\":\"" + hook + "\"},\"lease_ttl_ms\":5000}");
    assertThat(created.statusCode()).as("create [%s]: %s", ctx, created.body()).isEqualTo(201);
    HttpResponse<String> read = send(1, "GET", sub, null);
    assertThat(read.statusCode()).as("read through another node [%s]", ctx).isEqualTo(200);
    assertThat(JSON.readTree(read.body()).path("webhook").path("url").asText()).isEqualTo(hook);
    JsonNode jwks = JSON.readTree(send(2, "GET", "/v1/stream/__ds/jwks.json", null).body());
    String kid = JSON.readTree(created.body()).path("webhook").path("signing").path("kid").asText();

    // first wake: a stream created through n2 that matches the pattern
    assertThat(send(1, "PUT", "/v1/stream/orders/1", "{\"n\":1}").statusCode()).isEqualTo(201);
    Delivery first = awaitDelivery(0, "the first wake");
    assertThat(first.body().path("subscription_id").asText()).isEqualTo("orders");
    assertThat(first.stream("orders/1").path("has_pending").asBoolean()).isTrue();
    assertThat(verified(first, jwks, kid)).as("signature verifies with n3's JWKS [%s]", ctx).isTrue();
    JsonNode ack = callback(2, first, "orders/1");
    assertThat(ack.path("ok").asBoolean()).as("callback through n3 [%s]: %s", ctx, ack).isTrue();
    assertThat(ack.path("next_wake").asBoolean()).isFalse();
    assertNoDeliveryBeyond(1, "after the first wake was acknowledged as done");

    // kill the delivering node: the leader of the subscription log's group
    int log = new StreamKey("__system", "subscriptions").groupIndex(3);
    String ownerId = cluster.groups(0).get(log).leader();
    int owner = cluster.indexOf(ownerId);
    cluster.process(owner).kill9();
    int alive = (owner + 1) % 3;
    await("an append through " + cluster.member(alive).id() + " after the kill [" + ctx + "]")
        .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> status(alive, "POST", "/v1/stream/orders/1", "{\"n\":2}") == 204);
    Delivery second = awaitDelivery(1, "the wake after " + ownerId + " was killed");
    assertThat(second.generation()).as("a new wake, a higher generation [%s]", ctx).isGreaterThan(first.generation());
    assertThat(second.wakeId()).isNotEqualTo(first.wakeId());
    assertThat(verified(second, jwks, kid)).as("the new owner signs with the same key").isTrue();
    String acked = second.stream("orders/1").path("tail_offset").asText();
    assertThat(callback((owner + 2) % 3, second, "orders/1").path("ok").asBoolean()).isTrue();
    assertNoDeliveryBeyond(2, "after the second wake was acknowledged as done");

    // every node down and up again: the subscription and its acknowledged offset are still there
    cluster.process(owner).restart();
    for (int i = 0; i < 3; i++) {
      if (i != owner) {
        cluster.process(i).stop();
        cluster.process(i).restart();
      }
    }
    cluster.awaitAllReady(Duration.ofSeconds(90), ctx);
    for (int i = 0; i < 3; i++) {
      int node = i;
      await("the subscription through " + cluster.member(i).id() + " after the restart").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200)).until(() -> status(node, "GET", sub, null) == 200);
      JsonNode after = JSON.readTree(send(i, "GET", sub, null).body());
      assertThat(after.path("streams").get(0).path("acked_offset").asText())
          .as("%s: the acknowledged offset survived the restart [%s]", cluster.member(i).id(), ctx).isEqualTo(acked);
    }
    assertNoDeliveryBeyond(2, "after the restart, with nothing new appended");

    // one generation per wake, generations rising in the order they arrived
    List<Long> generations = new ArrayList<>();
    Map<String, Long> byWake = new java.util.HashMap<>();
    for (Delivery d : deliveries) {
      Long seen = byWake.putIfAbsent(d.wakeId(), d.generation());
      assertThat(seen == null || seen == d.generation()).as("wake %s delivered with one generation", d.wakeId()).isTrue();
      if (seen == null) {
        generations.add(d.generation());
      }
    }
    assertThat(generations).as("generations of the distinct wakes [%s]", ctx).isSorted().doesNotHaveDuplicates();

    // a pull-wake claimed through every node at once: the log orders the claims, one wins everywhere
    assertThat(send(0, "PUT", "/v1/stream/wake/pool", "[]").statusCode()).isEqualTo(201);
    String pool = "/v1/stream/__ds/subscriptions/pool";
    assertThat(send(1, "PUT", pool, "{\"type\":\"pull-wake\",\"streams\":[\"jobs/1\"],\"wake_stream\":"
        + "\"wake/pool\",\"lease_ttl_ms\":30000}").statusCode()).isEqualTo(201);
    assertThat(send(2, "PUT", "/v1/stream/jobs/1", "{\"job\":1}").statusCode()).isEqualTo(201);
    await("the wake event [" + ctx + "]").atMost(DELIVERY_MAX).pollInterval(Duration.ofMillis(100))
        .until(() -> send(0, "GET", "/v1/stream/wake/pool?offset=-1", null).body().contains("\"pool\""));
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> claims = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpRequest r = HttpRequest.newBuilder(URI.create(cluster.member(i).baseUrl() + pool + "/claim"))
          .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"worker\":\"w" + i + "\"}")).build();
      claims.add(http.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
    }
    List<String> winners = new ArrayList<>();
    List<String> named = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = claims.get(i).get(30, TimeUnit.SECONDS);
      if (r.statusCode() == 200) {
        winners.add("w" + i);
      } else {
        assertThat(r.statusCode()).as("claim through %s: %s", cluster.member(i).id(), r.body()).isEqualTo(409);
        named.add(JSON.readTree(r.body()).path("error").path("current_holder").asText());
      }
    }
    assertThat(winners).as("one claim wins [%s]", ctx).hasSize(1);
    assertThat(named).as("the losers are told who holds it").containsOnly(winners.get(0)).hasSize(2);
  }

  private Delivery awaitDelivery(int index, String what) {
    await(what + " delivered [" + ctx + "]").atMost(DELIVERY_MAX).pollInterval(Duration.ofMillis(50))
        .until(() -> deliveries.size() > index);
    return deliveries.get(index);
  }

  /** Watches for {@link #QUIET}: no delivery beyond the first {@code count}, as nothing is pending. */
  private void assertNoDeliveryBeyond(int count, String when) throws InterruptedException {
    Thread.sleep(QUIET.toMillis());
    assertThat(deliveries).as("deliveries %s [%s]", when, ctx).hasSize(count);
  }

  /** Acknowledges {@code path} up to the delivery's tail, done, through node {@code via}. */
  private JsonNode callback(int via, Delivery d, String path) throws Exception {
    URI u = URI.create(d.body().path("callback_url").asText());
    String body = "{\"wake_id\":\"" + d.wakeId() + "\",\"generation\":" + d.generation() + ",\"acks\":[{\"stream\":\""
        + path + "\",\"offset\":\"" + d.stream(path).path("tail_offset").asText() + "\"}],\"done\":true}";
    HttpRequest r = HttpRequest.newBuilder(URI.create(cluster.member(via).baseUrl() + u.getRawPath()))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + d.body().path("callback_token").asText())
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as("callback through %s: %s [%s]", cluster.member(via).id(), res.body(), ctx)
        .isEqualTo(200);
    return JSON.readTree(res.body());
  }

  private HttpResponse<String> send(int node, String method, String path, String body) throws IOException,
      InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.member(node).baseUrl() + path))
        .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The status of one request, or -1 when the node did not answer (an election, a node starting). */
  private int status(int node, String method, String path, String body) throws InterruptedException {
    try {
      return send(node, method, path, body).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  private static boolean verified(Delivery d, JsonNode jwks, String kid) throws Exception {
    String[] p = d.signature().split(",");
    assertThat(p[1]).isEqualTo("kid=" + kid);
    String x = null;
    for (JsonNode k : jwks.path("keys")) {
      if (k.path("kid").asText().equals(kid)) {
        x = k.path("x").asText();
      }
    }
    assertThat(x).as("the JWKS publishes key %s", kid).isNotNull();
    byte[] raw = Base64.getUrlDecoder().decode(x);
    byte[] spki = new byte[SPKI_HEADER.length + raw.length];
    System.arraycopy(SPKI_HEADER, 0, spki, 0, SPKI_HEADER.length);
    System.arraycopy(raw, 0, spki, SPKI_HEADER.length, raw.length);
    PublicKey pub = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(pub);
    v.update((p[0].substring(2) + ".").getBytes(StandardCharsets.US_ASCII));
    v.update(d.raw());
    return v.verify(Base64.getUrlDecoder().decode(p[2].substring("ed25519=".length())));
  }
}
