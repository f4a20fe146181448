package io.tributary.service;

import io.tributary.cold.ObjectLayout;
import io.tributary.cold.ObjectStore;
import io.tributary.cold.ObjectStoreUnavailableException;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.TributaryConfig;
import io.tributary.group.UploadClaims;
import io.tributary.state.AppSnapshot;
import io.tributary.state.Command;
import io.tributary.state.Outcome;
import io.tributary.state.StreamView;
import io.tributary.storage.SegmentStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Application snapshots, the retention floor and bootstrap (docs/http-api.md, "Snapshots,
 * retention and bootstrap"). Writes first confirm this replica is current (read barrier), check
 * what needs the stream's bytes (message boundaries, the digest) on the read pool, then submit one
 * command that apply re-checks against the stream's state. Reads use one published view
 * throughout, so a bootstrap is consistent even while appends, snapshots and retention run.
 * Blobs above {@code snapshot-inline-bytes-max} are uploaded to the object store first (when
 * every replica can read it) and only their key goes through Raft; the upload holds an
 * {@link UploadClaims} claim on the stream until the publish is answered, and the publish carries a
 * deadline, so the orphan sweep never deletes a blob being published.
 * Thread-safe; no mutable state.
 */
public final class StreamHistory {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StreamHistory.class);
  private final StreamService service;
  private final StreamReads reads;
  private final TributaryConfig config;
  private final ObjectStore blobStore;
  private final UploadClaims claims;

  StreamHistory(StreamService service, StreamReads reads, TributaryConfig config, ObjectStore blobStore,
      UploadClaims claims) {
    this.service = service;
    this.reads = reads;
    this.config = config;
    this.blobStore = blobStore;
    this.claims = claims;
  }

  /** An application snapshot and its bytes, with the stream state it was read from. */
  public record SnapshotRead(ReadResult.Status status, StreamInfo info, SnapshotInfo snapshot, byte[] bytes,
      long retainedFrom) {}

  /**
   * A bootstrap: the latest snapshot (or none), then the retained messages after it up to
   * {@code next} (each {@code messages} element one message), {@code upToDate} when {@code next}
   * is the tail.
   */
  public record Bootstrap(ReadResult.Status status, StreamInfo info, SnapshotInfo snapshot, byte[] snapshotBytes,
      List<byte[]> messages, long next, boolean upToDate, long retainedFrom) {

    public boolean closedAtEnd() {
      return info != null && info.closed() && upToDate;
    }
  }

  // ---------------------------------------------------------------- writes

  /** {@code incarnation}: -1, or the only incarnation to publish for ({@code Stream-Incarnation}). */
  public CompletableFuture<WriteResult> publishSnapshot(StreamKey key, long offset, String contentType, byte[] blob,
      String match, long incarnation) {
    return current(key, incarnation).thenCompose(v -> {
      if (v.status() != null) {
        return done(v.status());
      }
      StreamView view = v.view();
      WriteResult early = offsetProblem(view, offset, "snapshot");
      if (early != null) {
        return done(early);
      }
      boolean external = blobStore != null && blob.length > config.snapshotInlineBytesMax();
      // the read pool also does the upload: bounded, off the event loop, and a snapshot is rare
      return reads.pool().submit(() -> {
        if (!reads.isBoundary(view, offset)) {
          return null;
        }
        String digest = digest(blob);
        String objectKey = external ? ObjectLayout.snapshotKey(view.group(), view.streamId(), offset,
            digest.substring(digest.indexOf(':') + 1)) : null;
        long publishByMillis = objectKey == null ? Long.MAX_VALUE : upload(view, objectKey, blob);
        return new Command.PublishSnapshot(key, view.streamId(), offset, contentType, objectKey == null ? blob
            : new byte[0], digest, match, objectKey, publishByMillis);
      }).thenCompose(c -> c == null ? done(notBoundary(offset))
          : service.submit(key, StreamService.guarded(c, incarnation), c.data().length).whenComplete((o, t) -> {
            if (c.objectKey() != null) {
              claims.releaseUpload(view.group(), view.streamId());
            }
          }).thenApply(o -> {
            if (o.code() == Outcome.Code.UPLOAD_EXPIRED) {
              // the blob is left to the orphan sweep: another publish may be uploading the same key
              throw new UnavailableException(o.message(), 1);
            }
            WriteResult r = StreamService.toResult(o, null);
            cleanUp(c, view.snapshot(), r);
            return r;
          }));
    });
  }

  /**
   * Read pool: puts the blob under {@code objectKey} holding an upload claim on the stream (released
   * once the publish is answered); returns the publish deadline.
   */
  private long upload(StreamView view, String objectKey, byte[] blob) {
    if (!claims.claimUpload(view.group(), view.streamId())) {
      throw new UnavailableException("the orphan sweep is deleting leftover objects of this stream; retry", 1);
    }
    try {
      long publishByMillis = service.clock().nowMillis() + config.tiering().publishWindowMillis();
      blobStore.put(objectKey, blob);
      return publishByMillis;
    } catch (ObjectStoreUnavailableException e) {
      claims.releaseUpload(view.group(), view.streamId());
      throw new UnavailableException("object store unavailable for the snapshot blob: " + e.getMessage(), 5);
    } catch (RuntimeException e) {
      claims.releaseUpload(view.group(), view.streamId());
      throw e;
    }
  }

  /**
   * After a publish: the object of the snapshot it replaced is garbage; an uploaded object that
   * did not become the current snapshot is too. Best effort (a crash here leaves an orphan under
   * {@code snapshots/}, never a dangling reference). Runs on the completing thread; deletes go to
   * the read pool.
   */
  private void cleanUp(Command.PublishSnapshot c, AppSnapshot before, WriteResult r) {
    String drop;
    boolean current = r.snapshotOffset() == c.offset() && c.digest().equals(r.digest());
    if (r.status() == WriteResult.Status.SNAPSHOT_PUBLISHED && current) {
      drop = before != null && before.objectKey() != null && !before.objectKey().equals(c.objectKey())
          ? before.objectKey() : null;
    } else {
      drop = c.objectKey() != null && !current ? c.objectKey() : null;
    }
    if (drop != null) {
      deleteObject(drop);
    }
  }

  /** A deleted stream's snapshot object is garbage (best effort, like {@link #cleanUp}). */
  void dropSnapshotObject(AppSnapshot snap) {
    if (snap != null && snap.objectKey() != null && blobStore != null) {
      deleteObject(snap.objectKey());
    }
  }

  private void deleteObject(String key) {
    reads.pool().submit(() -> {
      try {
        blobStore.delete(key);
      } catch (RuntimeException e) {
        LOG.warn("could not delete garbage snapshot object {}: {}", key, e.toString());
      }
      return null;
    });
  }

  /** {@code incarnation}: -1, or the only incarnation whose floor may move ({@code Stream-Incarnation}). */
  public CompletableFuture<WriteResult> retain(StreamKey key, long offset, long incarnation) {
    return current(key, incarnation).thenCompose(v -> {
      if (v.status() != null) {
        return done(v.status());
      }
      StreamView view = v.view();
      if (offset < view.retainedFrom()) {
        return done(withState(WriteResult.Status.CONFLICT, view, "the retention floor never moves backwards"));
      }
      WriteResult early = offsetProblem(view, offset, "retention");
      if (early != null) {
        return done(early);
      }
      return reads.pool().submit(() -> reads.isBoundary(view, offset)).thenCompose(ok -> !ok ? done(notBoundary(offset))
          : service.submit(key, StreamService.guarded(new Command.SetRetention(key, view.streamId(), offset),
              incarnation), 0)
              .thenApply(o -> StreamService.toResult(o, null)));
    });
  }

  /** Replaces the stream's attributes with a JSON object (validated and compacted here). */
  public CompletableFuture<WriteResult> setAttrs(StreamKey key, byte[] json) {
    if (json.length > config.attrsBytesMax()) {
      throw new PayloadTooLargeException("attributes are larger than attrs-bytes-max (" + config.attrsBytesMax()
          + " bytes)");
    }
    String compact = JsonMessages.compactObject(json);
    return service.submit(key, new Command.SetAttrs(key, compact), compact.length())
        .thenApply(o -> StreamService.toResult(o, null));
  }

  // ---------------------------------------------------------------- reads

  /** The latest snapshot ({@code offset} -1) or the one at {@code offset}; NOT_FOUND when there is none such. */
  public CompletableFuture<SnapshotRead> snapshot(StreamKey key, long offset, boolean withBytes) {
    return service.readBarrier(key).thenCompose(x -> {
      StreamReads.Lookup l = reads.lookupForRead(key);
      if (l.status() != ReadResult.Status.OK) {
        return CompletableFuture.completedFuture(new SnapshotRead(l.status(), null, null, null, -1));
      }
      StreamView v = l.view();
      AppSnapshot snap = v.snapshot();
      if (snap == null || (offset >= 0 && snap.offset() != offset)) {
        return CompletableFuture.completedFuture(new SnapshotRead(ReadResult.Status.NOT_FOUND, l.info(), SnapshotInfo.of(snap), null,
            v.retainedFrom()));
      }
      if (!withBytes) {
        return CompletableFuture.completedFuture(new SnapshotRead(ReadResult.Status.OK, l.info(), SnapshotInfo.of(snap), null,
            v.retainedFrom()));
      }
      return reads.pool().submit(() -> new SnapshotRead(ReadResult.Status.OK, l.info(), SnapshotInfo.of(snap), reads.blob(v, snap),
          v.retainedFrom()));
    });
  }

  public CompletableFuture<Bootstrap> bootstrap(StreamKey key) {
    return service.readBarrier(key).thenCompose(x -> {
      StreamReads.Lookup l = reads.lookupForRead(key);
      if (l.status() != ReadResult.Status.OK) {
        return CompletableFuture.completedFuture(new Bootstrap(l.status(), null, null, null, List.of(), -1, false, -1));
      }
      StreamView v = l.view();
      return reads.pool().submit(() -> bootstrapFrom(l.info(), v));
    });
  }

  /** Read pool. Everything comes from {@code v}: one consistent picture of the stream. */
  private Bootstrap bootstrapFrom(StreamInfo info, StreamView v) {
    AppSnapshot snap = v.snapshot();
    byte[] snapBytes = snap == null ? new byte[0] : reads.blob(v, snap);
    long from = snap == null ? v.retainedFrom() : snap.offset();
    long limit = Math.min(v.tail(), from + config.bootstrapBytesMax());
    List<byte[]> messages = new ArrayList<>();
    long next = from;
    if (limit > from) {
      byte[] data = reads.range(v, from, limit);
      if (v.json()) {
        int start = 0;
        for (int i = 0; i < data.length; i++) {
          if (data[i] == '\n') {
            messages.add(java.util.Arrays.copyOfRange(data, start, i));
            start = i + 1;
          }
        }
        next = from + start;
        if (messages.isEmpty() && limit < v.tail()) {
          // one message larger than the bound: return it whole (it fit in one request body)
          return bootstrapWhole(info, v, snap, snapBytes, from);
        }
      } else {
        long prev = from;
        for (long b : reads.recordStarts(v, from, limit)) {
          messages.add(java.util.Arrays.copyOfRange(data, (int) (prev - from), (int) (b - from)));
          prev = b;
        }
        if (limit == v.tail() || reads.isBoundary(v, limit)) {
          messages.add(java.util.Arrays.copyOfRange(data, (int) (prev - from), (int) (limit - from)));
          prev = limit;
        }
        next = prev;
        if (messages.isEmpty()) {
          return bootstrapWhole(info, v, snap, snapBytes, from);
        }
      }
    }
    return new Bootstrap(ReadResult.Status.OK, info, SnapshotInfo.of(snap), snapBytes, messages, next, next == v.tail(),
        v.retainedFrom());
  }

  /**
   * The first message after {@code from} alone, when it is larger than bootstrap-bytes-max. Reads
   * only as far as that message: a byte stream's records are at most one record size, and a JSON
   * message is found by reading windows that double until its newline shows up.
   */
  private Bootstrap bootstrapWhole(StreamInfo info, StreamView v, AppSnapshot snap, byte[] snapBytes, long from) {
    long end;
    if (v.json()) {
      long window = 2 * config.bootstrapBytesMax();
      while (true) {
        long to = Math.min(v.tail(), from + window);
        byte[] head = reads.range(v, from, to);
        int nl = 0;
        while (nl < head.length && head[nl] != '\n') {
          nl++;
        }
        if (nl < head.length) {
          return new Bootstrap(ReadResult.Status.OK, info, SnapshotInfo.of(snap), snapBytes,
              List.of(java.util.Arrays.copyOf(head, nl)), from + nl + 1, from + nl + 1 == v.tail(), v.retainedFrom());
        }
        window *= 2; // stored JSON always ends in a newline, so the tail is reached at the latest
      }
    }
    List<Long> starts = reads.recordStarts(v, from, Math.min(v.tail(), from + SegmentStore.RECORD_PAYLOAD_MAX + 1));
    end = starts.isEmpty() ? v.tail() : starts.get(0);
    return new Bootstrap(ReadResult.Status.OK, info, SnapshotInfo.of(snap), snapBytes, List.of(reads.range(v, from, end)),
        end, end == v.tail(), v.retainedFrom());
  }

  // ---------------------------------------------------------------- helpers

  /** A confirmed-current view of the stream, or the write result that ends the request. */
  private record Current(StreamView view, WriteResult status) {}

  /** The stream's current view, or the write's answer when there is none, or not {@code incarnation} (-1: any). */
  private CompletableFuture<Current> current(StreamKey key, long incarnation) {
    return service.readBarrier(key).thenApply(x -> {
      StreamReads.Lookup l = reads.lookup(key);
      return switch (l.status()) {
        case OK -> incarnation < 0 || l.view().streamId() == incarnation ? new Current(l.view(), null)
            : new Current(null, withState(WriteResult.Status.PRECONDITION_FAILED, l.view(), "Stream-Incarnation: the "
                + "stream was deleted and re-created (it is incarnation " + l.view().streamId() + ", not " + incarnation
                + ")"));
        case GONE -> new Current(null, WriteResult.of(WriteResult.Status.GONE, "stream was deleted"));
        default -> new Current(null, WriteResult.of(WriteResult.Status.NOT_FOUND, "stream not found"));
      };
    });
  }

  /** Checks that need only the view: below the floor (410) or past the tail (409). */
  private static WriteResult offsetProblem(StreamView v, long offset, String what) {
    if (offset < v.retainedFrom()) {
      return withState(WriteResult.Status.BELOW_RETENTION, v, what + " offset is below the retention floor");
    }
    if (offset > v.tail()) {
      return withState(WriteResult.Status.CONFLICT, v, what + " offset is past the stream's tail");
    }
    return null;
  }

  /** A rejection carrying the stream's tail, snapshot and retention floor (for the response headers). */
  private static WriteResult withState(WriteResult.Status status, StreamView v, String reason) {
    AppSnapshot snap = v.snapshot();
    return new WriteResult(status, v.tail(), v.closed(), null, -1, -1, -1, -1, reason, -1,
        snap == null ? -1 : snap.offset(), snap == null ? null : snap.digest(), v.retainedFrom(), null, v.streamId());
  }

  private static WriteResult notBoundary(long offset) {
    return WriteResult.of(WriteResult.Status.BAD_REQUEST, "offset " + offset + " is not a message boundary");
  }

  private static CompletableFuture<WriteResult> done(WriteResult r) {
    return CompletableFuture.completedFuture(r);
  }

  /** {@code sha256:} and the lowercase hex SHA-256 of the bytes. */
  static String digest(byte[] blob) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
