package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cold.LocalDirectoryObjectStore;
import io.tributary.cold.ObjectInfo;
import io.tributary.cold.ObjectLayout;
import io.tributary.testing.LocalNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the default single node (directory store, no tiering) still sweeps orphans of the large
 * application snapshots it puts into the store, with the default one-hour grace. Method: a node
 * with default settings except a 1 KiB inline limit and a fast sweep interval publishes a large
 * snapshot (its blob goes to {@code <data-dir>/objects}); orphan blobs are put beside it (one of
 * the stream, one of a stream id that does not exist) and, like the referenced blob, aged two
 * hours by setting their files' modification time; one more orphan stays fresh. The aged orphans
 * are deleted; the referenced blob, however old, and the fresh orphan stay (checked after two more
 * sweep cycles); the snapshot reads back identical.
 */
class SnapshotBlobSweepTest {
  private static final String HEX_A = "a1".repeat(32);
  private static final String HEX_B = "b2".repeat(32);
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  LocalNode node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void agedOrphanBlobsGoReferencedAndFreshOnesStay() throws Exception {
    Path data = dir.resolve("node");
    node = new LocalNode(data, Map.of("snapshot-inline-bytes-max", "1024", "orphan-sweep-interval-ms", "100", "groups", "2"));
    assertThat(node.tributaryNode().tier()).as("the default node does not tier").isNull();
    byte[] blob = new byte[4096];
    new Random(3).nextBytes(blob);
    assertThat(send("PUT", "/v1/stream/s", new byte[0]).statusCode()).isEqualTo(201);
    assertThat(send("POST", "/v1/stream/s", "hello".getBytes()).statusCode()).isIn(200, 204);
    assertThat(send("PUT", "/v1/stream/s/$snapshot/" + offset(5), blob).statusCode()).isIn(200, 201, 204);

    try (LocalDirectoryObjectStore objects = new LocalDirectoryObjectStore(data.resolve("objects"))) {
      List<ObjectInfo> stored = objects.listAll("");
      assertThat(stored).as("the snapshot blob went to the store").hasSize(1);
      String referenced = stored.get(0).key();
      ObjectLayout.SnapshotBlob b = (ObjectLayout.SnapshotBlob) ObjectLayout.parse(referenced);
      String orphanOfStream = ObjectLayout.snapshotKey(b.group(), b.streamId(), 0, HEX_A);
      String orphanOfNobody = ObjectLayout.snapshotKey(b.group(), b.streamId() + 1000, 0, HEX_B);
      String fresh = ObjectLayout.snapshotKey(b.group(), b.streamId() + 1001, 0, HEX_B);
      for (String k : List.of(orphanOfStream, orphanOfNobody, fresh)) {
        objects.put(k, new byte[100]);
      }
      FileTime twoHoursAgo = FileTime.fromMillis(System.currentTimeMillis() - Duration.ofHours(2).toMillis());
      for (String k : List.of(referenced, orphanOfStream, orphanOfNobody)) {
        Files.setLastModifiedTime(data.resolve("objects").resolve(k), twoHoursAgo);
      }

      Awaitility.await("aged orphans deleted").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
          .until(() -> !keys(objects).contains(orphanOfStream) && !keys(objects).contains(orphanOfNobody));
      String cycles = "tributary_cold_orphan_sweep_cycles_total{group=\"" + b.group() + "\"}";
      double before = metric(cycles);
      Awaitility.await("two more sweep cycles").atMost(DEADLINE).until(() -> metric(cycles) >= before + 2);
      assertThat(keys(objects)).containsExactlyInAnyOrder(referenced, fresh);
    }
    HttpResponse<byte[]> read = send("GET", "/v1/stream/s/$snapshot/" + offset(5), null);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(blob);
    assertThat(metric("tributary_cold_orphans_deleted_total{reason=\"sweep\"}")).isEqualTo(2);
  }

  private static Set<String> keys(LocalDirectoryObjectStore objects) {
    return objects.listAll("").stream().map(ObjectInfo::key).collect(Collectors.toSet());
  }

  private double metric(String line) throws Exception {
    String text = http.send(HttpRequest.newBuilder(URI.create(node.adminUrl("/metrics"))).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String l : text.split("\n")) {
      if (l.startsWith(line + " ")) {
        return Double.parseDouble(l.substring(line.length() + 1));
      }
    }
    throw new AssertionError("no metric " + line + " in\n" + text);
  }

  private static String offset(long pos) {
    return String.format("%016d_%016d", 0, pos);
  }

  private HttpResponse<byte[]> send(String method, String path, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(30));
    if (body != null) {
      b.header("Content-Type", "application/octet-stream");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
