package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a bucket's streams, stored bytes and append rate are bounded by its quota, counted over
 * every group, answered 429 with {@code Retry-After} and the quota's name, and one bucket at its
 * quota leaves the others alone (docs/security.md, "Quotas and limits").
 *
 * <p>Method: one node with four groups (so a bucket's streams spread over several groups and
 * the quota must add them up; the names used are checked to land in different groups), a quota of
 * 3 streams and 1 MiB per bucket, and 1 append per second per bucket with a burst of 3. Streams:
 * three creates pass, the fourth is refused, an identical re-create of an existing stream is still
 * 200, another bucket creates freely, and a delete makes room. Bytes: 600 KiB in one group's stream
 * and 600 KiB more for another group's is refused, another bucket takes them, and deleting the
 * first stream gives the room back (the count follows deletes, not only appends). Rate: appends
 * sent back to back are refused within a few (a bucket refilling 1 per second cannot take 20 in a
 * row), with a Retry-After of at least a second, while another bucket appends; after that wait,
 * the bucket appends again. A bucket named in the quotas file has its own stream quota, and an edit
 * of the file applies without a restart. No timing is asserted beyond "20 requests take less than
 * 17 seconds".
 */
class BucketQuotaTest {
  @TempDir
  static Path dir;
  private static LocalNode node;
  private static final int GROUPS = 4;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(dir.resolve("quotas"), "# per-bucket overrides\nvip=streams:5\n");
    node = new LocalNode(dir.resolve("data"), Map.of(
        "groups", Integer.toString(GROUPS),
        "bucket-quotas-file", dir.resolve("quotas").toString(),
        "bucket-quota-streams-max", "3",
        "bucket-quota-bytes-max", "1MiB",
        "bucket-quota-appends-per-second", "1",
        "bucket-quota-burst-ms", "3000"));
    for (String b : List.of("few", "roomy", "big", "spare", "fast", "calm", "vip")) {
      assertThat(node.send("PUT", "/ds/" + b, null, null).statusCode()).isEqualTo(201);
    }
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void streamCountIsBoundedPerBucketAcrossGroups() throws Exception {
    List<String> names = namesInDistinctGroups("few", 4);
    for (int i = 0; i < 3; i++) {
      assertThat(create("few", names.get(i), "").statusCode()).as("create %d of 3", i + 1).isEqualTo(201);
    }
    HttpResponse<String> over = create("few", names.get(3), "");
    assertQuota(over, "bucket-quota-streams-max");
    assertThat(create("few", names.get(0), "").statusCode()).as("identical re-create at the quota").isEqualTo(200);
    assertThat(create("roomy", names.get(3), "").statusCode()).as("another bucket").isEqualTo(201);
    assertThat(node.send("DELETE", "/ds/few/" + names.get(0), null, null).statusCode()).isEqualTo(204);
    assertThat(create("few", names.get(3), "").statusCode()).as("create after a delete").isEqualTo(201);
  }

  @Test
  void aBucketNamedInTheQuotasFileHasItsOwnQuotaAndEditsApplyWithoutRestart() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(create("vip", "v" + i, "").statusCode()).as("vip create %d of its 5", i + 1).isEqualTo(201);
    }
    assertQuota(create("vip", "v5", ""), "bucket-quota-streams-max");
    Files.writeString(dir.resolve("quotas"), "# per-bucket overrides\nvip=streams:6,bytes:2MiB\n");
    Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
        .until(() -> create("vip", "v5", "").statusCode() == 201);
    assertQuota(create("vip", "v6", ""), "bucket-quota-streams-max");
  }

  @Test
  void storedBytesAreBoundedPerBucketAcrossGroups() throws Exception {
    List<String> names = namesInDistinctGroups("big", 2);
    String body = "b".repeat(600 * 1024);
    assertThat(create("big", names.get(0), body).statusCode()).isEqualTo(201);
    assertThat(create("big", names.get(1), "").statusCode()).isEqualTo(201);
    HttpResponse<String> over = node.send("POST", "/ds/big/" + names.get(1), "text/plain", body);
    assertQuota(over, "bucket-quota-bytes-max");
    assertThat(node.send("GET", "/ds/big/" + names.get(1) + "?offset=-1", null, null).body())
        .as("nothing of the refused append was written").isEmpty();
    assertThat(create("spare", "s", body).statusCode()).as("another bucket").isEqualTo(201);
    assertThat(node.send("DELETE", "/ds/big/" + names.get(0), null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("POST", "/ds/big/" + names.get(1), "text/plain", body).statusCode())
        .as("the append once the other stream is deleted").isEqualTo(204);
    assertThat(node.metricsText()).as("refusals counted")
        .containsPattern("tributary_bucket_quota_refused_total\\{quota=\"bucket-quota-bytes-max\"} [1-9]");
  }

  @Test
  void appendRateIsBoundedPerBucket() throws Exception {
    assertThat(create("fast", "s", "").statusCode()).isEqualTo(201);
    assertThat(create("calm", "s", "").statusCode()).isEqualTo(201);
    HttpResponse<String> refused = null;
    int accepted = 0;
    long startNanos = System.nanoTime();
    for (int i = 0; i < 20 && refused == null; i++) {
      HttpResponse<String> r = node.send("POST", "/ds/fast/s", "text/plain", "x");
      if (r.statusCode() == 429) {
        refused = r;
      } else {
        assertThat(r.statusCode()).as("append %d: %s", i, r.body()).isEqualTo(204);
        accepted++;
      }
    }
    long elapsedSeconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
    assertThat(refused).as("20 appends in %d s to a bucket refilling one per second (%d accepted)", elapsedSeconds,
        accepted).isNotNull();
    assertQuota(refused, "bucket-quota-appends-per-second");
    assertThat(accepted).as("the burst of 3 passes").isGreaterThanOrEqualTo(3);
    assertThat(node.send("POST", "/ds/calm/s", "text/plain", "x").statusCode()).as("another bucket").isEqualTo(204);
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
        .until(() -> node.send("POST", "/ds/fast/s", "text/plain", "x").statusCode() == 204);
  }

  private static void assertQuota(HttpResponse<String> r, String quota) {
    assertThat(r.statusCode()).as("refused by %s: %s", quota, r.body()).isEqualTo(429);
    assertThat(r.headers().firstValue("Tributary-Limit")).as("quota named").hasValue(quota);
    assertThat(Integer.parseInt(r.headers().firstValue("Retry-After").orElse("0"))).as("Retry-After").isGreaterThanOrEqualTo(1);
    assertThat(r.body()).as("the reason").contains(quota);
  }

  private static HttpResponse<String> create(String bucket, String stream, String body) throws Exception {
    return node.send("PUT", "/ds/" + bucket + "/" + stream, "text/plain", body.isEmpty() ? null : body);
  }

  /** {@code n} stream names of {@code bucket}, each in another group (as many groups as there are, then any). */
  private static List<String> namesInDistinctGroups(String bucket, int n) {
    List<String> out = new ArrayList<>();
    Set<Integer> groups = new HashSet<>();
    for (int i = 0; out.size() < n; i++) {
      String name = "s" + i;
      if (groups.add(new StreamKey(bucket, name).groupIndex(GROUPS)) || groups.size() == GROUPS) {
        out.add(name);
      }
    }
    assertThat(groups.size()).as("groups the names spread over").isGreaterThanOrEqualTo(Math.min(n, GROUPS));
    return out;
  }
}
