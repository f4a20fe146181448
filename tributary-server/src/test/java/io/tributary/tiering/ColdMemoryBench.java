package io.tributary.tiering;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a node's memory does not grow with the data it holds once the data is tiered, all of it
 * reads back byte-identical from the object store, and a restart does not read the data. Not part
 * of the default test run (the name does not match surefire's patterns); run it with
 * {@code ./mvnw -B -ntp -o test -pl tributary-server -Pcold-bench} (sizes: {@code -Dbench.bytes},
 * {@code -Dbench.streams}, {@code -Dbench.appendBytes}, {@code -Dbench.hotBytes}).
 *
 * <p>Method: s3proxy and one node, both out of process (the node with {@code -Xmx1g}). Writers
 * append {@code bench.bytes} of pseudo-random bytes (a function of the seed, the stream and the
 * append, so nothing is kept in the test) round-robin over {@code bench.streams} streams, with
 * producer headers so a retried append is never doubled. The node tiers to s3proxy and keeps
 * {@code bench.hotBytes} on its disk. At 10% and 100% of the data, after tiering drained, and
 * after a restart, the node's heap (used, then used after a full GC, via {@code jcmd}) and RSS
 * ({@code /proc/<pid>/status}) are printed. Every stream is then read from the beginning with
 * {@code cold-reads-prefer} (every tiered range comes from S3) and compared by SHA-256. Then the
 * node restarts: the time from process start to {@code /readyz} 200 is printed, and every stream
 * is read again. Results are lines starting with {@code BENCH}.
 */
class ColdMemoryBench {
  private static final String BIN = "application/octet-stream";
  private static final long MIB = 1024 * 1024;
  private static final long BYTES = Long.getLong("bench.bytes", 2048 * MIB);
  private static final int STREAMS = Integer.getInteger("bench.streams", 1000);
  private static final int APPEND_BYTES = Integer.getInteger("bench.appendBytes", 64 * 1024);
  private static final long HOT_BYTES = Long.getLong("bench.hotBytes", 256 * MIB);
  private static final int WRITERS = Integer.getInteger("bench.writers", 8);
  private static final long SEED = Long.getLong("seed", 42);

  @TempDir
  static Path dir;

  @Test
  void tieredDataKeepsMemoryFlatAndReadsBackFromS3() throws Exception {
    long perStream = (long) STREAMS * APPEND_BYTES;
    int appendsPerStream = (int) Math.max(1, (BYTES + perStream - 1) / perStream); // at least bench.bytes
    long total = (long) appendsPerStream * STREAMS * APPEND_BYTES;
    System.out.printf("BENCH config: %d streams x %d appends x %d B = %.1f MiB, hot budget %d MiB, seed %d%n", STREAMS,
        appendsPerStream, APPEND_BYTES, total / (double) MIB, HOT_BYTES / MIB, SEED);
    try (S3ProxyServer s3 = S3ProxyServer.start("cold-bench", dir.resolve("s3"));
        StreamClient client = new StreamClient(Duration.ofSeconds(120))) {
      s3.createBucket("bench");
      Map<String, String> settings = new HashMap<>(TierNodes.aggressive(s3, "bench", "b1"));
      settings.putAll(Map.of("groups", "8", "tier-bytes-min", Long.toString(MIB), "tier-age-ms", "1000",
          "tier-interval-ms", "200", "tier-chunk-bytes-max", Long.toString(8 * MIB), "hot-bytes-max", Long.toString(HOT_BYTES),
          "segment-bytes-max", Long.toString(16 * MIB), "cold-block-bytes", Long.toString(MIB), "snapshot-interval-entries", "2000"));
      settings.putAll(Map.of("s3-connect-timeout-ms", "2000", "s3-read-timeout-ms", "30000", "s3-call-timeout-ms", "60000",
          "s3-attempts-max", "3", "tier-uploads-max", "4"));
      try (ServerProcess node = ServerProcess.builder(dir.resolve("node")).name("cold-bench").settings(settings)
          .jvmArgs("-XX:+UseG1GC", "-Xms256m", "-Xmx1g", "-XX:MaxDirectMemorySize=1g").startTimeout(Duration.ofMinutes(3))
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
                long now = written.addAndGet(APPEND_BYTES);
                synchronized (reported) {
                  if (!reported[0] && now >= total / 10) {
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
        verifyAll(client, url, appendsPerStream, "from S3");
        report("after reading everything", node, url);

        node.stop();
        long start = System.nanoTime();
        node.start();
        url = node.baseUrl();
        while (client.status(url, "/readyz") != 200) {
          Thread.sleep(20);
        }
        System.out.printf("BENCH restart: process start to /readyz 200 in %d ms with %.1f MiB stored (metadata snapshots on disk:"
            + " %d bytes)%n", (System.nanoTime() - start) / 1_000_000, total / (double) MIB, snapshotBytes(node.dataDir()));
        report("after restart", node, url);
        verifyAll(client, url, appendsPerStream, "after restart");
      }
    }
  }

  private static String name(int s) {
    return "bench-" + s;
  }

  /** Append {@code j} of stream {@code s}: a function of (seed, s, j) only. */
  private static byte[] block(int s, int j) {
    byte[] b = new byte[APPEND_BYTES];
    new SplittableRandom(SEED * 1_000_003L + (long) s * 65_536L + j).nextBytes(b);
    return b;
  }

  private static void append(StreamClient client, String url, int s, int j, AtomicLong retries) throws Exception {
    byte[] body = block(s, j);
    StreamClient.Producer p = new StreamClient.Producer("bench-" + s, 0, j);
    for (int attempt = 0; ; attempt++) {
      try {
        HttpResponse<byte[]> r = client.append(url, name(s), BIN, body, p);
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

  private static void verifyAll(StreamClient client, String url, int appendsPerStream, String what) throws Exception {
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
        ByteArrayOutputStream got = new ByteArrayOutputStream(appendsPerStream * APPEND_BYTES);
        for (StreamClient.Chunk c : client.readAll(url, name(stream), 10_000)) {
          got.write(c.body());
        }
        byte[] bytes = got.toByteArray();
        assertThat(bytes.length).as("length of %s", name(stream)).isEqualTo((long) appendsPerStream * APPEND_BYTES);
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

  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  /** Prints heap used (as found, then after a full GC), RSS and the tier's gauges. */
  private static void report(String when, ServerProcess node, String url) {
    try {
      long used = heapUsedKib(node.pid());
      jcmd(node.pid(), "GC.run");
      long live = heapUsedKib(node.pid());
      long rss = 0;
      for (String line : Files.readAllLines(Path.of("/proc/" + node.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      HttpClient h = HttpClient.newHttpClient();
      System.out.printf("BENCH memory %-26s heap used %4d MiB, after full GC %4d MiB, RSS %4d MiB | hot %5.0f MiB, cold %5.0f MiB,"
          + " untiered %5.0f MiB%n", when + ":", used / 1024, live / 1024, rss / 1024,
          TierNodes.metric(h, url, "tributary_group_hot_bytes") / MIB, TierNodes.metric(h, url, "tributary_group_cold_bytes") / MIB,
          TierNodes.metric(h, url, "tributary_group_untiered_bytes") / MIB);
    } catch (Exception e) {
      System.out.println("BENCH memory " + when + ": could not measure: " + e);
    }
  }

  private static long heapUsedKib(long pid) throws Exception {
    Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
    long kib = 0;
    if (m.find()) {
      kib = Long.parseLong(m.group(1));
    }
    return kib;
  }

  private static String jcmd(long pid, String command) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), command)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private static long snapshotBytes(Path dataDir) throws IOException {
    try (var files = Files.walk(dataDir)) {
      return files.filter(Files::isRegularFile).filter(f -> f.toString().contains("snapshot")).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }
}
