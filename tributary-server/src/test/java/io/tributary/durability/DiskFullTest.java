package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.common.Offsets;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a full disk never turns an acknowledged append into a lost, duplicated or unreadable one,
 * and the node recovers by itself once space returns.
 *
 * <p>Why: with the data directory on a 96 MiB tmpfs, a producer appending 16 KiB records until
 * the disk filled, then retrying its refused seqs and restarting after a SIGKILL, lost 236 of
 * 3,820 acknowledged appends and the stream answered 500 ever after: the Raft log hit ENOSPC in the
 * middle of entries and a failed apply was skipped.
 *
 * <p>Story, on a real file system (a 96 MiB tmpfs this test mounts; needs root, as CI runs): a
 * 24 MiB ballast file stands for the rest of the disk's users. One producer appends 16 KiB records
 * until the node refuses with 507 (the free-space watermark is 16 MiB); every answer on the way is
 * 200, 204 or 507/503 with {@code Retry-After}, never a 500. While refused: the same seq keeps
 * getting 507 with a reason, reads still answer, {@code /readyz} says why. The ballast goes; the
 * refused seq is retried with the same (id, epoch, seq) until acknowledged — with no restart — and
 * more appends follow. Then SIGKILL and restart: the stream holds every acknowledged append
 * exactly once, in order, and its tail is where the last acknowledgement said.
 */
class DiskFullTest {
  private static final int RECORD_BYTES = 16 * 1024;
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final String STREAM = "disk-full";
  private static final String TYPE = "application/octet-stream";

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("disk-full")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final Path mount = work.resolve("tmpfs");
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final List<byte[]> acked = new ArrayList<>();
  private String lastAckOffset;
  private boolean mounted;
  private ServerProcess server;
  private String ctx;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void appendsPastTheWatermarkAre507AndNothingAcknowledgedIsLost() throws Exception {
    mountTmpfs();
    Path ballast = mount.resolve("ballast");
    Files.write(ballast, new byte[24 << 20]);
    server = ServerProcess.builder(mount.resolve("data")).name("disk-full-node").logDir(work)
        .settings(Map.of(
            "disk-free-bytes-min", "16MiB",
            "disk-check-interval-ms", "100",
            "segment-bytes-max", "1MiB",
            "snapshot-interval-entries", "100",
            "body-bytes-max", "1MiB",
            "tail-cache-bytes", "1MiB",
            "write-timeout-ms", "10000"))
        .build();
    ctx = "seed=" + seed + ", tmpfs " + mount + ", server log " + server.stderrLog();
    server.start();
    assertThat(client.create(server.baseUrl(), STREAM, TYPE).statusCode()).as("PUT [%s]", ctx).isEqualTo(201);

    int refusals = appendUntilRefused();
    assertThat(acked.size()).as("appends acknowledged before the watermark [%s]", ctx).isGreaterThan(100);
    System.out.printf("DiskFullTest: %d appends of %d bytes acknowledged, then 507 (%d times in a row) [%s]%n",
        acked.size(), RECORD_BYTES, refusals, ctx);
    whileRefusedReadsGoOnAndReadinessSaysWhy();

    Files.delete(ballast);
    long seq = acked.size();
    appendAcked(seq, "after the ballast was removed (no restart)");
    for (long s = seq + 1; s < seq + 50; s++) {
      appendAcked(s, "after space returned");
    }

    server.kill9();
    server.restart();
    verifyExactlyTheAcknowledgedAppends("after SIGKILL and restart");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (server != null) {
      server.close();
    }
    client.close();
    if (mounted) {
      run("umount", "-l", mount.toString());
    }
  }

  /** Mounts a 96 MiB tmpfs at {@link #mount}; skips the test only when not root (CI runs as root). */
  private void mountTmpfs() throws Exception {
    String uid = run("id", "-u").trim();
    Assumptions.assumeTrue(uid.equals("0"), "mounting a tmpfs needs root (uid " + uid + ")");
    Files.createDirectories(mount);
    run("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", mount.toString());
    mounted = true;
  }

