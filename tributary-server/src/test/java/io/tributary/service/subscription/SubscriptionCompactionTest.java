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
    Map<String, String> settings = Map.of("subscription-log-checkpoint-bytes", "4096");
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
