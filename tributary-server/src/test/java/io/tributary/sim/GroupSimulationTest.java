package io.tributary.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: under crashes, power losses, lost uncommitted entries, leader changes, write timeouts,
 * duplicate deliveries and clock jumps, the group's replicas stay byte-identical at equal applied
 * indexes, no acknowledged append is lost, and producers' appends land exactly once (see
 * {@link Invariants}).
 *
 * <p>Method: deterministic simulation in the manner of Kafka's {@code RaftEventSimulationTest}:
 * each seed drives a {@link GroupSimulation} (the real state machine on three replicas, the real
 * batcher, a model of Raft's guarantees, virtual time), checking the invariants after every event.
 * The default run covers {@value #DEFAULT_SEEDS} seeds from {@value #DEFAULT_FIRST_SEED};
 * {@code -Dsim.seeds=N} runs N seeds, {@code -Dsim.firstSeed=S} starts elsewhere, and
 * {@code -Dsim.seed=S} replays one seed exactly (a failure prints that flag with the event trace).
 */
class GroupSimulationTest {
  private static final int DEFAULT_SEEDS = 200;
  private static final long DEFAULT_FIRST_SEED = 1;

  /** Memory-backed when the machine has one: fsync is not what this test is about, and there it is free. */
  private static final Path TMPFS = Path.of("/dev/shm");

  @TempDir
  Path tempDir;
  private Path dir;

  @BeforeEach
  void chooseDirectory() throws IOException {
    dir = Files.isDirectory(TMPFS) && Files.isWritable(TMPFS) ? Files.createTempDirectory(TMPFS, "tributary-sim-")
        : tempDir;
  }

  @AfterEach
  void removeDirectory() throws IOException {
    if (!dir.equals(tempDir)) {
      io.tributary.testing.TestDirs.deleteTree(dir);
    }
  }

  @Test
  void seededRunsKeepEveryInvariant() throws IOException {
    String one = System.getProperty("sim.seed");
    long first = one != null ? Long.parseLong(one) : Long.getLong("sim.firstSeed", DEFAULT_FIRST_SEED);
    int seeds = one != null ? 1 : Integer.getInteger("sim.seeds", DEFAULT_SEEDS);
    long started = System.nanoTime();
    long events = 0;
    long entries = 0;
    long acknowledged = 0;
    long duplicates = 0;
    long failed = 0;
    long duplicateAnswers = 0;
    Map<String, Integer> faults = new TreeMap<>();
    for (long seed = first; seed < first + seeds; seed++) {
      Path runDir = Files.createDirectories(dir.resolve("seed-" + seed));
      GroupSimulation.Summary s = new GroupSimulation(seed, runDir).run();
      io.tributary.testing.TestDirs.deleteTree(runDir);
      events += s.events();
      entries += s.entries();
      acknowledged += s.acknowledged();
      duplicates += s.duplicateDeliveries();
      failed += s.failedAttempts();
      duplicateAnswers += s.duplicateAnswers();
      s.faults().forEach((k, v) -> faults.merge(k, v, Integer::sum));
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("deterministic simulation: seeds %d..%d in %d ms: %d events, %d log entries, %d acknowledged"
        + " appends, %d failed attempts retried (unknown outcome or no leader), %d duplicate deliveries,"
        + " %d DUPLICATE answers, faults %s%n",
        first, first + seeds - 1, millis, events, entries, acknowledged, failed, duplicates, duplicateAnswers, faults);
    assertThat(acknowledged).as("the runs wrote something").isPositive();
    if (seeds >= DEFAULT_SEEDS) {
      assertThat(failed).as("the faults left clients with attempts to retry").isPositive();
      assertThat(duplicateAnswers).as("retries and duplicate deliveries met producer deduplication").isPositive();
    }
  }

  /** A seed is a replay: the same events at the same virtual times, the same state at the end. */
  @Test
  void aSeedReplaysExactly() throws IOException {
    long seed = Long.getLong("sim.seed", 42);
    GroupSimulation.Summary a = new GroupSimulation(seed, Files.createDirectories(dir.resolve("a"))).run();
    GroupSimulation.Summary b = new GroupSimulation(seed, Files.createDirectories(dir.resolve("b"))).run();
    assertThat(b).as("seed %d run twice", seed).isEqualTo(a);
  }
}
