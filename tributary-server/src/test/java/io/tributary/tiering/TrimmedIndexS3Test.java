package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.common.Offsets;
import io.tributary.extensions.Multipart;
import io.tributary.testing.LocalNode;
import io.tributary.testing.S3ProxyServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: once a node has tiered a byte stream and deleted its local segments, it forgets the
 * record index entries of those records (memory follows the hot data), and everything that needs
 * record boundaries there still works from the chunks' record-start tables: snapshot and
 * retention offsets must be record starts (400 mid-record), a bootstrap splits the stream into
 * its appends and {@code $append-batch} frames, a fork's boundaries below its fork point come from
 * its source; reads stay byte-identical and whole-record (one byte into a record reads from its
 * start); and a restart from the (smaller) metadata snapshot does
 * all of it again.
 *
 * <p>Method: one node tiering into s3proxy at once ({@link TierNodes#aggressive}, one group,
 * 1 MiB segments, nothing kept beyond the newest segment, tiered ranges read from local disk while
 * it has them). A byte stream gets 24 batches of 200 frames of 40..400 bytes, a plain append
 * every 4th batch, then one 2.5 MiB append (three 1 MiB records), then two more batches; the test
 * keeps every record start and the bytes. Then, with no more writes (a node forgets entries after
 * the next applied entry, which the cold tier commits itself when nothing else comes), it waits
 * for the index gauge to drop and checks the boundaries at forgotten offsets (and a few bytes
 * after them), bootstraps part by part, a fork, reads; restarts; again.
 * Seeded (-Dseed).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrimmedIndexS3Test {
  private static final String BIN = "application/octet-stream";
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final int BIG = 5 * 512 * 1024 + 1000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;
  static S3ProxyServer s3;
  static LocalNode node;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  static final long seed = Long.getLong("seed", System.nanoTime());
  /** Every record start of {@code bytes}, and its content. */
  static final TreeSet<Long> starts = new TreeSet<>();
  static final ByteArrayOutputStream content = new ByteArrayOutputStream();
  /** Where the 2.5 MiB append began. */
  static long bigStart;
  static long forkPoint;
  static final ByteArrayOutputStream forkOwn = new ByteArrayOutputStream();
  static final List<Long> forkStarts = new ArrayList<>();

  static Map<String, String> settings() {
    Map<String, String> m = TierNodes.aggressive(s3, "tier", "trim");
    m.put("groups", "1");
    m.put("cold-reads-prefer", "false");
    m.put("bootstrap-bytes-max", "65536");
    return m;
  }

  @BeforeAll
  static void start() throws Exception {
    System.out.println("TrimmedIndexS3Test seed " + seed);
    s3 = S3ProxyServer.start("trimmed-index", dir.resolve("s3"));
    s3.createBucket("tier");
    node = new LocalNode(dir.resolve("node"), settings());
    write();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {node, s3}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.out.println("close failed: " + e);
      }
    }
  }

  static void write() throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    assertThat(send("PUT", "/v1/stream/bytes", BIN, new byte[0]).statusCode()).isEqualTo(201);
    for (int round = 0; round < 26; round++) {
      if (round == 24) {
        byte[] big = new byte[BIG];
        r.nextBytes(big);
        bigStart = append(big);
        for (long s = bigStart; s < bigStart + BIG; s += 1024 * 1024) {
          starts.add(s); // appends above 1 MiB are stored as 1 MiB records, each a boundary
        }
      }
      List<byte[]> frames = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        byte[] f = new byte[r.nextInt(40, 401)];
        r.nextBytes(f);
        frames.add(f);
      }
      HttpResponse<byte[]> b = send("POST", "/v1/stream/bytes/$append-batch", BIN, frames(frames));
      assertThat(b.statusCode()).as(new String(b.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      JsonNode acks = JSON.readTree(b.body()).get("frames");
      for (int i = 0; i < frames.size(); i++) {
        long at = Offsets.parse(acks.get(i).get("offset").asText());
        assertThat(at).as("frame %d of round %d", i, round).isEqualTo(content.size());
        starts.add(at);
        content.writeBytes(frames.get(i));
      }
      if (round % 4 == 3) {
        byte[] one = new byte[r.nextInt(1, 3001)];
        r.nextBytes(one);
        starts.add(append(one));
      }
      if (round == 10) {
        forkPoint = starts.last(); // a frame start, deep in what will be forgotten
        HttpResponse<byte[]> f = send("PUT", "/v1/stream/fork", BIN, new byte[0], "Stream-Forked-From", "/v1/stream/bytes",
            "Stream-Fork-Offset", Offsets.format(forkPoint));
        assertThat(f.statusCode()).as(new String(f.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        for (int i = 0; i < 3; i++) {
          byte[] own = ("fork-own-" + i + "-").repeat(20).getBytes(StandardCharsets.UTF_8);
          forkStarts.add(forkPoint + forkOwn.size());
          forkOwn.writeBytes(own);
          assertThat(send("POST", "/v1/stream/fork", BIN, own).statusCode()).isEqualTo(204);
        }
      }
    }
    System.out.printf("wrote %d bytes in %d records%n", content.size(), starts.size());
    awaitForgotten();
  }

  /** Appends {@code data} as one POST; returns where it starts. */
  static long append(byte[] data) throws Exception {
    HttpResponse<byte[]> a = send("POST", "/v1/stream/bytes", BIN, data);
    assertThat(a.statusCode()).isEqualTo(204);
    long at = content.size();
    content.writeBytes(data);
    assertThat(Offsets.parse(a.headers().firstValue("Stream-Next-Offset").orElseThrow())).isEqualTo(content.size());
    return at;
  }

  /** Waits until everything is in S3, old segments are gone and the index holds a fraction of the records. */
  static void awaitForgotten() {
    Awaitility.await("tiered, segments deleted, index entries forgotten").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> {
          double lag = TierNodes.metric(http, node.adminUrl(""), "tributary_cold_upload_lag_bytes");
          double dropped = TierNodes.metric(http, node.adminUrl(""), "tributary_cold_dropped_bytes_total");
          double indexed = TierNodes.metric(http, node.adminUrl(""), "tributary_group_index_records");
          System.out.printf("lag %.0f dropped %.0f indexed %.0f of %d records%n", lag, dropped, indexed, starts.size());
          return lag == 0 && dropped > 0 && indexed < starts.size() / 4.0;
        });
  }

  @Test
  @Order(1)
  void readsOfForgottenRecordsAreByteIdentical() throws Exception {
    double coldBefore = TierNodes.metric(http, node.adminUrl(""), "tributary_stream_range_reads_total{source=\"cold\"}");
    assertThat(readAll("bytes")).isEqualTo(content.toByteArray());
    SplittableRandom r = new SplittableRandom(seed + 1);
    List<Long> all = new ArrayList<>(starts);
    for (int i = 0; i < 20; i++) {
      long off = all.get(r.nextInt(all.size())) + (i % 2 == 0 ? 0 : 1);
      // one byte into a record reads from the record's start, found in its chunk's record-start table
      long from = starts.floor(off);
      HttpResponse<byte[]> g = send("GET", "/v1/stream/bytes?offset=" + Offsets.format(off), null, null);
      assertThat(g.statusCode()).isEqualTo(200);
      assertThat(g.body()).as("read from %d answers from %d", off, from).isEqualTo(slice(from, from + g.body().length));
      assertThat(g.body().length).isPositive();
      long next = Offsets.parse(g.headers().firstValue("Stream-Next-Offset").orElseThrow());
      assertThat(next == content.size() || starts.contains(next)).as("next offset %d is a record start", next).isTrue();
    }
    assertThat(TierNodes.metric(http, node.adminUrl(""), "tributary_stream_range_reads_total{source=\"cold\"}"))
        .as("the forgotten ranges were read from S3").isGreaterThan(coldBefore);
    byte[] fork = readAll("fork");
    assertThat(Arrays.copyOf(fork, (int) forkPoint)).isEqualTo(slice(0, forkPoint));
    assertThat(Arrays.copyOfRange(fork, (int) forkPoint, fork.length)).isEqualTo(forkOwn.toByteArray());
  }

  @Test
  @Order(2)
  void forkBoundariesBelowItsForkPointComeFromTheSourcesChunks() throws Exception {
    long below = starts.lower(forkPoint - 30_000);
    assertThat(snapshot("fork", below + 1).statusCode()).as("mid-record, below the fork point").isEqualTo(400);
    assertThat(snapshot("fork", below).statusCode()).as("a record start of the source").isEqualTo(204);
    Multipart boot = Multipart.parse(send("GET", "/v1/stream/fork/$bootstrap", null, null));
    List<byte[]> expected = new ArrayList<>();
    long prev = below;
    for (long s : starts.subSet(below, false, forkPoint, false)) {
      expected.add(slice(prev, s));
      prev = s;
    }
    expected.add(slice(prev, forkPoint));
    byte[] own = forkOwn.toByteArray();
    for (int i = 0; i < forkStarts.size(); i++) {
      long end = i + 1 < forkStarts.size() ? forkStarts.get(i + 1) : forkPoint + own.length;
      expected.add(Arrays.copyOfRange(own, (int) (forkStarts.get(i) - forkPoint), (int) (end - forkPoint)));
    }
    assertParts(boot, "fork bootstrap from " + below, expected);
  }

  @Test
  @Order(3)
  void snapshotRetentionAndBootstrapUseForgottenBoundaries() throws Exception {
    List<Long> all = new ArrayList<>(starts);
    long s1 = all.get(250); // a frame of the second batch
    assertThat(snapshot("bytes", s1 + 1).statusCode()).as("one byte into a frame").isEqualTo(400);
    assertThat(snapshot("bytes", s1 + 7).statusCode()).isEqualTo(400);
    assertThat(snapshot("bytes", s1).statusCode()).as("an $append-batch frame's offset").isEqualTo(204);
    Multipart boot = Multipart.parse(send("GET", "/v1/stream/bytes/$bootstrap", null, null));
    List<byte[]> expected = new ArrayList<>();
    for (long s = s1; s < content.size(); s = starts.higher(s)) {
      long end = starts.higher(s) == null ? content.size() : starts.higher(s);
      if (end - s1 > 65536) {
        break; // bootstrap-bytes-max
      }
      expected.add(slice(s, end));
      if (starts.higher(s) == null) {
        break;
      }
    }
    assertParts(boot, "bootstrap from " + s1, expected);
    long next = Offsets.parse(boot.header("Stream-Next-Offset"));
    assertThat(next).as("the next message starts where the bootstrap stops").isEqualTo(s1 + expected.stream()
        .mapToLong(b -> b.length).sum()).isIn(starts);

    assertThat(retain("bytes", s1 + 1).statusCode()).as("mid-record retention").isEqualTo(400);
    assertThat(retain("bytes", s1).statusCode()).isEqualTo(204);

    long second = bigStart + 1024 * 1024; // the big append's second 1 MiB record
    assertThat(snapshot("bytes", second - 1).statusCode()).isEqualTo(400);
    assertThat(snapshot("bytes", second).statusCode()).as("a record start inside one large append").isEqualTo(204);
    Multipart whole = Multipart.parse(send("GET", "/v1/stream/bytes/$bootstrap", null, null));
    assertParts(whole, "bootstrap of one message above bootstrap-bytes-max", List.of(slice(second, second + 1024 * 1024)));
    assertThat(Offsets.parse(whole.header("Stream-Next-Offset"))).isEqualTo(second + 1024 * 1024);
  }

  @Test
  @Order(4)
  void aRestartedNodeLoadsTheSmallerIndexAndStillKnowsEveryBoundary() throws Exception {
    node.close();
    node = new LocalNode(dir.resolve("node"), settings());
    Awaitility.await("the gauge after a restart").atMost(DEADLINE).until(() ->
        TierNodes.metric(http, node.adminUrl(""), "tributary_group_index_records") > 0);
    double indexed = TierNodes.metric(http, node.adminUrl(""), "tributary_group_index_records");
    System.out.printf("after restart: %.0f of %d records indexed%n", indexed, starts.size());
    assertThat(indexed).isLessThan(starts.size() / 4.0);
    long floor = new ArrayList<>(starts).get(250); // retention set before the restart
    assertThat(readFrom("bytes", floor)).isEqualTo(slice(floor, content.size()));
    assertThat(readAll("fork")).hasSize((int) forkPoint + forkOwn.size());
    long s = new ArrayList<>(starts).get(600);
    assertThat(retain("bytes", s + 3).statusCode()).isEqualTo(400);
    assertThat(retain("bytes", s).statusCode()).as("a frame start, after the restart").isEqualTo(204);
    Multipart whole = Multipart.parse(send("GET", "/v1/stream/bytes/$bootstrap", null, null));
    long second = bigStart + 1024 * 1024;
    assertParts(whole, "bootstrap after the restart", List.of(slice(second, second + 1024 * 1024)));
  }

  // ---------------------------------------------------------------- helpers

  static void assertParts(Multipart m, String what, List<byte[]> expectedMessages) {
    assertThat(m.parts()).as(what + ": snapshot part plus one part per message").hasSize(expectedMessages.size() + 1);
    for (int i = 0; i < expectedMessages.size(); i++) {
      assertThat(m.parts().get(i + 1).body()).as("%s: message %d", what, i).isEqualTo(expectedMessages.get(i));
    }
  }

  static byte[] slice(long from, long to) {
    return Arrays.copyOfRange(content.toByteArray(), (int) from, (int) to);
  }

  static HttpResponse<byte[]> snapshot(String stream, long offset) throws Exception {
    return send("PUT", "/v1/stream/" + stream + "/$snapshot/" + Offsets.format(offset), "application/x-state",
        ("state at " + offset).getBytes(StandardCharsets.UTF_8));
  }

  static HttpResponse<byte[]> retain(String stream, long offset) throws Exception {
    return send("PUT", "/v1/stream/" + stream + "/$retention/" + Offsets.format(offset), null, new byte[0]);
  }

  static byte[] readAll(String stream) throws Exception {
    return readFrom(stream, -1);
  }

  /** Catch-up reads from {@code from} (-1: the start) to the tail. */
  static byte[] readFrom(String stream, long from) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String off = from < 0 ? "-1" : Offsets.format(from);
    for (int i = 0; i < 10_000; i++) {
      HttpResponse<byte[]> g = send("GET", "/v1/stream/" + stream + "?offset=" + off, null, null);
      assertThat(g.statusCode()).as(new String(g.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      out.writeBytes(g.body());
      if (g.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return out.toByteArray();
      }
      off = g.headers().firstValue("Stream-Next-Offset").orElseThrow();
    }
    throw new AssertionError("read of " + stream + " did not reach the tail");
  }

  static byte[] frames(List<byte[]> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] f : frames) {
      out.writeBytes(ByteBuffer.allocate(4).putInt(f.length).array());
      out.writeBytes(f);
    }
    return out.toByteArray();
  }

  static HttpResponse<byte[]> send(String method, String path, String contentType, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(30));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
