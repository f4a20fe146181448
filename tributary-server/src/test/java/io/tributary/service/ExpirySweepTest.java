package io.tributary.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: expired streams that nobody asks for leave the node's state (and so its snapshots) by
 * themselves, while streams that are still alive or renewed by reads stay.
 *
 * <p>Why: an expired stream was removed only when a request touched it, so streams created with a
 * TTL and abandoned stayed in memory and in every snapshot for ever.
 *
 * <p>Story: one node sweeping every 200 ms. 200 streams with a 1 s TTL that nobody reads, one
 * with a 1 s TTL that a reader keeps renewing, one without TTL. Within a few seconds the node
 * holds two streams: the renewed one and the one without TTL; the probes are counted in /metrics.
 */
class ExpirySweepTest {
  @TempDir
  Path dir;

  @Test
  void expiredStreamsNobodyAsksForAreSweptThroughTheLog() throws Exception {
    try (LocalNode node = new LocalNode(dir, Map.of("expiry-sweep-interval-ms", "200", "expiry-sweep-probes-max", "50"))) {
      for (int i = 0; i < 200; i++) {
        assertThat(node.send("PUT", "/v1/stream/abandoned-" + i, "text/plain", "", "Stream-TTL", "1").statusCode())
            .isEqualTo(201);
      }
      assertThat(node.send("PUT", "/v1/stream/renewed", "text/plain", "", "Stream-TTL", "1").statusCode()).isEqualTo(201);
      assertThat(node.send("PUT", "/v1/stream/forever", "text/plain", "").statusCode()).isEqualTo(201);
      await("the abandoned streams are swept").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            HttpResponse<String> read = node.send("GET", "/v1/stream/renewed?offset=-1", null, null);
            assertThat(read.statusCode()).as("the renewed stream stays alive: %s", read.body()).isEqualTo(200);
            return streams(node) == 2;
          });
      assertThat(node.send("GET", "/v1/stream/forever?offset=-1", null, null).statusCode()).isEqualTo(200);
      assertThat(node.send("GET", "/v1/stream/abandoned-7?offset=-1", null, null).statusCode()).isEqualTo(404);
      assertThat(metric(node, "tributary_expiry_probes_total")).isGreaterThanOrEqualTo(200);
    }
  }

  private static long streams(LocalNode node) throws Exception {
    return metric(node, "tributary_group_streams{group=\"0\"}");
  }

  private static long metric(LocalNode node, String name) throws Exception {
    for (String line : node.metricsText().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + name + " in /metrics");
  }
}
