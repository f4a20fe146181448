package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cold.ObjectInfo;
import io.tributary.cold.ObjectLayout;
import io.tributary.cold.S3ObjectStore;
import io.tributary.testing.LocalNode;
import io.tributary.testing.S3ProxyServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the orphan sweep deletes exactly the objects no committed state references once they are
 * older than the grace, and nothing else. Method: a node tiering aggressively to s3proxy with a
 * 12 s grace, a sweep every 200 ms of at most 4 keys per group (so a cycle spans several passes).
 * A stream is written, tiered and given a large application snapshot (its blob in the store). A
 * second stream's first upload "crashes" between the PUT and the publish (an injected fault: the
 * worker stops as a dying node would, after more data arrived, so the next leader seals a
 * different range): a real crash orphan. Then orphans are put straight into the bucket (a chunk
 * and a snapshot blob of the existing stream that it never published, the same for a stream id
 * that does not exist, one in the other group), next to keys the sweep must leave alone (a file
 * that is not of Tributary's layout, a group the cluster does not have, the same key under
 * another prefix). All orphans go, none before the grace; the referenced chunks, the blob and the
 * foreign keys stay. A fresh orphan survives two full sweep cycles while younger than the grace,
 * and is deleted once older. Every acknowledged byte and the snapshot read back identical from S3.
 */
class OrphanSweepS3Test {
  private static final String BIN = "application/octet-stream";
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final long GRACE_MILLIS = 12_000;
  /** S3 keeps whole seconds (truncated), so an object may look up to a second older than it is. */
  private static final long TIMESTAMP_SLACK_MILLIS = 1000;
  private static final String HEX_A = "a1".repeat(32);
  private static final String HEX_B = "b2".repeat(32);
  private static final long NO_SUCH_STREAM = 987_654;

