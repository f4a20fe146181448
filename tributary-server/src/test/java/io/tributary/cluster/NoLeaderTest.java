package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.CreateOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryException;
import io.tributary.common.StreamKey;
import io.tributary.protocol.ErrorReason;
import io.tributary.protocol.Headers;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.nio.charset.StandardCharsets;
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
 * Goal: a node that no leader answers says so (docs/http-api.md "Errors"): an append through the
 * one node left of three gets 503 with {@code Tributary-Unavailable: no-leader}, the SDK throws
 * {@link TributaryException.NotSubmitted} with {@link ErrorReason#NO_LEADER}, and indeed nothing
 * was applied: once a majority is back, the stream holds only what was acknowledged. Method: 3
 * node processes, two SIGKILLed, the survivor watched until it leads no group, then restarted.
 */
class NoLeaderTest {
  private static final long SEED = Long.getLong("seed", System.nanoTime());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(20));
  private ClusterNodes cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void anAppendNoLeaderTookIsRefusedAsNotSubmitted() throws Exception {
    Path work = ServerProcess.defaultLogDir().resolveSibling("no-leader").resolve("seed-" + SEED);
    String ctx = "seed=" + SEED + ", logs in " + work;
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(SEED)), ClusterNodes.DIRECT,
        Map.of("groups", "3", "write-timeout-ms", "2000"), client);
    cluster.startAll();
    cluster.awaitAllReady(Duration.ofSeconds(90), ctx);
    cluster.awaitConverged(Duration.ofSeconds(90), ctx);
    ClusterNodes.Member survivor = cluster.member(0);
    try (TributaryClient sdk = TributaryClient.builder().nodes(survivor.baseUrl())
        .retryDeadline(Duration.ofSeconds(1)).build()) {
      StreamHandle s = sdk.stream("orphan");
      s.create(CreateOptions.of("application/octet-stream"));
      s.append("application/octet-stream", "kept".getBytes(StandardCharsets.US_ASCII));

      cluster.process(1).kill9();
      cluster.process(2).kill9();
      int group = new StreamKey(StreamKey.DEFAULT_BUCKET, "orphan").groupIndex(3);
      // until n1 knows no leader: before that it may still forward to a dead one (an unknown outcome)
      await("n1 knows no leader of group " + group + " [" + ctx + "]").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200)).until(() -> {
            List<ClusterNodes.GroupView> v = cluster.groups(0);
            return v != null && !v.get(group).hasLeader();
          });
      var raw = client.append(survivor.baseUrl(), "orphan", "application/octet-stream",
          "lost".getBytes(StandardCharsets.US_ASCII), null);
      assertThat(raw.statusCode()).as("[%s] %s", ctx, new String(raw.body(), StandardCharsets.UTF_8)).isEqualTo(503);
      assertThat(raw.headers().firstValue(Headers.TRIBUTARY_UNAVAILABLE)).as("why").contains(Headers.UNAVAILABLE_NO_LEADER);
      assertThat(raw.headers().firstValue("Retry-After")).isPresent();
      try {
        s.append("application/octet-stream", "lost".getBytes(StandardCharsets.US_ASCII));
        throw new AssertionError("an append with no leader was acknowledged [" + ctx + "]");
      } catch (TributaryException.NotSubmitted e) {
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(ErrorReason.NO_LEADER);
      }

      cluster.process(1).restart();
      cluster.awaitReady(0, Duration.ofSeconds(90), ctx);
      // one producer triple for every attempt: an attempt whose outcome was unknown is not applied twice
      StreamClient.Producer once = new StreamClient.Producer("after", 0, 0);
      await("an append after the majority is back [" + ctx + "]").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> client.append(survivor.baseUrl(), "orphan", "application/octet-stream",
              "after".getBytes(StandardCharsets.US_ASCII), once).statusCode() / 100 == 2);
      assertThat(new String(s.read("-1").data(), StandardCharsets.US_ASCII))
          .as("nothing refused as not submitted was applied [%s]", ctx).isEqualTo("keptafter");
    }
  }
}
