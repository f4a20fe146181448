package io.tributary.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: an acknowledged append survives a power loss at any moment — not only a SIGKILL, which
 * keeps everything the node wrote in the page cache, but the loss of every byte and every
 * directory entry that was not fsync'd when the power went.
 *
 * <p>Method (seeded; {@code -Dseed=N} replays the payloads and the crash schedule, thread timing
 * still varies; {@code -Dpowerloss.crashes=N} sets the number of crashes under load, 5 by default):
 * a single node runs as a child JVM with {@link PowerLossDisk}'s fsync recorder preloaded, and
 * with small settings so that what can go wrong at a power loss happens often: a snapshot every
 * 100 Raft entries (segments fsync'd, metadata written and renamed, log purged behind it), data
 * segments and Raft log segments rolled at 1 MiB. {@value #STREAMS} streams, binary and JSON, each
 * with its idempotent producer ({@link ProducerStream}), are written by {@value #WRITERS} writer
 * threads ({@link AppendWriter}). At a seeded random moment — after a delay, or right after a
 * burst of acknowledgements — the node is SIGKILLed and its data directory rebuilt from what was
 * fsync'd ({@link PowerLossDisk#powerLoss}); the node restarts on that (recording again, from the
 * rebuilt tree as its baseline) and every stream must hold exactly its acknowledged appends, in
 * order, each once, plus at most the one append in flight at the crash, whole
 * ({@link StreamVerifier#checkAfterCrash}); that one is then retried with the same producer
 * triple and must be a 204 duplicate if it was there and a 200 if not. After the crashes the
 * writers stop, one more power loss hits the idle node, and every stream must hold exactly its
 * acknowledged appends, each ending at the offset its acknowledgement reported.
 *
 * <p>The test checks that it tests something: the recorder must have seen the node's fsyncs of
 * the Raft log from the first start (a JVM that bypassed the C library would fail here, not pass
 * with nothing recorded), snapshots, data segments and directory fsyncs over the run, and the
 * rebuilds must have discarded bytes the node had written. Each crash prints what its rebuild
 * discarded (also in {@code crash-N/rebuild.txt} next to the server log, with a line per file).
 * A failed recovery keeps {@code crash-N/at-kill} (the directory as the node left it),
 * {@code crash-N/image} (what was fsync'd) and the rebuilt data directory.
 */
class PowerLossTest {
  static final int STREAMS = 4;
  static final int WRITERS = 2;
  private static final int CRASHES = Integer.getInteger("powerloss.crashes", 5);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration LOAD_PHASE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration WRITERS_LEAVE_TIMEOUT = Duration.ofSeconds(30);

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final SplittableRandom random = new SplittableRandom(seed);
  private final long startNanos = System.nanoTime();
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("power-loss")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final Path dataDir = work.resolve("data");
  private final StreamClient client = new StreamClient(REQUEST_TIMEOUT);
  private final List<String> journals = new ArrayList<>();
  private PowerLossDisk disk;
  /** How long the last restart and check took, for the report. */
  private String timing;
  private ServerProcess server;
  private String ctx;
  private StreamVerifier verifier;
  private ProducerLoad load;
  private LoadMonitor monitor;
  private List<ProducerStream> streams;
  private ServerGate gate;
  private long bytesDiscarded;
  private int pendingApplied;
  private int pendingAbsent;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void acknowledgedAppendsSurviveRepeatedPowerLosses() throws Exception {
    startServerAndCreateStreams();
    theRecorderSeesTheRaftLogFsyncs();
    startWriters();
    for (int k = 1; k <= CRASHES; k++) {
      powerLossUnderLoadRestartAndCheck(k);
    }
    settleAndStopWriters();
    powerLossWhileIdleRestartAndCheckExactly(CRASHES + 1);
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

  private void startServerAndCreateStreams() throws IOException, InterruptedException {
    disk = new PowerLossDisk(dataDir, work);
    ServerProcess.Builder b = ServerProcess.builder(dataDir).name("power-loss-node").logDir(work)
        .settings(Map.of(
            "long-poll-timeout-ms", "500",
            "snapshot-interval-entries", "100",
            "segment-bytes-max", "1MiB",
            "body-bytes-max", "1MiB",
            "read-chunk-bytes-max", "64KiB",
            "write-timeout-ms", "10000"));
    disk.env().forEach(b::env);
    server = b.build();
    ctx = "seed=" + seed + " (rerun with -Dseed=" + seed + "), data " + dataDir + ", server log " + server.stderrLog();
    System.out.println("PowerLossTest: " + ctx);
    verifier = new StreamVerifier(client, ctx);
    server.start();
    awaitReady();
    load = new ProducerLoad(client, seed, ctx);
    load.createStreams(server.baseUrl(), "power", STREAMS, 0, random);
    monitor = load.monitor;
    streams = load.streams;
  }

  /**
   * The streams were created through the Raft log, so its fsyncs must have been recorded: if the
   * JVM reached the disk without the C library's fsync, every rebuild would be "nothing durable"
   * or the recorder would be idle, and the test must say so rather than pass.
   */
  private void theRecorderSeesTheRaftLogFsyncs() throws IOException {
    List<String> journal = disk.journal();
    assertThat(journal).as("the recorder's journal after the first start and %d creates [%s]", STREAMS, ctx)
        .anyMatch(raftLog()).anyMatch(l -> l.startsWith("dir "));
  }

  private void startWriters() {
    load.startWriters(WRITERS, server.baseUrl(), "power-loss-writer");
    gate = load.gate();
  }

  /**
   * After a random delay or right after a burst of acks: SIGKILL, hold the writers off, rebuild
   * the data directory from what was fsync'd, restart, check every stream against its ledger and
   * tell each writer what its retry must see.
   */
  private void powerLossUnderLoadRestartAndCheck(int k) throws Exception {
    long acksBefore = monitor.acks();
    String how = random.nextInt(3) == 0 ? load.awaitKillMoment(30 + random.nextInt(170), 0, LOAD_PHASE_TIMEOUT)
        : load.awaitKillMoment(0, 200 + random.nextInt(1800), LOAD_PHASE_TIMEOUT);
    server.kill9();
    long acksAtKill = monitor.acks();
    gate.hold(WRITERS_LEAVE_TIMEOUT);
    PowerLossDisk.Rebuild rebuild = powerLoss(k);
    String when = "after power loss " + k + " (" + how + ")";
    restartAndCheck(k, rebuild, when, s -> {
      boolean present = verifier.checkAfterCrash(server.baseUrl(), s, when);
      if (s.pending != null) {
        s.pending.appliedBeforeRetry = present;
        if (present) {
          pendingApplied++;
        } else {
          pendingAbsent++;
        }
      }
    });
    report("power loss %d %s: %d acks in this run (%d total), %s; %s", k, how, acksAtKill - acksBefore,
        acksAtKill, timing, rebuild);
    gate.release(server.baseUrl());
  }

  /** The writers settle the appends the last crash left unknown and 50 more, then stop between appends. */
  private void settleAndStopWriters() throws InterruptedException {
    load.settleAndStop(LOAD_PHASE_TIMEOUT, WRITERS_LEAVE_TIMEOUT);
  }

  /** A power loss with nothing in flight: exactly the acknowledged appends, each ending at its acknowledged offset. */
  private void powerLossWhileIdleRestartAndCheckExactly(int k) throws Exception {
    server.kill9();
    PowerLossDisk.Rebuild rebuild = powerLoss(k);
    restartAndCheck(k, rebuild, "after the final power loss (idle)",
        s -> verifier.checkExact(server.baseUrl(), s, "after the final power loss (idle)", true));
    report("power loss %d while idle: %s; %s", k, timing, rebuild);
  }

  private PowerLossDisk.Rebuild powerLoss(int k) throws IOException {
    journals.addAll(disk.journal());
    PowerLossDisk.Rebuild rebuild = disk.powerLoss(k);
    bytesDiscarded += rebuild.bytesDiscarded();
    return rebuild;
  }

  /** A check of one stream. */
  private interface StreamCheck {
    void run(ProducerStream s) throws Exception;
  }

  /**
   * Restarts on the rebuilt directory and runs {@code check} on every stream; a failure names the
   * rebuild (what it discarded, file by file) and keeps its leftovers, which are deleted otherwise.
   */
  private void restartAndCheck(int k, PowerLossDisk.Rebuild rebuild, String when, StreamCheck check)
      throws Exception {
    try {
      long restartNanos = System.nanoTime();
      server.restart();
      awaitReady();
      long checkNanos = System.nanoTime();
      for (ProducerStream s : streams) {
        check.run(s);
      }
      timing = String.format("restart to ready %d ms, check %d ms",
          TimeUnit.NANOSECONDS.toMillis(checkNanos - restartNanos),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkNanos));
    } catch (Exception | AssertionError e) {
      throw new AssertionError(when + ": recovery from the rebuilt data directory failed: " + e.getMessage()
          + "\nrebuild: " + rebuild + "\n" + Files.readString(rebuild.report()) + "kept for diagnosis: "
          + rebuild.report().getParent() + " (at-kill/, image/) and the rebuilt " + dataDir + " [" + ctx + "]", e);
    }
    disk.discard(k);
  }

  /** The recorder saw every kind of fsync the node makes, the rebuilds discarded something; one summary line. */
  private void checkCoverageAndReport() throws IOException {
    journals.addAll(disk.journal());
    assertThat(journals).as("fsyncs recorded over the run [%s]", ctx)
        .anyMatch(raftLog())
        .anyMatch(l -> l.startsWith("file ") && l.contains("%2Fsnapshot%2Ftemp%2Ftributary-meta"))
        .anyMatch(l -> l.startsWith("moved ") && l.contains("%2Fsnapshot%2Fsnapshot_"))
        .anyMatch(l -> l.startsWith("file ") && l.contains("segments%2F"))
        .anyMatch(l -> l.startsWith("dir "));
    assertThat(bytesDiscarded).as("bytes the rebuilds discarded (else a power loss was no worse than SIGKILL) [%s]",
        ctx).isPositive();
    long appends = streams.stream().mapToLong(s -> s.acked.size()).sum();
    long bytes = streams.stream().flatMap(s -> s.acked.stream()).mapToLong(a -> a.body().length).sum();
    report("seed %d passed in %d s: %d power losses, %d appends (%d KiB) acknowledged, %d retries; %d bytes"
            + " discarded by the rebuilds; at the crashes %d in-flight appends were applied, %d not",
        seed, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos), CRASHES + 1, appends, bytes / 1024,
        monitor.retries(), bytesDiscarded, pendingApplied, pendingAbsent);
  }

  /** An fsync of the Raft log's write-ahead file: RocksDB's {@code jraft/gNNN/log/NNNNNN.log}. */
  private static Predicate<String> raftLog() {
    return l -> l.startsWith("file jraft%2F") && l.matches("file \\S*%2Flog%2F\\d+\\.log \\S+ \\d+");
  }

  /** A line on stdout and in {@code power-loss.txt} next to the server log. */
  private void report(String format, Object... args) throws IOException {
    String line = "PowerLossTest: " + String.format(format, args);
    System.out.println(line);
    Files.writeString(work.resolve("power-loss.txt"), line + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private void awaitReady() {
    await("server ready (" + ctx + ")").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(50))
        .until(() -> client.status(server.baseUrl(), "/readyz") == 200);
  }
}
