package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a bucket's stream and byte quotas cover the whole cluster: writes through one node count
 * on every other, whichever group (and leader) the streams are in (docs/security.md, "Quotas and
 * limits").
 *
 * <p>Method: three nodes with eight groups and a quota of 3 streams and 1 MiB per bucket. Three
 * streams of 300 KiB each are created in three different groups, each through another node. Once
 * every replica has applied them, each node refuses a fourth stream and 200 KiB more (the quota
 * is reached only by adding up the three groups' counters), accepts 100 KiB (it fits), and another
 * bucket is not affected.
 */
class BucketQuotaClusterTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int GROUPS = 8;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("bucket-quota-cluster")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private ClusterNodes cluster;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void everyNodeCountsTheBucketOverEveryGroup() throws Exception {
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(seed)), ClusterNodes.DIRECT, Map.of(
        "groups", Integer.toString(GROUPS),
        "bucket-quota-streams-max", "3",
        "bucket-quota-bytes-max", "1MiB"), client);
    String ctx = "seed=" + seed + ", logs in " + work;
    cluster.startAll();
    cluster.awaitConverged(DEADLINE, ctx);
    assertThat(send(cluster.member(0), "PUT", "/ds/q", null).statusCode()).as("bucket q [%s]", ctx).isEqualTo(201);
    assertThat(send(cluster.member(1), "PUT", "/ds/other", null).statusCode()).as("bucket other [%s]", ctx)
        .isEqualTo(201);
    cluster.awaitConverged(DEADLINE, ctx);

    List<String> names = namesInDistinctGroups(4);
    String body = "q".repeat(300 * 1024);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = send(cluster.member(i), "PUT", "/ds/q/" + names.get(i), body);
      assertThat(r.statusCode()).as("create %s through n%d: %s [%s]", names.get(i), i + 1, r.body(), ctx).isEqualTo(201);
    }
    cluster.awaitConverged(DEADLINE, ctx);

    for (int i = 0; i < 3; i++) {
      ClusterNodes.Member m = cluster.member(i);
      HttpResponse<String> stream = send(m, "PUT", "/ds/q/" + names.get(3), null);
      assertThat(stream.statusCode()).as("a fourth stream through %s: %s [%s]", m.id(), stream.body(), ctx).isEqualTo(429);
      assertThat(stream.headers().firstValue("Tributary-Limit")).hasValue("bucket-quota-streams-max");
      HttpResponse<String> bytes = send(m, "POST", "/ds/q/" + names.get(i), "b".repeat(200 * 1024));
      assertThat(bytes.statusCode()).as("200 KiB more through %s: %s [%s]", m.id(), bytes.body(), ctx).isEqualTo(429);
      assertThat(bytes.headers().firstValue("Tributary-Limit")).hasValue("bucket-quota-bytes-max");
      assertThat(send(m, "PUT", "/ds/other/" + names.get(3) + "-" + m.id(), body).statusCode())
          .as("another bucket through %s [%s]", m.id(), ctx).isEqualTo(201);
    }
    HttpResponse<String> fits = send(cluster.member(2), "POST", "/ds/q/" + names.get(0), "f".repeat(100 * 1024));
    assertThat(fits.statusCode()).as("100 KiB that fit: %s [%s]", fits.body(), ctx).isEqualTo(204);
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  private static HttpResponse<String> send(ClusterNodes.Member m, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.baseUrl() + path)).timeout(Duration.ofSeconds(15))
        .header("Content-Type", "text/plain");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    // a 503 (a leader change under the shared box's load) was not applied: ask again until the deadline
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    while (r.statusCode() == 503 && System.nanoTime() < deadline) {
      Thread.sleep(100); // the poll interval
      r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
    return r;
  }

  /** {@code n} stream names of bucket q, each in another group. */
  private static List<String> namesInDistinctGroups(int n) {
    List<String> out = new ArrayList<>();
    Set<Integer> groups = new HashSet<>();
    for (int i = 0; out.size() < n; i++) {
      if (groups.add(new StreamKey("q", "s" + i).groupIndex(GROUPS))) {
        out.add("s" + i);
      }
    }
    return out;
  }
}
