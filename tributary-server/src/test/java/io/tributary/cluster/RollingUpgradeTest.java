package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.state.FeatureLevel;
import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a rolling upgrade never sends a replica an entry it cannot apply. The cluster writes the
 * newer entry format (batch version 2 with limits) and the newer command ({@code Stream-Incarnation},
 * type 20) only once every voter announced it can apply them.
 *
 * <p>Story: three nodes, n3 running as the previous build (feature level 1: it refuses what that
 * build could not read, and would halt on it). Writes go through every node and are acknowledged;
 * a request needing level 2 is answered 503 with the reason; n3 never halts. n3 is upgraded
 * (stopped, started as the current build): the cluster reaches the current level (3), the same request is
 * accepted, and every replica holds exactly the acknowledged appends.
 */
class RollingUpgradeTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("rolling-upgrade")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final HttpClient http = HttpClient.newHttpClient();
  private ClusterNodes cluster;
  private String ctx;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void newerFormatsWaitUntilEveryVoterCanApplyThem() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(seed)), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "write-timeout-ms", "5000",
        "body-bytes-max", "1MiB",
        "tail-cache-bytes", "1MiB"), client);
    ctx = "seed=" + seed + ", logs in " + work;
    cluster.process(2).setExtraJvmArgs("-Dtributary.test.feature-level=1");
    cluster.startAll();
    cluster.awaitConverged(DEADLINE, ctx);
    ClusterNodes.Member n1 = cluster.member(0);
    assertThat(featureLevel(n1)).as("cluster level with n3 at level 1 [%s]", ctx).isEqualTo(1);

    ProducerLedger s = new ProducerLedger(seed, 0, "upgraded", 1);
    assertThat(client.create(n1.baseUrl(), s.name, ProducerLedger.CONTENT_TYPE).statusCode()).isEqualTo(201);
    ClusterWriter writer = new ClusterWriter(0, List.of(s), cluster.members(), client, new LoadMonitor(), seed, ctx);
    for (int i = 0; i < 12; i++) {
      writer.appendThrough(s, cluster.member(i % 3), DEADLINE);
    }
    String incarnation = client.get(n1.baseUrl(), StreamClient.STREAM_ROOT + s.name + "?offset=now").headers()
        .firstValue("Stream-Incarnation").orElseThrow();
    HttpResponse<String> guarded = guardedAppend(n1, s.name, incarnation);
    assertThat(guarded.statusCode()).as("a Stream-Incarnation append at level 1: %s [%s]", guarded.body(), ctx)
        .isEqualTo(503);
    assertThat(guarded.body()).contains("feature level 2");
    assertThat(guarded.headers().firstValue("Retry-After")).isPresent();
    assertThat(cluster.process(2).isAlive()).as("n3 applied everything it was sent [%s]", ctx).isTrue();

    cluster.process(2).stop();
    cluster.process(2).setExtraJvmArgs();
    cluster.process(2).restart();
    cluster.awaitConverged(DEADLINE, "after n3's upgrade, " + ctx);
    await("cluster feature level " + FeatureLevel.CURRENT + " [" + ctx + "]").atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(200)).until(() -> featureLevel(n1) == FeatureLevel.CURRENT);
    guarded = guardedAppend(n1, s.name, incarnation);
    assertThat(guarded.statusCode()).as("a Stream-Incarnation append at level 2: %s [%s]", guarded.body(), ctx)
        .isIn(200, 204);
    ProducerLedger after = new ProducerLedger(seed, 1, "after-upgrade", 1);
    assertThat(client.create(n1.baseUrl(), after.name, ProducerLedger.CONTENT_TYPE).statusCode()).isEqualTo(201);
    ClusterWriter writer2 = new ClusterWriter(1, List.of(after), cluster.members(), client, new LoadMonitor(), seed, ctx);
    for (int i = 0; i < 12; i++) {
      writer2.appendThrough(after, cluster.member(i % 3), DEADLINE);
    }
    cluster.awaitConverged(DEADLINE, ctx);
    new ReplicaVerifier(cluster, client, ctx).check(after, seed);
    assertThat(Files.readString(cluster.process(2).stderrLog(), StandardCharsets.UTF_8)).as("n3's log [%s]", ctx)
        .doesNotContain("halting");
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
    http.shutdownNow();
  }

  private HttpResponse<String> guardedAppend(ClusterNodes.Member via, String stream, String incarnation)
      throws IOException, InterruptedException {
    HttpRequest r = HttpRequest.newBuilder(URI.create(via.baseUrl() + StreamClient.STREAM_ROOT + stream))
        .timeout(Duration.ofSeconds(15)).header("Content-Type", ProducerLedger.CONTENT_TYPE)
        .header("Stream-Incarnation", incarnation).POST(HttpRequest.BodyPublishers.ofString("guarded")).build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private int featureLevel(ClusterNodes.Member m) throws IOException, InterruptedException {
    for (String line : new String(client.get(m.adminUrl(), "/metrics").body(), StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("tributary_cluster_feature_level ")) {
        return Integer.parseInt(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("no tributary_cluster_feature_level in " + m.id() + "'s /metrics");
  }
}
