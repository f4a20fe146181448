package io.tributary.sim;

import io.tributary.state.SimulatedReplica;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * One simulated node's replica of the group: its segment directory, its latest snapshot (the
 * file Ratis's state-machine storage would keep, and the index it covers), the state machine
 * while the node is up, the index it has applied and its wall clock's offset from true time.
 * Applies what the log has committed and this replica holds, one entry per call, as Ratis's
 * state-machine updater does. One thread.
 */
final class Replica {
  static final int GROUP = 0;
  /** Small segments, so runs cross segment boundaries and recovery truncates across them. */
  static final long SEGMENT_BYTES_MAX = 16 << 10;

  final int id;
  private final Path segments;
  private final Path snapshots;
  SimulatedReplica state;
  long applied;
  private Path snapshotFile;
  long snapshotIndex;
  long clockOffsetMillis;
  int restarts;

  Replica(int id, Path dir) throws IOException {
    this.id = id;
    this.segments = Files.createDirectories(dir.resolve("r" + id).resolve("segments"));
    this.snapshots = Files.createDirectories(dir.resolve("r" + id).resolve("snapshots"));
    start();
  }

  boolean up() {
    return state != null;
  }

  /** Loads the latest snapshot; the log after its index is re-applied by later calls to {@link #applyNext}. */
  void start() {
    try {
      state = SimulatedReplica.recover(GROUP, segments, SEGMENT_BYTES_MAX, snapshotFile, "index " + snapshotIndex);
    } catch (IOException e) {
      throw new UncheckedIOException("replica " + id + " cannot recover", e);
    }
    applied = snapshotIndex;
  }

  /** The process dies: what it held in memory is gone, files stay as written. */
  void crash() {
    state.close();
    state = null;
  }

  /**
   * The machine loses power: like {@link #crash}, and the last segment loses a random part of
   * what was written after the latest snapshot (only the snapshot's bytes were fsync'd).
   */
  void powerLoss(java.util.SplittableRandom random) {
    crash();
    try (Stream<Path> files = Files.list(segments)) {
      List<Path> sorted = files.filter(f -> f.toString().endsWith(".seg")).sorted().toList();
      if (sorted.isEmpty()) {
        return;
      }
      Path last = sorted.getLast();
      long base = Long.parseLong(last.getFileName().toString().replaceAll("\\D", ""));
      long size = Files.size(last);
      long keepFrom = Math.max(0, snapshotEnd - base);
      if (size > keepFrom) {
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
          ch.truncate(keepFrom + random.nextLong(size - keepFrom + 1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long snapshotEnd;

  /** Takes a snapshot at the applied index, replacing the previous one (as Ratis keeps the latest). */
  void snapshot() {
    Path file = snapshots.resolve("snapshot." + applied);
    try {
      snapshotEnd = state.snapshot(file);
      if (snapshotFile != null && !snapshotFile.equals(file)) {
        Files.delete(snapshotFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    snapshotFile = file;
    snapshotIndex = applied;
  }

  /** The next entry this replica may apply (committed and held), or 0. */
  long next(ReplicatedLog log) {
    long limit = Math.min(log.commitIndex(), log.match(id));
    return up() && applied < limit ? applied + 1 : 0;
  }

  /** Wall-clock time on this node at {@code nowNanos} of true time. */
  long wallMillis(long nowNanos) {
    return GroupSimulation.EPOCH_MILLIS + nowNanos / 1_000_000 + clockOffsetMillis;
  }
}