  /** Appends seq 0, 1, ... until the node answers 507 for the same seq 20 times; returns that count. */
  private int appendUntilRefused() throws Exception {
    int refusedInARow = 0;
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (refusedInARow < 20) {
      assertThat(System.nanoTime()).as("no 507 within %s after %d appends [%s]", DEADLINE, acked.size(), ctx)
          .isLessThan(deadline);
      long seq = acked.size();
      HttpResponse<byte[]> r = send(seq);
      switch (r.statusCode()) {
        case 200, 204 -> {
          acknowledge(seq, r);
          refusedInARow = 0;
        }
        case 507 -> {
          assertThat(r.headers().firstValue("Retry-After")).as("507 Retry-After [%s]", ctx).isPresent();
          assertThat(body(r)).as("507 reason [%s]", ctx).contains("disk-free-bytes-min");
          refusedInARow++;
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // retry pacing
        }
        case 503 -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // retry pacing
        default -> throw new AssertionError("seq " + seq + ": " + r.statusCode() + " " + body(r) + " [" + ctx + "]");
      }
    }
    return refusedInARow;
  }

  /**
   * Reads answer; and while the producer keeps sending, {@code /readyz} says why writes are refused
   * (the reading counts the writes refused since the last measurement, so it is polled between
   * refused sends rather than once).
   */
  private void whileRefusedReadsGoOnAndReadinessSaysWhy() throws Exception {
    StreamClient.Chunk first = client.read(server.baseUrl(), STREAM, "-1");
    assertThat(first.status()).as("a read while writes are refused [%s]", ctx).isEqualTo(200);
    assertThat(Arrays.copyOf(first.body(), RECORD_BYTES)).isEqualTo(acked.get(0));
    long seq = acked.size();
    await("/readyz says why writes are refused [" + ctx + "]").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20)).until(() -> {
          HttpResponse<byte[]> refused = send(seq);
          assertThat(refused.statusCode()).as("seq %d while the disk is low: %s [%s]", seq, body(refused), ctx)
              .isEqualTo(507);
          HttpResponse<byte[]> ready = client.get(server.baseUrl(), "/readyz");
          return ready.statusCode() == 503 && body(ready).contains("disk-free-bytes-min");
        });
    await("/metrics says writes are refused [" + ctx + "]").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20)).until(() -> {
          send(seq);
          return body(client.get(server.adminUrl(), "/metrics")).contains("tributary_disk_writes_refused 1");
        });
  }

  /** Sends seq until acknowledged (507 and 503 retried with the same producer triple); never a 500. */
  private void appendAcked(long seq, String when) throws Exception {
    await("seq " + seq + " acknowledged " + when + " [" + ctx + "]").atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(50)).until(() -> {
          HttpResponse<byte[]> r = send(seq);
          if (r.statusCode() == 507 || r.statusCode() == 503) {
            return false;
          }
          assertThat(r.statusCode()).as("seq %d %s: %s [%s]", seq, when, body(r), ctx).isIn(200, 204);
          acknowledge(seq, r);
          return true;
        });
  }

  private HttpResponse<byte[]> send(long seq) throws IOException, InterruptedException {
    return client.append(server.baseUrl(), STREAM, TYPE, body(seq), new StreamClient.Producer("p", 0, seq));
  }

  private void acknowledge(long seq, HttpResponse<byte[]> r) {
    acked.add(body(seq));
    if (r.statusCode() == 200) {
      String next = r.headers().firstValue("Stream-Next-Offset").orElse(null);
      assertThat(next).as("seq %d: Stream-Next-Offset [%s]", seq, ctx)
          .isEqualTo(Offsets.format((long) acked.size() * RECORD_BYTES));
      lastAckOffset = next;
    }
  }

  private void verifyExactlyTheAcknowledgedAppends(String when) throws Exception {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    acked.forEach(expected::writeBytes);
    ByteArrayOutputStream actual = new ByteArrayOutputStream();
    List<StreamClient.Chunk> chunks = client.readAll(server.baseUrl(), STREAM, 10_000);
    for (StreamClient.Chunk c : chunks) {
      assertThat(c.status()).as("read %s [%s]", when, ctx).isEqualTo(200);
      actual.writeBytes(c.body());
    }
    byte[] a = actual.toByteArray();
    byte[] e = expected.toByteArray();
    int at = Arrays.mismatch(a, e);
    assertThat(at).as("%s: the stream (%d bytes) differs from the %d acknowledged appends (%d bytes) at byte %d "
        + "(record %d) [%s]", when, a.length, acked.size(), e.length, at, at / RECORD_BYTES, ctx).isEqualTo(-1);
    assertThat(chunks.get(chunks.size() - 1).nextOffset()).isEqualTo(lastAckOffset);
  }

  /** The body of seq: 16 KiB, self-describing and different for every seq. */
  private byte[] body(long seq) {
    byte[] b = new byte[RECORD_BYTES];
    new SplittableRandom(seed ^ seq).nextBytes(b);
    byte[] head = (STREAM + "#" + seq + "|").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(head, 0, b, 0, head.length);
    return b;
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
