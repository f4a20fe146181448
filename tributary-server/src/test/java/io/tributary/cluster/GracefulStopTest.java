package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a node stopped with SIGTERM hands the leadership of its groups to a peer before it goes,
 * so those groups have a new leader within a heartbeat round or two, not after an election
 * timeout; a SIGKILLed leader, for contrast, is replaced only once its followers' election
 * timeouts ran out. Both times are printed; the assertions are liveness only (speed targets live
 * in docs/benchmarks.md), plus: nothing acknowledged is lost.
 *
 * <p>Method, as a story: three nodes with long election timeouts (2-3 s, so the two ways differ
 * clearly) and two writers appending through every node. Once n1 leads some groups, it is sent
 * SIGTERM; we time, from the signal, until both survivors name another leader for each of those
 * groups. n1 starts again and, once it leads groups again (the preferred-peer balance gives them
 * back), is SIGKILLed; the same time is taken. n1 starts again, the writers stop, and every
 * stream is compared with its ledger on every node ({@link ReplicaVerifier}).
 */
class GracefulStopTest {
  private static final int NODES = 3;
  private static final int STREAMS = 6;
  private static final int WRITERS = 2;
  private static final int VICTIM = 0;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  /** Liveness only: a new leader for every group the victim led. */
  private static final Duration NEW_LEADER_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration LEADS_AGAIN_TIMEOUT = Duration.ofSeconds(60);

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final LoadMonitor progress = new LoadMonitor();
  private final List<ClusterWriter> writers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private ClusterNodes cluster;
  private String ctx;

  @AfterEach
  void stopEverything() {
    writers.forEach(ClusterWriter::requestStop);
    threads.forEach(Thread::interrupt);
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void stoppedLeaderHandsOverItsGroupsWithoutAnElectionTimeout() throws Exception {
    java.nio.file.Path work = ServerProcess.defaultLogDir().resolveSibling("graceful-stop")
        .resolve("seed-" + seed + "-" + System.currentTimeMillis());
    cluster = new ClusterNodes(work, ClusterNodes.members(NODES, random), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "2000",
        "election-timeout-max-ms", "3000",
        "write-timeout-ms", "10000",
        "groups", "6"), client);
    ctx = "seed=" + seed + ", logs in " + work;
    cluster.startAll();
    cluster.awaitAllReady(READY_TIMEOUT, ctx);
    List<ProducerLedger> streams = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      ProducerLedger s = new ProducerLedger(seed, i, String.format("graceful-%02d", i), 1);
      cluster.create(cluster.member(i % NODES), s.name, Duration.ofSeconds(30), ctx);
      streams.add(s);
    }
    ClusterWriter.startAll(WRITERS, streams, cluster, client, progress, seed, ctx, "graceful-writer", writers, threads);

    ServerProcess victim = cluster.process(VICTIM);
    Set<Integer> led = awaitVictimLeads();
    long t0 = System.nanoTime();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
      try {
        return victim.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    });
    awaitNewLeaders(led, "after SIGTERM");
    long gracefulMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(exit.get(60, TimeUnit.SECONDS)).as("n1 exit status after SIGTERM [%s]", ctx)
        .isEqualTo(ServerProcess.EXIT_SIGTERM);
    long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

    victim.restart();
    cluster.awaitReady(VICTIM, READY_TIMEOUT, ctx);
    Set<Integer> ledAgain = awaitVictimLeads();
    long t1 = System.nanoTime();
    victim.kill9();
    awaitNewLeaders(ledAgain, "after SIGKILL");
    long killedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);

    victim.restart();
    cluster.awaitReady(VICTIM, READY_TIMEOUT, ctx);
    writers.forEach(ClusterWriter::requestStop);
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(60));
      assertThat(t.isAlive()).as("%s stopped [%s]", t.getName(), ctx).isFalse();
    }
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
    cluster.awaitConverged(Duration.ofSeconds(60), ctx);
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);
    for (ProducerLedger s : streams) {
      verifier.check(s, random.nextLong());
    }
    System.out.printf("GracefulStopTest: n1 led groups %s; after SIGTERM every one had a new leader in %d ms (n1 exited"
            + " after %d ms); n1 led %s again, after SIGKILL new leaders took %d ms (election timeout 2000-3000 ms);"
            + " %d appends acknowledged [%s]%n", led, gracefulMillis, exitMillis, ledAgain, killedMillis,
        progress.acks(), ctx);
    cluster.close();
    io.tributary.testing.TestDirs.deleteTree(work.resolve("data"));
  }

  /** Waits until both survivors agree that n1 leads at least one group; returns those groups. */
  private Set<Integer> awaitVictimLeads() {
    String id = cluster.member(VICTIM).id();
    List<Set<Integer>> out = new ArrayList<>();
    await("n1 leads a group [" + ctx + "]").atMost(LEADS_AGAIN_TIMEOUT).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          List<ClusterNodes.GroupView> v = cluster.groups(VICTIM);
          if (v == null) {
            return false;
          }
          Set<Integer> led = v.stream().filter(g -> g.role().equals("LEADER") && id.equals(g.leader()))
              .map(ClusterNodes.GroupView::group).collect(Collectors.toSet());
          out.clear();
          out.add(led);
          return !led.isEmpty() && survivorsSee(led, id);
        });
    return out.get(0);
  }

  private boolean survivorsSee(Set<Integer> groups, String leader) throws InterruptedException {
    for (int i = 0; i < NODES; i++) {
      if (i == VICTIM) {
        continue;
      }
      List<ClusterNodes.GroupView> v = cluster.groups(i);
      if (v == null || groups.stream().anyMatch(g -> !leader.equals(v.get(g).leader()))) {
        return false;
      }
    }
    return true;
  }

  /** Both survivors name one leader, not n1, for every group in {@code groups}. */
  private void awaitNewLeaders(Set<Integer> groups, String when) {
    String id = cluster.member(VICTIM).id();
    await("new leaders for " + groups + " " + when + " [" + ctx + "]").atMost(NEW_LEADER_TIMEOUT)
        .pollInterval(Duration.ofMillis(10)).until(() -> {
          List<List<ClusterNodes.GroupView>> views = new ArrayList<>();
          for (int i = 0; i < NODES; i++) {
            if (i != VICTIM) {
              List<ClusterNodes.GroupView> v = cluster.groups(i);
              if (v == null) {
                return false;
              }
              views.add(v);
            }
          }
          for (int g : groups) {
            String leader = views.get(0).get(g).leader();
            if (!views.get(0).get(g).hasLeader() || leader.equals(id) || !leader.equals(views.get(1).get(g).leader())) {
              return false;
            }
          }
          return true;
        });
  }
}
