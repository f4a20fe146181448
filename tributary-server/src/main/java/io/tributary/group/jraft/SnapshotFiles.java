package io.tributary.group.jraft;

import io.tributary.common.DurableFiles;
import io.tributary.state.ReplicaCore;
import io.tributary.storage.SegmentStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a SOFAJRaft snapshot of a group holds, and how a replica loads one. SOFAJRaft keeps each
 * snapshot in a directory of files and ships that directory to a lagging follower itself (the
 * follower pulls every listed file from the leader's file service, {@code GetFile}, 128 KiB per
 * call), so a snapshot here is the whole replica:
 *
 * <pre>
 *   snapshot_&lt;index&gt;/
 *     __raft_snapshot_meta   SOFAJRaft's own (term, index, configuration, file list)
 *     tributary-meta         the group's metadata snapshot (SnapshotCodec: streams, producers,
 *                            indexes, the segment end E it refers to), CRC-checked
 *     tributary-origin       the node that wrote it (UTF-8 node id)
 *     &lt;base&gt;.seg ...         hard links to the data segments holding bytes below E
 * </pre>
 *
 * <p>Hard links make a snapshot O(segments), not O(data): segment bytes below E are never
 * rewritten in place (only appended after, or patched with identical bytes by a repair), so a link
 * taken now still holds them when the snapshot is read later; the open segment keeps growing past
 * E, and whoever reads the snapshot uses only the bytes below E.
 *
 * <p>Loading: a snapshot this node wrote (at restart) refers to its own segments, which hold
 * every byte below E (fsync'd before the snapshot), so only the metadata is read. A snapshot from
 * another node (installed from the leader) brings its segments: they are copied (never linked: the
 * snapshot directory is SOFAJRaft's and goes when a newer snapshot replaces it) into a staging
 * directory, every record verified, fsync'd, and swapped in for the replica's segment directory;
 * a marker in the new directory records the index, so a restart before this node's next snapshot
 * does not copy them again.
 *
 * <p>Threads: the group's FSM caller (through {@link JRaftStateMachine}), except {@link #write},
 * which the node's snapshot writer runs for a save the FSM caller prepared.
 */
final class SnapshotFiles {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotFiles.class);
  static final String META = "tributary-meta";
  static final String ORIGIN = "tributary-origin";
  /** In a segment directory: the snapshot index whose segments were installed into it. */
  static final String INSTALLED = "installed-from-snapshot";

  private final String nodeId;

  SnapshotFiles(String nodeId) {
    this.nodeId = nodeId;
  }

  /** Beside SOFAJRaft's {@code snapshot/}: hard links to the files of the snapshot before its newest one. */
  static final String PREVIOUS = "previous-snapshot";
  private static final String SNAPSHOT_PREFIX = "snapshot_";

  /**
   * The second half of a save, on any thread: writes a snapshot the FSM caller captured
   * ({@link ReplicaCore#prepareSnapshot}) into {@code dir} (SOFAJRaft's writer directory), listing
   * each file with {@code addFile}.
   * SOFAJRaft installs no snapshot on this node and takes no other while one is being saved, so
   * nothing else touches the snapshot directories meanwhile.
   */
  void write(ReplicaCore.PreparedSnapshot snapshot, Path dir, Predicate<String> addFile) throws IOException {
    keepPrevious(dir.toAbsolutePath().getParent());
    snapshot.write(dir.resolve(META));
    DurableFiles.writeAtomically(dir.resolve(ORIGIN), nodeId.getBytes(StandardCharsets.UTF_8));
    List<String> names = new ArrayList<>(List.of(META, ORIGIN));
    for (SegmentStore.FileRange r : snapshot.segmentFiles()) {
      Path link = dir.resolve(r.path().getFileName());
      Files.deleteIfExists(link);
      Files.createLink(link, r.path());
      names.add(link.getFileName().toString());
    }
    DurableFiles.fsyncDirectory(dir);
    for (String n : names) {
      if (!addFile.test(n)) {
        throw new IOException("SOFAJRaft refused snapshot file " + n + " in " + dir);
      }
    }
  }

  /** Loads the snapshot in {@code dir} into the replica, installing its segments when it came from another node. */
  void load(ReplicaCore core, Path dir, long term, long index) throws IOException {
    Path meta = dir.resolve(META);
    long end = ReplicaCore.verifiedSegmentEnd(meta);
    String origin = Files.exists(dir.resolve(ORIGIN))
        ? Files.readString(dir.resolve(ORIGIN), StandardCharsets.UTF_8).trim() : "";
    core.closeStore(); // its directory may be replaced below
    Path segments = core.segmentDir();
    if (!origin.equals(nodeId) && installedIndex(segments) != index) {
      install(dir, segments, end, index);
      // "received snapshot" is what operators and tests look for on either engine (RejoinAfterDataLossTest,
      // ClusterFaultTest), "installed snapshot" what JRaftClusterTest looks for
      LOG.warn("group {}: received snapshot {}_{} from {}, installed snapshot segments up to {}", core.group(), term,
          index, origin, end);
    }
    core.load(meta, term + "_" + index, index, previousEnd(dir, index));
  }

  /**
   * The segment end of the kept previous snapshot (below {@code index}), or 0 when none is kept or
   * it does not check out: reclaim drops whole segments only below what both snapshots cover, so
   * a fallback to the previous one still finds every segment the log after it rewrites.
   */
  private static long previousEnd(Path snapshotDir, long index) {
    try {
      Path previous = newest(snapshotDir.toAbsolutePath().getParent().resolveSibling(PREVIOUS));
      return previous == null || indexOf(previous) >= index ? 0 : ReplicaCore.verifiedSegmentEnd(previous.resolve(META));
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * SOFAJRaft keeps one snapshot and, after taking a new one, the log from the entry after the
   * previous one. So before the new one replaces it, the current snapshot's files are kept as hard
   * links in {@code previous-snapshot/snapshot_<index>}: if the newest snapshot's metadata is ever
   * found damaged, {@link #fallBackIfDamaged} puts this one back and the log after it replays what
   * the damaged one held. Hard links: no bytes are copied, and the files are never modified in
   * place (SOFAJRaft writes each snapshot into a new directory).
   */
  private static void keepPrevious(Path snapshotRoot) throws IOException {
    Path current = newest(snapshotRoot);
    if (current == null) {
      return;
    }
    Path previousRoot = snapshotRoot.resolveSibling(PREVIOUS);
    Path target = previousRoot.resolve(current.getFileName());
    if (Files.isDirectory(target)) {
      return; // kept already (a snapshot attempt that failed after this step)
    }
    Path staging = previousRoot.resolve("staging");
    deleteTree(staging);
    DurableFiles.createDirectories(staging);
    try (Stream<Path> files = Files.list(current)) {
      for (Path f : files.toList()) {
        Files.createLink(staging.resolve(f.getFileName()), f);
      }
    }
    DurableFiles.fsyncDirectory(staging);
    try (Stream<Path> old = Files.list(previousRoot)) {
      for (Path o : old.filter(p -> !p.equals(staging)).toList()) {
        deleteTree(o);
      }
    }
    Files.move(staging, target);
    DurableFiles.fsyncDirectory(previousRoot);
  }

  /**
   * At start, before SOFAJRaft loads group {@code raftDir}'s newest snapshot: when its metadata
   * fails its check (a flipped bit on disk), that snapshot is moved out of SOFAJRaft's sight
   * ({@code damaged-snapshot_<index>}, kept for diagnosis) and the previous one put back, so the
   * group starts from it and re-applies the log after it. Without a previous snapshot nothing is
   * moved and SOFAJRaft refuses to start the group (fail-stop; a cluster node re-joins with
   * {@code --rejoin true}). Main thread.
   */
  static void fallBackIfDamaged(int group, Path raftDir) throws IOException {
    Path snapshotRoot = raftDir.resolve("snapshot");
    Path newest = newest(snapshotRoot);
    if (newest == null) {
      return;
    }
    try {
      ReplicaCore.verifiedSegmentEnd(newest.resolve(META));
      return;
    } catch (IOException damaged) {
      Path previous = newest(raftDir.resolve(PREVIOUS));
      if (previous == null || indexOf(previous) >= indexOf(newest)) {
        LOG.error("group {}: metadata snapshot {} is damaged ({}) and no previous snapshot is kept: the group cannot "
            + "start from this node's data (in a cluster, restart it with --rejoin true)", group, newest, damaged.toString());
        return;
      }
      Path aside = raftDir.resolve("damaged-" + newest.getFileName());
      deleteTree(aside);
      Files.move(newest, aside);
      Files.move(previous, snapshotRoot.resolve(previous.getFileName()));
      DurableFiles.fsyncDirectory(snapshotRoot);
      DurableFiles.fsyncDirectory(raftDir);
      DurableFiles.fsyncDirectory(raftDir.resolve(PREVIOUS));
      LOG.warn("group {}: metadata snapshot {} is damaged ({}); moved to {}, falling back to the previous snapshot {} "
          + "and the log after it", group, newest, damaged.getMessage(), aside, previous.getFileName());
    }
  }

  /** The {@code snapshot_<index>} directory with the highest index in {@code root}, or null. */
  private static Path newest(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches(SNAPSHOT_PREFIX + "\\d+"))
          .max(Comparator.comparingLong(SnapshotFiles::indexOf)).orElse(null);
    }
  }

  private static long indexOf(Path snapshotDir) {
    return Long.parseLong(snapshotDir.getFileName().toString().substring(SNAPSHOT_PREFIX.length()));
  }

  private static long installedIndex(Path segments) throws IOException {
    Path marker = segments.resolve(INSTALLED);
    if (!Files.exists(marker)) {
      return -1;
    }
    try {
      return Long.parseLong(Files.readString(marker, StandardCharsets.US_ASCII).trim());
    } catch (NumberFormatException e) {
      throw new IOException("unreadable " + marker, e);
    }
  }

  /** Copies the snapshot's segment bytes below {@code end} into a fresh segment directory, verified, and swaps it in. */
  private static void install(Path snapshotDir, Path segments, long end, long index) throws IOException {
    Path staging = segments.resolveSibling(segments.getFileName() + ".installing");
    deleteTree(staging);
    DurableFiles.createDirectories(staging);
    List<Path> files;
    try (Stream<Path> s = Files.list(snapshotDir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".seg"))
          .sorted(Comparator.comparingLong(SegmentStore::baseOf)).toList();
    }
    long next = files.isEmpty() ? end : SegmentStore.baseOf(files.get(0));
    for (Path f : files) {
      long base = SegmentStore.baseOf(f);
      if (base >= end) {
        break;
      }
      long len = Math.min(Files.size(f), end - base);
      if (base != next) {
        throw new IOException("snapshot " + snapshotDir + ": segment " + f.getFileName() + " starts at " + base
            + ", expected " + next);
      }
      Path copy = staging.resolve(f.getFileName());
      // SOFAJRaft moved the file densely (a compacted segment's holes as zeros); written sparse
      // here, the holes stay holes in the replica's own segments
      try (InputStream in = Files.newInputStream(f);
          java.io.RandomAccessFile raf = new java.io.RandomAccessFile(copy.toFile(), "rw")) {
        raf.setLength(len);
        io.tributary.storage.SparseCopy.copy(in, raf.getChannel(), len);
        raf.getChannel().force(true);
      } catch (java.io.EOFException e) {
        throw new IOException("snapshot segment " + f + " ends before " + (base + len), e);
      }
      SegmentStore.verifyFile(copy, base, len); // a damaged record throws: nothing is swapped in
      next = base + len;
    }
    if (next != end) {
      throw new IOException("snapshot " + snapshotDir + ": segments end at " + next + " but its metadata refers to " + end);
    }
    DurableFiles.writeAtomically(staging.resolve(INSTALLED), Long.toString(index).getBytes(StandardCharsets.US_ASCII));
    deleteTree(segments);
    Files.move(staging, segments);
    DurableFiles.fsyncDirectory(segments.toAbsolutePath().getParent());
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
