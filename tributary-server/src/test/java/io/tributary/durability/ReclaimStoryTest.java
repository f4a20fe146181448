package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a node that does not tier gives back the disk of deleted, expired and retention-trimmed
 * data by deleting whole segment files, reads every remaining stream back exactly, and restarts
 * after it.
 *
 * <p>Story: one node, tiering off, 1 MiB segments, snapshots every 100 entries, reclamation
 * every 100 ms, a fast scrub. Streams written one after another in 64 KiB appends: {@code doomed}
 * (3 MiB), {@code brief} (2 MiB, 1 s TTL), {@code trimmed} (2 MiB), {@code kept} (1 MiB). Delete
 * doomed, let brief expire (the sweep removes it), publish a snapshot of trimmed at its middle
 * and move its retention floor there. Within 30 s the segments directory has shrunk by at least
 * 5 MiB in whole files, the scrub found nothing, kept reads back whole and trimmed from its
 * floor. Restart: the same reads, a further append, and the segments stay gone.
 */
class ReclaimStoryTest {
  private static final int APPEND = 64 * 1024;
  private static final long MIB = 1 << 20;

  @TempDir
  Path dir;

  private static String bytes(String stream, int append) {
    return String.valueOf((char) ('a' + (stream.hashCode() + append & 15))).repeat(APPEND);
  }

  /** Writes {@code appends} appends to {@code stream}; returns the next offset after each. */
  private static String[] write(LocalNode node, String stream, int appends, String... createHeaders) throws Exception {
    assertThat(node.send("PUT", "/v1/stream/" + stream, "text/plain", "", createHeaders).statusCode()).isEqualTo(201);
    String[] next = new String[appends];
    for (int i = 0; i < appends; i++) {
      HttpResponse<String> r = node.send("POST", "/v1/stream/" + stream, "text/plain", bytes(stream, i));
      assertThat(r.statusCode()).as("append %d to %s", i, stream).isIn(200, 204);
      next[i] = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
    }
    return next;
  }

  private static String expected(String stream, int fromAppend, int appends) {
    StringBuilder b = new StringBuilder();
    for (int i = fromAppend; i < appends; i++) {
      b.append(bytes(stream, i));
    }
    return b.toString();
  }

  private static void readsBack(LocalNode node, String stream, String offset, String want) throws Exception {
    HttpResponse<String> r = node.send("GET", "/v1/stream/" + stream + "?offset=" + offset, null, null);
    assertThat(r.statusCode()).as("read of %s: %s", stream, r.statusCode() == 200 ? "" : r.body()).isEqualTo(200);
    assertThat(r.body().length()).as("%s length", stream).isEqualTo(want.length());
    assertThat(r.body()).as("%s bytes", stream).isEqualTo(want);
  }

  private static long segmentBytes(Path segments) throws Exception {
    try (var files = Files.list(segments)) {
      long sum = 0;
      for (Path f : files.filter(p -> p.toString().endsWith(".seg")).toList()) {
        sum += Files.size(f);
      }
      return sum;
    }
  }

  private static List<String> segmentFiles(Path segments) throws Exception {
    try (var files = Files.list(segments)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".seg")).sorted().toList();
    }
  }

  private static double metric(LocalNode node, String prefix) throws Exception {
    double sum = 0;
    for (String line : node.metricsText().split("\n")) {
      if (line.startsWith(prefix)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return sum;
  }

  @Test
  @Timeout(120)
  void deletedExpiredAndTrimmedDataLeaveTheDiskInWholeSegments() throws Exception {
    Path data = dir.resolve("data");
    Path segments = data.resolve("groups/g000/segments");
    Map<String, String> settings = Map.of("tiering", "off", "segment-bytes-max", "1MiB", "snapshot-interval-entries",
        "100", "reclaim-interval-ms", "100", "expiry-sweep-interval-ms", "200", "scrub-bytes-per-second", "64MiB",
        "read-chunk-bytes-max", "8MiB");
    String trimmedFloor;
    List<String> before;
    try (LocalNode node = new LocalNode(data, settings)) {
      write(node, "doomed", 48);
      write(node, "brief", 32, "Stream-TTL", "1");
      String[] trimmedNext = write(node, "trimmed", 32);
      write(node, "kept", 16);
      trimmedFloor = trimmedNext[15];
      long bytesBefore = segmentBytes(segments);
      before = segmentFiles(segments);
      Map<String, Long> sizes = new java.util.HashMap<>();
      for (String f : before) {
        sizes.put(f, Files.size(segments.resolve(f)));
      }

      assertThat(node.send("DELETE", "/v1/stream/doomed", null, null).statusCode()).isEqualTo(204);
      assertThat(node.send("PUT", "/v1/stream/trimmed/$snapshot/" + trimmedFloor, "text/plain", "state").statusCode())
          .isEqualTo(204);
      assertThat(node.send("PUT", "/v1/stream/trimmed/$retention/" + trimmedFloor, null, null).statusCode())
          .isEqualTo(204);
      await("the expired stream is swept").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> metric(node, "tributary_group_streams{group=\"0\"}") == 2);

      await("whole segments of garbage are deleted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> bytesBefore - segmentBytes(segments) >= 5 * MIB);
      List<String> after = segmentFiles(segments);
      assertThat(before).as("only the oldest files went, whole").endsWith(after.toArray(new String[0]));
      long removed = 0;
      for (String f : before.subList(0, before.size() - after.size())) {
        removed += sizes.get(f); // a segment is never written once the next one started
      }
      assertThat(metric(node, "tributary_reclaimed_bytes_total")).as("the metric counts the files deleted")
          .isEqualTo((double) removed);
      readsBack(node, "kept", "-1", expected("kept", 0, 16));
      readsBack(node, "trimmed", trimmedFloor, expected("trimmed", 16, 32));
      assertThat(node.send("GET", "/v1/stream/trimmed?offset=-1", null, null).statusCode()).as("below the floor")
          .isEqualTo(410);
      await("the scrub walked the remaining segments").atMost(Duration.ofSeconds(30))
          .until(() -> metric(node, "tributary_scrub_bytes_verified_total") >= segmentBytes(segments));
      assertThat(metric(node, "tributary_scrub_errors_total")).isZero();
    }
    List<String> reclaimed = segmentFiles(segments);
    try (LocalNode node = new LocalNode(data, settings)) {
      readsBack(node, "kept", "-1", expected("kept", 0, 16));
      readsBack(node, "trimmed", trimmedFloor, expected("trimmed", 16, 32));
      assertThat(node.send("GET", "/v1/stream/doomed?offset=-1", null, null).statusCode()).isEqualTo(404);
      assertThat(node.send("POST", "/v1/stream/kept", "text/plain", "more").statusCode()).isIn(200, 204);
      readsBack(node, "kept", "-1", expected("kept", 0, 16) + "more");
      assertThat(segmentFiles(segments).get(0)).as("no dropped segment came back").isEqualTo(reclaimed.get(0));
    }
  }
}
