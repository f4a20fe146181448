package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.common.StreamKey;
import io.tributary.protocol.Offsets;
import io.tributary.service.AppendRequest;
import io.tributary.service.Buckets;
import io.tributary.service.ReadResult;
import io.tributary.service.StreamCatalog;
import io.tributary.service.StreamReads;
import io.tributary.service.StreamService;
import io.tributary.service.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * What subscriptions see of the streams under the stream root (the default bucket): whether one
 * exists, its tail as a protocol offset, which linked streams have data past their acknowledged
 * offset, the stream listing a pattern is matched against, and appends to a pull-wake's wake
 * stream. Reads this node's published views: safe on any thread, current as of the caller's
 * barrier.
 */
final class StreamTails {
  static final String ZERO = Offsets.format(0);
  private final StreamService service;
  private final StreamCatalog catalog;

  StreamTails(StreamService service) {
    this.service = service;
    this.catalog = new StreamCatalog(service);
  }

  private StreamReads.Lookup lookup(String path) {
    return service.reads().lookup(new StreamKey(StreamKey.DEFAULT_BUCKET, path));
  }

  boolean exists(String path) {
    return lookup(path).status() == ReadResult.Status.OK;
  }

  /** The stream's tail offset, or the zero offset when it does not exist. */
  String tailOrZero(String path) {
    StreamReads.Lookup l = lookup(path);
    return l.status() == ReadResult.Status.OK ? Offsets.format(l.view().tail()) : ZERO;
  }

  /** Whether a linked stream that exists has data after its acknowledged offset. */
  private boolean pending(Subscription.Link l, String path) {
    StreamReads.Lookup k = lookup(path);
    return k.status() == ReadResult.Status.OK && Offsets.format(k.view().tail()).compareTo(l.acked) > 0;
  }

  boolean pending(Subscription s) {
    if (s == null) {
      return false;
    }
    for (var e : s.links.entrySet()) {
      if (pending(e.getValue(), e.getKey())) {
        return true;
      }
    }
    return false;
  }

  /** The first linked stream with pending data ("" when none): what a pull-wake event names. */
  String firstPending(Subscription s) {
    for (var e : s.links.entrySet()) {
      if (pending(e.getValue(), e.getKey())) {
        return e.getKey();
      }
    }
    return "";
  }

  /** Every linked stream's tail now: what a wake is issued for (and a webhook's {done:true} acknowledges). */
  ObjectNode snapshot(Subscription s) {
    ObjectNode o = Reply.JSON.objectNode();
    s.links.keySet().forEach(p -> o.put(p, tailOrZero(p)));
    return o;
  }

  /** The linked streams as deliveries and claims describe them. */
  ArrayNode infos(Subscription s) {
    ArrayNode a = Reply.JSON.arrayNode();
    s.links.forEach((path, l) -> {
      String tail = tailOrZero(path);
      a.addObject().put("path", path).put("link_type", l.explicit ? "explicit" : "glob").put("acked_offset", l.acked)
          .put("tail_offset", tail).put("has_pending", pending(l, path));
    });
    return a;
  }

  /** Streams of the stream root a pattern is matched against at creation, at most (about). */
  static final int SCAN_STREAMS_MAX = 1_000_000;
  private static final int PAGE_STREAMS = 1000;

  /**
   * Calls {@code each} with the name and tail of the stream root's streams that start with
   * {@code prefix}, in name order, until it answers false (after scanning about
   * {@link #SCAN_STREAMS_MAX} names at most): the catalog's prefix listing, which starts at the
   * prefix instead of walking the whole bucket.
   */
  void forEachStream(String prefix, java.util.function.BiPredicate<String, String> each) {
    String after = null;
    long scannedPerCall = (long) StreamCatalog.SCAN_PAGES_MAX * (PAGE_STREAMS + 1);
    for (long scanned = 0; scanned < SCAN_STREAMS_MAX; scanned += scannedPerCall) {
      StreamCatalog.Page page = catalog.list(StreamKey.DEFAULT_BUCKET, prefix, after, PAGE_STREAMS);
      for (Buckets.Entry e : page.streams()) {
        if (!SubscriptionRequest.reserved(e.name()) && !each.test(e.name(), Offsets.format(e.tail()))) {
          return;
        }
      }
      if (page.next() == null) {
        return;
      }
      after = page.next();
    }
  }

  /** Completes when this node's replica of the stream's group has what was acknowledged before. */
  CompletableFuture<Void> barrier(String path) {
    return service.readBarrier(new StreamKey(StreamKey.DEFAULT_BUCKET, path));
  }

  /** Appends one JSON message to a stream of the stream root; true when it was appended. */
  CompletableFuture<Boolean> appendJson(String path, ObjectNode message) {
    AppendRequest a = new AppendRequest(new StreamKey(StreamKey.DEFAULT_BUCKET, path), "application/json",
        message.toString().getBytes(StandardCharsets.UTF_8), false, null, null, 0, 0, -1, -1);
    return service.append(a).thenApply(r -> r.status() == WriteResult.Status.APPENDED);
  }
}
