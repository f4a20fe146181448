package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.NodeProbe;
import io.tributary.testing.S3ProxyServer;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a node's memory does not grow with the data it holds once the data is tiered, all of it
 * reads back byte-identical from the object store, and a restart does not read the data. Not part
 * of the default test run (the name does not match surefire's patterns); run it with
 * {@code ./mvnw -B -ntp -o test -pl tributary-server -Pcold-bench} (sizes: {@code -Dbench.bytes},
 * {@code -Dbench.streams}, {@code -Dbench.appendBytes}, {@code -Dbench.hotBytes}; small messages:
 * {@code -Dbench.appendBytesMin} makes message sizes vary in {@code [appendBytesMin, appendBytes]},
 * and {@code -Dbench.messagesPerRequest} above 1 sends that many per request as one
 * {@code $append-batch}, each frame its own record, so millions of records are written quickly).
 *
 * <p>Method: s3proxy and one node, both out of process (the node with {@code -Xmx1g}). Writers
 * append {@code bench.bytes} of pseudo-random bytes (a function of the seed, the stream and the
 * append, so nothing is kept in the test) round-robin over {@code bench.streams} streams, with
 * producer headers so a retried append is never doubled. Memory for the record index grows with
 * the number of records, not bytes, so small messages are the case that shows it. The node tiers
 * to s3proxy and keeps {@code bench.hotBytes} on its disk. At 10% and 100% of the data, after
 * tiering drained, and after a restart, the node's heap (used, then used after a full GC, via
 * {@code jcmd}) and RSS ({@code /proc/<pid>/status}) are printed, with the records the node
 * indexes in memory ({@code tributary_group_index_records}), the bytes of live {@code long[]}
 * (class histogram) and the size of the newest metadata snapshots. Every stream is then read from
 * the beginning with {@code cold-reads-prefer} (every tiered range comes from S3) and compared by
 * SHA-256. Then the node restarts: the time from process start to {@code /readyz} 200 is printed,
 * and every stream is read again. Results are lines starting with {@code BENCH}.
 */
class ColdMemoryBench {
  private static final String BIN = "application/octet-stream";
  private static final long MIB = 1024 * 1024;
  private static final long BYTES = Long.getLong("bench.bytes", 2048 * MIB);
  private static final int STREAMS = Integer.getInteger("bench.streams", 1000);
  /** Largest message; every message has this size unless {@link #APPEND_BYTES_MIN} is smaller. */
  private static final int APPEND_BYTES = Integer.getInteger("bench.appendBytes", 64 * 1024);
  private static final int APPEND_BYTES_MIN = Integer.getInteger("bench.appendBytesMin", APPEND_BYTES);
  /** Messages per request: 1 = a plain POST, more = one {@code $append-batch} of that many frames. */
  private static final int MESSAGES_PER_REQUEST = Integer.getInteger("bench.messagesPerRequest", 1);
  private static final long HOT_BYTES = Long.getLong("bench.hotBytes", 256 * MIB);
  private static final int WRITERS = Integer.getInteger("bench.writers", 8);
  private static final long SEED = Long.getLong("seed", 42);
  /** Raft groups of the node (its default for a new single node is 1). */
  private static final String GROUPS = System.getProperty("bench.groups", "8");
  /**
   * Heap of the node: 0 = {@code -Xms256m -Xmx1g} (the heap is committed as it grows, so RSS follows
   * the largest heap the JVM ever used); N = {@code -Xms=-Xmx=N MiB} with {@code AlwaysPreTouch},
   * how a production node is sized: the heap is resident from the start, so RSS shows what grows
   * outside it (and NIO's per-thread cache of temporary direct buffers is capped at 256 KiB).
   */
  private static final int HEAP_MIB = Integer.getInteger("bench.heapMiB", 0);

  @TempDir
  static Path dir;

