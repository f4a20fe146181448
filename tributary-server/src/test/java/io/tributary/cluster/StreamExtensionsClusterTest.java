package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.extensions.StreamExtensionsContract;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link StreamExtensionsContract} against a 3-node cluster (separate processes), every request
 * sent to a node that does not lead the stream's group (by the latest {@code /admin/groups}
 * view): writes are forwarded to the leader, reads pass the follower's read barrier.
 */
class StreamExtensionsClusterTest extends StreamExtensionsContract {
  private static final long SEED = Long.getLong("seed", System.nanoTime());
  private static final StreamClient CLIENT = new StreamClient(Duration.ofSeconds(15));
  private static final AtomicInteger TO_FOLLOWERS = new AtomicInteger();
  private static ClusterNodes cluster;
  private static volatile List<ClusterNodes.GroupView> view;

  @BeforeAll
  static void start() throws Exception {
    Path work = ServerProcess.defaultLogDir().resolveSibling("extensions").resolve("seed-" + SEED);
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(SEED)), ClusterNodes.DIRECT,
        SETTINGS, CLIENT);
    cluster.startAll();
    cluster.awaitConverged(Duration.ofSeconds(60), "seed=" + SEED);
    view = cluster.groups(0);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    CLIENT.close();
    assertThat(TO_FOLLOWERS.get()).as("requests sent to followers").isPositive();
  }

  @Override
  protected String url(String path) throws Exception {
    String name = path.substring("/v1/stream/".length());
    int q = name.indexOf('?');
    name = q < 0 ? name : name.substring(0, q);
    int ext = name.indexOf("/$");
    name = ext < 0 ? name : name.substring(0, ext);
    int group = new StreamKey(StreamKey.DEFAULT_BUCKET, name).groupIndex(view.size());
    ClusterNodes.GroupView g = view.get(group);
    if (!g.hasLeader()) {
      view = cluster.groups(0);
      g = view.get(group);
    }
    int leader = cluster.indexOf(g.leader());
    assertThat(leader).as("group %d has a known leader: %s", group, g).isNotNegative();
    TO_FOLLOWERS.incrementAndGet();
    return cluster.member((leader + 1 + (path.length() & 1)) % 3).baseUrl() + path;
  }
}
