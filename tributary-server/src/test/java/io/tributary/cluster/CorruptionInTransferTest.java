package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ResponseBodyFlip;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import io.tributary.testing.TcpProxy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a snapshot damaged while it travels to a lagging follower is never installed, nothing
 * acknowledged is lost, and the follower still catches up from a clean copy.
 *
 * <p>Story, on three nodes (two groups, a snapshot every 100 entries, 64 KiB Raft log segments,
 * so a stopped follower soon needs a snapshot). n3 reaches the other nodes' HTTP ports — where it
 * downloads snapshots from — only through one proxy per peer; its Raft traffic is direct.
 * <ol>
 *   <li>Streams (at least two per group) take acknowledged appends from idempotent producers
 *       through every node; the cluster converges.</li>
 *   <li>n3 is stopped (SIGTERM). Appends go on through n1 and n2 until, in every group, both of
 *       their Raft logs start past n3's last entry: n3 can come back only through a snapshot.</li>
 *   <li>Each proxy is armed to flip one byte {@value #FLIP_BODY_OFFSET} bytes into the body of the
 *       first response that long — the first snapshot stream it carries, past the stream header
 *       — and to pass everything after it unchanged. n3 restarts.</li>
 *   <li>n3's first download from a flipping proxy is rejected ('snapshot download rejected' in its
 *       log, once per flipped byte at least); Ratis asks again, the next download is clean and
 *       installs ('received snapshot' for every group, after that group's rejection: the damaged
 *       copy was not installed); the cluster converges.</li>
 *   <li>Every stream, read from every node, is byte-identical and exactly the acknowledged appends;
 *       every data segment file is byte-identical on the three nodes.</li>
 * </ol>
 *
 * <p>Why a budget of one flipped response per proxy rather than a flip once per connection: whether
 * a retry comes on a new connection is up to the JDK client's pool — a download rejected mid-body
 * drops its connection, one whose damage sat in the last segment was read to the end and its
 * connection is reused. Flipping once per connection would damage every retry in the first case
 * (n3 never installs) and none in the second; a budget gives the same story either way: each
 * proxy damages the first snapshot stream it carries, and the ones after it are clean. With two
 * groups whose leaders may sit on one node or on both, one or two downloads are damaged.
 */
class CorruptionInTransferTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int GROUPS = 2;
  private static final int STREAMS_PER_GROUP_MIN = 2;
  private static final int STREAMS_MAX = 16;
  private static final int APPENDS_PER_STREAM = 20;
  /** Into the body, past the 36-byte snapshot stream header: lands in the metadata or a segment. */
  private static final long FLIP_BODY_OFFSET = 4096;

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("corruption-in-transfer")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final LoadMonitor progress = new LoadMonitor();
  private final List<TcpProxy> proxies = new ArrayList<>();
  private ClusterNodes cluster;
  private String ctx;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aSnapshotDamagedInFlightIsRejectedAndTheNextDownloadInstalls() throws Exception {
    System.out.println("CorruptionInTransferTest seed " + seed + ", logs in " + work);
    ctx = "seed=" + seed + ", logs in " + work;
    SplittableRandom random = new SplittableRandom(seed);
    List<ClusterNodes.Member> members = ClusterNodes.members(3, random);
    ClusterNodes.Member n3 = members.get(2);
    int[] proxyPorts = ClusterNodes.stablePorts(2, random);
    for (int i = 0; i < 2; i++) {
      proxies.add(new TcpProxy("n3-to-" + members.get(i).id() + "-data", proxyPorts[i], members.get(i).dataPort()));
    }
    ClusterNodes.HttpRoute n3ThroughProxies = (from, to) -> from.equals(n3) && !to.equals(n3)
        ? proxies.get(members.indexOf(to)).listenPort() : to.dataPort();
    cluster = new ClusterNodes(work, members, ClusterNodes.DIRECT, n3ThroughProxies, Map.of(
        "groups", Integer.toString(GROUPS),
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "write-timeout-ms", "5000",
        "snapshot-interval-entries", "100"), client);
    cluster.startAll();
    cluster.awaitConverged(DEADLINE, ctx);

    // 1. streams in every group; acknowledged appends through every node
    List<ProducerLedger> streams = createStreams();
    ClusterWriter writer = new ClusterWriter(0, streams, cluster.members(), client, progress, seed, ctx);
    for (int a = 0; a < APPENDS_PER_STREAM; a++) {
      for (ProducerLedger s : streams) {
        writer.appendThrough(s, cluster.member(random.nextInt(3)), DEADLINE);
      }
    }
    cluster.awaitConverged(DEADLINE, ctx);
    long[] n3LogEnd = new long[GROUPS];
    List<ClusterNodes.GroupView> views = cluster.groups(2);
    for (int g = 0; g < GROUPS; g++) {
      n3LogEnd[g] = views.get(g).commitIndex();
    }

    // 2. n3 stopped; the survivors write until their logs no longer reach back to n3's end
    ServerProcess n3Process = cluster.process(2);
    n3Process.stop();
    long rounds = 0;
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (!survivorsPurgedPast(n3LogEnd)) {
      assertThat(System.nanoTime()).as("n1 and n2 purge their logs past n3's ends %s within %s after %d rounds [%s]",
          Arrays.toString(n3LogEnd), DEADLINE, rounds, ctx).isLessThan(end);
      for (ProducerLedger s : streams) {
        writer.appendThrough(s, cluster.member(random.nextInt(2)), DEADLINE);
      }
      rounds++;
    }
    System.out.println("n3 stopped at log ends " + Arrays.toString(n3LogEnd) + "; " + rounds
        + " rounds of appends later n1's and n2's logs start past them [" + ctx + "]");

    // 3. the proxies flip one byte of the first long response each; n3 restarts
    List<ResponseBodyFlip> flips = new ArrayList<>();
    for (TcpProxy p : proxies) {
      ResponseBodyFlip f = new ResponseBodyFlip(1, FLIP_BODY_OFFSET, 1 << random.nextInt(8));
      p.flipResponses(f);
      flips.add(f);
    }
    n3Process.start();
    cluster.awaitConverged(DEADLINE, "after n3's restart, " + ctx);

    // 4. the damaged download was rejected, a clean one installed
    long flipped = flips.stream().mapToLong(ResponseBodyFlip::flipped).sum();
    String n3Log = Files.readString(n3Process.stderrLog());
    long rejected = cluster.logCount(2, "snapshot download rejected");
    System.out.println("flipped " + flipped + " bytes, n3 rejected " + rejected + " downloads; " + proxies
        + " [" + ctx + "]");
    assertThat(flipped).as("bytes the proxies flipped in snapshot streams to n3 [%s]", ctx).isPositive();
    assertThat(rejected).as("downloads n3 rejected, at least one per flipped byte [%s]", ctx)
        .isGreaterThanOrEqualTo(flipped);
    for (int g = 0; g < GROUPS; g++) {
      int installed = n3Log.indexOf("group " + g + ": received snapshot");
      assertThat(installed).as("n3 installed a snapshot of group %d [%s]", g, ctx).isNotNegative();
      Matcher rejection = Pattern.compile("group " + g + ": snapshot download from n\\d failed: snapshot download rejected")
          .matcher(n3Log);
      if (rejection.find()) {
        assertThat(installed).as("n3's first install of group %d follows its rejected download [%s]", g, ctx)
            .isGreaterThan(rejection.start());
      }
    }

    // 5. every replica holds exactly the acknowledged appends
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);
    for (ProducerLedger s : streams) {
      verifier.check(s, seed + s.index);
    }
    verifier.checkSegmentFiles(GROUPS);
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
  }

  /**
   * Streams {@code transfer-0, transfer-1, ...}, created through rotating nodes until every group
   * holds at least {@value #STREAMS_PER_GROUP_MIN} (streams are placed by a hash of their name).
   */
  private List<ProducerLedger> createStreams() throws InterruptedException {
    List<ProducerLedger> out = new ArrayList<>();
    while (true) {
      List<ClusterNodes.GroupView> views = cluster.groups(0);
      assertThat(views).as("n1's groups [%s]", ctx).isNotNull();
      if (views.stream().allMatch(v -> v.streams() >= STREAMS_PER_GROUP_MIN)) {
        return out;
      }
      assertThat(out.size()).as("streams created before every group holds %d [%s]", STREAMS_PER_GROUP_MIN, ctx)
          .isLessThan(STREAMS_MAX);
      ProducerLedger s = new ProducerLedger(seed, out.size(), "transfer-" + out.size(), 1);
      cluster.create(cluster.member(out.size() % 3), s.name, DEADLINE, ctx);
      out.add(s);
    }
  }

  /** In every group, the Raft logs of n1 and n2 start after the entry after n3's last one. */
  private boolean survivorsPurgedPast(long[] n3LogEnd) throws IOException {
    for (int node = 0; node < 2; node++) {
      for (int g = 0; g < GROUPS; g++) {
        if (raftLogStart(cluster.process(node).dataDir(), g) <= n3LogEnd[g] + 1) {
          return false;
        }
      }
    }
    return true;
  }

  private static final Pattern LOG_FILE = Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-\\d+)?");

  /** The first index of a group's Raft log on disk (Ratis names segments {@code log_<first>-<last>}). */
  private static long raftLogStart(Path data, int group) throws IOException {
    UUID id = UUID.nameUUIDFromBytes(("tributary-group-" + group).getBytes(StandardCharsets.UTF_8));
    Path current = data.resolve("raft").resolve(id.toString()).resolve("current");
    long start = Long.MAX_VALUE;
    try (Stream<Path> files = Files.list(current)) {
      for (Path f : files.toList()) {
        Matcher m = LOG_FILE.matcher(f.getFileName().toString());
        if (m.matches()) {
          start = Math.min(start, Long.parseLong(m.group(1)));
        }
      }
    }
    return start;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    proxies.forEach(TcpProxy::close);
    client.close();
  }
}
