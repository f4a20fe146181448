package io.tributary.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before Ratis reads a group's metadata snapshots: moves aside every newest one that fails its
 * check (magic, CRC32C trailer), so the group starts from the newest intact one and re-applies the
 * Raft log after it. Ratis keeps two snapshots ({@code raft.server.snapshot.retention.file.num})
 * and, with {@code raft.server.log.purge.preservation.log.num} set by {@code RaftHost} to two
 * snapshot intervals, the log behind the older one; when that log is gone anyway (a follower that
 * was far behind when it purged), the group refuses to start with a message saying so, rather than
 * start from a state missing acknowledged entries.
 *
 * <p>Why before Ratis: {@link SimpleStateMachineStorage} caches its latest snapshot and only ever
 * replaces it with a newer one, so a damaged newest snapshot must be renamed before
 * {@link SimpleStateMachineStorage#init} first scans the directory. The name it gets,
 * {@code snapshot.<term>_<index>.corrupt}, is the one Ratis itself uses for corrupt snapshots and
 * matches none of its patterns, so Ratis neither loads nor deletes it: it stays for the operator.
 *
 * <p>Threads: called from {@link StreamStateMachine#initialize}, on the thread that starts the group.
 */
final class SnapshotFallback {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotFallback.class);
  static final String CORRUPT_SUFFIX = ".corrupt";

  private SnapshotFallback() {}

  /** First index of a Raft log segment from its name: {@code log_<start>-<end>} or {@code log_inprogress_<start>}. */
  private static long firstIndex(String name) {
    String rest = name.startsWith("log_inprogress_") ? name.substring("log_inprogress_".length())
        : name.substring("log_".length());
    int dash = rest.indexOf('-');
    return Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
  }

  private record Found(Path file, long term, long index) {}

  /** Moves damaged newest snapshots aside; returns how many it moved. */
  static int setAsideDamaged(RaftStorage storage, int group) throws IOException {
    Path dir = storage.getStorageDir().getStateMachineDir().toPath();
    List<Found> found = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Matcher m = SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString());
          if (m.matches()) {
            found.add(new Found(p, Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
          }
        }
      }
    }
    found.sort(Comparator.comparingLong(Found::index).reversed());
    int moved = 0;
    Found intact = null;
    for (Found f : found) {
      try {
        SnapshotCodec.verify(f.file());
        intact = f;
        break;
      } catch (IOException e) {
        Path aside = f.file().resolveSibling(f.file().getFileName() + CORRUPT_SUFFIX);
        Files.move(f.file(), aside);
        Path md5 = f.file().resolveSibling(f.file().getFileName() + ".md5");
        if (Files.exists(md5)) {
          Files.move(md5, aside.resolveSibling(aside.getFileName() + ".md5"));
        }
        io.tributary.common.DurableFiles.fsyncDirectory(dir);
        moved++;
        LOG.error("group {}: metadata snapshot {} (term {}, index {}) is damaged ({}); moved aside as {}; falling back"
            + " to the previous snapshot and the Raft log", group, f.file().getFileName(), f.term(), f.index(),
            e.getMessage(), aside.getFileName());
      }
    }
    if (moved == 0) {
      return 0;
    }
    long needFrom = intact == null ? 0 : intact.index() + 1;
    long logStart = Long.MAX_VALUE;
    for (LogSegmentPath s : LogSegmentPath.getLogSegmentPaths(storage)) {
      logStart = Math.min(logStart, firstIndex(s.getPath().getFileName().toString()));
    }
    if (logStart > needFrom) {
      throw new IOException("group " + group + ": every newer metadata snapshot is damaged and the Raft log no longer"
          + " holds the entries after " + (intact == null ? "the start" : "snapshot index " + intact.index())
          + " (it starts at " + (logStart == Long.MAX_VALUE ? "nothing" : Long.toString(logStart)) + "): this replica"
          + " cannot rebuild the group. In a cluster, move this node's data directory away and restart it with"
          + " --rejoin true so it is sent a snapshot; on a single node restore the data directory from a backup"
          + " (see docs/operations.md, Corruption)");
    }
    LOG.error("group {}: starting from {} and re-applying the Raft log from index {}", group,
        intact == null ? "no snapshot" : "snapshot " + intact.file().getFileName(), needFrom);
    return moved;
  }
}
