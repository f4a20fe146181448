package io.tributary.cluster;

import io.tributary.testing.LoadMonitor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: in a three-node cluster whose nodes are killed with SIGKILL over and over under load,
 * every acknowledged append is present exactly once, in order, at its acknowledged offset, on
 * every node, and all replicas of every stream are byte-identical.
 *
 * <p>Method (seeded; {@code -Dseed=N} replays the kill schedule, stream layout and payloads;
 * thread timing still varies): three nodes run as separate JVMs ({@link ClusterNodes}), with
 * election timeouts of 500–1000 ms, snapshots every 100 Raft entries and 1 MiB Raft log segments,
 * so a node that was down catches up from the leaders' logs or, once they were purged, by
 * snapshot installation. {@code -Dfault.groups=N} sets the group count (default: the cluster's).
 * {@value #WRITERS} writer threads ({@link ClusterWriter}) append to {@value #STREAMS} binary
 * streams spread over all groups, each writer the idempotent producer of its streams, each
 * attempt sent to a random node (leader or follower); an attempt with an unknown outcome (503,
 * connection error) is retried with the same producer triple through a node picked afresh.
 * Every acknowledgement is recorded in the stream's ledger ({@link ProducerLedger}).
 *
 * <p>Steps:
 * <ol>
 *   <li>Start n1, n2, n3; wait until every node is ready; create the streams; start the writers.
 *   <li>{@code -Dfault.kills} times (default {@value #KILLS_DEFAULT}): let the load run for a
 *       random 0.3–1.5 s; pick the victim — on odd rounds the node that leads the group that
 *       committed most since the previous round (a busy group's leader), on even rounds a random
 *       node; SIGKILL it. Check that the surviving majority keeps acknowledging appends (new
 *       leaders are elected for the victim's groups), then restart the victim on its data and
 *       wait until it is ready.
 *   <li>Stop the writers (each first gets its last append acknowledged, so nothing is in
 *       doubt); wait until the cluster has converged: every node agrees on every group's leader
 *       and commit index and has applied everything. Every node must still acknowledge an
 *       append to every stream (as leader or forwarding), and the cluster converge again.
 *   <li>Read every stream from every node (through each node's read barrier; a 503 while a group
 *       re-elects, which the starved box produces even after convergence, is retried for up to
 *       30 s as a client would) and compare: the
 *       replicas byte for byte with each other, then with the ledger, then reads from sampled
 *       acknowledged end offsets ({@link ReplicaVerifier}).
 * </ol>
 *
 * <p>A second story, {@link #everyAcknowledgedAppendSurvivesAKillEveryFewSeconds}, keeps a fixed
 * cadence instead: for {@code -Dfault.periodic.seconds} (default {@value #PERIODIC_SECONDS_DEFAULT})
 * a random node is SIGKILLed every {@code -Dfault.periodic.interval-ms} (default
 * {@value #PERIODIC_INTERVAL_MILLIS_DEFAULT}) and started again in the background at once, so
 * kills land on nodes still replaying their logs, catching up or re-electing. While a node is
 * still starting (before its listening line) only that node may be the victim — it is killed
 * again mid-start (a crash during recovery) — and a tick that picks another node is skipped, so a
 * majority stays up; kills, mid-start kills and skips are counted. Then the same stop,
 * convergence, every-node append and replica checks as
 * above: every acknowledged append exactly once on every node, and no replica stuck (every node
 * ready, converged, and acknowledging).
 *
 * <p>The seed, the victims and a summary are printed; nodes' logs are kept under
 * {@code target/cluster-fault/seed-*}.
 */
class ClusterFaultTest {
  static final int NODES = 3;
  static final int STREAMS = 24;
  static final int WRITERS = 6;
  static final int KILLS_DEFAULT = 20;
  static final int PERIODIC_SECONDS_DEFAULT = 60;
  static final int PERIODIC_INTERVAL_MILLIS_DEFAULT = 5000;
  private static final int ACKS_WHILE_DOWN = 20;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration MAJORITY_PROGRESS_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration WRITERS_STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(60);
  private static final int CHECK_THREADS = 3;

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final int kills = Integer.getInteger("fault.kills", KILLS_DEFAULT);
  private final SplittableRandom random = new SplittableRandom(seed);
  private final long startNanos = System.nanoTime();
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("cluster-fault")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(REQUEST_TIMEOUT);
  private final LoadMonitor progress = new LoadMonitor();
  private final List<ClusterWriter> writers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<ProducerLedger> streams = new ArrayList<>();
  private final List<String> victims = new ArrayList<>();
  private long[] commitsAtLastRound;
  private ClusterNodes cluster;
  private String ctx;
  private long downMillisMax;
  private long restartMillisMax;

  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void everyAcknowledgedAppendSurvivesRepeatedSigkillsOnEveryReplica() throws Exception {
    assertThat(kills).as("-Dfault.kills").isPositive();
    startClusterAndCreateStreams();
    startWriters();
    for (int k = 1; k <= kills; k++) {
      killAndRestart(k, k % 2 == 1);
    }
    stopWriters();
    cluster.awaitConverged(CONVERGE_TIMEOUT, ctx);
    everyNodeStillAcknowledges();
    cluster.awaitConverged(CONVERGE_TIMEOUT, ctx);
    int offsetReads = verifyEveryReplica();
    report(offsetReads, kills);
    cluster.close(); // stopped first: running nodes keep writing into their data directories
    io.tributary.testing.TestDirs.deleteTree(work.resolve("data")); // kept when the test fails, for diagnosis; logs are always kept
  }

  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void everyAcknowledgedAppendSurvivesAKillEveryFewSeconds() throws Exception {
    long seconds = Long.getLong("fault.periodic.seconds", PERIODIC_SECONDS_DEFAULT);
    long intervalMillis = Long.getLong("fault.periodic.interval-ms", PERIODIC_INTERVAL_MILLIS_DEFAULT);
    assertThat(seconds).as("-Dfault.periodic.seconds").isPositive();
    assertThat(intervalMillis).as("-Dfault.periodic.interval-ms").isPositive();
    startClusterAndCreateStreams();
    startWriters();
    int done = killOnSchedule(TimeUnit.SECONDS.toNanos(seconds), TimeUnit.MILLISECONDS.toNanos(intervalMillis));
    cluster.awaitAllReady(READY_TIMEOUT, "after the kills, " + ctx);
    stopWriters();
    cluster.awaitConverged(CONVERGE_TIMEOUT, ctx);
    everyNodeStillAcknowledges();
    cluster.awaitConverged(CONVERGE_TIMEOUT, ctx);
    int offsetReads = verifyEveryReplica();
    report(offsetReads, done);
    cluster.close();
    io.tributary.testing.TestDirs.deleteTree(work.resolve("data"));
  }

  /**
   * Every {@code intervalNanos} for {@code durationNanos}: SIGKILL a random node and start it again
   * in the background. While a node is starting, a tick that picks it kills it mid-start and one
   * that picks another node is skipped. Returns the kills done.
   */
  private int killOnSchedule(long durationNanos, long intervalNanos) throws Exception {
    List<Future<?>> starting = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      starting.add(null);
    }
    int done = 0;
    int midStart = 0;
    int skipped = 0;
    long begin = System.nanoTime();
    try (ExecutorService restarts = Executors.newFixedThreadPool(NODES)) {
      for (long tick = begin + intervalNanos; tick < begin + durationNanos; tick += intervalNanos) {
        progress.awaitDelayOrFailure(Duration.ofNanos(Math.max(0, tick - System.nanoTime())));
        assertThat(progress.failures()).as("writer failures before the tick at %d s [%s]",
            TimeUnit.NANOSECONDS.toSeconds(tick - begin), ctx).isEmpty();
        int busy = -1;
        for (int i = 0; i < NODES; i++) {
          Future<?> f = starting.get(i);
          if (f != null && f.isDone()) {
            f.get(); // a start that failed on its own fails the test here
            starting.set(i, null);
          }
          if (starting.get(i) != null) {
            busy = i;
          }
        }
        int victim = random.nextInt(NODES);
        String name = cluster.member(victim).id();
        ServerProcess p = cluster.process(victim);
        if (busy >= 0 && victim != busy) {
          skipped++;
          System.out.printf("ClusterFaultTest: tick at %d s: %s picked, skipped (%s is still starting)%n",
              TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begin), name, cluster.member(busy).id());
          continue;
        }
        if (victim == busy) {
          killStarting(p);
          try {
            starting.get(victim).get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            // expected: it died before its listening line
          }
          if (p.isAlive()) {
            p.kill9(); // it got to its listening line just before the kill
          }
          midStart++;
        } else {
          p.kill9();
        }
        victims.add(name + (victim == busy ? "(mid-start)" : ""));
        done++;
        long killNanos = System.nanoTime();
        int k = done;
        starting.set(victim, restarts.submit(() -> {
          p.restart();
          System.out.printf("ClusterFaultTest: periodic kill %d: %s listening again %d ms after the kill, %d acks so"
              + " far%n", k, name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killNanos), progress.acks());
          return null;
        }));
      }
      for (Future<?> f : starting) {
        if (f != null) {
          f.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
      }
    }
    System.out.printf("ClusterFaultTest: %d kills every %d ms for %d s (%d of them mid-start; %d ticks skipped while a"
        + " node was starting) [%s]%n", done, TimeUnit.NANOSECONDS.toMillis(intervalNanos),
        TimeUnit.NANOSECONDS.toSeconds(durationNanos), midStart, skipped, ctx);
    return done;
  }

  /** SIGKILLs the child JVM of {@code p} that is still starting (ServerProcess knows it only once it listens). */
  private static void killStarting(ServerProcess p) throws InterruptedException {
    String dir = p.dataDir().toAbsolutePath().toString();
    for (ProcessHandle h : ProcessHandle.current().descendants().toList()) {
      List<String> args = List.of(h.info().arguments().orElse(new String[0]));
      int at = args.indexOf("--data-dir");
      if (at >= 0 && at + 1 < args.size() && args.get(at + 1).equals(dir)) {
        h.destroyForcibly();
        h.onExit().join();
      }
    }
  }

  @AfterEach
  void stopEverything() {
    writers.forEach(ClusterWriter::requestStop);
    threads.forEach(Thread::interrupt);
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  /** Three fresh nodes, all ready; the streams, created through random nodes. */
  private void startClusterAndCreateStreams() throws Exception {
    List<ClusterNodes.Member> members = ClusterNodes.members(NODES, random);
    cluster = new ClusterNodes(work, members, ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "long-poll-timeout-ms", "500",
        "write-timeout-ms", "5000",
        "snapshot-interval-entries", "100",
        "body-bytes-max", "1MiB",
        "tail-cache-bytes", "1MiB",
        // small Raft log segments: only closed ones are purged, and a restart re-reads the open one
        // (up to 16 MiB per group by default), which on this starved box made late restarts 20+ s
        "groups", System.getProperty("fault.groups", "0")), client);
    ctx = "seed=" + seed + " (rerun with -Dseed=" + seed + "), logs in " + work;
    System.out.println("ClusterFaultTest: " + ctx + ", " + kills + " kills, nodes " + members);
    cluster.startAll();
    cluster.awaitAllReady(READY_TIMEOUT, ctx);
    for (int i = 0; i < STREAMS; i++) {
      ProducerLedger s = new ProducerLedger(seed, i, String.format("fault-%02d", i), 1 + random.nextInt(3));
      ClusterNodes.Member via = cluster.member(random.nextInt(NODES));
      await("PUT " + s.name + " via " + via.id() + " [" + ctx + "]").atMost(REQUEST_TIMEOUT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> created(via, s.name));
      streams.add(s);
    }
  }

  /** True once the stream exists (201, or 200 for a retry of a create that was applied); false on 503. */
  private boolean created(ClusterNodes.Member via, String name) throws IOException, InterruptedException {
    HttpResponse<byte[]> res = client.create(via.baseUrl(), name, ProducerLedger.CONTENT_TYPE);
    if (res.statusCode() == 503) {
      return false;
    }
    assertThat(res.statusCode()).as("PUT %s via %s [%s]", name, via.id(), ctx).isIn(200, 201);
    return true;
  }

  /** Writer w owns streams w, w + WRITERS, ... */
  private void startWriters() {
    ClusterWriter.startAll(WRITERS, streams, cluster, client, progress, seed, ctx, "fault-writer", writers, threads);
  }

  /**
   * Load for a while; SIGKILL a busy group's leader (or a random node); the majority must keep
   * acknowledging; restart the victim and wait until it is ready.
   */
  private void killAndRestart(int k, boolean busyLeader) throws Exception {
    progress.awaitDelayOrFailure(Duration.ofMillis(300 + random.nextInt(1200)));
    assertThat(progress.failures()).as("writer failures before kill %d [%s]", k, ctx).isEmpty();
    int victim = busyLeader ? busiestGroupLeader() : -1;
    String why = "leader of the busiest group";
    if (victim < 0) {
      victim = random.nextInt(NODES);
      why = busyLeader ? "random node (no busy group's leader known)" : "random node";
    }
    ServerProcess p = cluster.process(victim);
    String name = cluster.member(victim).id();
    p.kill9();
    long killNanos = System.nanoTime();
    victims.add(name);
    long target = progress.acks() + ACKS_WHILE_DOWN;
    try {
      await("the majority acknowledges appends while " + name + " is down").atMost(MAJORITY_PROGRESS_TIMEOUT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> progress.acks() >= target || progress.failed());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("kill " + k + " of " + name + ": fewer than " + ACKS_WHILE_DOWN + " acks in "
          + MAJORITY_PROGRESS_TIMEOUT + " from the surviving majority\n" + cluster.describe()
          + cluster.dumpThreads("kill-" + k + "-stalled") + " [" + ctx + "]", e);
    }
    assertThat(progress.failures()).as("writer failures after kill %d [%s]", k, ctx).isEmpty();
    long restartNanos = System.nanoTime();
    p.restart();
    cluster.awaitReady(victim, READY_TIMEOUT, "after kill " + k + ", " + ctx);
    long now = System.nanoTime();
    long downMillis = TimeUnit.NANOSECONDS.toMillis(now - killNanos);
    long restartMillis = TimeUnit.NANOSECONDS.toMillis(now - restartNanos);
    downMillisMax = Math.max(downMillisMax, downMillis);
    restartMillisMax = Math.max(restartMillisMax, restartMillis);
    System.out.printf("ClusterFaultTest: kill %d/%d: %s (%s), down %d ms, restart to ready %d ms, %d acks so far%n",
        k, kills, name, why, downMillis, restartMillis, progress.acks());
  }

  /** The node that leads the group with the most commits since the previous round, or -1. */
  private int busiestGroupLeader() throws InterruptedException {
    List<ClusterNodes.GroupView> view = cluster.groups(random.nextInt(NODES));
    if (view == null) {
      return -1;
    }
    long[] commits = view.stream().mapToLong(ClusterNodes.GroupView::commitIndex).toArray();
    int busiest = -1;
    long most = -1;
    for (int g = 0; g < commits.length; g++) {
      long delta = commits[g] - (commitsAtLastRound == null ? 0 : commitsAtLastRound[g]);
      if (delta > most && view.get(g).hasLeader()) {
        most = delta;
        busiest = g;
      }
    }
    commitsAtLastRound = commits;
    return busiest < 0 ? -1 : cluster.indexOf(view.get(busiest).leader());
  }

  /** Each writer finishes its append in flight (all nodes are up), then stops. */
  private void stopWriters() throws InterruptedException {
    writers.forEach(ClusterWriter::requestStop);
    for (Thread t : threads) {
      t.join(WRITERS_STOP_TIMEOUT);
      assertThat(t.isAlive()).as("%s stopped within %s [%s]", t.getName(), WRITERS_STOP_TIMEOUT, ctx).isFalse();
    }
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
  }

  /**
   * After the storm every node still works for every group: one more append to every stream
   * through every node (each node leads some groups and forwards for the others).
   */
  private void everyNodeStillAcknowledges() throws InterruptedException {
    ClusterWriter checker = new ClusterWriter(WRITERS, streams, cluster.members(), client, progress, seed, ctx);
    for (ProducerLedger s : streams) {
      for (ClusterNodes.Member m : cluster.members()) {
        checker.appendThrough(s, m, Duration.ofSeconds(30));
      }
    }
  }

  /** Every stream on every node, {@value #CHECK_THREADS} streams at a time; returns the offset reads done. */
  private int verifyEveryReplica() throws Exception {
    AtomicInteger offsetReads = new AtomicInteger();
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);
    List<Future<?>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(CHECK_THREADS)) {
      for (ProducerLedger s : streams) {
        long sampleSeed = random.nextLong();
        results.add(pool.submit(() -> {
          offsetReads.addAndGet(verifier.check(s, sampleSeed));
          return null;
        }));
      }
      for (Future<?> f : results) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Error err) {
            throw err;
          }
          throw (Exception) e.getCause();
        }
      }
    }
    return offsetReads.get();
  }

  private void report(int offsetReads, int killCount) {
    long appends = streams.stream().mapToLong(s -> s.acked.size()).sum();
    long bytes = streams.stream().mapToLong(ProducerLedger::ackedBytes).sum();
    long viaDuplicate = streams.stream().flatMap(s -> s.acked.stream()).filter(a -> a.endOffset() == null).count();
    long afterRetries = streams.stream().flatMap(s -> s.acked.stream()).filter(a -> a.attempts() > 1).count();
    StringBuilder snapshots = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      snapshots.append(' ').append(cluster.member(i).id()).append('=')
          .append(cluster.logCount(i, "received snapshot"));
    }
    assertThat(appends).as("acknowledged appends [%s]", ctx).isGreaterThan((long) killCount * ACKS_WHILE_DOWN);
    System.out.printf("ClusterFaultTest: seed %d passed in %d s: %d kills (%s), longest down %d ms, longest restart"
            + " %d ms; %d appends (%d KiB) acknowledged on %d streams, %d after retries, %d via 204 duplicate"
            + " (%d of them on a first attempt), %d retries; snapshot installations:%s; replicas identical on %d"
            + " nodes, %d end-offset reads%n",
        seed, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos), killCount, String.join(",", victims),
        downMillisMax, restartMillisMax, appends, bytes / 1024, streams.size(), afterRetries, viaDuplicate,
        progress.firstAttemptDuplicates(), progress.retries(), snapshots, NODES, offsetReads);
  }
}
