package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.NodeProbe;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: state that client input grows comes back to its bounds by itself: expired streams nobody
 * asks for, and producers beyond the per-stream bound once they are idle; and how much disk the
 * data of deleted streams keeps. Not part of the default run (the name does not match surefire's
 * patterns); run it with
 * {@code ./mvnw -B -ntp -o test -pl tributary-server -Dtest=BoundedStateBench -Dsurefire.failIfNoSpecifiedTests=false}
 * (sizes: {@code -Dbench.expiredStreams} (100,000), {@code -Dbench.producers} (10,000),
 * {@code -Dbench.deletedBytes} (1 GiB)). Results are lines starting with {@code BENCH}.
 *
 * <p>Method: one node out of process ({@code -Xmx512m}, one group, tiering off) with a sweep every
 * 200 ms, at most 1,000 producers per stream and a 2 s producer expiry. (1) Create the expired
 * streams, 64 requests in flight, all with the same {@code Stream-Expires-At}
 * {@code -Dbench.expirySeconds} (240) after the first create, so that all of them are alive at
 * once when creation ends (the bench fails if not); write enough entries for a snapshot; measure
 * the peak: heap after a full GC, the newest metadata snapshot and the stream count; wait until
 * the sweep removed them; another snapshot; measure again. (2) Producers append one record each to one
 * stream, 1,000 at a time (the bound), the next thousand 2.5 s later, when the previous ones have
 * expired; each wave must be accepted whole; snapshot and heap at the end. (3) Delete the
 * producers stream, write the deleted bytes into 64 streams one after another, delete them, write
 * a little more so two snapshots follow, wait up to 60 s for reclamation (every 500 ms here);
 * then the same with the 64 streams written at once beside a live stream (there reclamation is
 * compaction: every segment holds live records). Disk of the data directory and its segments
 * before and after, as allocated blocks ({@code du}: a compacted segment is a sparse file of
 * unchanged size), and the bytes reclaimed.
 */
class BoundedStateBench {
  private static final int EXPIRED = Integer.getInteger("bench.expiredStreams", 100_000);
  private static final int EXPIRY_SECONDS = Integer.getInteger("bench.expirySeconds", 240);
  private static final int PRODUCERS = Integer.getInteger("bench.producers", 10_000);
  private static final long DELETED = Long.getLong("bench.deletedBytes", 1L << 30);
  private static final int WAVE = 1000;
  private static final long MIB = 1 << 20;

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
  private final StreamClient client = new StreamClient(Duration.ofSeconds(30));
  private ServerProcess node;
  private int fillers;

  @Test
  void clientGrownStateReturnsToItsBounds() throws Exception {
    node = ServerProcess.builder(dir.resolve("data")).name("bounds-bench").logDir(dir).settings(Map.of(
        "expiry-sweep-interval-ms", "200", "expiry-sweep-probes-max", "10000",
        "producers-per-stream-max", Integer.toString(WAVE), "producer-idle-expiry-ms", "2000",
        "snapshot-interval-entries", "200", "segment-bytes-max", "64MiB", "tiering", "off",
        "reclaim-interval-ms", "500")).build();
    node.start();
    try {
      expiredStreams();
      producers();
      deletedData();
    } finally {
      node.close();
      client.close();
    }
  }

  private void expiredStreams() throws Exception {
    long t0 = System.nanoTime();
    // one instant for all: every stream outlives the creation of the last one, then all expire together
    String expiresAt = java.time.Instant.now().plusSeconds(EXPIRY_SECONDS).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
        .toString();
    parallel(EXPIRED, i -> send("PUT", "/v1/stream/ttl-" + i, "", "Stream-Expires-At", expiresAt), 201);
    double createdS = (System.nanoTime() - t0) / 1e9;
    snapshotSoon();
    long peak = metric("tributary_group_streams{group=\"0\"}");
    assertThat(peak).as("all %,d streams alive at once (creation took %.1f s of the %d s before they expire)", EXPIRED,
        createdS, EXPIRY_SECONDS).isEqualTo(EXPIRED);
    report(String.format("peak: %,d streams created in %.1f s", EXPIRED, createdS));
    long t1 = System.nanoTime();
    await("the sweep removes them").atMost(Duration.ofSeconds(EXPIRY_SECONDS + 300L))
        .pollInterval(Duration.ofMillis(500)).until(() -> metric("tributary_group_streams{group=\"0\"}") == 0);
    double sweptS = (System.nanoTime() - t1) / 1e9;
    snapshotSoon();
    report(String.format("swept %.1f s after the peak, %,d probes", sweptS, metric("tributary_expiry_probes_total")));
  }

  private void producers() throws Exception {
    assertThat(client.create(node.baseUrl(), "producers", "text/plain").statusCode()).isEqualTo(201);
    long t0 = System.nanoTime();
    for (int wave = 0; wave * WAVE < PRODUCERS; wave++) {
      int base = wave * WAVE;
      if (wave > 0) {
        Thread.sleep(2500); // the workload: a new wave of producers after the previous ones went idle
      }
      parallel(Math.min(WAVE, PRODUCERS - base), i -> send("POST", "/v1/stream/producers", "x", "Producer-Id",
          "producer-" + (base + i), "Producer-Epoch", "0", "Producer-Seq", "0"), 200);
    }
    snapshotSoon();
    report(String.format("%,d producers in waves of %,d (%.1f s)", PRODUCERS, WAVE, (System.nanoTime() - t0) / 1e9));
  }