  @Test
  void tieredDataKeepsMemoryFlatAndReadsBackFromS3() throws Exception {
    long perRound = (long) STREAMS * MESSAGES_PER_REQUEST * (APPEND_BYTES_MIN + APPEND_BYTES) / 2;
    int appendsPerStream = (int) Math.max(1, (BYTES + perRound - 1) / perRound); // about bench.bytes
    long[] streamBytes = new long[STREAMS];
    long total = 0;
    for (int s = 0; s < STREAMS; s++) {
      for (int j = 0; j < appendsPerStream; j++) {
        streamBytes[s] += requestBytes(s, j);
      }
      total += streamBytes[s];
    }
    long messages = (long) STREAMS * appendsPerStream * MESSAGES_PER_REQUEST;
    System.out.printf("BENCH config: %d streams x %d requests x %d messages of %d..%d B = %d messages, %.1f MiB, hot budget"
        + " %d MiB, seed %d%n", STREAMS, appendsPerStream, MESSAGES_PER_REQUEST, APPEND_BYTES_MIN, APPEND_BYTES, messages,
        total / (double) MIB, HOT_BYTES / MIB, SEED);
    long totalBytes = total;
    try (S3ProxyServer s3 = S3ProxyServer.start("cold-bench", dir.resolve("s3"));
        StreamClient client = new StreamClient(Duration.ofSeconds(120))) {
      s3.createBucket("bench");
      Map<String, String> settings = new HashMap<>(TierNodes.aggressive(s3, "bench", "b1"));
      settings.putAll(Map.of("groups", GROUPS, "tier-bytes-min", Long.toString(MIB), "tier-age-ms", "1000",
          "tier-interval-ms", "200", "tier-chunk-bytes-max", Long.toString(8 * MIB), "hot-bytes-max", Long.toString(HOT_BYTES),
          "segment-bytes-max", Long.toString(16 * MIB), "cold-block-bytes", Long.toString(MIB), "snapshot-interval-entries", "2000"));
      settings.putAll(Map.of("s3-connect-timeout-ms", "2000", "s3-read-timeout-ms", "30000", "s3-call-timeout-ms", "60000",
          "s3-attempts-max", "3", "tier-uploads-max", "4"));
      try (ServerProcess node = ServerProcess.builder(dir.resolve("node")).name("cold-bench").settings(settings)
          .jvmArgs(HEAP_MIB == 0 ? new String[] {"-XX:+UseG1GC", "-Xms256m", "-Xmx1g", "-XX:MaxDirectMemorySize=1g"}
              : new String[] {"-XX:+UseG1GC", "-Xms" + HEAP_MIB + "m", "-Xmx" + HEAP_MIB + "m", "-XX:+AlwaysPreTouch",
                  "-XX:MaxDirectMemorySize=512m", "-Djdk.nio.maxCachedBufferSize=262144"})
          .startTimeout(Duration.ofMinutes(3))
          .start()) {
        String firstUrl = node.baseUrl();
        String url = firstUrl;
        for (int s = 0; s < STREAMS; s++) {
          assertThat(client.create(url, name(s), BIN).statusCode()).isIn(200, 201);
        }
        long t0 = System.nanoTime();
        AtomicLong written = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> fs = new ArrayList<>();
        boolean[] reported = new boolean[1];
        for (int w = 0; w < WRITERS; w++) {
          int writer = w;
          fs.add(pool.submit(() -> {
            for (int j = 0; j < appendsPerStream; j++) {
              for (int s = writer; s < STREAMS; s += WRITERS) {
                append(client, firstUrl, s, j, retries);
                long now = written.addAndGet(requestBytes(s, j));
                synchronized (reported) {
                  if (!reported[0] && now >= totalBytes / 10) {
                    reported[0] = true;
                    report("10% written", node, firstUrl);
                  }
                }
              }
            }
            return null;
          }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
        pool.shutdown();
        double writeS = (System.nanoTime() - t0) / 1e9;
        System.out.printf("BENCH wrote %.1f MiB in %.1f s (%.1f MiB/s), %d retried appends (503 or I/O)%n", total / (double) MIB,
            writeS, total / (double) MIB / writeS, retries.get());
        report("100% written", node, url);
        long t1 = System.nanoTime();
        Awaitility.await("tiering drained and disk within the hot budget").atMost(Duration.ofMinutes(30))
            .pollInterval(Duration.ofSeconds(2)).until(() -> {
              HttpClient h = HttpClient.newHttpClient();
              return TierNodes.metric(h, firstUrl, "tributary_group_untiered_bytes") == 0
                  && TierNodes.metric(h, firstUrl, "tributary_group_hot_bytes") <= HOT_BYTES + 8 * 16 * MIB;
            });
        System.out.printf("BENCH tiering drained %.1f s after the last append%n", (System.nanoTime() - t1) / 1e9);
        report("tiered", node, url);
        verifyAll(client, url, appendsPerStream, streamBytes, "from S3");
        report("after reading everything", node, url);

        node.stop();
        long start = System.nanoTime();
        node.start();
        url = node.baseUrl();
        while (client.status(url, "/readyz") != 200) {
          Thread.sleep(20);
        }
        System.out.printf("BENCH restart: process start to /readyz 200 in %d ms with %.1f MiB stored (newest metadata"
            + " snapshots: %d bytes)%n", (System.nanoTime() - start) / 1_000_000, total / (double) MIB, NodeProbe.snapshotBytes(node.dataDir()));
        report("after restart", node, url);
        verifyAll(client, url, appendsPerStream, streamBytes, "after restart");
      }
    }
  }

  private static String name(int s) {
    return "bench-" + s;
  }

  /** The bytes of request {@code j} to stream {@code s} (all its messages): a function of (seed, s, j) only. */
  private static byte[] block(int s, int j) {
    byte[][] frames = messages(s, j);
    if (frames.length == 1) {
      return frames[0];
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] f : frames) {
      out.writeBytes(f);
    }
    return out.toByteArray();
  }

  /**
   * The messages of request {@code j} to stream {@code s}, sizes in [{@code APPEND_BYTES_MIN}, {@code APPEND_BYTES}]:
   * the sizes are drawn first, so {@link #requestBytes} need not make the bytes.
   */
  private static byte[][] messages(int s, int j) {
    SplittableRandom r = random(s, j);
    int[] sizes = sizes(r);
    byte[][] out = new byte[sizes.length][];
    for (int m = 0; m < out.length; m++) {
      out[m] = new byte[sizes[m]];
      r.nextBytes(out[m]);
    }
    return out;
  }

  private static long requestBytes(int s, int j) {
    long n = 0;
    for (int size : sizes(random(s, j))) {
      n += size;
    }
    return n;
  }

  private static SplittableRandom random(int s, int j) {
    return new SplittableRandom(SEED * 1_000_003L + (long) s * 65_536L + j);
  }

  private static int[] sizes(SplittableRandom r) {
    int[] sizes = new int[MESSAGES_PER_REQUEST];
    for (int m = 0; m < sizes.length; m++) {
      sizes[m] = APPEND_BYTES_MIN >= APPEND_BYTES ? APPEND_BYTES : r.nextInt(APPEND_BYTES_MIN, APPEND_BYTES + 1);
    }
    return sizes;
  }

  /** The {@code $append-batch} body of request {@code j} to stream {@code s}: {@code u32 length, payload} per message. */
  private static byte[] batchBody(int s, int j) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] f : messages(s, j)) {
      out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(f.length).array());
      out.writeBytes(f);
    }
    return out.toByteArray();
  }

  private static void append(StreamClient client, String url, int s, int j, AtomicLong retries) throws Exception {
    boolean batch = MESSAGES_PER_REQUEST > 1;
    byte[] body = batch ? batchBody(s, j) : block(s, j);
    StreamClient.Producer p = new StreamClient.Producer("bench-" + s, 0, j);
    for (int attempt = 0; ; attempt++) {
      try {
        HttpResponse<byte[]> r = client.append(url, batch ? name(s) + "/$append-batch" : name(s), BIN, body, p);
        if (r.statusCode() == 200 || r.statusCode() == 204) {
          return;
        }
        if (r.statusCode() != 503 || attempt > 600) {
          throw new IOException("append " + s + "/" + j + ": " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        if (attempt > 600 || e.getMessage() != null && e.getMessage().startsWith("append ")) {
          throw e;
        }
      }
      retries.incrementAndGet();
      Thread.sleep(100);
    }
  }

  private static void verifyAll(StreamClient client, String url, int appendsPerStream, long[] streamBytes, String what)
      throws Exception {
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    List<Future<Long>> fs = new ArrayList<>();
    for (int s = 0; s < STREAMS; s++) {
      int stream = s;
      fs.add(pool.submit(() -> {
        MessageDigest want = MessageDigest.getInstance("SHA-256");
        for (int j = 0; j < appendsPerStream; j++) {
          want.update(block(stream, j));
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream((int) streamBytes[stream]);
        for (StreamClient.Chunk c : client.readAll(url, name(stream), 10_000)) {
          got.write(c.body());
        }
        byte[] bytes = got.toByteArray();
        assertThat((long) bytes.length).as("length of %s", name(stream)).isEqualTo(streamBytes[stream]);
        assertThat(MessageDigest.getInstance("SHA-256").digest(bytes)).as("SHA-256 of %s", name(stream))
            .isEqualTo(want.digest());
        return (long) bytes.length;
      }));
    }
    long bytes = 0;
    for (Future<Long> f : fs) {
      bytes += f.get();
    }
    pool.shutdown();
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("BENCH read back %.1f MiB %s, byte-identical, in %.1f s (%.1f MiB/s)%n", bytes / (double) MIB, what, s,
        bytes / (double) MIB / s);
  }

  /** Prints heap used (as found, then after a full GC), RSS and the tier's gauges. */
  private static void report(String when, ServerProcess node, String url) {
    try {
      long used = NodeProbe.heapUsedKib(node.pid());
      long live = NodeProbe.liveHeapKib(node.pid());
      long rss = NodeProbe.rssKib(node.pid());
      HttpClient h = HttpClient.newHttpClient();
      System.out.printf("BENCH memory %-26s heap used %4d MiB, after full GC %4d MiB, RSS %4d MiB | hot %5.0f MiB, cold %5.0f MiB,"
          + " untiered %5.0f MiB | indexed records %,.0f, long[] %.1f MiB, newest metadata snapshots %,d B%n", when + ":", used / 1024,
          live / 1024, rss / 1024, TierNodes.metric(h, url, "tributary_group_hot_bytes") / MIB,
          TierNodes.metric(h, url, "tributary_group_cold_bytes") / MIB, TierNodes.metric(h, url, "tributary_group_untiered_bytes") / MIB,
          TierNodes.metric(h, url, "tributary_group_index_records"), NodeProbe.longArrayBytes(node.pid()) / (double) MIB,
          NodeProbe.snapshotBytes(node.dataDir()));
    } catch (Exception e) {
      System.out.println("BENCH memory " + when + ": could not measure: " + e);
    }
  }
}
