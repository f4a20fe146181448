package io.tributary.durability;

import io.tributary.testing.LoadMonitor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: an append the server acknowledged survives any number of SIGKILLs — it is read back
 * exactly once, in order, ending at the offset its acknowledgement reported — and an append whose
 * acknowledgement was lost in a crash is either absent or present whole, never torn; idempotent
 * producer state survives too, so a client that retries an unknown outcome gets exactly-once.
 *
 * <p>Method (seeded; {@code -Dseed=N} replays the same payloads, kill schedule and stream layout;
 * thread timing still varies): a real server runs as a child JVM ({@link ServerProcess}) with
 * snapshots every 100 Raft entries, so recovery goes through both snapshot loading and log replay.
 * {@value #STREAMS} streams, alternately binary and JSON, are written by {@value #WRITERS} writer
 * threads ({@link AppendWriter}), each the idempotent producer of its streams: it retries an
 * unknown outcome with the same seq and body until it gets 200 (appended) or 204 (duplicate), and
 * records every acknowledgement in the stream's ledger ({@link ProducerStream}). Payloads name
 * their stream and seq, range from 16 bytes to over 64 KiB, and two exceed 1 MiB.
 *
 * <p>The server is killed with SIGKILL {@value #LOAD_KILLS} times under load: after a random delay,
 * and once the instant a burst of acknowledgements has come in. After each kill the writers are
 * held off ({@link ServerGate}), the server restarts on the same data directory, and every stream
 * must hold exactly its acknowledged appends plus, at most, the append that was in flight, whole
 * ({@link StreamVerifier#checkAfterCrash}); the check also tells the writer whether its retry must
 * be a duplicate or a fresh append. Then the writers stop, the idle server is killed once more, and
 * every stream must hold exactly its acknowledged appends, each ending at its acknowledged offset;
 * every producer's last seq must be a 204 duplicate, an older epoch a 403, and the next seq a 200.
 * Last, a graceful SIGTERM and restart must change nothing.
 */
class CrashRecoveryTest {
  static final int STREAMS = 12;
  static final int WRITERS = 6;
  static final int LOAD_KILLS = 6;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration LOAD_PHASE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration WRITERS_LEAVE_TIMEOUT = Duration.ofSeconds(30);
  private static final int CHECK_THREADS = 4;

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);
  private final long startNanos = System.nanoTime();
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("crash-recovery")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final Path dataDir = work.resolve("data");
  private final StreamClient client = new StreamClient(REQUEST_TIMEOUT);
  private ServerProcess server;
  private String ctx;
  private StreamVerifier verifier;
  private ProducerLoad load;
  private LoadMonitor monitor;
  private List<ProducerStream> streams;
  private ServerGate gate;
  private int pendingApplied;
  private int pendingAbsent;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void acknowledgedAppendsSurviveRepeatedSigkillExactlyOnce() throws Exception {
    startServerAndCreateStreams();
    startWriters();
    int burstKill = 1 + random.nextInt(LOAD_KILLS);
    for (int k = 1; k <= LOAD_KILLS; k++) {
      killUnderLoadRestartAndCheck(k, k == burstKill);
    }
    settleAndStopWriters();
    killIdleRestartAndCheckExactly();
    checkProducerStateSurvived();
    stopGracefullyRestartAndCheckExactly();
    checkCoverageAndReport();
    server.close(); // stopped first: a running node keeps writing into its data directory
    io.tributary.testing.TestDirs.deleteTree(dataDir); // kept when the test fails, for diagnosis; logs are always kept
  }

  @AfterEach
  void stopEverything() {
    if (load != null) {
      load.abort();
    }
    if (server != null) {
      server.close();
    }
    client.close();
  }

  /** A fresh server with snapshots every 100 entries, and the streams, each with its producer. */
  private void startServerAndCreateStreams() throws IOException, InterruptedException {
    server = ServerProcess.builder(dataDir).name("crash-node").logDir(work)
        .settings(Map.of(
            "long-poll-timeout-ms", "500",
            "snapshot-interval-entries", "100",
            "read-chunk-bytes-max", "64KiB",
            "write-timeout-ms", "10000"))
        .build();
    ctx = "seed=" + seed + " (rerun with -Dseed=" + seed + "), data " + dataDir + ", server log " + server.stderrLog();
    System.out.println("CrashRecoveryTest: " + ctx);
    verifier = new StreamVerifier(client, ctx);
    server.start();
    awaitReady();
    load = new ProducerLoad(client, seed, ctx);
    load.createStreams(server.baseUrl(), "crash", STREAMS, 2, random);
    monitor = load.monitor;
    streams = load.streams;
  }

  /** Concurrent load: writer w owns streams w, w + WRITERS, ... */
  private void startWriters() {
    load.startWriters(WRITERS, server.baseUrl(), "crash-writer");
    gate = load.gate();
  }

  /**
   * SIGKILL after a random delay, or the instant a burst of acks is in; hold the writers off,
   * restart, check every stream against its ledger, tell each writer what its retry must see.
   */
  private void killUnderLoadRestartAndCheck(int k, boolean afterBurst) throws Exception {
    long acksBefore = monitor.acks();
    String how = afterBurst ? load.awaitKillMoment(100 + random.nextInt(300), 0, LOAD_PHASE_TIMEOUT)
        : load.awaitKillMoment(0, 150 + random.nextInt(2350), LOAD_PHASE_TIMEOUT);
    server.kill9();
    long acksAtKill = monitor.acks();
    gate.hold(WRITERS_LEAVE_TIMEOUT);
    long restartNanos = System.nanoTime();
    server.restart();
    awaitReady();
    long restartMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartNanos);
    String baseUrl = server.baseUrl();
    forEachStream(s -> {
      boolean present = verifier.checkAfterCrash(baseUrl, s, "after SIGKILL " + k + " (" + how + ")");
      if (s.pending != null) {
        s.pending.appliedBeforeRetry = present;
      }
    });
    for (ProducerStream s : streams) {
      if (s.pending != null && Boolean.TRUE.equals(s.pending.appliedBeforeRetry)) {
        pendingApplied++;
      } else if (s.pending != null) {
        pendingAbsent++;
      }
    }
    System.out.printf("CrashRecoveryTest: kill %d %s: %d acks in this run (%d total), restart+ready %d ms%n",
        k, how, acksAtKill - acksBefore, acksAtKill, restartMillis);
    gate.release(server.baseUrl());
  }

  /** The writers settle every append the last kill left unknown, then stop between appends. */
  private void settleAndStopWriters() throws InterruptedException {
    load.settleAndStop(LOAD_PHASE_TIMEOUT, WRITERS_LEAVE_TIMEOUT);
  }

  /** One more SIGKILL with nothing in flight: exactly the acknowledged appends, at their offsets. */
  private void killIdleRestartAndCheckExactly() throws Exception {
    server.kill9();
    server.restart();
    awaitReady();
    long checkNanos = System.nanoTime();
    String baseUrl = server.baseUrl();
    forEachStream(s -> verifier.checkExact(baseUrl, s, "after the final SIGKILL", true));
    System.out.printf("CrashRecoveryTest: final kill: contents and %d end offsets checked in %d ms%n",
        streams.stream().flatMap(s -> s.acked.stream()).filter(a -> !a.viaDuplicate()).count(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkNanos));
  }

  /** A graceful stop (SIGTERM, shutdown hook) and restart changes nothing (contents and tails). */
  private void stopGracefullyRestartAndCheckExactly() throws Exception {
    assertThat(server.stop()).as("exit status after SIGTERM [%s]", ctx).isEqualTo(ServerProcess.EXIT_SIGTERM);
    server.restart();
    awaitReady();
    String baseUrl = server.baseUrl();
    forEachStream(s -> verifier.checkExact(baseUrl, s, "after a graceful restart", false));
    assertThat(server.stop()).as("exit status after SIGTERM [%s]", ctx).isEqualTo(ServerProcess.EXIT_SIGTERM);
  }

  /** The load reached the paths it is meant to cover; one summary line for the CI log. */
  private void checkCoverageAndReport() {
    for (ProducerStream.Kind kind : ProducerStream.Kind.values()) {
      assertThat(streams.stream().filter(s -> s.kind == kind).flatMap(s -> s.acked.stream())
          .mapToInt(a -> a.body().length).max().orElse(0))
          .as("largest acknowledged %s append [%s]", kind, ctx).isGreaterThan(1024 * 1024);
    }
    assertThat(streams.stream().flatMap(s -> s.acked.stream()).filter(a -> a.body().length > 64 * 1024).count())
        .as("acknowledged appends above 64 KiB [%s]", ctx).isGreaterThanOrEqualTo(3);
    long appends = streams.stream().mapToLong(s -> s.acked.size()).sum();
    long viaDuplicate = streams.stream().flatMap(s -> s.acked.stream()).filter(ProducerStream.Ack::viaDuplicate)
        .count();
    long bytes = streams.stream().flatMap(s -> s.acked.stream()).mapToLong(a -> a.body().length).sum();
    System.out.printf("CrashRecoveryTest: seed %d passed in %d s: %d kills, %d appends (%d KiB) acknowledged,"
            + " %d retries, %d acks via 204 duplicate; at the kills %d in-flight appends were applied, %d not%n",
        seed, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos), LOAD_KILLS + 1, appends,
        bytes / 1024, monitor.retries(), viaDuplicate, pendingApplied, pendingAbsent);
  }

  /** After the last restart: the last seq is a duplicate, an older epoch is fenced, the next seq appends. */
  private void checkProducerStateSurvived() throws IOException, InterruptedException {
    String baseUrl = server.baseUrl();
    for (ProducerStream s : streams) {
      long last = s.lastAckedSeq();
      assertThat(last).as("%s was acknowledged at least one append [%s]", s, ctx).isGreaterThanOrEqualTo(0);
      HttpResponse<byte[]> dup = client.append(baseUrl, s.name, s.kind.contentType, s.body(last), s.producer(last));
      assertThat(dup.statusCode()).as("%s: re-sending the last acked seq %d [%s]", s, last, ctx).isEqualTo(204);
      assertThat(dup.headers().firstValue("Producer-Seq")).as("%s: duplicate's Producer-Seq [%s]", s, ctx)
          .hasValue(Long.toString(last));
      assertThat(dup.headers().firstValue("Producer-Epoch")).as("%s: duplicate's Producer-Epoch [%s]", s, ctx)
          .hasValue(Long.toString(s.epoch));

      byte[] body = s.body(last + 1);
      HttpResponse<byte[]> stale = client.append(baseUrl, s.name, s.kind.contentType, body,
          new StreamClient.Producer(s.producerId, s.epoch - 1, last + 1));
      assertThat(stale.statusCode()).as("%s: epoch %d after %d [%s]", s, s.epoch - 1, s.epoch, ctx).isEqualTo(403);
      assertThat(stale.headers().firstValue("Producer-Epoch")).as("%s: 403's Producer-Epoch [%s]", s, ctx)
          .hasValue(Long.toString(s.epoch));

      HttpResponse<byte[]> next = client.append(baseUrl, s.name, s.kind.contentType, body, s.producer(last + 1));
      assertThat(next.statusCode()).as("%s: the next seq %d [%s]", s, last + 1, ctx).isEqualTo(200);
      assertThat(next.headers().firstValue("Producer-Seq")).as("%s: Producer-Seq [%s]", s, ctx)
          .hasValue(Long.toString(last + 1));
      String offset = next.headers().firstValue("Stream-Next-Offset").orElseThrow();
      String previous = s.lastKnownEndOffset();
      if (previous != null) {
        assertThat(offset).as("%s: end offset of seq %d [%s]", s, last + 1, ctx).isGreaterThan(previous);
      }
      s.acknowledgeDirect(last + 1, body, offset);
    }
  }

  /** A check of one stream. */
  private interface StreamCheck {
    void run(ProducerStream s) throws Exception;
  }

  /**
   * Runs {@code check} on every stream, {@value #CHECK_THREADS} at a time (each task touches only
   * its own stream; the pool's completion orders it before what follows); rethrows the first failure.
   */
  private void forEachStream(StreamCheck check) throws Exception {
    List<Future<?>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(CHECK_THREADS)) {
      for (ProducerStream s : streams) {
        results.add(pool.submit(() -> {
          check.run(s);
          return null;
        }));
      }
      for (Future<?> f : results) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Error err) {
            throw err;
          }
          throw (Exception) e.getCause();
        }
      }
    }
  }

  private void awaitReady() {
    await("server ready (" + ctx + ")").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(50))
        .until(() -> client.status(server.baseUrl(), "/readyz") == 200);
  }
}
