package io.tributary.group.jraft;

import io.tributary.common.DurableFiles;
import io.tributary.state.ReplicaCore;
import io.tributary.storage.SegmentStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * <p>Threads: the group's FSM caller only (through {@link JRaftStateMachine}).
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

  /** Writes the replica's snapshot into {@code dir} (SOFAJRaft's writer directory), listing each file with {@code addFile}. */
  void save(ReplicaCore core, Path dir, Predicate<String> addFile) throws IOException {
    long end = core.writeSnapshot(dir.resolve(META));
    DurableFiles.writeAtomically(dir.resolve(ORIGIN), nodeId.getBytes(StandardCharsets.UTF_8));
    List<String> names = new ArrayList<>(List.of(META, ORIGIN));
    for (SegmentStore.FileRange r : core.state().store().ranges(end)) {
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
    core.load(meta, term + "_" + index, index, 0);
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
      try (InputStream in = Files.newInputStream(f);
          FileChannel ch = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out = Channels.newOutputStream(ch)) {
        long left = len;
        byte[] buf = new byte[1 << 16];
        while (left > 0) {
          int r = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (r < 0) {
            throw new IOException("snapshot segment " + f + " ends " + left + " bytes before " + (base + len));
          }
          out.write(buf, 0, r);
          left -= r;
        }
        out.flush();
        ch.force(true);
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
