package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cold.ObjectInfo;
import io.tributary.cold.S3ObjectStore;
import io.tributary.testing.LocalNode;
import io.tributary.testing.S3ProxyServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: reads of tiered data are indistinguishable from hot reads, and tiered objects are
 * garbage-collected. Method: the same writes go to a node that never tiers ({@code hot}) and to a
 * node tiering to s3proxy with the aggressive policy ({@code cold}: every append uploaded at once,
 * segments dropped as soon as tiered, tiered ranges read from S3). Once the cold node has nothing
 * left to upload and has dropped its old segments, catch-up reads, long-polls and SSE from many
 * offsets (binary, JSON, a fork crossing its fork point) must match the hot node's responses byte
 * for byte, with the same offset headers. Then: deleting a stream and trimming retention delete
 * its objects in S3; a restarted cold node serves everything from S3. Seeded (-Dseed).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ColdReadsS3Test {
  private static final String BIN = "application/octet-stream";
  private static final String JSON = "application/json";
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  static S3ProxyServer s3;
  static LocalNode hot;
  static LocalNode cold;
  static S3ObjectStore objects;
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final Map<String, byte[]> written = new HashMap<>();
  static final long seed = Long.getLong("seed", System.nanoTime());

  @BeforeAll
  static void start() throws Exception {
    System.out.println("ColdReadsS3Test seed " + seed);
    s3 = S3ProxyServer.start("cold-reads", dir.resolve("s3"));
    s3.createBucket("tier");
    objects = new S3ObjectStore(s3.storeOptions("tier", "t1"));
    hot = new LocalNode(dir.resolve("hot"), Map.of("tiering", "off", "groups", "2", "segment-bytes-max", "1048576", "node-id", "hot"));
    cold = new LocalNode(dir.resolve("cold"), TierNodes.aggressive(s3, "tier", "t1"));
    writeBoth();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {cold, hot, objects, s3}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.out.println("close failed: " + e);
      }
    }
  }

  /** Binary appends of random sizes (one larger than a 1 MiB record), JSON batches, and a fork of the binary stream. */
  static void writeBoth() throws Exception {
    Random r = new Random(seed);
    for (LocalNode n : List.of(hot, cold)) {
      assertThat(send(n, "PUT", "/v1/stream/bin", BIN, new byte[0], Map.of()).statusCode()).isEqualTo(201);
      assertThat(send(n, "PUT", "/v1/stream/json", JSON, new byte[0], Map.of()).statusCode()).isEqualTo(201);
    }
    java.io.ByteArrayOutputStream bin = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 40; i++) {
      byte[] b = new byte[i == 7 ? 1_300_000 : 1 + r.nextInt(60_000)];
      r.nextBytes(b);
      bin.write(b);
      for (LocalNode n : List.of(hot, cold)) {
        assertThat(send(n, "POST", "/v1/stream/bin", BIN, b, Map.of()).statusCode()).isIn(200, 204);
      }
    }
    written.put("bin", bin.toByteArray());
    for (int i = 0; i < 30; i++) {
      StringBuilder sb = new StringBuilder("[");
      for (int j = 0; j < 20; j++) {
        sb.append(j == 0 ? "" : ",").append("{\"i\":").append(i * 20 + j).append(",\"pad\":\"").append("x".repeat(r.nextInt(400)))
            .append("\"}");
      }
      byte[] body = sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
      for (LocalNode n : List.of(hot, cold)) {
        assertThat(send(n, "POST", "/v1/stream/json", JSON, body, Map.of()).statusCode()).isIn(200, 204);
      }
    }
    long forkPoint = written.get("bin").length / 2;
    for (LocalNode n : List.of(hot, cold)) {
      HttpResponse<byte[]> f = send(n, "PUT", "/v1/stream/fork", BIN, new byte[0],
          Map.of("Stream-Forked-From", "/v1/stream/bin", "Stream-Fork-Offset", offset(forkPoint)));
      assertThat(f.statusCode()).as(new String(f.body(), StandardCharsets.UTF_8)).isEqualTo(201);
      for (int i = 0; i < 10; i++) {
        byte[] b = ("fork-append-" + i + "-").repeat(300).getBytes(StandardCharsets.UTF_8);
        assertThat(send(n, "POST", "/v1/stream/fork", BIN, b, Map.of()).statusCode()).isIn(200, 204);
      }
    }
    awaitTieredAndDropped();
  }

  static void awaitTieredAndDropped() {
    Awaitility.await("cold node uploaded everything and dropped its old segments").atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(500)).until(() -> {
          double lag = TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_upload_lag_bytes");
          double dropped = TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_dropped_bytes_total");
          System.out.printf("lag %.0f dropped %.0f uploads %.0f errors %.0f hot %.0f%n", lag, dropped,
              TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_uploads_total"),
              TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_upload_errors_total"),
              TierNodes.metric(http, cold.adminUrl(""), "tributary_group_hot_bytes"));
          return lag == 0 && dropped > 0;
        });
  }

  @Test
  @Order(1)
  void catchUpReadsFromColdRangesMatchHotReads() throws Exception {
    double missesBefore = TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_cache_misses_total");
    for (String s : List.of("bin", "json", "fork")) {
      List<Long> offsets = probeOffsets(s);
      for (long off : offsets) {
        assertSameResponse(s, "/v1/stream/" + s + "?offset=" + offset(off));
      }
      assertSameResponse(s, "/v1/stream/" + s + "?offset=-1");
    }
    assertThat(TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_cache_misses_total"))
        .as("reads went to the object store").isGreaterThan(missesBefore);
  }

  @Test
  @Order(2)
  void longPollsFromColdRangesMatchHotReads() throws Exception {
    for (String s : List.of("bin", "json", "fork")) {
      for (long off : probeOffsets(s)) {
        assertSameResponse(s, "/v1/stream/" + s + "?offset=" + offset(off) + "&live=long-poll");
      }
    }
  }

  @Test
  @Order(3)
  void sseFromColdRangesMatchesHotReads() throws Exception {
    for (String s : List.of("json", "fork", "bin")) {
      List<Long> offs = probeOffsets(s);
      for (long off : offs.subList(0, Math.min(3, offs.size()))) {
        String path = "/v1/stream/" + s + "?offset=" + offset(off) + "&live=sse";
        assertThat(sse(cold, path)).as("SSE " + path).isEqualTo(sse(hot, path));
      }
    }
  }

  @Test
  @Order(4)
  void retentionAndDeleteCollectTheirObjects() throws Exception {
    Set<String> before = keys();
    byte[] piece = new byte[40_000];
    new Random(seed + 1).nextBytes(piece);
    assertThat(send(cold, "PUT", "/v1/stream/gc", BIN, new byte[0], Map.of()).statusCode()).isEqualTo(201);
    for (int i = 0; i < 8; i++) {
      assertThat(send(cold, "POST", "/v1/stream/gc", BIN, piece, Map.of()).statusCode()).isIn(200, 204);
      Awaitility.await().atMost(DEADLINE).until(() -> TierNodes.metric(http, cold.adminUrl(""), "tributary_cold_upload_lag_bytes") == 0);
    }
    Set<String> mine = new TreeSet<>(keys());
    mine.removeAll(before);
    assertThat(mine).as("one chunk per append").hasSize(8);

    long floor = 4L * piece.length;
    assertThat(send(cold, "PUT", "/v1/stream/gc/$snapshot/" + offset(floor), "application/json",
        "{\"state\":1}".getBytes(StandardCharsets.UTF_8), Map.of()).statusCode()).isIn(200, 201, 204);
    HttpResponse<byte[]> ret = send(cold, "PUT", "/v1/stream/gc/$retention/" + offset(floor), null, new byte[0], Map.of());
    assertThat(ret.statusCode()).as(new String(ret.body(), StandardCharsets.UTF_8)).isIn(200, 204);
    Awaitility.await("chunks below the retention floor deleted").atMost(DEADLINE).until(() -> {
      Set<String> now = keys();
      return mine.stream().filter(now::contains).count() == 4;
    });
    HttpResponse<byte[]> tail = send(cold, "GET", "/v1/stream/gc?offset=" + offset(floor), null, null, Map.of());
    assertThat(tail.statusCode()).isEqualTo(200);
    assertThat(tail.body()).hasSize(4 * piece.length);

    assertThat(send(cold, "DELETE", "/v1/stream/gc", null, null, Map.of()).statusCode()).isIn(200, 204);
    Awaitility.await("deleted stream's chunks deleted").atMost(DEADLINE).until(() -> {
      Set<String> now = keys();
      return mine.stream().noneMatch(now::contains);
    });
  }

  @Test
  @Order(5)
  void restartedNodeServesColdDataAtOnce() throws Exception {
    cold.close();
    long t0 = System.nanoTime();
    cold = new LocalNode(dir.resolve("cold"), TierNodes.aggressive(s3, "tier", "t1"));
    System.out.printf("cold node ready %d ms after restart%n", (System.nanoTime() - t0) / 1_000_000);
    for (String s : List.of("bin", "json", "fork")) {
      assertSameResponse(s, "/v1/stream/" + s + "?offset=-1");
      for (long off : probeOffsets(s)) {
        assertSameResponse(s, "/v1/stream/" + s + "?offset=" + offset(off));
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  static Set<String> keys() {
    return objects.listAll("").stream().map(ObjectInfo::key).collect(Collectors.toSet());
  }

  /** Offsets spread over the stream: start, message boundaries from a hot catch-up walk, the tail. */
  static List<Long> probeOffsets(String s) throws Exception {
    List<Long> out = new ArrayList<>();
    out.add(0L);
    String off = "-1";
    for (int i = 0; i < 50; i++) {
      HttpResponse<byte[]> r = send(hot, "GET", "/v1/stream/" + s + "?offset=" + off, null, null, Map.of());
      String next = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
      out.add(Long.parseLong(next.substring(next.indexOf('_') + 1)));
      if (r.headers().firstValue("Stream-Up-To-Date").isPresent() || next.equals(off)) {
        break;
      }
      off = next;
    }
    return out;
  }

  static void assertSameResponse(String stream, String path) throws Exception {
    HttpResponse<byte[]> h = send(hot, "GET", path, null, null, Map.of());
    HttpResponse<byte[]> c = send(cold, "GET", path, null, null, Map.of());
    assertThat(c.statusCode()).as("status of " + path + ": " + new String(c.body(), StandardCharsets.UTF_8))
        .isEqualTo(h.statusCode());
    assertThat(c.body()).as("body of " + path).isEqualTo(h.body());
    for (String header : List.of("Content-Type", "Stream-Next-Offset", "Stream-Up-To-Date", "Stream-Closed", "ETag")) {
      assertThat(c.headers().firstValue(header)).as(header + " of " + path).isEqualTo(h.headers().firstValue(header));
    }
  }

  /** The SSE response up to its first up-to-date control event, without the (time-based) cursors. */
  static String sse(LocalNode n, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(n.url(path))).timeout(Duration.ofSeconds(30)).GET().build();
    HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    StringBuilder sb = new StringBuilder();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith(":")) {
          continue; // keep-alive comments come at times, not at offsets
        }
        sb.append(line.replaceAll("\"streamCursor\":\"[0-9]+\",?", "")).append('\n');
        if (line.contains("\"upToDate\":true")) {
          break;
        }
      }
    }
    return r.statusCode() + "\n" + sb;
  }

  static String offset(long pos) {
    return String.format("%016d_%016d", 0, pos);
  }

  static HttpResponse<byte[]> send(LocalNode n, String method, String path, String contentType, byte[] body,
      Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(n.url(path))).timeout(Duration.ofSeconds(30));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
