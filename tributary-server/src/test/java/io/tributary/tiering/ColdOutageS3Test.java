package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import io.tributary.testing.S3ProxyServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: an object store outage neither loses nor duplicates data, and bounds the hot tier.
 * Method: a node tiering aggressively to s3proxy (no block cache, so every cold read goes to S3)
 * and an untiered bound of 1 MiB. A first stream is written and tiered. Then S3 is stopped
 * (SIGKILL): a cold read of the first stream answers 503 + Retry-After (never wrong bytes);
 * appends of 64 KiB to a second stream keep being acknowledged until the untiered bytes pass the
 * bound, then answer 503 + Retry-After. S3 restarts on the same port and data: the backlog
 * drains (nothing left to upload), appends are accepted again, and both streams read back
 * exactly the acknowledged bytes, in order, from the object store.
 */
class ColdOutageS3Test {
  private static final String BIN = "application/octet-stream";
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final int PIECE_BYTES = 64 * 1024;

  @TempDir
  Path dir;
  S3ProxyServer s3;
  LocalNode node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void outageBoundsTheHotTierThenDrainsWithoutLoss() throws Exception {
    s3 = S3ProxyServer.start("cold-outage", dir.resolve("s3"));
    s3.createBucket("tier");
    Map<String, String> settings = new HashMap<>(TierNodes.aggressive(s3, "tier", "outage"));
    settings.put("untiered-bytes-max", "1048576");
    settings.put("cold-cache-bytes-max", "0");
    settings.put("cold-prefetch-blocks", "0");
    node = new LocalNode(dir.resolve("node"), settings);
    Random r = new Random(42);

    // 1. a stream tiered before the outage
    byte[] first = new byte[300_000];
    r.nextBytes(first);
    assertThat(send("PUT", "/v1/stream/before", new byte[0]).statusCode()).isEqualTo(201);
    assertThat(send("POST", "/v1/stream/before", first).statusCode()).isIn(200, 204);
    Awaitility.await("first stream tiered").atMost(DEADLINE).until(() -> lag() == 0);
    assertThat(send("GET", "/v1/stream/before?offset=-1", null).body()).isEqualTo(first);

    // 2. S3 goes away: cold reads answer 503, appends continue up to the bound, then 503
    s3.stop();
    HttpResponse<byte[]> coldRead = send("GET", "/v1/stream/before?offset=-1", null);
    assertThat(coldRead.statusCode()).as("cold read during the outage").isEqualTo(503);
    assertThat(coldRead.headers().firstValue("Retry-After")).isPresent();

    assertThat(send("PUT", "/v1/stream/during", new byte[0]).statusCode()).isEqualTo(201);
    ByteArrayOutputStream acked = new ByteArrayOutputStream();
    HttpResponse<byte[]> refused = null;
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (refused == null && System.nanoTime() < deadline) {
      byte[] piece = new byte[PIECE_BYTES];
      r.nextBytes(piece);
      HttpResponse<byte[]> a = send("POST", "/v1/stream/during", piece);
      if (a.statusCode() == 503) {
        refused = a;
      } else {
        assertThat(a.statusCode()).isIn(200, 204);
        acked.write(piece);
      }
    }
    assertThat(refused).as("appends refused once the hot tier is full").isNotNull();
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(acked.size()).as("appends were acknowledged during the outage until the bound")
        .isGreaterThanOrEqualTo(1024 * 1024);
    System.out.printf("acknowledged %d bytes during the outage before 503%n", acked.size());

    // 3. S3 returns: the backlog drains, appends are accepted again, nothing lost or duplicated
    s3.restart();
    Awaitility.await("backlog uploaded after S3 returned").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> lag() == 0);
    byte[] more = new byte[PIECE_BYTES];
    r.nextBytes(more);
    Awaitility.await("appends accepted again").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> send("POST", "/v1/stream/during", more).statusCode() != 503);
    acked.write(more);
    Awaitility.await("tiered again").atMost(DEADLINE).until(() -> lag() == 0);
    assertThat(readAll("/v1/stream/during")).isEqualTo(acked.toByteArray());
    assertThat(readAll("/v1/stream/before")).isEqualTo(first);
  }

  private double lag() throws Exception {
    return TierNodes.metric(http, node.adminUrl(""), "tributary_cold_upload_lag_bytes");
  }

  private byte[] readAll(String path) throws Exception {
    return TierNodes.readAll(http, node.url(""), path);
  }

  private HttpResponse<byte[]> send(String method, String path, byte[] body) throws Exception {
    return TierNodes.send(http, node.url(""), method, path, body);
  }
}
