package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.common.StreamKey;
import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: the SOFAJRaft engine ({@code --engine jraft}) keeps the product's guarantees in the
 * basic cluster story: writes through a follower are forwarded to the leader, reads through any
 * node see every acknowledged write (ReadIndex barrier), a killed leader is replaced, and a
 * restarted node that fell behind the leaders' purged logs catches up through SOFAJRaft's snapshot
 * file transfer, after which every acknowledged append is present exactly once on every node.
 *
 * <p>Method (seeded, {@code -Dseed=N}): three nodes as separate JVMs, election timeouts 500–1000
 * ms, a snapshot every 100 entries (SOFAJRaft keeps as many entries of log behind it). Streams are
 * idempotent producers ({@link ProducerLedger}); each append is retried through the same node on
 * 503 with the same producer triple until acknowledged ({@link ClusterWriter#appendThrough}).
 *
 * <p>Steps:
 * <ol>
 *   <li>Start n1..n3 on jraft, wait until ready; create {@value #STREAMS} streams through a node
 *       that does not lead their group; append {@value #APPENDS_BEFORE} to each through that
 *       follower; read every stream from every node ({@link ReplicaVerifier}).
 *   <li>SIGKILL the leader of the first stream's group; keep appending to every stream through
 *       the survivors ({@value #APPENDS_WHILE_DOWN} to the first stream, enough for its group's
 *       leader to snapshot and purge the log the victim would need).
 *   <li>Restart the victim, wait until it is ready and the cluster converged; the victim must
 *       have installed a snapshot sent by a leader. Append once more to each stream through the
 *       victim; converge; every stream must read back exactly the acknowledged appends on every
 *       node, and every group's segment files must be byte-identical on every node.
 * </ol>
 */
class JRaftClusterTest {
  private static final int STREAMS = 4;
  private static final int APPENDS_BEFORE = 20;
  private static final int APPENDS_WHILE_DOWN = 260;
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final Duration CONVERGE = Duration.ofSeconds(90);

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("jraft-cluster")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final LoadMonitor progress = new LoadMonitor();
  private ClusterNodes cluster;
  private String ctx;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void followerWritesSurviveALeaderKillAndTheVictimCatchesUpBySnapshot() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(3, random), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "long-poll-timeout-ms", "500",
        "write-timeout-ms", "5000",
        "snapshot-interval-entries", "100",
        "body-bytes-max", "1MiB",
        "tail-cache-bytes", "1MiB"), client);
    ctx = "seed=" + seed + " (rerun with -Dseed=" + seed + "), logs in " + work;
    System.out.println("JRaftClusterTest: " + ctx);
    cluster.startAll();
    for (int i = 0; i < 3; i++) {
      cluster.awaitReady(i, Duration.ofSeconds(60), ctx);
    }
    ClusterWriter writer = new ClusterWriter(0, List.of(), cluster.members(), client, progress, seed, ctx);
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);

    // 1. create and append through followers; read everywhere
    List<ProducerLedger> streams = new ArrayList<>();
    int groups = cluster.groups(0).size();
    for (int i = 0; i < STREAMS; i++) {
      ProducerLedger s = new ProducerLedger(seed, i, "jraft-" + i, 1);
      int leader = leaderOf(0, s.name);
      ClusterNodes.Member follower = cluster.member((leader + 1) % 3);
      cluster.create(follower, s.name, DEADLINE, ctx);
      for (int a = 0; a < APPENDS_BEFORE; a++) {
        writer.appendThrough(s, follower, DEADLINE);
      }
      streams.add(s);
    }
    for (ProducerLedger s : streams) {
      verifier.check(s, seed + s.index);
    }

    // 2. kill the first stream's group leader; keep appending through the survivors
    int victim = leaderOf(0, streams.get(0).name);
    System.out.printf("JRaftClusterTest: killing %s, leader of %s's group%n", cluster.member(victim).id(),
        streams.get(0).name);
    cluster.process(victim).kill9();
    ClusterNodes.Member survivor = cluster.member((victim + 1) % 3);
    for (int a = 0; a < APPENDS_WHILE_DOWN; a++) {
      writer.appendThrough(streams.get(0), cluster.member((victim + 1 + a % 2) % 3), DEADLINE);
    }
    for (ProducerLedger s : streams.subList(1, STREAMS)) {
      writer.appendThrough(s, survivor, DEADLINE);
    }

    // 3. restart; it catches up by snapshot; every acknowledged append once on every node
    cluster.process(victim).restart();
    cluster.awaitReady(victim, Duration.ofSeconds(60), ctx);
    cluster.awaitConverged(CONVERGE, "after the restart, " + ctx);
    assertThat(cluster.logCount(victim, "installed snapshot"))
        .as("%s installed a snapshot from a leader [%s]", cluster.member(victim).id(), ctx).isPositive();
    for (ProducerLedger s : streams) {
      writer.appendThrough(s, cluster.member(victim), DEADLINE);
    }
    cluster.awaitConverged(CONVERGE, "after the last appends, " + ctx);
    for (ProducerLedger s : streams) {
      verifier.check(s, seed + s.index);
      assertThat(s.acked).as("acknowledged appends of %s", s.name)
          .hasSize(s.index == 0 ? APPENDS_BEFORE + APPENDS_WHILE_DOWN + 1 : APPENDS_BEFORE + 2);
    }
    verifier.checkSegmentFiles(groups);
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  /**
   * Index of the node that leads the stream's group as node {@code viewer} sees it, waiting while
   * the group elects (a leader change under load is normal; the story needs a leader, not a
   * particular one).
   */
  private int leaderOf(int viewer, String stream) {
    int[] leader = {-1};
    await("a leader of " + stream + "'s group seen by " + cluster.member(viewer).id() + " [" + ctx + "]")
        .atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> {
          List<ClusterNodes.GroupView> view = cluster.groups(viewer);
          if (view == null) {
            return false;
          }
          ClusterNodes.GroupView g = view.get(new StreamKey(StreamKey.DEFAULT_BUCKET, stream).groupIndex(view.size()));
          if (!g.hasLeader()) {
            return false;
          }
          leader[0] = cluster.indexOf(g.leader());
          return true;
        });
    return leader[0];
  }
}
