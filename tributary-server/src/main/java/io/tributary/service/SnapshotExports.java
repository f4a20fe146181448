package io.tributary.service;

import io.tributary.group.Replication;
import io.tributary.state.SnapshotTransfer;
import io.tributary.common.UnavailableException;
import io.tributary.storage.CorruptRecordException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A group's latest snapshot as a byte stream description, for peers that must install it.
 * Preparing one verifies every record it will send (O(data), so on this class's own thread, never
 * an event loop); a damaged record refuses the export with a 500 naming it (the peer's download
 * fails and Ratis asks again) and asks for this replica's repair. Thread-safe.
 */
public final class SnapshotExports {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SnapshotExports.class);
  /** Exports waiting to be verified; Ratis runs at most one installation per follower and group. */
  private static final int QUEUED_MAX = 1024;

  private final Replication host;
  private final java.util.concurrent.ThreadPoolExecutor verifier =
      VerifierThreads.single("tributary-snapshot-export", QUEUED_MAX);

  public SnapshotExports(Replication host) {
    this.host = host;
  }

  /** Bytes to send: {@code header}, then each part's prefix followed by a file range. */
  public record Stream(byte[] header, List<Part> parts, long totalBytes) {}

  /** A small prefix, then {@code length} bytes of {@code file} from {@code offset}. */
  public record Part(byte[] prefix, Path file, long offset, long length) {}

  /** The verified stream for group {@code g}, or null when that group has no snapshot yet. */
  public CompletableFuture<Stream> export(int g) {
    if (g < 0 || g >= host.groupCount()) {
      return CompletableFuture.failedFuture(new BadRequestException("no group " + g));
    }
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          return prepare(g);
        } catch (IOException e) {
          throw new UnavailableException("snapshot export failed: " + e.getMessage(), 1);
        } catch (CorruptRecordException e) {
          boolean repairing = host.reportDamage(g, e);
          String reason = "group " + g + ": snapshot not exported, its segments hold a damaged record (segment "
              + e.segment().getFileName() + ", position " + e.position() + ": " + e.problem() + ")"
              + (repairing ? "; being repaired from a peer" : "");
          LOG.error("{}", reason);
          // a 500, not a 503: the follower takes a 503 for "no snapshot yet" and waits for the log
          throw new DamagedRangeException(reason, false);
        }
      }, verifier);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new UnavailableException(QUEUED_MAX + " snapshot exports queued", 1));
    }
  }

  private Stream prepare(int g) throws IOException {
    SnapshotTransfer.Export e = host.replica(g).exportLatestSnapshot();
    if (e == null) {
      return null;
    }
    List<Part> parts = new ArrayList<>();
    for (SnapshotTransfer.Part p : e.parts()) {
      parts.add(new Part(p.prefix(), p.file(), p.offset(), p.length()));
    }
    return new Stream(e.header(), parts, e.totalBytes());
  }
}