  @TempDir
  Path dir;
  S3ProxyServer s3;
  LocalNode node;
  S3ObjectStore objects;
  S3ObjectStore elsewhere;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final Random random = new Random(7);

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {node, objects, elsewhere, s3}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.out.println("close failed: " + e);
      }
    }
  }

  @Test
  void orphansOlderThanTheGraceAreDeletedAndNothingElse() throws Exception {
    s3 = S3ProxyServer.start("orphan-sweep", dir.resolve("s3"));
    s3.createBucket("tier");
    Map<String, String> settings = new HashMap<>(TierNodes.aggressive(s3, "tier", "orph"));
    settings.put("snapshot-inline-bytes-max", "1024");
    settings.put("orphan-grace-ms", Long.toString(GRACE_MILLIS));
    settings.put("orphan-sweep-interval-ms", "200");
    settings.put("orphan-sweep-keys-max", "4");
    node = new LocalNode(dir.resolve("node"), settings);
    objects = new S3ObjectStore(s3.storeOptions("tier", "orph"));
    elsewhere = new S3ObjectStore(s3.storeOptions("tier", "elsewhere"));

    // 1. a tiered stream with a large application snapshot (its blob lives in the store)
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    assertThat(send("PUT", "/v1/stream/a", new byte[0]).statusCode()).isEqualTo(201);
    for (int i = 0; i < 5; i++) {
      byte[] piece = bytes(20_000);
      assertThat(send("POST", "/v1/stream/a", piece).statusCode()).isIn(200, 204);
      a.write(piece);
    }
    byte[] blob = bytes(5000);
    HttpResponse<byte[]> snap = send("PUT", "/v1/stream/a/$snapshot/" + offset(60_000), blob);
    assertThat(snap.statusCode()).as(new String(snap.body())).isIn(200, 201, 204);
    awaitTiered();
    Set<String> aKeys = keys();
    assertThat(aKeys).as("the snapshot blob is in the store").anyMatch(k -> k.startsWith("snapshots/"));
    ObjectLayout.Chunk aChunk = aKeys.stream().map(ObjectLayout::parse).filter(p -> p instanceof ObjectLayout.Chunk)
        .map(p -> (ObjectLayout.Chunk) p).findFirst().orElseThrow();
    int g = aChunk.group();
    long aId = aChunk.streamId();

    // 2. a crash between upload and publish, while more data arrives: the next upload seals a
    //    longer range, and the first object is never referenced
    ByteArrayOutputStream crash = new ByteArrayOutputStream();
    assertThat(send("PUT", "/v1/stream/crash", new byte[0]).statusCode()).isEqualTo(201);
    byte[] second = bytes(15_000);
    AtomicBoolean armed = new AtomicBoolean(true);
    AtomicReference<String> crashed = new AtomicReference<>();
    node.tributaryNode().tier().injectCrashAfterUpload((group, key) -> {
      if (!armed.compareAndSet(true, false)) {
        return false;
      }
      crashed.set(key);
      try {
        assertThat(send("POST", "/v1/stream/crash", second).statusCode()).isIn(200, 204);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return true;
    });
    byte[] first = bytes(10_000);
    assertThat(send("POST", "/v1/stream/crash", first).statusCode()).isIn(200, 204);
    crash.write(first);
    crash.write(second);
    Awaitility.await("the crash happened").atMost(DEADLINE).until(() -> crashed.get() != null);
    awaitTiered();
    String crashOrphan = crashed.get();
    assertThat(keys()).as("the crashed upload's object is in the store").contains(crashOrphan);
    Set<String> live = keys();
    live.remove(crashOrphan);
    System.out.printf("stream a: group %d id %d; crash orphan %s; %d live objects%n", g, aId, crashOrphan, live.size());

    // 3. orphans put straight into the bucket, and keys that are not the sweep's to judge
    List<String> orphans = List.of(
        ObjectLayout.chunkKey(g, aId, 1_000_000_000L, 1_000_000_100L),
        ObjectLayout.snapshotKey(g, aId, 0, HEX_A),
        ObjectLayout.chunkKey(g, NO_SUCH_STREAM, 0, 100),
        ObjectLayout.snapshotKey(g, NO_SUCH_STREAM, 0, HEX_B),
        ObjectLayout.chunkKey(1 - g, NO_SUCH_STREAM + 1, 0, 100));
    List<String> foreign = List.of("g000/README", "snapshots/g001/notes", ObjectLayout.chunkKey(7, 1, 0, 100));
    long putAtMillis = System.currentTimeMillis();
    for (String k : orphans) {
      objects.put(k, bytes(100));
    }
    for (String k : foreign) {
      objects.put(k, bytes(10));
    }
    elsewhere.put(orphans.get(2), bytes(100));

    // 4. all orphans go, none before the grace
    List<String> doomed = new ArrayList<>(orphans);
    doomed.add(crashOrphan);
    Awaitility.await("orphans deleted").atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
      Set<String> now = keys();
      if (!now.containsAll(orphans)) {
        assertThat(System.currentTimeMillis() - putAtMillis).as("the first orphan went only after the grace")
            .isGreaterThanOrEqualTo(GRACE_MILLIS - TIMESTAMP_SLACK_MILLIS);
      }
      return doomed.stream().noneMatch(now::contains);
    });
    assertThat(System.currentTimeMillis() - putAtMillis).isGreaterThanOrEqualTo(GRACE_MILLIS - TIMESTAMP_SLACK_MILLIS);

    // 5. everything referenced, and everything not of this cluster's groups and layout, stays
    Set<String> after = keys();
    assertThat(after).as("referenced chunks and the snapshot blob").containsAll(live);
    assertThat(after).as("keys the sweep does not judge").containsAll(foreign);
    assertThat(elsewhere.listAll("")).extracting(ObjectInfo::key).as("another prefix").containsExactly(orphans.get(2));

    // 6. a fresh orphan survives full sweep cycles while younger than the grace, then goes
    String young = ObjectLayout.chunkKey(g, NO_SUCH_STREAM + 2, 0, 100);
    String cyclesOfG = "tributary_cold_orphan_sweep_cycles_total{group=\"" + g + "\"}";
    long youngAtMillis = System.currentTimeMillis();
    objects.put(young, bytes(100));
    double cycles = metric(cyclesOfG);
    // the cycle under way may have passed the key already; the next one starts after the put
    Awaitility.await("two more sweep cycles of the group").atMost(DEADLINE).until(() -> metric(cyclesOfG) >= cycles + 2);
    assertThat(System.currentTimeMillis() - youngAtMillis).as("sweep cycles finished within the grace (else this check proves nothing)")
        .isLessThan(GRACE_MILLIS - TIMESTAMP_SLACK_MILLIS);
    assertThat(keys()).as("an orphan younger than the grace (like an upload in flight)").contains(young);
    Awaitility.await("the young orphan deleted once old").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> !keys().contains(young));
    assertThat(System.currentTimeMillis() - youngAtMillis).isGreaterThanOrEqualTo(GRACE_MILLIS - TIMESTAMP_SLACK_MILLIS);

    // 7. every acknowledged byte reads back identical (from S3: cold-reads-prefer), so does the snapshot
    assertThat(readAll("/v1/stream/a")).isEqualTo(a.toByteArray());
    assertThat(readAll("/v1/stream/crash")).isEqualTo(crash.toByteArray());
    HttpResponse<byte[]> snapRead = send("GET", "/v1/stream/a/$snapshot/" + offset(60_000), null);
    assertThat(snapRead.statusCode()).isEqualTo(200);
    assertThat(snapRead.body()).isEqualTo(blob);
    assertThat(keys()).containsAll(live);
    assertThat(metric("tributary_cold_orphans_deleted_total{reason=\"sweep\"}")).isGreaterThanOrEqualTo(doomed.size() + 1);
    assertThat(metric("tributary_cold_orphan_sweep_errors_total")).isZero();
  }

  private void awaitTiered() {
    Awaitility.await("everything tiered").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
        .until(() -> metric("tributary_cold_upload_lag_bytes") == 0);
  }

  private double metric(String name) throws Exception {
    int brace = name.indexOf('{');
    if (brace < 0) {
      return TierNodes.metric(http, node.adminUrl(""), name);
    }
    String text = http.send(HttpRequest.newBuilder(URI.create(node.adminUrl("/metrics"))).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1));
      }
    }
    return 0;
  }

  private Set<String> keys() {
    return objects.listAll("").stream().map(ObjectInfo::key).collect(Collectors.toSet());
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String offset(long pos) {
    return String.format("%016d_%016d", 0, pos);
  }

  private byte[] readAll(String path) throws Exception {
    return TierNodes.readAll(http, node.url(""), path);
  }

  private HttpResponse<byte[]> send(String method, String path, byte[] body) throws Exception {
    return TierNodes.send(http, node.url(""), method, path, body);
  }
}
