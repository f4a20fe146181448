package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LocalNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: state that grows with client input is bounded, and a request past a bound gets a 4xx with
 * a reason, never a 500 or a dropped connection (the "bounded state" items of the fail-stop issue).
 * Method: one in-process node with small bounds; each test pushes one input to just inside and
 * just past its bound and checks the status and the reason.
 */
class InputBoundsTest {
  @TempDir
  static Path dir;
  static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of("producer-id-bytes-max", "16", "stream-seq-bytes-max", "8",
        "producers-per-stream-max", "2", "bucket-streams-max", "20", "buckets-max", "2",
        "fork-depth-max", "8"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String path(String name) {
    return "/v1/stream/bounds-" + name + "-" + Long.toHexString(System.nanoTime());
  }

  @Test
  void expiriesThatCannotBeRepresentedAreBadRequests() throws Exception {
    for (String v : new String[] {"+999999999-12-31T23:59:59Z", "+10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"}) {
      HttpResponse<String> r = node.send("PUT", path("exp"), "text/plain", null, "Stream-Expires-At", v);
      assertThat(r.statusCode()).as(v).isEqualTo(400);
      assertThat(r.body()).as(v).contains("9999-12-31T23:59:59Z");
    }
    assertThat(node.send("PUT", path("exp"), "text/plain", null, "Stream-Expires-At", "9999-12-31T23:59:59Z")
        .statusCode()).isEqualTo(201);
    assertThat(node.send("PUT", path("ttl"), "text/plain", null, "Stream-TTL", "9999999999999").statusCode())
        .isEqualTo(400);
    assertThat(node.send("PUT", path("ttl"), "text/plain", null, "Stream-TTL", "999999999999").statusCode())
        .isEqualTo(201);
  }

  @Test
  void producerIdsAndStreamSeqsLongerThanTheirBoundAreBadRequests() throws Exception {
    String p = path("ids");
    assertThat(node.send("PUT", p, "text/plain", null).statusCode()).isEqualTo(201);
    HttpResponse<String> longId = node.send("POST", p, "text/plain", "x", "Producer-Id", "p".repeat(17),
        "Producer-Epoch", "0", "Producer-Seq", "0");
    assertThat(longId.statusCode()).isEqualTo(400);
    assertThat(longId.body()).contains("producer-id-bytes-max (16 bytes)");
    assertThat(node.send("POST", p, "text/plain", "x", "Producer-Id", "p".repeat(16), "Producer-Epoch", "0",
        "Producer-Seq", "0").statusCode()).isEqualTo(200);
    HttpResponse<String> longSeq = node.send("POST", p, "text/plain", "x", "Stream-Seq", "s".repeat(9));
    assertThat(longSeq.statusCode()).isEqualTo(400);
    assertThat(longSeq.body()).contains("stream-seq-bytes-max (8 bytes)");
    assertThat(node.send("POST", p, "text/plain", "x", "Stream-Seq", "s".repeat(8)).statusCode()).isEqualTo(204);
    HttpResponse<String> batch = node.send("POST", p + "/$append-batch", "text/plain", "x", "Producer-Id",
        "q".repeat(17), "Producer-Epoch", "0", "Producer-Seq", "0");
    assertThat(batch.statusCode()).isEqualTo(400);
  }

  @Test
  void aNewProducerBeyondTheStreamsBoundIsTooManyRequests() throws Exception {
    String p = path("producers");
    assertThat(node.send("PUT", p, "text/plain", null).statusCode()).isEqualTo(201);
    for (String id : new String[] {"a", "b"}) {
      assertThat(node.send("POST", p, "text/plain", id, "Producer-Id", id, "Producer-Epoch", "0", "Producer-Seq", "0")
          .statusCode()).isEqualTo(200);
    }
    HttpResponse<String> third = node.send("POST", p, "text/plain", "c", "Producer-Id", "c", "Producer-Epoch", "0",
        "Producer-Seq", "0");
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.body()).contains("producers-per-stream-max (2)");
    assertThat(third.headers().firstValue("Retry-After")).as("a reached limit says when to come back").hasValue("10");
    assertThat(node.send("POST", p, "text/plain", "a", "Producer-Id", "a", "Producer-Epoch", "0", "Producer-Seq", "1")
        .statusCode()).as("a known producer goes on").isEqualTo(200);
    assertThat(node.send("POST", p, "text/plain", "plain").statusCode()).as("appends without a producer too").isEqualTo(204);
  }

