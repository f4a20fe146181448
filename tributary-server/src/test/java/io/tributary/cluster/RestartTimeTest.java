package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: measure how long a node that was SIGKILLed under write load takes to serve again
 * ({@code /readyz} 200) when it holds a meaningful amount of data, and check that nothing
 * acknowledged is lost across that restart. The time is printed, never asserted (speed targets
 * live in docs/benchmarks.md); the only bound is a generous liveness deadline.
 *
 * <p>Method, as a story: three nodes ({@link ClusterNodes}) with the product's defaults for groups (8) and snapshots (every
 * 20,000 entries), so a restart replays up to that many entries per group. First a bulk phase
 * fills {@value #BULK_STREAMS} streams with {@code -Drestart.mib} MiB in total (default
 * {@value #BULK_MIB_DEFAULT}; 512 KiB appends, one producer per stream), then {@value #WRITERS}
 * {@link ClusterWriter}s append small records to {@value #STREAMS} more streams (many Raft
 * entries). Under that load the victim (n2) is SIGKILLed and started again at once; we time its
 * process start to {@code /readyz} and to "caught up" (no apply lag in any group), keep the load a
 * little longer, stop the writers, wait for convergence and check every replica: the small
 * streams against their ledgers ({@link ReplicaVerifier}), the bulk streams by length and SHA-256
 * on every node.
 */
class RestartTimeTest {
  private static final int NODES = 3;
  private static final int BULK_STREAMS = 8;
  private static final int BULK_MIB_DEFAULT = 128;
  private static final int BULK_APPEND_BYTES = 512 * 1024;
  private static final int STREAMS = 16;
  private static final int WRITERS = 4;
  private static final int VICTIM = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(120);

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final int bulkMib = Integer.getInteger("restart.mib", BULK_MIB_DEFAULT);
  private final SplittableRandom random = new SplittableRandom(seed);
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("restart-time")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(30));
  private final LoadMonitor progress = new LoadMonitor();
  private final List<ClusterWriter> writers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private ClusterNodes cluster;
  private String ctx;

  /** The data directories go even after a failure (three copies of the bulk data); the logs stay. */
  @AfterEach
  void stopEverything() throws java.io.IOException {
    writers.forEach(ClusterWriter::requestStop);
    threads.forEach(Thread::interrupt);
    if (cluster != null) {
      cluster.close();
    }
    client.close();
    io.tributary.testing.TestDirs.deleteTree(work.resolve("data"));
  }

  @Test
  @Timeout(value = 900, unit = TimeUnit.SECONDS)
  void sigkilledNodeWithDataServesAgainAndLosesNothing() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(NODES, random), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "write-timeout-ms", "5000",
        "body-bytes-max", "1MiB"), client);
    ctx = "seed=" + seed + ", logs in " + work;
    cluster.startAll();
    cluster.awaitAllReady(READY_TIMEOUT, ctx);

    long bulkStart = System.nanoTime();
    int appendsPerStream = Math.max(1, (int) ((long) bulkMib * 1024 * 1024 / BULK_APPEND_BYTES / BULK_STREAMS));
    List<String> bulkDigests = fillBulkStreams(appendsPerStream);
    long bulkBytes = (long) appendsPerStream * BULK_APPEND_BYTES * BULK_STREAMS;
    System.out.printf("RestartTimeTest: stored %d MiB in %d bulk streams in %d s [%s]%n", bulkBytes >> 20,
        BULK_STREAMS, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - bulkStart), ctx);

    List<ProducerLedger> streams = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      ProducerLedger s = new ProducerLedger(seed, i, String.format("restart-%02d", i), 1);
      cluster.create(cluster.member(random.nextInt(NODES)), s.name, Duration.ofSeconds(30), ctx);
      streams.add(s);
    }
    ClusterWriter.startAll(WRITERS, streams, cluster, client, progress, seed, ctx, "restart-writer", writers, threads);
    progress.awaitDelayOrFailure(Duration.ofSeconds(5));
    assertThat(progress.failures()).as("writer failures before the kill [%s]", ctx).isEmpty();
    long acksBeforeKill = progress.acks();

    ServerProcess victim = cluster.process(VICTIM);
    victim.kill9();
    progress.awaitDelayOrFailure(Duration.ofSeconds(2));
    long restartNanos = System.nanoTime();
    victim.restart();
    long listeningMillis = millisSince(restartNanos);
    cluster.awaitReady(VICTIM, READY_TIMEOUT, "after the restart, " + ctx);
    long readyMillis = millisSince(restartNanos);
    await("n2 caught up [" + ctx + "]").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(100))
        .until(() -> caughtUp(VICTIM));
    long caughtUpMillis = millisSince(restartNanos);
    progress.awaitDelayOrFailure(Duration.ofSeconds(3));

    writers.forEach(ClusterWriter::requestStop);
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(60));
      assertThat(t.isAlive()).as("%s stopped [%s]", t.getName(), ctx).isFalse();
    }
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
    cluster.awaitConverged(CONVERGE_TIMEOUT, ctx);
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);
    for (ProducerLedger s : streams) {
      verifier.check(s, random.nextLong());
    }
    checkBulkStreams(appendsPerStream, bulkDigests);
    System.out.printf("RestartTimeTest: %s SIGKILLed under load with %d MiB stored (%d small appends acked"
            + " before the kill, %d in all): process start to listening %d ms, to /readyz %d ms, to caught up %d ms"
            + " [%s]%n", cluster.member(VICTIM).id(), bulkBytes >> 20, acksBeforeKill, progress.acks(),
        listeningMillis, readyMillis, caughtUpMillis, ctx);
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  /** Every group on node i has applied what it knows committed. */
  private boolean caughtUp(int i) throws InterruptedException {
    List<ClusterNodes.GroupView> v = cluster.groups(i);
    return v != null && v.stream().allMatch(g -> g.hasLeader() && g.lag() == 0);
  }

  /** The bulk streams, one thread each; returns each stream's expected SHA-256. */
  private List<String> fillBulkStreams(int appendsPerStream) throws Exception {
    List<Future<String>> digests = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      for (int s = 0; s < BULK_STREAMS; s++) {
        int si = s;
        String name = "bulk-" + s;
        cluster.create(cluster.member(s % NODES), name, Duration.ofSeconds(30), ctx);
        digests.add(pool.submit(() -> {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          StreamClient.Producer p;
          for (int k = 0; k < appendsPerStream; k++) {
            byte[] body = bulkBody(si, k);
            p = new StreamClient.Producer("bulk-" + si, 1, k);
            ClusterNodes.Member via = cluster.member((si + k) % NODES);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int status;
            do {
              HttpResponse<byte[]> r = client.append(via.baseUrl(), name, ProducerLedger.CONTENT_TYPE, body, p);
              status = r.statusCode();
              assertThat(status).as("bulk append %s #%d via %s [%s]", name, k, via.id(), ctx).isIn(200, 204, 503);
            } while (status == 503 && System.nanoTime() < deadline);
            assertThat(status).as("bulk append %s #%d acknowledged [%s]", name, k, ctx).isIn(200, 204);
            sha.update(body);
          }
          return HexFormat.of().formatHex(sha.digest());
        }));
      }
      List<String> out = new ArrayList<>();
      for (Future<String> f : digests) {
        out.add(f.get());
      }
      return out;
    }
  }

  private byte[] bulkBody(int stream, int k) {
    byte[] b = new byte[BULK_APPEND_BYTES];
    new SplittableRandom(seed ^ (stream * 0x9E3779B97F4A7C15L) ^ k).nextBytes(b);
    return b;
  }

  /** Each bulk stream on each node: exactly the acknowledged bytes, by length and SHA-256. */
  private void checkBulkStreams(int appendsPerStream, List<String> digests) throws Exception {
    for (int s = 0; s < BULK_STREAMS; s++) {
      for (ClusterNodes.Member m : cluster.members()) {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long length = 0;
        for (StreamClient.Chunk c : client.readAll(m.baseUrl(), "bulk-" + s, 100_000)) {
          assertThat(c.status()).as("read bulk-%d at %s [%s]", s, m.id(), ctx).isEqualTo(200);
          sha.update(c.body());
          length += c.body().length;
        }
        assertThat(length).as("bulk-%d length at %s [%s]", s, m.id(), ctx)
            .isEqualTo((long) appendsPerStream * BULK_APPEND_BYTES);
        assertThat(HexFormat.of().formatHex(sha.digest())).as("bulk-%d SHA-256 at %s [%s]", s, m.id(), ctx)
            .isEqualTo(digests.get(s));
      }
    }
  }
}
