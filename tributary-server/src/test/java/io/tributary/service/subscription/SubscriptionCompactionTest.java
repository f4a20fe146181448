package io.tributary.service.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the subscription log does not grow without bound: after {@code
 * subscription-log-checkpoint-bytes} of events the node writes a checkpoint and drops the log
 * before it, and a node that restarts folds from that checkpoint into the same subscriptions and
 * acknowledged offsets, and goes on claiming and acknowledging. Method: one node with a 4 KiB
 * threshold and a pull-wake subscription driven through many wake, claim and ack cycles; the
 * node's own metrics say whether it compacted and whether its fold started from a checkpoint.
 */
class SubscriptionCompactionTest {
  private static final String SUB = "/v1/stream/__ds/subscriptions/cycles";
  private static final Pattern FIELD = Pattern.compile("\"(wake_id|token|generation|tail_offset)\":\"?([^\",}]*)");

  @TempDir
  Path dir;

  @Test
  void theLogIsCompactedAndARestartFoldsFromTheCheckpoint() throws Exception {
    // Raft snapshots every 100 entries: the restart must load one taken after the floor moved, so
    // the fold finds the prefix gone (replaying the whole Raft log instead would re-read it)
    Map<String, String> settings = Map.of("subscription-log-checkpoint-bytes", "4096", "snapshot-interval-entries", "100");
    String acked;
    try (LocalNode node = new LocalNode(dir, settings)) {
      assertThat(node.send("PUT", "/v1/stream/wake/cycles", "application/json", "[]").statusCode()).isEqualTo(201);
      assertThat(node.send("PUT", SUB, "application/json", "{\"type\":\"pull-wake\",\"pattern\":\"jobs/*\","
          + "\"wake_stream\":\"wake/cycles\",\"lease_ttl_ms\":60000}").statusCode()).isEqualTo(201);
      assertThat(node.send("PUT", "/v1/stream/jobs/a", "application/json", "[]").statusCode()).isEqualTo(201);
      for (int i = 0; i < 40 && counter(node, "tributary_subscription_log_checkpoints_total") == 0; i++) {
        assertThat(node.send("POST", "/v1/stream/jobs/a", "application/json", "{\"n\":" + i + "}").statusCode())
            .isEqualTo(204);
        cycle(node);
      }
      assertThat(counter(node, "tributary_subscription_log_checkpoints_total")).as("a checkpoint").isPositive();
      await("the log's prefix dropped").atMost(Duration.ofSeconds(20))
          .until(() -> counter(node, "tributary_subscription_log_floor_bytes") > 0);
      Path snapshots = dir.resolve("jraft").resolve(String.format("g%03d", logGroup(node))).resolve("snapshot");
      java.util.Set<String> before = snapshotNames(snapshots);
      for (int i = 0; i < 100 && before.containsAll(snapshotNames(snapshots)); i++) {
        assertThat(node.send("POST", "/v1/stream/jobs/a", "application/json", "{\"m\":" + i + "}").statusCode())
            .isEqualTo(204);
        cycle(node);
      }
      assertThat(snapshotNames(snapshots)).as("a Raft snapshot of the log's group after the floor moved")
          .isNotEqualTo(before);
      acked = ackedOffset(node);
      assertThat(acked).isNotEqualTo("-1");
    }
    try (LocalNode again = new LocalNode(dir, settings)) {
      await("the subscription after the restart").atMost(Duration.ofSeconds(30))
          .until(() -> again.send("GET", SUB, null, null).statusCode() == 200);
      assertThat(counter(again, "tributary_subscription_log_restores_total"))
          .as("the fold started from the checkpoint: the log before it is gone").isEqualTo(1);
      assertThat(ackedOffset(again)).isEqualTo(acked);
      assertThat(again.send("POST", "/v1/stream/jobs/a", "application/json", "{\"n\":\"after\"}").statusCode())
          .isEqualTo(204);
      cycle(again);
      assertThat(ackedOffset(again)).isGreaterThan(acked);
    }
  }

  /** Claims the wake the last append opened and acknowledges everything, done. */
  private static void cycle(LocalNode node) throws Exception {
    java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> claim = new java.util.concurrent.atomic.AtomicReference<>();
    await("a claim").atMost(Duration.ofSeconds(20)).until(() -> {
      claim.set(node.send("POST", SUB + "/claim", "application/json", "{\"worker\":\"w\"}"));
      return claim.get().statusCode() == 200;
    });
    Map<String, String> f = fields(claim.get().body());
    String ack = "{\"wake_id\":\"" + f.get("wake_id") + "\",\"generation\":" + f.get("generation")
        + ",\"acks\":[{\"stream\":\"jobs/a\",\"offset\":\"" + f.get("tail_offset") + "\"}],\"done\":true}";
    HttpResponse<String> r = node.send("POST", SUB + "/ack", "application/json", ack, "Authorization",
        "Bearer " + f.get("token"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static Map<String, String> fields(String json) {
    Map<String, String> out = new java.util.HashMap<>();
    Matcher m = FIELD.matcher(json);
    while (m.find()) {
      out.putIfAbsent(m.group(1), m.group(2));
    }
    return out;
  }

  /** The group of the subscription log, among as many groups as the node's admin API lists. */
  private static int logGroup(LocalNode node) throws Exception {
    String groups = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(node.adminUrl("/admin/groups"))).build(), HttpResponse.BodyHandlers.ofString()).body();
    int count = groups.split("\"group\"", -1).length - 1;
    return new io.tributary.common.StreamKey("__system", "subscriptions").groupIndex(count);
  }

  private static java.util.Set<String> snapshotNames(Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return java.util.Set.of();
    }
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot_"))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static String ackedOffset(LocalNode node) throws Exception {
    String body = node.send("GET", SUB, null, null).body();
    return body.replaceAll("(?s).*\"acked_offset\":\"([^\"]*)\".*", "$1");
  }

  private static long counter(LocalNode node, String name) throws Exception {
    for (String line : node.metricsText().split("\n")) {
      if (line.startsWith(name + " ")) {
        return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no metric " + name);
  }
}
