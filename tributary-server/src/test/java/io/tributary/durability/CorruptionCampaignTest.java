package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.common.Offsets;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: on a single node, corruption is detected, contained and survived: no damaged byte is ever
 * served, nothing acknowledged is lost, and every intact range stays readable.
 *
 * <p>Method, as a story. A node takes snapshots every 100 entries; stream A gets 250 appends of
 * 1000 bytes (so record k holds bytes [1000k, 1000k + 1000)), stream B 60. The node stops.
 *
 * <p>Act 1, a byte flipped in a data segment: one payload byte of A's record at [9000, 10000)
 * (seeded choice within the record). After a restart, catch-up reads of A in 4 KiB chunks serve
 * [0, 8000) intact (4 KiB chunks of whole 1000-byte records), then the chunk reaching the record answers 500 naming the damaged range, as
 * does the log; an SSE subscriber from there gets an {@code error} event naming it instead of a
 * silent end; A from 10000 and all of B read back byte-exact; the read and the scrub both count it
 * in {@code /metrics}.
 *
 * <p>Act 2, a byte flipped in the newest metadata snapshot: after a restart the node says which
 * snapshot it set aside and why, starts from the previous one plus the Raft log, and every
 * acknowledged append of both streams (except A's one damaged record) is still there; a new append
 * is accepted.
 */
@Timeout(300)
class CorruptionCampaignTest {
  private static final long SEED = Long.getLong("seed", System.nanoTime());
  /** SOFAJRaft's directory of one snapshot: {@code snapshot_<index>}. */
  private static final Pattern SNAPSHOT = Pattern.compile("snapshot_(\\d+)");
  private static final int RECORD = 1000;

  @TempDir
  Path work;
  private ServerProcess server;
  private final StreamClient client = new StreamClient(Duration.ofSeconds(20));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    client.close();
    http.shutdownNow();
  }

  @Test
  void singleNodeSurvivesAFlippedSegmentByteAndAFlippedSnapshotByte() throws Exception {
    SplittableRandom rnd = new SplittableRandom(SEED);
    Path data = work.resolve("data");
    server = ServerProcess.builder(data).name("corruption-node").logDir(work)
        .settings(Map.of("snapshot-interval-entries", "100", "read-chunk-bytes-max", "4KiB",
            "scrub-bytes-per-second", "1048576", "long-poll-timeout-ms", "500"))
        .build();
    System.out.println("CorruptionCampaignTest seed " + SEED + " (rerun with -Dseed=" + SEED + "), data " + data
        + ", log " + server.stderrLog());
    server.start();
    awaitReady();
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    assertThat(client.create(server.baseUrl(), "a", "application/octet-stream").statusCode()).isEqualTo(201);
    for (int i = 0; i < 250; i++) {
      append("a", body(i), a);
    }
    assertThat(client.create(server.baseUrl(), "b", "application/octet-stream").statusCode()).isEqualTo(201);
    for (int i = 0; i < 60; i++) {
      append("b", body(1000 + i), b);
    }
    assertThat(server.stop()).isIn(0, ServerProcess.EXIT_SIGTERM);

    // Act 1: one payload byte of A's record [9000, 10000)
    long flippedAt = flipInRecord(data, 9000, 1 + rnd.nextInt(RECORD - 2));
    System.out.println("flipped segment byte at position " + flippedAt);
    server.restart();
    awaitReady();
    byte[] aBytes = a.toByteArray();
    StreamClient.Chunk c0 = client.readAvailable(server.baseUrl(), "a", "-1");
    assertThat(c0.status()).isEqualTo(200);
    StreamClient.Chunk c1 = client.readAvailable(server.baseUrl(), "a", c0.nextOffset());
    assertThat(c1.status()).isEqualTo(200);
    // 4 KiB chunks end on record boundaries: four whole 1000-byte records each
    assertThat(concat(c0.body(), c1.body())).as("[0, 8000) intact").isEqualTo(slice(aBytes, 0, 8000));
    StreamClient.Chunk bad = client.readAvailable(server.baseUrl(), "a", c1.nextOffset());
    String reason = new String(bad.body(), StandardCharsets.UTF_8);
    assertThat(bad.status()).as(reason).isEqualTo(500);
    assertThat(reason).contains("bytes [9000, 10000)", "damaged", "group 0");
    assertThat(Files.readString(server.stderrLog())).contains("bytes [9000, 10000) are damaged");
    String sse = sse("a", c1.nextOffset());
    assertThat(sse).contains("event: error").contains("bytes [9000, 10000)").doesNotContain("event: data");
    assertThat(readFrom("a", 10_000)).as("A after the damaged record").isEqualTo(slice(aBytes, 10_000, aBytes.length));
    assertThat(readFrom("b", 0)).as("all of B").isEqualTo(b.toByteArray());
    await("the scrub finds the damaged record").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> metric("tributary_scrub_errors_total{group=\"0\"}") >= 1);
    assertThat(metric("tributary_damaged_reads_total{group=\"0\"}")).isGreaterThanOrEqualTo(2);
    assertThat(metric("tributary_scrub_bytes_verified_total")).isPositive();
    assertThat(server.stop()).isIn(0, ServerProcess.EXIT_SIGTERM);

    // Act 2: one byte of the newest metadata snapshot
    Path newest = newestSnapshot(data);
    flip(newest, 12 + rnd.nextInt((int) Files.size(newest) - 16));
    System.out.println("flipped a byte of " + newest);
    server.restart();
    awaitReady();
    String log = Files.readString(server.stderrLog());
    assertThat(log).contains("metadata snapshot " + newest.getParent()).contains("is damaged")
        .contains("falling back to the previous snapshot");
    Path snapshotDir = newest.getParent();
    assertThat(snapshotDir.getParent().getParent().resolve("damaged-" + snapshotDir.getFileName())).isDirectory();
    assertThat(readFrom("a", 10_000)).as("A after restarting from the previous snapshot")
        .isEqualTo(slice(aBytes, 10_000, aBytes.length));
    assertThat(readFrom("b", 0)).as("B after restarting from the previous snapshot").isEqualTo(b.toByteArray());
    append("b", body(2000), b);
    assertThat(readFrom("b", 0)).isEqualTo(b.toByteArray());
  }

  private static byte[] body(int i) {
    byte[] x = new byte[RECORD];
    new SplittableRandom(i).nextBytes(x);
    return x;
  }

  private void append(String stream, byte[] body, ByteArrayOutputStream expected) throws Exception {
    HttpResponse<byte[]> r = client.append(server.baseUrl(), stream, "application/octet-stream", body, null);
    assertThat(r.statusCode()).as("append to %s", stream).isIn(200, 204);
    expected.write(body);
  }

  private void awaitReady() {
    await("ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> client.status(server.baseUrl(), "/readyz") == 200);
  }

  /** Bytes of a stream from {@code from} to its tail, following Stream-Next-Offset. */
  private byte[] readFrom(String stream, long from) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String offset = Offsets.format(from);
    for (int i = 0; i < 1000; i++) {
      StreamClient.Chunk c = client.readAvailable(server.baseUrl(), stream, offset);
      assertThat(c.status()).as("%s at %s: %s", stream, offset, new String(c.body(), StandardCharsets.UTF_8))
          .isEqualTo(200);
      out.write(c.body());
      if (c.upToDate()) {
        return out.toByteArray();
      }
      offset = c.nextOffset();
    }
    throw new AssertionError("no end to " + stream);
  }

  private String sse(String stream, String offset) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(server.baseUrl() + StreamClient.STREAM_ROOT + stream + "?offset="
        + offset + "&live=sse")).timeout(Duration.ofSeconds(20)).GET().build();
    HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(200);
    return res.body();
  }

  private double metric(String name) throws Exception {
    String text = new String(client.get(server.adminUrl(), "/metrics").body(), StandardCharsets.UTF_8);
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return 0;
  }

  /** Flips a payload byte of the record whose header says stream offset {@code streamOffset}; returns its file position. */
  private static long flipInRecord(Path data, long streamOffset, int inPayload) throws IOException {
    Path seg = data.resolve("groups/g000/segments").resolve(String.format("%020d.seg", 0));
    byte[] file = Files.readAllBytes(seg);
    ByteBuffer h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = 0; at + 32 <= file.length; at += 32 + h.getInt(at + 4)) {
      if (h.getLong(at + 16) == streamOffset && h.getInt(at + 4) == RECORD) {
        flip(seg, at + 32 + inPayload);
        return at + 32 + inPayload;
      }
    }
    throw new AssertionError("no record at stream offset " + streamOffset + " in " + seg);
  }

  /** The metadata file of group 0's newest snapshot. */
  private static Path newestSnapshot(Path data) throws IOException {
    try (var dirs = Files.list(data.resolve("jraft").resolve("g000").resolve("snapshot"))) {
      return dirs.filter(p -> SNAPSHOT.matcher(p.getFileName().toString()).matches())
          .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring("snapshot_".length()))))
          .orElseThrow().resolve("tributary-meta");
    }
  }


  private static void flip(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int v = f.read();
      f.seek(at);
      f.write(v ^ 0x20);
    }
  }

  private static byte[] slice(byte[] b, int from, int to) {
    return java.util.Arrays.copyOfRange(b, from, to);
  }

  private static byte[] concat(byte[] x, byte[] y) {
    byte[] out = java.util.Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, out, x.length, y.length);
    return out;
  }
}
