package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.common.StreamKey;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a follower keeps forwarding writes and passing read barriers for a group after one of its
 * forwarded requests ran out of retries during a failover.
 *
 * <p>Why: a node forwards writes (and read-index queries) for groups it does not lead through one
 * Ratis async client per group. When the group's leader dies, that client retries against the
 * dead leader and the followers that still name it; with {@code --write-timeout-ms 2000} its
 * budget (10 retries, 100 ms apart) runs out before the election ends (detection alone takes
 * 500–1000 ms). A Ratis async client that ran out of retries fails every later request at once;
 * the node must replace it rather than answer 503 for that group for the rest of its life (found
 * by {@link ClusterFaultTest}: 100 appends in a row failed with
 * {@code AlreadyClosedException: SlidingWindow$Client ... is closed} on one node).
 *
 * <p>Steps: three nodes; a stream in a group led by L; through a follower F one append is
 * acknowledged. SIGKILL L and append through F at once, retrying on 503 (printing the reasons)
 * until acknowledged — it must be, within the deadline, after the majority elected a new leader.
 * Then reads through F must answer 200, and after L's restart and convergence, F must still
 * forward writes for the group.
 */
class ForwardingAfterFailoverTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("forwarding")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private ClusterNodes cluster;
  private String ctx;
  private long seq;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aFollowerStillForwardsAfterItsClientRanOutOfRetriesInAFailover() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(seed)), ClusterNodes.DIRECT, Map.of(
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "long-poll-timeout-ms", "500",
        "write-timeout-ms", "2000",
        "body-bytes-max", "1MiB",
        "tail-cache-bytes", "1MiB"), client);
    ctx = "seed=" + seed + ", logs in " + work;
    cluster.startAll();
    cluster.awaitConverged(Duration.ofSeconds(60), ctx);

    List<ClusterNodes.GroupView> view = cluster.groups(0);
    assertThat(view).as("groups [%s]", ctx).isNotNull();
    String stream = "forwarded";
    int g = group(stream, view.size());
    int leader = cluster.indexOf(view.get(g).leader());
    ClusterNodes.Member follower = cluster.member((leader + 1) % 3);
    System.out.printf("ForwardingAfterFailoverTest: %s; stream %s in group %d, leader %s, writing through %s%n", ctx,
        stream, g, cluster.member(leader).id(), follower.id());
    assertThat(client.create(follower.baseUrl(), stream, ProducerLedger.CONTENT_TYPE).statusCode())
        .as("PUT [%s]", ctx).isEqualTo(201);
    List<String> answers = appendUntilAcked(follower, stream);
    assertThat(answers).as("the first forwarded append, before any fault [%s]", ctx).isEmpty();

    cluster.process(leader).kill9();
    answers = appendUntilAcked(follower, stream);
    System.out.printf("ForwardingAfterFailoverTest: %s acknowledged after the leader's SIGKILL, after %d 503s: %s%n",
        follower.id(), answers.size(), answers);
    await("reads through " + follower.id() + " [" + ctx + "]").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> client.read(follower.baseUrl(), stream, "-1").status() == 200);

    cluster.process(leader).restart();
    cluster.awaitConverged(Duration.ofSeconds(60), "after the restart, " + ctx);
    appendUntilAcked(follower, stream);
    assertThat(client.readAll(follower.baseUrl(), stream, 100)).as("read through %s [%s]", follower.id(), ctx)
        .isNotEmpty();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  private static int group(String stream, int groups) {
    return new StreamKey(StreamKey.DEFAULT_BUCKET, stream).groupIndex(groups);
  }

  /** The next append through {@code via}, retried on 503 and I/O errors until acknowledged; returns the 503s seen. */
  private List<String> appendUntilAcked(ClusterNodes.Member via, String stream) throws Exception {
    List<String> unavailable = new ArrayList<>();
    byte[] body = ("append " + seq).getBytes(StandardCharsets.US_ASCII);
    StreamClient.Producer producer = new StreamClient.Producer("p", 0, seq);
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < end) {
      HttpResponse<byte[]> r;
      try {
        r = client.append(via.baseUrl(), stream, ProducerLedger.CONTENT_TYPE, body, producer);
      } catch (IOException e) {
        unavailable.add(e.toString());
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // retry pacing
        continue;
      }
      if (r.statusCode() == 503) {
        unavailable.add(new String(r.body(), StandardCharsets.UTF_8));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // retry pacing
        continue;
      }
      assertThat(r.statusCode()).as("append %d via %s: %s [%s]", seq, via.id(),
          new String(r.body(), StandardCharsets.UTF_8), ctx).isIn(200, 204);
      seq++;
      return unavailable;
    }
    throw new AssertionError("append " + seq + " via " + via.id() + " not acknowledged within " + DEADLINE + "; "
        + unavailable.size() + " answers 503, the last: " + unavailable.get(unavailable.size() - 1) + "\n"
        + cluster.describe() + " [" + ctx + "]");
  }
}
