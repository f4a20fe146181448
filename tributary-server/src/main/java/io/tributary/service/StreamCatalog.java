package io.tributary.service;

import io.tributary.common.StreamKey;
import io.tributary.state.StreamView;
import java.util.ArrayList;
import java.util.List;

/**
 * Read-only inspection of buckets and streams for the admin API and the web console
 * (docs/console.md): listings by name prefix with paging, and what this replica knows about one
 * stream. Looks at this node's replicas only and never renews a stream's sliding TTL: watching a
 * stream from the console is not a read by a client. Thread-safe; no mutable state of its own
 * (answers come from the replicas' immutable views).
 */
public final class StreamCatalog {
  /** Pages of a bucket scanned for one prefix listing before it answers with what it found and a cursor. */
  public static final int SCAN_PAGES_MAX = 16;

  private final StreamService service;

  public StreamCatalog(StreamService service) {
    this.service = service;
  }

  /** One page of a listing: the streams, and the cursor of the next page (null at the end). */
  public record Page(List<Buckets.Entry> streams, String next) {}

  /**
   * What this replica knows about one stream. {@code status} other than OK: the rest is null or
   * zero. {@code storedRecords} counts the storage records behind the stream's own bytes (a large
   * message spans several), or is -1 when some are no longer on this node's disk (tiered to the
   * object store) or belong to a fork's source. {@code lastAccessMillis} is the last access committed
   * to the group (reads on a node renew a sliding TTL there first and commit it later); -1 if none.
   */
  public record Detail(ReadResult.Status status, StreamInfo info, int group, long ownStart, long storedRecords,
      StreamKey forkSource, long forkPoint, long lastAccessMillis, long expiresAtMillis) {}

  public List<String> buckets() {
    return service.buckets().names();
  }

  public boolean bucketExists(String bucket) {
    return service.buckets().exists(bucket);
  }

  /**
   * Up to {@code limit} live streams of {@code bucket} whose names start with {@code prefix} ("" =
   * all), after {@code after} (exclusive; null = from the start). Names are sorted, so the matches
   * are one run: the scan starts just before the prefix and stops at the first name past it, or
   * after {@link #SCAN_PAGES_MAX} pages, when the cursor says where to go on.
   */
  public Page list(String bucket, String prefix, String after, int limit) {
    String cursor = after;
    String before = justBefore(prefix);
    if (before != null && (cursor == null || cursor.compareTo(before) < 0)) {
      cursor = before;
    }
    List<Buckets.Entry> shown = new ArrayList<>();
    for (int pages = 0; pages < SCAN_PAGES_MAX; pages++) {
      int want = limit + 1; // one more than a page tells whether more exist
      List<Buckets.Entry> page = service.buckets().list(bucket, cursor, want);
      for (Buckets.Entry e : page) {
        if (e.name().startsWith(prefix)) {
          if (shown.size() == limit) {
            return new Page(shown, shown.get(limit - 1).name());
          }
          shown.add(e);
        } else if (e.name().compareTo(prefix) > 0) {
          return new Page(shown, null); // past the run of matching names
        }
        cursor = e.name();
      }
      if (page.size() < want) {
        return new Page(shown, null);
      }
    }
    return new Page(shown, cursor);
  }

  /**
   * A name that sorts before every name starting with {@code prefix} and after as few others as
   * possible (the prefix with its last character lowered, then the highest character), or null
   * for the empty prefix. Names between it and the prefix are skipped by the caller's filter.
   */
  static String justBefore(String prefix) {
    if (prefix.isEmpty()) {
      return null;
    }
    char last = prefix.charAt(prefix.length() - 1);
    String head = prefix.substring(0, prefix.length() - 1);
    return last == 0 ? head : head + (char) (last - 1) + Character.MAX_VALUE;
  }

  /** What this replica knows about {@code key}, without renewing its TTL. */
  public Detail describe(StreamKey key) {
    StreamReads.Lookup l = service.reads().lookup(key);
    if (l.status() != ReadResult.Status.OK) {
      return new Detail(l.status(), null, -1, 0, -1, null, -1, -1, -1);
    }
    StreamView v = l.view();
    long records = -1;
    if (v.fork() == null || v.fork().forkPoint() == 0) {
      if (v.index().count() == 0) {
        records = v.tail() == v.ownStart() ? 0 : -1;
      } else if (v.index().start() == v.ownStart()) {
        records = v.index().count();
      }
    }
    StreamView.Fork f = v.fork();
    return new Detail(ReadResult.Status.OK, l.info(), v.group(), v.ownStart(), records,
        f == null ? null : f.sourceKey(), f == null ? -1 : f.forkPoint(),
        v.lastAccessMillis() > 0 ? v.lastAccessMillis() : -1, v.expiresAtMillis());
  }
}
