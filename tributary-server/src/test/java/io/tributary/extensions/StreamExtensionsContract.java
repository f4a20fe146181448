package io.tributary.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Offsets;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: every status path of the stream extensions (docs/http-api.md, "Stream extensions"):
 * application snapshots, retention with 410, bootstrap, append-batch, attributes, affinity
 * transactions and {@code If-Match}. Subclasses decide which node answers each request: a single
 * node, or in a 3-node cluster a node that does not lead the stream's group, so every write is
 * forwarded and every read passes the read barrier. Servers are started with
 * {@link #SETTINGS} so the bounds are small enough to hit.
 */
public abstract class StreamExtensionsContract {
  /** Bounds the tests exceed on purpose. */
  public static final Map<String, String> SETTINGS = Map.of("append-batch-frames-max", "8",
      "transaction-appends-max", "4", "attrs-bytes-max", "256", "long-poll-timeout-ms", "500",
      // the Ratis write buffer of each group holds the largest entry: cluster test nodes run in 256 MiB
      "body-bytes-max", "4MiB");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** The URL of the node that should answer a request for {@code path}. */
  protected abstract String url(String path) throws Exception;

  String urlFor(String path) throws Exception {
    return url(path);
  }

  /** A stream path unique to this run (a cluster's data outlives single tests). */
  protected String path(String name) {
    return "/v1/stream/ext-" + name + "-" + Long.toHexString(System.nanoTime());
  }

  protected HttpResponse<byte[]> send(String method, String path, String contentType, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  protected HttpResponse<byte[]> send(String method, String path, String contentType, String body, String... headers)
      throws Exception {
    return send(method, path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }

  static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  static String header(HttpResponse<byte[]> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  static long next(HttpResponse<byte[]> r) {
    return Offsets.parse(header(r, "Stream-Next-Offset"));
  }

  /** A JSON stream with {@code n} messages {"i":0}..; returns the offset after each message. */
  private long[] jsonStream(String p, int n) throws Exception {
    assertThat(send("PUT", p, "application/json", (String) null).statusCode()).isEqualTo(201);
    long[] ends = new long[n];
    for (int i = 0; i < n; i++) {
      HttpResponse<byte[]> r = send("POST", p, "application/json", "{\"i\":" + i + "}");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      ends[i] = next(r);
    }
    return ends;
  }

  private static String snap(String p, long offset) {
    return p + "/$snapshot/" + Offsets.format(offset);
  }

  // ---------------------------------------------------------------- snapshots

  @Test
  public void snapshotStatusPaths() throws Exception {
    String p = path("snap");
    long[] ends = jsonStream(p, 4);
    assertThat(send("PUT", snap(p, ends[1] - 1), "application/x-state", "s").statusCode())
        .as("misaligned offset").isEqualTo(400);
    assertThat(send("PUT", p + "/$snapshot/12", "application/x-state", "s").statusCode())
        .as("malformed offset").isEqualTo(400);
    assertThat(send("PUT", snap(p, ends[3] + 100), "application/x-state", "s").statusCode())
        .as("past the tail").isEqualTo(409);
    HttpResponse<byte[]> first = send("PUT", snap(p, ends[1]), "application/x-state", "state-at-2");
    assertThat(first.statusCode()).as(text(first)).isEqualTo(204);
    String digest = header(first, "Stream-Snapshot-Digest");
    assertThat(digest).startsWith("sha256:");
    assertThat(header(first, "Stream-Snapshot-Offset")).isEqualTo(Offsets.format(ends[1]));
    HttpResponse<byte[]> again = send("PUT", snap(p, ends[1]), "application/x-state", "state-at-2");
    assertThat(again.statusCode()).as("identical retry is idempotent").isEqualTo(204);
    assertThat(header(again, "Stream-Snapshot-Digest")).isEqualTo(digest);
    assertThat(send("PUT", snap(p, ends[1]), "application/x-state", "different").statusCode())
        .as("different bytes at the same offset").isEqualTo(409);
    assertThat(send("PUT", snap(p, ends[0]), "application/x-state", "older").statusCode())
        .as("older than the current snapshot").isEqualTo(409);
    HttpResponse<byte[]> stale = send("PUT", snap(p, ends[2]), "application/x-state", "state-at-3",
        "Stream-Snapshot-Match", "sha256:0000");
    assertThat(stale.statusCode()).as("digest precondition fails").isEqualTo(412);
    assertThat(header(stale, "Stream-Snapshot-Digest")).isEqualTo(digest);
    assertThat(send("PUT", snap(p, ends[2]), "application/x-state", "state-at-3", "Stream-Snapshot-Match", "none")
        .statusCode()).as("'none' while a snapshot exists").isEqualTo(412);
    HttpResponse<byte[]> second = send("PUT", snap(p, ends[2]), "application/x-state", "state-at-3",
        "Stream-Snapshot-Match", digest);
    assertThat(second.statusCode()).as(text(second)).isEqualTo(204);

    HttpResponse<byte[]> latest = send("GET", p + "/$snapshot", null, (String) null);
    assertThat(latest.statusCode()).isEqualTo(307);
    assertThat(header(latest, "Location")).endsWith(snap(p, ends[2]));
    HttpResponse<byte[]> blob = send("GET", snap(p, ends[2]), null, (String) null);
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(text(blob)).isEqualTo("state-at-3");
    assertThat(header(blob, "Content-Type")).isEqualTo("application/x-state");
    assertThat(header(blob, "Stream-Snapshot-Digest")).isEqualTo(header(second, "Stream-Snapshot-Digest"));
    assertThat(header(blob, "Stream-Next-Offset")).isEqualTo(Offsets.format(ends[3]));
    assertThat(send("GET", snap(p, ends[2]), null, (String) null, "If-None-Match", header(blob, "ETag")).statusCode())
        .isEqualTo(304);
    assertThat(send("GET", snap(p, ends[1]), null, (String) null).statusCode()).as("replaced snapshot").isEqualTo(404);
    assertThat(send("DELETE", snap(p, ends[2]), null, (String) null).statusCode()).as("current one").isEqualTo(409);
    assertThat(send("DELETE", snap(p, ends[1]), null, (String) null).statusCode()).as("any other").isEqualTo(404);

    String q = path("nosnap");
    jsonStream(q, 1);
    assertThat(send("GET", q + "/$snapshot", null, (String) null).statusCode()).isEqualTo(404);
    assertThat(send("PUT", snap(path("missing"), 0), "application/x-state", "s").statusCode()).isEqualTo(404);
  }

  @Test
  public void largeSnapshotRoundTrips() throws Exception {
    String p = path("bigsnap");
    long[] ends = jsonStream(p, 1);
    byte[] big = new byte[2 * 1024 * 1024 + 17]; // spans three 1 MiB records
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + (i >>> 11));
    }
    assertThat(send("PUT", snap(p, ends[0]), "application/octet-stream", big).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> r = send("GET", snap(p, ends[0]), null, (String) null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(big);
  }

  // ---------------------------------------------------------------- retention

  @Test
  public void retentionStatusPaths() throws Exception {
    String p = path("ret");
    long[] ends = jsonStream(p, 5);
    String ret2 = p + "/$retention/" + Offsets.format(ends[1]);
    assertThat(send("PUT", ret2, null, (String) null).statusCode()).as("no snapshot yet").isEqualTo(409);
    assertThat(send("PUT", snap(p, ends[2]), "application/x-state", "s3").statusCode()).isEqualTo(204);
    assertThat(send("PUT", p + "/$retention/" + Offsets.format(ends[1] + 1), null, (String) null).statusCode())
        .as("misaligned").isEqualTo(400);
    assertThat(send("PUT", p + "/$retention/" + Offsets.format(ends[3]), null, (String) null).statusCode())
        .as("past the snapshot").isEqualTo(409);
    HttpResponse<byte[]> set = send("PUT", ret2, null, (String) null);
    assertThat(set.statusCode()).as(text(set)).isEqualTo(204);
    assertThat(header(set, "Stream-Retained-Offset")).isEqualTo(Offsets.format(ends[1]));
    assertThat(send("PUT", ret2, null, (String) null).statusCode()).as("same floor again").isEqualTo(204);
    assertThat(send("PUT", p + "/$retention/" + Offsets.format(ends[0]), null, (String) null).statusCode())
        .as("backwards").isEqualTo(409);

    HttpResponse<byte[]> gone = send("GET", p + "?offset=-1", null, (String) null);
    assertThat(gone.statusCode()).isEqualTo(410);
    assertThat(header(gone, "Stream-Retained-Offset")).isEqualTo(Offsets.format(ends[1]));
    assertThat(send("GET", p + "?offset=" + Offsets.format(ends[0]), null, (String) null).statusCode()).isEqualTo(410);
    assertThat(send("GET", p + "?offset=" + Offsets.format(ends[0]) + "&live=long-poll", null, (String) null)
        .statusCode()).isEqualTo(410);
    assertThat(send("GET", p + "?offset=-1&live=sse", null, (String) null).statusCode()).isEqualTo(410);
    HttpResponse<byte[]> kept = send("GET", p + "?offset=" + Offsets.format(ends[1]), null, (String) null);
    assertThat(kept.statusCode()).isEqualTo(200);
    assertThat(text(kept)).isEqualTo("[{\"i\":2},{\"i\":3},{\"i\":4}]");
    HttpResponse<byte[]> head = send("HEAD", p, null, (String) null);
    assertThat(header(head, "Stream-Retained-Offset")).isEqualTo(Offsets.format(ends[1]));
    assertThat(header(head, "Stream-Snapshot-Offset")).isEqualTo(Offsets.format(ends[2]));
    assertThat(send("PUT", snap(p, ends[0]), "application/x-state", "s1").statusCode())
        .as("snapshot below the floor").isEqualTo(410);
    assertThat(send("PUT", p + "/$retention/" + Offsets.format(ends[1]) + "x", null, (String) null).statusCode())
        .isEqualTo(400);
  }

  @Test
  public void forksAndRetention() throws Exception {
    String src = path("retsrc");
    long[] ends = jsonStream(src, 5);
    String early = path("retfork");
    HttpResponse<byte[]> f = send("PUT", early, "application/json", (String) null, "Stream-Forked-From", src,
        "Stream-Fork-Offset", Offsets.format(ends[3]));
    assertThat(f.statusCode()).as(text(f)).isEqualTo(201);
    assertThat(send("PUT", snap(src, ends[2]), "application/x-state", "s").statusCode()).isEqualTo(204);
    assertThat(send("PUT", src + "/$retention/" + Offsets.format(ends[1]), null, (String) null).statusCode())
        .isEqualTo(204);
    HttpResponse<byte[]> read = send("GET", early + "?offset=-1", null, (String) null);
    assertThat(read.statusCode()).as("a fork made before the source was trimmed keeps its bytes").isEqualTo(200);
    assertThat(text(read)).isEqualTo("[{\"i\":0},{\"i\":1},{\"i\":2},{\"i\":3}]");
    HttpResponse<byte[]> late = send("PUT", path("retfork2"), "application/json", (String) null,
        "Stream-Forked-From", src, "Stream-Fork-Offset", Offsets.format(ends[3]));
    assertThat(late.statusCode()).as("forking a trimmed stream: " + text(late)).isEqualTo(409);
    assertThat(text(late)).contains("retention floor");
  }

  // ---------------------------------------------------------------- bootstrap

  @Test
  public void bootstrapWithoutAndWithSnapshot() throws Exception {
    String p = path("boot");
    long[] ends = jsonStream(p, 3);
    Multipart none = Multipart.parse(send("GET", p + "/$bootstrap", null, (String) null));
    assertThat(none.status()).isEqualTo(200);
    assertThat(none.header("Stream-Snapshot-Offset")).isEqualTo("-1");
    assertThat(none.parts().get(0).body()).isEmpty();
    assertThat(none.bodies().subList(1, none.parts().size())).containsExactly("{\"i\":0}", "{\"i\":1}", "{\"i\":2}");
    assertThat(none.header("Stream-Next-Offset")).isEqualTo(Offsets.format(ends[2]));
    assertThat(none.header("Stream-Up-To-Date")).isEqualTo("true");

    assertThat(send("PUT", snap(p, ends[1]), "application/x-state", "upto2").statusCode()).isEqualTo(204);
    assertThat(send("PUT", p + "/$retention/" + Offsets.format(ends[1]), null, (String) null).statusCode())
        .isEqualTo(204);
    assertThat(send("POST", p, "application/json", "[{\"i\":3},{\"i\":4}]", "Stream-Closed", "true").statusCode())
        .isEqualTo(204);
    Multipart b = Multipart.parse(send("GET", p + "/$bootstrap", null, (String) null));
    assertThat(b.parts().get(0).contentType()).isEqualTo("application/x-state");
    assertThat(b.bodies()).containsExactly("upto2", "{\"i\":2}", "{\"i\":3}", "{\"i\":4}");
    assertThat(b.header("Stream-Snapshot-Offset")).isEqualTo(Offsets.format(ends[1]));
    assertThat(b.header("Stream-Closed")).isEqualTo("true");
    assertThat(send("GET", p + "/$bootstrap?live=sse", null, (String) null).statusCode()).isEqualTo(400);
    assertThat(send("GET", path("missing") + "/$bootstrap", null, (String) null).statusCode()).isEqualTo(404);

    String t = path("boottext");
    assertThat(send("PUT", t, "text/plain", "one").statusCode()).isEqualTo(201);
    assertThat(send("POST", t, "text/plain", "two").statusCode()).isEqualTo(204);
    assertThat(Multipart.parse(send("GET", t + "/$bootstrap", null, (String) null)).bodies())
        .as("one part per append of a byte stream").containsExactly("", "one", "two");
  }

  @Test
  public void bootstrapOfAForkSplitsAtItsForkPointOnce() throws Exception {
    String src = path("forksrc");
    assertThat(send("PUT", src, "text/plain", "ab").statusCode()).isEqualTo(201);
    assertThat(send("POST", src, "text/plain", "cd").statusCode()).isEqualTo(204);
    String fork = path("fork");
    HttpResponse<byte[]> f = send("PUT", fork, "text/plain", (String) null, "Stream-Forked-From", src,
        "Stream-Fork-Offset", Offsets.format(4));
    assertThat(f.statusCode()).as(text(f)).isEqualTo(201);
    assertThat(send("POST", fork, "text/plain", "ef").statusCode()).isEqualTo(204);
    assertThat(Multipart.parse(send("GET", fork + "/$bootstrap", null, (String) null)).bodies())
        .as("the source's appends, then the fork's, with no empty message at the fork point")
        .containsExactly("", "ab", "cd", "ef");
  }

  // ---------------------------------------------------------------- append-batch

  static byte[] frames(String... frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String f : frames) {
      byte[] b = f.getBytes(StandardCharsets.UTF_8);
      out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  @Test
  public void appendBatchStatusPaths() throws Exception {
    String p = path("batch");
    assertThat(send("PUT", p, "application/json", (String) null).statusCode()).isEqualTo(201);
    String[] producer = {"Producer-Id", "b", "Producer-Epoch", "0", "Producer-Seq", "0"};
    HttpResponse<byte[]> r = send("POST", p + "/$append-batch", "application/json",
        frames("{\"a\":1}", "[{\"b\":2},{\"c\":3}]", "\"d\""), producer);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    assertThat(text(r)).contains("\"duplicate\":false").contains("\"offset\":\"" + Offsets.format(0) + "\"");
    HttpResponse<byte[]> retry = send("POST", p + "/$append-batch", "application/json",
        frames("{\"a\":1}", "[{\"b\":2},{\"c\":3}]", "\"d\""), producer);
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(text(retry)).as("a retried batch learns its original offsets")
        .isEqualTo(text(r).replace("\"duplicate\":false", "\"duplicate\":true"));
    assertThat(text(send("GET", p + "?offset=-1", null, (String) null)))
        .isEqualTo("[{\"a\":1},{\"b\":2},{\"c\":3},\"d\"]");
    byte[] truncated = frames("abc");
    assertThat(send("POST", p + "/$append-batch", "application/json",
        java.util.Arrays.copyOf(truncated, truncated.length - 1)).statusCode()).isEqualTo(400);
    assertThat(send("POST", p + "/$append-batch", "application/json", frames("{bad")).statusCode()).isEqualTo(400);
    assertThat(send("POST", p + "/$append-batch", "application/json",
        frames("1", "2", "3", "4", "5", "6", "7", "8", "9")).statusCode()).as("over the frame bound").isEqualTo(413);
    assertThat(send("POST", p + "/$append-batch", "text/plain", frames("x")).statusCode())
        .as("content type mismatch").isEqualTo(409);
    HttpResponse<byte[]> minimal = send("POST", p + "/$append-batch", "application/json", frames("5"),
        "Prefer", "return=minimal");
    assertThat(minimal.statusCode()).isEqualTo(204);
    assertThat(send("POST", p, "application/json", (String) null, "Stream-Closed", "true").statusCode()).isEqualTo(204);
    assertThat(send("POST", p + "/$append-batch", "application/json", frames("6")).statusCode()).isEqualTo(409);
    assertThat(send("POST", path("missing") + "/$append-batch", "application/json", frames("6")).statusCode())
        .isEqualTo(404);

    String t = path("batchtext");
    assertThat(send("PUT", t, "text/plain", (String) null).statusCode()).isEqualTo(201);
    assertThat(send("POST", t + "/$append-batch", "text/plain", frames("ab", "cd")).statusCode()).isEqualTo(200);
    assertThat(send("PUT", t + "/$snapshot/" + Offsets.format(2), "text/plain", "ab").statusCode())
        .as("every frame starts a message").isEqualTo(204);
  }

  // ---------------------------------------------------------------- attributes

  @Test
  public void attributeStatusPaths() throws Exception {
    String p = path("attrs");
    assertThat(send("PUT", p, "text/plain", (String) null).statusCode()).isEqualTo(201);
    assertThat(text(send("GET", p + "/$attrs", null, (String) null))).isEqualTo("{}");
    assertThat(send("PUT", p + "/$attrs", "application/json", "{ \"title\" : \"T\", \"tags\": [1, 2] }").statusCode())
        .isEqualTo(204);
    assertThat(text(send("GET", p + "/$attrs", null, (String) null))).isEqualTo("{\"title\":\"T\",\"tags\":[1,2]}");
    assertThat(send("PUT", p + "/$attrs", "application/json", "[1]").statusCode()).isEqualTo(400);
    assertThat(send("PUT", p + "/$attrs", "application/json", "{\"x\":\"" + "y".repeat(300) + "\"}").statusCode())
        .isEqualTo(413);
    assertThat(send("GET", path("missing") + "/$attrs", null, (String) null).statusCode()).isEqualTo(404);
    assertThat(send("POST", p + "/$attrs", "application/json", "{}").statusCode()).isEqualTo(405);
  }

  // ---------------------------------------------------------------- transactions

  @Test
  public void transactionIsAllOrNothing() throws Exception {
    String base = path("tx");
    String root = base.substring(0, base.lastIndexOf('/') + 1);
    String aff = "@" + base.substring(base.lastIndexOf('/') + 1);
    String doc = root + aff + "/doc";
    String log = root + aff + "/log";
    assertThat(send("PUT", doc, "application/json", (String) null).statusCode()).isEqualTo(201);
    assertThat(send("PUT", log, "text/plain", "x").statusCode()).isEqualTo(201);
    String tx = root + aff + "/$transaction";
    String ok = "{\"appends\":[{\"stream\":\"" + aff + "/doc\",\"json\":{\"op\":1}},"
        + "{\"stream\":\"" + aff + "/log\",\"text\":\"y\",\"ifMatch\":\"" + Offsets.format(1) + "\"}]}";
    HttpResponse<byte[]> r = send("POST", tx, "application/json", ok);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    assertThat(text(r)).contains("\"nextOffset\":\"" + Offsets.format(2) + "\"");
    HttpResponse<byte[]> stale = send("POST", tx, "application/json", ok);
    assertThat(stale.statusCode()).as("the second append's If-Match is stale now").isEqualTo(412);
    assertThat(header(stale, "Stream-Next-Offset")).isEqualTo(Offsets.format(2));
    assertThat(text(send("GET", doc + "?offset=-1", null, (String) null))).as("nothing of the failed transaction")
        .isEqualTo("[{\"op\":1}]");
    assertThat(send("POST", tx, "application/json", "{\"appends\":[{\"stream\":\"" + aff + "/doc\",\"json\":2},"
        + "{\"stream\":\"" + aff + "/nope\",\"contentType\":\"text/plain\",\"text\":\"z\"}]}").statusCode())
        .isEqualTo(404);
    assertThat(send("POST", tx, "application/json", "{\"appends\":[{\"stream\":\"@other/doc\",\"json\":2}]}")
        .statusCode()).isEqualTo(400);
    assertThat(send("POST", tx, "application/json", "{\"appends\":[]}").statusCode()).isEqualTo(400);
    assertThat(send("POST", tx, "application/json", "not json").statusCode()).isEqualTo(400);
    StringBuilder many = new StringBuilder("{\"appends\":[");
    for (int i = 0; i < 5; i++) {
      many.append(i == 0 ? "" : ",").append("{\"stream\":\"").append(aff).append("/doc\",\"json\":").append(i)
          .append('}');
    }
    assertThat(send("POST", tx, "application/json", many + "]}").statusCode()).isEqualTo(413);
    assertThat(send("POST", root + "noaffinity/$transaction", "application/json", ok).statusCode()).isEqualTo(400);
    assertThat(send("POST", log, "text/plain", (String) null, "Stream-Closed", "true").statusCode()).isEqualTo(204);
    assertThat(send("POST", tx, "application/json", "{\"appends\":[{\"stream\":\"" + aff + "/doc\",\"json\":3},"
        + "{\"stream\":\"" + aff + "/log\",\"text\":\"z\"}]}").statusCode()).as("closed member").isEqualTo(409);
    assertThat(text(send("GET", doc + "?offset=-1", null, (String) null))).isEqualTo("[{\"op\":1}]");
  }

  // ---------------------------------------------------------------- the story

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  public void aLateJoinerBootstrapsAndEndsWithTheSameState() throws Exception {
    new LateJoinerStory(this, path("story")).run();
  }

  // ---------------------------------------------------------------- If-Match

  @Test
  public void conditionalAppendStatusPaths() throws Exception {
    String p = path("ifmatch");
    assertThat(send("PUT", p, "text/plain", "ab").statusCode()).isEqualTo(201);
    assertThat(send("POST", p, "text/plain", "c", "If-Match", Offsets.format(2)).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> stale = send("POST", p, "text/plain", "d", "If-Match", Offsets.format(2));
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(header(stale, "Stream-Next-Offset")).isEqualTo(Offsets.format(3));
    assertThat(send("POST", p, "text/plain", "d", "If-Match", "\"" + Offsets.format(3) + "\"").statusCode())
        .isEqualTo(204);
    assertThat(send("POST", p, "text/plain", "e", "If-Match", "garbage").statusCode()).isEqualTo(400);
    assertThat(send("POST", p, "text/plain", "e", "If-Match", "9999999999999999_9999999999999999").statusCode())
        .isEqualTo(412);
    // a producer retry of a conditional append that already committed is a duplicate, not a 412
    String[] producer = {"If-Match", Offsets.format(4), "Producer-Id", "w", "Producer-Epoch", "0", "Producer-Seq", "0"};
    assertThat(send("POST", p, "text/plain", "f", producer).statusCode()).isEqualTo(200);
    assertThat(send("POST", p, "text/plain", "f", producer).statusCode()).isEqualTo(204);
    assertThat(text(send("GET", p + "?offset=-1", null, (String) null))).isEqualTo("abcdf");
    assertThat(send("POST", path("missing"), "text/plain", "x", "If-Match", Offsets.format(0)).statusCode())
        .isEqualTo(404);
  }

  /**
   * Several writers race read-modify-append loops with {@code If-Match}: no update may be lost,
   * and every 412 must carry a tail that really was the stream's tail (an append boundary past the
   * writer's expectation).
   */
  @Test
  public void racingConditionalWritersLoseNoUpdate() throws Exception {
    String p = path("cond");
    assertThat(send("PUT", p, "text/plain", (String) null).statusCode()).isEqualTo(201);
    int writers = 4;
    int each = 10;
    ConcurrentLinkedQueue<Long> reported = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<Integer>> conflicts = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      final int id = w;
      conflicts.add(pool.submit(() -> {
        int seen412 = 0;
        long tail = 0;
        for (int i = 0; i < each; ) {
          HttpResponse<byte[]> r = send("POST", p, "text/plain", "[" + id + ":" + i + "]", "If-Match",
              Offsets.format(tail));
          if (r.statusCode() == 204) {
            tail = next(r);
            i++;
          } else {
            assertThat(r.statusCode()).as("writer %d: %s", id, text(r)).isEqualTo(412);
            long current = next(r);
            assertThat(current).as("a 412 reports a tail past the stale expectation").isGreaterThan(tail);
            reported.add(current);
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
    String content = text(send("GET", p + "?offset=-1", null, (String) null));
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < each; i++) {
        String piece = "[" + w + ":" + i + "]";
        assertThat(content.indexOf(piece)).as("%s present exactly once", piece).isNotNegative()
            .isEqualTo(content.lastIndexOf(piece));
      }
    }
    List<Long> boundaries = new ArrayList<>();
    for (int i = 0; i < content.length(); i++) {
      if (content.charAt(i) == ']') {
        boundaries.add((long) i + 1);
      }
    }
    assertThat(boundaries).as("every 412 carried a real tail").containsAll(reported);
    assertThat(total412).as("the writers did race").isPositive();
  }
}
