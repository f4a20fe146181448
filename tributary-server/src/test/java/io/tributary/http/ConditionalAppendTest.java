package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Offsets;
import io.tributary.testing.LocalNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: {@code If-Match: <offset>} makes an append commit only at that tail (optimistic
 * concurrency without a lock). Method: a real node in-process; the status paths (success, 412
 * with the current tail, 400 on a malformed offset, producer retry of a committed conditional
 * append), then several writers racing read-modify-append loops: no update may be lost, and
 * every 412 must carry a tail that really was the stream's tail (an append boundary past the
 * writer's expectation).
 */
class ConditionalAppendTest {
  @TempDir
  static Path dir;
  static LocalNode node;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> post(String path, String body, String ifMatch, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(body));
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void statusPaths() throws Exception {
    String p = "/v1/stream/cond-paths";
    assertThat(node.send("PUT", p, "text/plain", "ab").statusCode()).isEqualTo(201);
    assertThat(post(p, "c", Offsets.format(2)).statusCode()).isEqualTo(204);
    HttpResponse<String> stale = post(p, "d", Offsets.format(2));
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(stale.headers().firstValue("Stream-Next-Offset")).hasValue(Offsets.format(3));
    assertThat(post(p, "d", "\"" + Offsets.format(3) + "\"").statusCode()).isEqualTo(204);
    assertThat(post(p, "e", "garbage").statusCode()).isEqualTo(400);
    assertThat(post(p, "e", "9999999999999999_9999999999999999").statusCode()).isEqualTo(412);
    // a producer retry of a conditional append that already committed is a duplicate, not a 412
    String[] producer = {"Producer-Id", "w", "Producer-Epoch", "0", "Producer-Seq", "0"};
    assertThat(post(p, "f", Offsets.format(4), producer).statusCode()).isEqualTo(200);
    assertThat(post(p, "f", Offsets.format(4), producer).statusCode()).isEqualTo(204);
    assertThat(node.send("GET", p + "?offset=-1", null, null).body()).isEqualTo("abcdf");
    assertThat(post("/v1/stream/cond-missing", "x", Offsets.format(0)).statusCode()).isEqualTo(404);
  }

  @Test
  void racingWritersLoseNoUpdate() throws Exception {
    String p = "/v1/stream/cond-race";
    assertThat(node.send("PUT", p, "text/plain", null).statusCode()).isEqualTo(201);
    int writers = 4;
    int each = 15;
    ConcurrentLinkedQueue<Long> reportedTails = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<Integer>> conflicts = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      final int id = w;
      conflicts.add(pool.submit(() -> {
        int seen412 = 0;
        long tail = 0;
        for (int i = 0; i < each; ) {
          String body = "[" + id + ":" + i + "]";
          HttpResponse<String> r = post(p, body, Offsets.format(tail));
          if (r.statusCode() == 204) {
            tail = Offsets.parse(r.headers().firstValue("Stream-Next-Offset").orElseThrow());
            i++;
          } else {
            assertThat(r.statusCode()).as("writer %d: %s", id, r.body()).isEqualTo(412);
            long current = Offsets.parse(r.headers().firstValue("Stream-Next-Offset").orElseThrow());
            assertThat(current).as("a 412 reports a tail past the stale expectation").isGreaterThan(tail);
            reportedTails.add(current);
            tail = current;
            seen412++;
          }
        }
        return seen412;
      }));
    }
    int total412 = 0;
    for (Future<Integer> f : conflicts) {
      total412 += f.get();
    }
    pool.shutdown();
    String content = node.send("GET", p + "?offset=-1", null, null).body();
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < each; i++) {
        String piece = "[" + w + ":" + i + "]";
        assertThat(content.indexOf(piece)).as("append %s present exactly once", piece).isGreaterThanOrEqualTo(0)
            .isEqualTo(content.lastIndexOf(piece));
      }
    }
    List<Long> boundaries = new ArrayList<>();
    for (int i = 0; i < content.length(); i++) {
      if (content.charAt(i) == ']') {
        boundaries.add((long) i + 1);
      }
    }
    assertThat(boundaries).as("every 412 carried a real tail (an append boundary)").containsAll(reportedTails);
    assertThat(total412).as("the writers did race").isPositive();
  }
}
