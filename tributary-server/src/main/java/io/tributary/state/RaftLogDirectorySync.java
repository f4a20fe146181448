package io.tributary.state;

import io.tributary.common.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Makes the names in a group's Raft log directory durable before Ratis counts an entry as
 * flushed, working around Ratis 3.3.0 fsyncing its log files but never their directory.
 *
 * <p><b>The gap.</b> Ratis creates a log segment ({@code current/log_inprogress_<first>}),
 * renames it when it closes it ({@code log_<first>-<last>}), replaces {@code raft-meta} (term and
 * vote) by a rename, and creates the group's storage directories, without fsyncing a directory.
 * An entry's bytes are fsync'd before it is acknowledged, but the name that leads to them may not
 * be: after a power loss the segment holding acknowledged entries can be missing. On ext4 and XFS
 * a later journal commit usually carries the names along, but nothing guarantees it within the
 * commit interval (a {@code fdatasync} of a preallocated segment commits no metadata).
 * {@code io.tributary.durability.PowerLossTest} loses every acknowledged append of a fresh node
 * at its first power loss without this class.
 *
 * <p><b>The fix.</b> Ratis's log worker calls {@code StateMachine.DataApi.flush(index)} right
 * before it fsyncs the log and waits for it before it counts the entries as flushed, so before
 * any of them is acknowledged or voted on. {@link #syncIfChanged} runs there: it lists the log
 * directory (a handful of entries), and if any name or file changed since its last fsync, fsyncs
 * it. The first call also fsyncs the storage directory (holding {@code current} and {@code sm})
 * and the directory above it (holding the group's storage directory). So a directory fsync costs
 * only after a segment roll, a purge or a term change; a listing per log flush otherwise. Remove
 * this class once Ratis fsyncs its directories (PowerLossTest shows whether it does).
 *
 * <p>Threads: Ratis's log worker thread of the group only.
 */
final class RaftLogDirectorySync {
  private final Path logDir;
  /** Entries of {@link #logDir} at its last fsync (name to file key); null before the first. */
  private Map<String, Object> synced;

  RaftLogDirectorySync(Path logDir) {
    this.logDir = logDir.toAbsolutePath();
  }

  /** Fsyncs the log directory if its entries changed since the last call that did (and its parents on the first call). */
  void syncIfChanged() throws IOException {
    Map<String, Object> now = entries();
    if (now.equals(synced)) {
      return;
    }
    DurableFiles.fsyncDirectory(logDir);
    if (synced == null) {
      Path storageDir = logDir.getParent();
      DurableFiles.fsyncDirectory(storageDir);
      DurableFiles.fsyncDirectory(storageDir.getParent());
    }
    synced = now;
  }

  private Map<String, Object> entries() throws IOException {
    Map<String, Object> out = new HashMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(logDir)) {
      for (Path p : ds) {
        Object key;
        try {
          key = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (java.nio.file.NoSuchFileException gone) {
          continue; // purged or renamed while listed: the next listing sees the change
        }
        out.put(p.getFileName().toString(), Objects.requireNonNullElse(key, p.getFileName().toString()));
      }
    }
    return out;
  }
}