  /** One node has one group: bucket-streams-max is the bucket's bound here. */
  @Test
  void bucketsAndStreamsPerBucketAreBounded() throws Exception {
    assertThat(node.send("PUT", "/ds/first", null, null).statusCode()).isEqualTo(201);
    assertThat(node.send("PUT", "/ds/second", null, null).statusCode()).isEqualTo(201);
    HttpResponse<String> third = node.send("PUT", "/ds/third", null, null);
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.body()).contains("buckets-max (2)");
    assertThat(third.headers().firstValue("Retry-After")).hasValue("10");
    assertThat(node.send("PUT", "/ds/second", null, null).statusCode()).as("an existing bucket").isEqualTo(200);

    for (int i = 0; i < 20; i++) {
      assertThat(node.send("PUT", "/ds/first/s" + i, "text/plain", null).statusCode()).isEqualTo(201);
    }
    HttpResponse<String> full = node.send("PUT", "/ds/first/s20", "text/plain", null);
    assertThat(full.statusCode()).isEqualTo(429);
    assertThat(full.body()).contains("bucket-streams-max (20)");
    assertThat(full.headers().firstValue("Retry-After")).hasValue("10");
    HttpResponse<String> fork = node.send("PUT", "/ds/first/fork", null, null, "Stream-Forked-From", "/ds/first/s0");
    assertThat(fork.statusCode()).as("a fork counts too").isEqualTo(429);
    assertThat(fork.headers().firstValue("Retry-After")).hasValue("10");
    assertThat(node.send("PUT", "/ds/first/s0", "text/plain", null).statusCode()).as("an identical re-create").isEqualTo(200);
    assertThat(node.send("DELETE", "/ds/first/s0", null, null).statusCode()).isEqualTo(204);
    assertThat(node.send("PUT", "/ds/first/s20", "text/plain", null).statusCode()).as("room again").isEqualTo(201);
    assertThat(node.send("PUT", "/ds/second/s0", "text/plain", null).statusCode()).as("per bucket").isEqualTo(201);
  }

  /** Each fork of the chain adds one byte; reading the deepest walks all eight links. */
  @Test
  void aForkChainAtItsDepthBoundReadsBackAndADeeperForkIsRefused() throws Exception {
    String root = path("chain");
    assertThat(node.send("PUT", root, "application/octet-stream", "r").statusCode()).isEqualTo(201);
    StringBuilder expected = new StringBuilder("r");
    String chainEnd = root;
    for (int depth = 1; depth <= 8; depth++) {
      String fork = root + "-f" + depth;
      assertThat(node.send("PUT", fork, null, null, "Stream-Forked-From", chainEnd).statusCode()).as("depth %d", depth)
          .isEqualTo(201);
      String b = Integer.toString(depth);
      assertThat(node.send("POST", fork, "application/octet-stream", b).statusCode()).isEqualTo(204);
      expected.append(b);
      chainEnd = fork;
    }
    String source = chainEnd;
    HttpResponse<String> read = node.send("GET", source + "?offset=-1", null, null);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(expected.toString());
    HttpResponse<String> deeper = node.send("PUT", root + "-f9", null, null, "Stream-Forked-From", source);
    assertThat(deeper.statusCode()).isEqualTo(400);
    assertThat(deeper.body()).contains("fork-depth-max");
    assertThat(node.send("HEAD", root + "-f9", null, null).statusCode()).as("nothing created").isEqualTo(404);
    assertThat(node.send("DELETE", source, null, null).statusCode()).isEqualTo(204);
    // with a pin left the deleted source would stay, answering 410: the refused fork's pin was released
    await().atMost(Duration.ofSeconds(10)).until(() -> node.send("HEAD", source, null, null).statusCode() == 404);
    assertThat(node.send("GET", root + "-f7?offset=-1", null, null).body()).isEqualTo(expected.substring(0, 8));
  }
}
