package io.tributary.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Offsets;
import io.tributary.testing.LocalNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a read never hands out part of a message. An offset strictly inside a message addresses
 * that message (the read starts at its first byte, as the reference servers answer), an offset on
 * a boundary reads from there, and a read that stops short of the tail stops on a boundary; for
 * catch-up, long-poll and SSE reads, binary and JSON streams, and forks (whose bytes below the fork
 * point are their source's). Stream-Next-Offset is always the end of the bytes returned. Real
 * clients rely on it: the Yjs server of y-durable-streams reads from its snapshot offset plus one
 * and decodes the answer as whole lib0 frames ("Unexpected end of array" otherwise).
 *
 * <p>Method: one in-process node with the smallest read chunk (4 KiB). Messages of known sizes,
 * read at every offset from 0 to the tail; each answer must start on the boundary at or below the
 * offset asked and hold only whole messages. One past the tail is inside the next message,
 * whichever it is, so it reads at the tail (the Yjs server asks for it when its snapshot covers the
 * whole stream); further past the tail is a 400.
 */
class MessageAlignedReadsTest {
  private static final String BIN = "application/octet-stream";
  private static final String JSON = "application/json";

  @TempDir
  static Path dir;
  private static LocalNode node;

  @BeforeAll
  static void start() throws Exception {
    node = new LocalNode(dir, Map.of("read-chunk-bytes-max", "4KiB"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void binaryReadsStartAtTheMessageHoldingTheOffset() throws Exception {
    String p = "/v1/stream/aligned-bin";
    List<Long> bounds = create(p, BIN, "aaaa", "bbbbbb", "cc"); // boundaries 0, 4, 10, 12
    assertThat(bounds).containsExactly(0L, 4L, 10L, 12L);
    String all = "aaaabbbbbbcc";
    for (long off = 0; off <= 12; off++) {
      long start = floor(bounds, off);
      HttpResponse<byte[]> r = get(p + "?offset=" + Offsets.format(off));
      assertThat(r.statusCode()).as("offset %d", off).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).as("offset %d reads from %d", off, start)
          .isEqualTo(all.substring((int) start));
      assertThat(r.headers().firstValue("Stream-Next-Offset")).as("offset %d", off).hasValue(Offsets.format(12));
    }
    // one past the tail lies inside the next message, whichever it is: read at the tail
    HttpResponse<byte[]> next = get(p + "?offset=" + Offsets.format(13));
    assertThat(next.statusCode()).as("tail + 1").isEqualTo(200);
    assertThat(next.body()).isEmpty();
    assertThat(next.headers().firstValue("Stream-Next-Offset")).hasValue(Offsets.format(12));
    assertThat(get(p + "?offset=" + Offsets.format(14)).statusCode()).as("further past the tail").isEqualTo(400);
    assertThat(get(p + "?offset=" + Offsets.format(14) + "&live=long-poll").statusCode()).isEqualTo(400);
    // a long-poll there waits at the tail and answers the next message whole
    var waiting = node.sendAsync("GET", p + "?offset=" + Offsets.format(13) + "&live=long-poll", null, null);
    append(p, BIN, "dd");
    HttpResponse<String> lp = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
    if (lp.statusCode() == 204) { // the 500 ms poll ended before the append landed: ask again from where it said
      lp = node.send("GET", p + "?offset=" + lp.headers().firstValue("Stream-Next-Offset").orElseThrow()
          + "&live=long-poll", null, null);
    }
    assertThat(lp.body()).isEqualTo("dd");
    assertThat(lp.headers().firstValue("Stream-Next-Offset")).hasValue(Offsets.format(14));
  }

  @Test
  void jsonReadsStartAtTheMessageHoldingTheOffset() throws Exception {
    String p = "/v1/stream/aligned-json";
    List<Long> bounds = create(p, JSON, "{\"a\":1}", "\"bb\"", "{\"c\":[1,2,3]}");
    String[] msgs = {"{\"a\":1}", "\"bb\"", "{\"c\":[1,2,3]}"};
    long tail = bounds.getLast();
    for (long off = 0; off <= tail; off++) {
      int first = bounds.indexOf(floor(bounds, off));
      HttpResponse<byte[]> r = get(p + "?offset=" + Offsets.format(off));
      assertThat(r.statusCode()).as("offset %d", off).isEqualTo(200);
      String expected = "[" + String.join(",", List.of(msgs).subList(Math.min(first, msgs.length), msgs.length)) + "]";
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).as("offset %d", off).isEqualTo(expected);
      assertThat(r.headers().firstValue("Stream-Next-Offset")).hasValue(Offsets.format(tail));
    }
  }

  @Test
  void readsShortOfTheTailEndOnABoundaryAndAWholeMessageLargerThanAChunkIsReturned() throws Exception {
    String p = "/v1/stream/aligned-chunks";
    String m3k = "x".repeat(3000);
    String m10k = "y".repeat(10_000);
    List<Long> bounds = create(p, BIN, m3k, m3k, m10k, m3k);
    // follow Stream-Next-Offset from inside the first message: every answer is whole messages
    List<Long> starts = new ArrayList<>();
    long at = 1500;
    StringBuilder got = new StringBuilder();
    for (int i = 0; i < 10 && at < bounds.getLast(); i++) {
      HttpResponse<byte[]> r = get(p + "?offset=" + Offsets.format(at));
      assertThat(r.statusCode()).isEqualTo(200);
      long next = Offsets.parse(r.headers().firstValue("Stream-Next-Offset").orElseThrow());
      assertThat(bounds).as("next offset after reading from %d", at).contains(next);
      starts.add(next - r.body().length);
      got.append(new String(r.body(), StandardCharsets.UTF_8));
      at = next;
    }
    assertThat(starts).as("where each answer starts").containsExactly(0L, 3000L, 6000L, 16_000L);
    assertThat(got.toString()).isEqualTo(m3k + m3k + m10k + m3k);
  }

  @Test
  void forkReadsAlignInTheSourcesBytesAndInTheForksOwn() throws Exception {
    String src = "/v1/stream/aligned-src";
    create(src, BIN, "aaaa", "bbbbbb", "zz"); // 0, 4, 10, 12
    String fork = "/v1/stream/aligned-fork";
    HttpResponse<String> f = node.send("PUT", fork, BIN, null, "Stream-Forked-From", src,
        "Stream-Fork-Offset", Offsets.format(10));
    assertThat(f.statusCode()).as(f.body()).isEqualTo(201);
    List<Long> own = append(fork, BIN, "ddd", "eeeee"); // ends 13, 18
    assertThat(own).containsExactly(13L, 18L);
    List<Long> bounds = List.of(0L, 4L, 10L, 13L, 18L);
    String all = "aaaabbbbbbdddeeeee";
    for (long off = 0; off <= 18; off++) {
      long start = floor(bounds, off);
      HttpResponse<byte[]> r = get(fork + "?offset=" + Offsets.format(off));
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).as("fork offset %d reads from %d", off, start)
          .isEqualTo(all.substring((int) start));
    }

    String jsrc = "/v1/stream/aligned-jsrc";
    List<Long> jb = create(jsrc, JSON, "\"one\"", "\"two\"");
    String jfork = "/v1/stream/aligned-jfork";
    assertThat(node.send("PUT", jfork, JSON, null, "Stream-Forked-From", jsrc,
        "Stream-Fork-Offset", Offsets.format(jb.get(1))).statusCode()).isEqualTo(201);
    long end = append(jfork, JSON, "\"three\"").getFirst();
    assertThat(body(get(jfork + "?offset=" + Offsets.format(jb.get(1) - 2)))).isEqualTo("[\"one\",\"three\"]");
    assertThat(body(get(jfork + "?offset=" + Offsets.format(jb.get(1) + 2)))).isEqualTo("[\"three\"]");
    assertThat(body(get(jfork + "?offset=" + Offsets.format(end - 1)))).isEqualTo("[\"three\"]");
  }

  @Test
  void longPollAndSseFromInsideAMessageDeliverItWhole() throws Exception {
    String p = "/v1/stream/aligned-live-bin";
    create(p, BIN, "aaaa", "bbbbbb");
    HttpResponse<byte[]> lp = get(p + "?offset=" + Offsets.format(6) + "&live=long-poll");
    assertThat(lp.statusCode()).isEqualTo(200);
    assertThat(body(lp)).isEqualTo("bbbbbb");
    assertThat(lp.headers().firstValue("Stream-Next-Offset")).hasValue(Offsets.format(10));

    String j = "/v1/stream/aligned-live-json";
    List<Long> jb = create(j, JSON, "\"first\"", "\"second\"");
    HttpRequest req = HttpRequest.newBuilder(URI.create(node.url(j + "?offset=" + Offsets.format(jb.get(1) + 3)
        + "&live=sse"))).timeout(Duration.ofSeconds(10)).build();
    HttpResponse<java.io.InputStream> sse = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
      String data = null;
      String control = null;
      for (String line; (line = in.readLine()) != null && control == null; ) {
        if (line.startsWith("data:") && data == null) {
          data = line.substring(5).trim();
        } else if (line.startsWith("data:")) {
          control = line.substring(5).trim();
        }
      }
      assertThat(data).as("the first data event holds the whole second message").isEqualTo("[\"second\"]");
      assertThat(control).contains(Offsets.format(jb.get(2)));
    }
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Creates {@code p} and appends {@code msgs} one per request; the boundaries, 0 first. */
  private static List<Long> create(String p, String type, String... msgs) throws Exception {
    assertThat(node.send("PUT", p, type, null).statusCode()).isEqualTo(201);
    List<Long> out = new ArrayList<>(List.of(0L));
    out.addAll(append(p, type, msgs));
    return out;
  }

  /** Appends each message; the stream's tail after each. */
  private static List<Long> append(String p, String type, String... msgs) throws Exception {
    List<Long> ends = new ArrayList<>();
    for (String m : msgs) {
      HttpResponse<String> r = node.send("POST", p, type, m);
      assertThat(r.statusCode()).as(r.body()).isIn(200, 204);
      ends.add(Offsets.parse(r.headers().firstValue("Stream-Next-Offset").orElseThrow()));
    }
    return ends;
  }

  /** The largest boundary at or below {@code off}. */
  private static long floor(List<Long> bounds, long off) {
    long f = 0;
    for (long b : bounds) {
      if (b <= off) {
        f = b;
      }
    }
    return f;
  }

  private static HttpResponse<byte[]> get(String path) throws Exception {
    return node.sendForBytes("GET", path, null, null);
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }
}
