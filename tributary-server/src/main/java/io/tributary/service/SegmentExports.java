package io.tributary.service;

import io.tributary.common.UnavailableException;
import io.tributary.group.Replication;
import io.tributary.state.GroupState;
import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentGoneException;
import io.tributary.storage.SegmentStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * This replica's segment bytes of a global range, for a peer repairing a damaged record there
 * ({@code GET /internal/segment/{group}?from=&to=}, see group/SegmentRepair). Every record in the
 * range is verified first, on this class's own thread (O(bytes), never an event loop); the bytes
 * are then sent as file regions. Positions are identical on every replica, so the peer writes
 * what it gets where it asked. A range this replica does not hold (dropped after tiering, or past
 * its published end while it catches up) is answered as such, so the peer asks another replica;
 * a damaged record here refuses the export with a 500 naming it: damaged bytes are never sent to
 * repair others. Thread-safe.
 */
public final class SegmentExports {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SegmentExports.class);
  /** Exports waiting to be verified: each node repairs one range at a time, so a few per peer. */
  private static final int QUEUED_MAX = 64;

  private final Replication host;
  private final long rangeBytesMax;
  private final ThreadPoolExecutor verifier = VerifierThreads.single("tributary-segment-export", QUEUED_MAX);

  /** @param rangeBytesMax the largest range served (a repair asks for at most one segment's bytes) */
  public SegmentExports(Replication host, long rangeBytesMax) {
    this.host = host;
    this.rangeBytesMax = rangeBytesMax;
  }

  /** What an export request comes to. */
  public sealed interface Outcome {}

  /** Verified bytes, in order: each part is {@code length} bytes of {@code file} from {@code offset}. */
  public record Verified(List<Part> parts, long totalBytes) implements Outcome {}

  /** This replica does not hold the range (404): it was dropped after tiering, or the group is not loaded. */
  public record NotHeld(String reason) implements Outcome {}

  /** The range reaches past what this replica has applied (409): it may hold it later. */
  public record Beyond(String reason) implements Outcome {}

  public record Part(Path file, long offset, long length) {}

  /** The verified bytes of group {@code g}'s range {@code [from, to)}. */
  public CompletableFuture<Outcome> export(int g, long from, long to) {
    if (g < 0 || g >= host.groupCount()) {
      return CompletableFuture.failedFuture(new BadRequestException("no group " + g));
    }
    if (from < 0 || to <= from || to - from > rangeBytesMax) {
      return CompletableFuture.failedFuture(new BadRequestException("range [" + from + ", " + to
          + ") is empty or longer than " + rangeBytesMax + " bytes"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> prepare(g, from, to), verifier);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new UnavailableException(QUEUED_MAX + " segment exports queued", 1));
    }
  }

  private Outcome prepare(int g, long from, long to) {
    GroupState state = host.replica(g).state();
    if (state == null) {
      return new NotHeld("group " + g + " is not loaded on this node");
    }
    SegmentStore store = state.store();
    if (to > store.publishedEnd()) {
      return new Beyond("group " + g + ": [" + from + ", " + to + ") reaches past this replica's end "
          + store.publishedEnd());
    }
    try {
      List<Part> parts = store.verifiedParts(from, to).stream()
          .map(p -> new Part(p.file(), p.offset(), p.length())).toList();
      return new Verified(parts, to - from);
    } catch (SegmentGoneException e) {
      return new NotHeld("group " + g + ": " + e.getMessage());
    } catch (CorruptRecordException e) {
      // not reported for repair here: a peer's range start is a record boundary only if the peer
      // is right; this replica's own reads and scrub find and report its real damage
      String reason = "group " + g + ": [" + from + ", " + to + ") not sent, this replica's copy holds a damaged "
          + "record (segment " + e.segment().getFileName() + ", position " + e.position() + ": " + e.problem() + ")";
      LOG.error("{}", reason);
      throw new DamagedRangeException(reason, false);
    }
  }
}
