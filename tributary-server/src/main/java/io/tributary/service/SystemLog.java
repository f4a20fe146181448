package io.tributary.service;

import io.tributary.common.StreamKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * A replicated log of JSON events for node-level state that is not a user's stream (push
 * subscriptions): one stream in {@link #BUCKET}, a bucket name no route can address (bucket names
 * start with a letter or digit), so clients can neither read nor write it, and no listing shows
 * it. It rides the stream machinery: appends go through the stream's group like any append
 * (majority on disk before they complete), every node holds a replica, and snapshots carry it.
 * Folding the log in order gives every node the same state. Thread-safe: completes on engine or
 * read-pool threads.
 */
public final class SystemLog {
  /** The bucket of system streams: not a valid bucket name on any route. */
  public static final String BUCKET = "__system";
  private static final String CONTENT_TYPE = "application/json";
  private final StreamService service;
  private final StreamKey key;
  private volatile boolean created;

  public SystemLog(StreamService service, String name) {
    this.service = service;
    this.key = new StreamKey(BUCKET, name);
  }

  /** Appends one JSON object; completes when a majority has it (or fails as an append does). */
  public CompletableFuture<Void> append(byte[] jsonObject) {
    if (!created) {
      CreateRequest c = new CreateRequest(key, CONTENT_TYPE, -1, null, -1, false, new byte[0], null, -1);
      return service.createResolved(c, CONTENT_TYPE, -1, null, -1, null).thenCompose(r -> {
        if (r.status() != WriteResult.Status.CREATED && r.status() != WriteResult.Status.EXISTS) {
          return CompletableFuture.failedFuture(new IllegalStateException("system log " + key.stream()
              + " could not be created: " + r.status() + " " + r.reason()));
        }
        created = true;
        return append(jsonObject);
      });
    }
    AppendRequest a = new AppendRequest(key, CONTENT_TYPE, jsonObject, false, null, null, 0, 0, -1, -1);
    return service.append(a).thenCompose(r -> r.status() == WriteResult.Status.APPENDED
        ? CompletableFuture.<Void>completedFuture(null)
        : CompletableFuture.failedFuture(new IllegalStateException("system log append refused: " + r.status() + " "
            + r.reason())));
  }

  /**
   * Events from byte {@code start} (the requested offset, or the retention floor when that lies
   * beyond it: the prefix before it was dropped, see {@link #retain}) up to {@code next}.
   */
  public record Page(List<byte[]> events, long start, long next) {}

  /** Reads up to {@code maxBytes} of whole events from {@code from} (0 = start) on the local replica. */
  public CompletableFuture<Page> read(long from, long maxBytes) {
    StreamReads.Lookup l = service.reads().lookup(key);
    if (l.status() != ReadResult.Status.OK) {
      return CompletableFuture.completedFuture(new Page(List.of(), from, from));
    }
    long start = Math.max(from, l.view().retainedFrom());
    if (l.view().tail() <= start) {
      return CompletableFuture.completedFuture(new Page(List.of(), start, start));
    }
    return service.reads().read(l.view(), start, maxBytes).thenApply(r -> {
      if (r.status() != ReadResult.Status.OK) {
        throw new IllegalStateException("system log " + key.stream() + " unreadable at " + start + ": " + r.reason());
      }
      List<byte[]> out = new ArrayList<>();
      int begin = 0;
      byte[] d = r.data();
      for (int i = 0; i < d.length; i++) {
        if (d[i] == '\n') {
          byte[] e = new byte[i - begin];
          System.arraycopy(d, begin, e, 0, e.length);
          out.add(e);
          begin = i + 1;
        }
      }
      return new Page(out, r.from(), r.from() + begin);
    });
  }

  /** A checkpoint of the folded state: the application snapshot at {@code offset} and its bytes. */
  public record Checkpoint(long offset, byte[] bytes) {}

  /**
   * Publishes {@code state} as the log's application snapshot at byte {@code offset}: what folding
   * every event before it gives. Then {@link #retain} may drop those events.
   */
  public CompletableFuture<Void> checkpoint(long offset, byte[] state) {
    return service.history().publishSnapshot(key, offset, CONTENT_TYPE, state, null, -1).thenAccept(r -> {
      if (r.status() != WriteResult.Status.SNAPSHOT_PUBLISHED) {
        throw new IllegalStateException("system log checkpoint at " + offset + " refused: " + r.status() + " "
            + r.reason());
      }
    });
  }

  /** The latest checkpoint, or null when there is none. */
  public CompletableFuture<Checkpoint> latestCheckpoint() {
    return service.history().snapshot(key, -1, true).thenApply(r -> r.status() != ReadResult.Status.OK ? null
        : new Checkpoint(r.snapshot().offset(), r.bytes()));
  }

  /** Where the log begins on this replica: the retention floor (0 until a prefix was dropped). */
  public long floor() {
    StreamReads.Lookup l = service.reads().lookup(key);
    return l.status() == ReadResult.Status.OK ? l.view().retainedFrom() : 0;
  }

  /** Drops the log before byte {@code offset}, where its latest checkpoint stands. */
  public CompletableFuture<Void> retain(long offset) {
    return service.history().retain(key, offset, -1).thenAccept(r -> {
      if (r.status() != WriteResult.Status.RETENTION_SET) {
        throw new IllegalStateException("system log retention at " + offset + " refused: " + r.status() + " "
            + r.reason());
      }
    });
  }

  /** Completes when this replica reflects every write acknowledged anywhere before the call. */
  public CompletableFuture<Void> barrier() {
    return service.readBarrier(key);
  }

  /** Completes when every group's replica here reflects what was acknowledged before the call. */
  public CompletableFuture<Void> barrierAll() {
    int n = service.host().groupCount();
    CompletableFuture<?>[] all = new CompletableFuture<?>[n];
    for (int g = 0; g < n; g++) {
      all[g] = service.host().readBarrier(g);
    }
    return CompletableFuture.allOf(all);
  }

  /** True while this node leads the log's group: the one node that acts on the state (deliveries, timers). */
  public boolean leads() {
    return service.host().leads(key.groupIndex(service.host().groupCount()));
  }

  /** Whether {@code k} is this log's stream (its changes mean new events to fold). */
  public boolean is(StreamKey k) {
    return key.equals(k);
  }

  /**
   * Registers {@code changed} for every stream change applied on this node, with the stream's key
   * when it still exists (null after a delete). Runs on apply threads: the listener must only enqueue.
   */
  public void onEveryChange(java.util.function.Consumer<StreamKey> changed) {
    int n = service.host().groupCount();
    for (int g = 0; g < n; g++) {
      io.tributary.state.Replica r = service.host().replica(g);
      LongConsumer feed = id -> {
        io.tributary.state.StreamView v = r.viewById(id);
        changed.accept(v == null ? null : v.key());
      };
      r.watches().onEveryChange(feed);
    }
  }
}