  private void deletedData() throws Exception {
    // the producers stream's records lie at the start of the first segment: live, they would keep
    // every later segment (reclamation deletes the oldest segments only); its numbers are taken
    assertThat(send("DELETE", "/v1/stream/producers", null)).isEqualTo(204);
    int streams = 64;
    byte[] chunk = new byte[(int) MIB];
    long per = DELETED / streams;
    // (a) one stream after another: whole segments hold one deleted stream each
    long t0 = System.nanoTime();
    for (int s = 0; s < streams; s++) {
      assertThat(client.create(node.baseUrl(), "seq-" + s, "application/octet-stream").statusCode()).isEqualTo(201);
      for (long written = 0; written < per; written += chunk.length) {
        assertThat(client.append(node.baseUrl(), "seq-" + s, "application/octet-stream", chunk, null).statusCode())
            .isIn(200, 204);
      }
    }
    report(String.format("%,d MiB in %d streams in sequence (%.1f s)", DELETED / MIB, streams,
        (System.nanoTime() - t0) / 1e9));
    deleteAndMeasure("seq-", streams, "in sequence");
    // (b) interleaved: the 64 streams written at once, so every segment holds records of each
    for (int s = 0; s < streams; s++) {
      assertThat(client.create(node.baseUrl(), "doomed-" + s, "application/octet-stream").statusCode()).isEqualTo(201);
    }
    // a live stream written at the same time: its records lie in every segment of the phase
    assertThat(client.create(node.baseUrl(), "kept", "application/octet-stream").statusCode()).isEqualTo(201);
    parallel(streams, s -> {
      for (long written = 0; written < per; written += chunk.length) {
        int status = client.append(node.baseUrl(), "doomed-" + s, "application/octet-stream", chunk, null).statusCode();
        if (status != 204 && status != 200) {
          return status;
        }
        if (s == 0) {
          client.append(node.baseUrl(), "kept", "application/octet-stream", new byte[] {1}, null);
        }
      }
      return 204;
    }, 204);
    deleteAndMeasure("doomed-", streams, "interleaved with a live stream");
  }

  /** Deletes the streams {@code prefix0..}, lets two snapshots pass and reclamation run; prints disk before and after. */
  private void deleteAndMeasure(String prefix, int streams, String how) throws Exception {
    long before = NodeProbe.allocatedBytes(node.dataDir());
    long segBefore = NodeProbe.allocatedBytes(node.dataDir().resolve("groups/g000/segments"));
    long reclaimedBefore = reclaimed();
    parallel(streams, s -> send("DELETE", "/v1/stream/" + prefix + s, null), 204);
    snapshotSoon();
    snapshotSoon();
    long t0 = System.nanoTime();
    try {
      // reclamation deletes a segment once the two retained snapshots lie past it (it asks for them)
      await("reclamation settles").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2))
          .until(() -> reclaimed() - reclaimedBefore >= (long) (DELETED * 0.9));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      System.out.println("BENCH (reclamation did not reach 90% of the deleted bytes within 60 s)");
    }
    report(String.format("deleted %,d MiB %s", DELETED / MIB, how));
    System.out.printf("BENCH deleted %.0f MiB in %d streams %s: data directory %.0f MiB allocated before the deletes, "
        + "%.0f MiB after (segments %.0f -> %.0f MiB); reclaimed %.0f MiB in %.1f s%n", DELETED / (double) MIB, streams, how,
        before / (double) MIB, NodeProbe.allocatedBytes(node.dataDir()) / (double) MIB, segBefore / (double) MIB,
        NodeProbe.allocatedBytes(node.dataDir().resolve("groups/g000/segments")) / (double) MIB,
        (reclaimed() - reclaimedBefore) / (double) MIB, (System.nanoTime() - t0) / 1e9);
  }

  private long reclaimed() throws Exception {
    String text = new String(client.get(node.adminUrl(), "/metrics").body(), StandardCharsets.UTF_8);
    long sum = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("tributary_reclaimed_bytes_total{") || line.startsWith("tributary_compacted_bytes_total{")) {
        sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return sum;
  }

  /** Writes enough small entries for the next metadata snapshot (every 200 entries here), into a stream deleted after. */
  private void snapshotSoon() throws Exception {
    String name = "filler-" + fillers++;
    client.create(node.baseUrl(), name, "text/plain");
    for (int i = 0; i < 250; i++) {
      client.append(node.baseUrl(), name, "text/plain", new byte[] {'.'}, null);
    }
    send("DELETE", "/v1/stream/" + name, null);
  }

  private void report(String when) throws Exception {
    System.out.printf("BENCH %-48s streams %,d | heap after full GC %,d MiB, RSS %,d MiB | newest metadata snapshot %,d KiB%n",
        when + ":", metric("tributary_group_streams{group=\"0\"}"), NodeProbe.liveHeapKib(node.pid()) / 1024,
        NodeProbe.rssKib(node.pid()) / 1024, NodeProbe.snapshotBytes(node.dataDir()) / 1024);
  }

  private interface Call {
    int run(int i) throws Exception;
  }

  /** Runs {@code call} for 0..n-1 with 64 in flight; every one must answer {@code expect}. */
  private static void parallel(int n, Call call, int expect) throws Exception {
    AtomicLong next = new AtomicLong();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < 64; w++) {
        workers.add(pool.submit(() -> {
          for (long i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            int status = call.run((int) i);
            assertThat(status).as("request %d", i).isEqualTo(expect);
          }
          return null;
        }));
      }
      for (Future<?> f : workers) {
        f.get();
      }
    }
  }

  private int send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "text/plain");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private long metric(String name) throws Exception {
    String text = new String(client.get(node.adminUrl(), "/metrics").body(), StandardCharsets.UTF_8);
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + name + " in /metrics");
  }
}
