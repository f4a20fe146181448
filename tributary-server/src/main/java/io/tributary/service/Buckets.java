package io.tributary.service;

import io.tributary.common.StreamKey;
import io.tributary.group.Replication;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import io.tributary.state.Outcome;
import io.tributary.state.StreamView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets: named stream namespaces. The registry is replicated in group 0; {@code default} always
 * exists. Listing merges every group's key-ordered table. Deleting requires the bucket to be empty
 * on this replica at submission time (a stream created concurrently in another group can outlive
 * its bucket; it stays addressable and is listed under its bucket name). Thread-safe.
 */
public final class Buckets {
  static final int REGISTRY_GROUP = Replication.REGISTRY_GROUP;

  private final StreamService service;
  private final Replication host;

  Buckets(StreamService service, Replication host) {
    this.service = service;
    this.host = host;
  }

  /** Bucket operation results. */
  public enum Result { CREATED, EXISTS, DELETED, NOT_FOUND, NOT_EMPTY, LIMIT_REACHED }

  /** One stream in a listing. */
  public record Entry(String name, String contentType, long tail, boolean closed) {}

  public boolean exists(String bucket) {
    return bucket.equals(StreamKey.DEFAULT_BUCKET) || registry().buckets().containsKey(bucket);
  }

  public List<String> names() {
    List<String> out = new ArrayList<>();
    out.add(StreamKey.DEFAULT_BUCKET);
    for (String b : registry().buckets().keySet()) {
      if (!b.equals(StreamKey.DEFAULT_BUCKET)) {
        out.add(b);
      }
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  public CompletableFuture<Result> create(String bucket) {
    if (bucket.equals(StreamKey.DEFAULT_BUCKET)) {
      return CompletableFuture.completedFuture(Result.EXISTS);
    }
    return service.submitToGroup(REGISTRY_GROUP, new Command.CreateBucket(new StreamKey(bucket, "")), 0)
        .thenApply(o -> switch (o.code()) {
          case BUCKET_CREATED -> Result.CREATED;
          case LIMIT_REACHED -> Result.LIMIT_REACHED;
          default -> Result.EXISTS;
        });
  }

  public CompletableFuture<Result> delete(String bucket) {
    if (!exists(bucket)) {
      return CompletableFuture.completedFuture(Result.NOT_FOUND);
    }
    if (!list(bucket, null, 1).isEmpty() || bucket.equals(StreamKey.DEFAULT_BUCKET)) {
      return CompletableFuture.completedFuture(Result.NOT_EMPTY);
    }
    return service.submitToGroup(REGISTRY_GROUP, new Command.DeleteBucket(new StreamKey(bucket, "")), 0)
        .thenApply(o -> o.code() == Outcome.Code.BUCKET_DELETED ? Result.DELETED : Result.NOT_FOUND);
  }

  /** Up to {@code limit} live streams of a bucket in name order, after {@code after} (exclusive). */
  public List<Entry> list(String bucket, String after, int limit) {
    List<StreamView> all = new ArrayList<>();
    long now = service.clock().nowMillis();
    for (int g = 0; g < host.groupCount(); g++) {
      io.tributary.state.GroupState state = host.replica(g).state();
      for (StreamView v : state == null ? java.util.List.<StreamView>of() : state.list(bucket, after, limit)) {
        if (!v.expiredAt(now, Long.MIN_VALUE)) {
          all.add(v);
        }
      }
    }
    all.sort(Comparator.comparing(v -> v.key().stream()));
    List<Entry> out = new ArrayList<>();
    for (StreamView v : all.subList(0, Math.min(limit, all.size()))) {
      out.add(new Entry(v.key().stream(), v.contentType(), v.tail(), v.closed()));
    }
    return out;
  }

  private GroupState registry() {
    return host.replica(REGISTRY_GROUP).state();
  }
}
