package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
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
 * Goal: a replica that cannot apply a committed entry stops — it never skips the entry and goes
 * on — while the other two keep serving; once the cause is gone it re-applies the entry and
 * converges, and at no point does any replica serve state that differs from the majority's.
 *
 * <p>Why: Ratis 3.3.0 logs a failed {@code applyTransaction} and applies the next entry, so a
 * failed write (a full disk, an I/O error) or a command this build does not know (a rolling
 * upgrade) silently left that replica different from the others.
 *
 * <p>Story, on three nodes with test-only fault injection (JVM properties, not reachable from the
 * client API, see {@code ApplyFaults}):
 * <ol>
 *   <li>n2 fails every apply on stream {@code poison} as a disk error would. The stream is created
 *       and written through n1: n2 halts with exit status 70 and names the group, term and index
 *       in its log; n1 and n3 acknowledge every append.</li>
 *   <li>n2 restarts without the fault, re-applies the log from its last snapshot and converges;
 *       every node serves exactly the acknowledged appends.</li>
 *   <li>n3 runs as a build that does not know the attributes command: setting a stream's
 *       attributes through n1 halts n3 (refused, not skipped); n1 and n2 go on acknowledging.
 *       n3 restarts as a build that knows it and converges.</li>
 * </ol>
 */
class ApplyFailureTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int APPENDS = 20;

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("apply-failure")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final LoadMonitor progress = new LoadMonitor();
  private ClusterNodes cluster;
  private String ctx;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aReplicaThatCannotApplyAnEntryStopsAndTheOthersServe() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(seed)), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "write-timeout-ms", "5000",
        "snapshot-interval-entries", "100",
        "body-bytes-max", "1MiB",
        "tail-cache-bytes", "1MiB"), client);
    ctx = "seed=" + seed + ", logs in " + work;
    cluster.process(1).setExtraJvmArgs("-Dtributary.test.apply-fault-stream=poison");
    cluster.process(2).setExtraJvmArgs("-Dtributary.test.unknown-commands=SetAttrs");
    cluster.startAll();
    cluster.awaitConverged(DEADLINE, ctx);
    ClusterNodes.Member n1 = cluster.member(0);
    ClusterNodes.Member n3 = cluster.member(2);

    // 1. a disk-like failure on n2
    ProducerLedger poison = new ProducerLedger(seed, 0, "poison", 1);
    ProducerLedger other = new ProducerLedger(seed, 1, "other", 1);
    cluster.create(n1, poison.name, DEADLINE, ctx);
    assertThat(cluster.process(1).awaitExit(DEADLINE)).as("n2's exit status after it could not apply [%s]", ctx)
        .isEqualTo(70);
    assertThat(stderr(1)).as("n2 says where it stopped [%s]", ctx).containsPattern("halting: group \\d+ stopped at "
        + "term \\d+ index \\d+: .*injected apply fault on stream poison");
    cluster.create(n3, other.name, DEADLINE, ctx);
    ClusterWriter writer = new ClusterWriter(0, List.of(poison, other), List.of(n1, n3), client, progress, seed, ctx);
    for (int i = 0; i < APPENDS; i++) {
      writer.appendThrough(poison, i % 2 == 0 ? n1 : n3, DEADLINE);
      writer.appendThrough(other, i % 2 == 0 ? n3 : n1, DEADLINE);
    }

    // 2. the cause is gone: n2 re-applies and converges
    cluster.process(1).setExtraJvmArgs();
    cluster.process(1).restart();
    cluster.awaitConverged(DEADLINE, "after n2's restart, " + ctx);
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);
    verifier.check(poison, seed);
    verifier.check(other, seed + 1);

    // 3. a command type n3 does not know
    HttpResponse<byte[]> attrs = client.put(n1.baseUrl(), StreamClient.STREAM_ROOT + other.name + "/$attrs",
        "application/json", "{\"owner\":\"apply-failure-test\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(attrs.statusCode()).as("PUT $attrs via n1: %s [%s]", body(attrs), ctx).isIn(204, 503);
    assertThat(cluster.process(2).awaitExit(DEADLINE)).as("n3's exit status after an unknown command [%s]", ctx)
        .isEqualTo(70);
    assertThat(stderr(2)).as("n3 names the command it does not know [%s]", ctx)
        .contains("command type SetAttrs");
    ClusterNodes.Member n2 = cluster.member(1);
    for (int i = 0; i < APPENDS; i++) {
      writer.appendThrough(other, i % 2 == 0 ? n1 : n2, DEADLINE);
    }
    cluster.process(2).setExtraJvmArgs();
    cluster.process(2).restart();
    cluster.awaitConverged(DEADLINE, "after n3's restart, " + ctx);
    verifier.check(poison, seed + 2);
    verifier.check(other, seed + 3);
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  private String stderr(int i) throws IOException {
    return Files.readString(cluster.process(i).stderrLog(), StandardCharsets.UTF_8);
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }
}
