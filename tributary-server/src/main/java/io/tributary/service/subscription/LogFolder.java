package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.common.UnavailableException;
import io.tributary.service.SystemLog;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds the subscription log into the {@link SubscriptionFold}, in log order, from where this node
 * stopped to its replica's end; starts over from the latest checkpoint when the log's prefix was
 * dropped past that point; and appends a change as an event, completing with the outcome the fold
 * gives it. An event the fold cannot apply stops it for good on this node (fail-stop: every node
 * must apply the same events); a read that fails is retried (nothing was applied).
 *
 * <p>Engine thread only ({@code exec}), but for the published gauges.
 */
final class LogFolder {
  private static final Logger LOG = LoggerFactory.getLogger(LogFolder.class);
  /** How long a request waits for its event to come back through the fold. */
  static final long COMMIT_WAIT_MILLIS = 30_000;
  static final long READ_BYTES_MAX = 1 << 20;

  /** Told of what the fold did (engine thread). */
  interface Listener {
    /** {@code e} was applied. */
    void folded(JsonNode e);

    /** The state was replaced by a checkpoint. */
    void restored();

    /** The fold caught up with the local replica (more events may arrive later). */
    void caughtUp();
  }

  private final SystemLog log;
  private final SubscriptionFold fold;
  private final ScheduledExecutorService exec;
  private final Listener listener;
  private long offset;
  private final Map<String, CompletableFuture<Reply>> waiters = new HashMap<>();
  private Throwable failure;
  // published for metrics and the change feed (written by the engine thread)
  private volatile boolean any;
  private volatile int subscriptionCount;
  private volatile long foldedBytes;
  private volatile long restores;

  LogFolder(SystemLog log, SubscriptionFold fold, ScheduledExecutorService exec, Listener listener) {
    this.log = log;
    this.fold = fold;
    this.exec = exec;
    this.listener = listener;
  }

  /** Why this node's fold stopped, or null. */
  Throwable failure() {
    return failure;
  }

  /** The byte offset of the log this node has folded up to. */
  long offset() {
    return offset;
  }

  /** Whether any subscription exists (any thread): while none does, the change feed is skipped. */
  boolean any() {
    return any;
  }

  /** Folds the log from where this node stopped to its replica's end. */
  CompletableFuture<Void> catchUp() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    readMore(done);
    return done;
  }

  /** Appends {@code e}; completes with the outcome the fold gives it. */
  CompletableFuture<Reply> commit(ObjectNode e) {
    String eid = Events.newId();
    e.put("eid", eid);
    CompletableFuture<Reply> out = new CompletableFuture<>();
    waiters.put(eid, out);
    log.append(Events.bytes(e)).whenCompleteAsync((v, t) -> {
      if (t != null) {
        waiters.remove(eid);
        out.completeExceptionally(t);
      } else {
        catchUp();
      }
    }, exec);
    exec.schedule(() -> {
      if (waiters.remove(eid) != null) {
        out.completeExceptionally(new UnavailableException("the subscription change was not seen applied in "
            + COMMIT_WAIT_MILLIS + " ms; its outcome is unknown", 1));
      }
    }, COMMIT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    return out;
  }

  private void readMore(CompletableFuture<Void> done) {
    long from = offset;
    if (log.floor() > from) {
      restore(from, done);
      return;
    }
    log.read(from, READ_BYTES_MAX).whenCompleteAsync((page, t) -> {
      if (t != null) {
        unreadable(from, t, done);
        return;
      }
      if (from != offset || page.start() > from) { // folded meanwhile, or the prefix was just dropped
        readMore(done);
        return;
      }
      if (page.events().isEmpty()) {
        done.complete(null);
        listener.caughtUp();
        return;
      }
      for (byte[] raw : page.events()) {
        try {
          JsonNode e = Events.JSON.readTree(raw);
          Reply r = fold.apply(e);
          listener.folded(e);
          CompletableFuture<Reply> w = waiters.remove(e.path("eid").asText());
          if (w != null) {
            w.complete(r);
          }
        } catch (IOException | RuntimeException x) {
          // fail-stop: an event this fold cannot apply is never skipped (every node would skip differently)
          stop(new IllegalStateException("subscription log event at byte " + offset + " cannot be applied", x));
          done.completeExceptionally(failure);
          return;
        }
      }
      offset = page.next();
      published();
      readMore(done);
    }, exec);
  }

  /**
   * The log's prefix was dropped past where this fold stands (a new node, or one that was down
   * through a compaction): the latest checkpoint stands for every event before it, so the fold
   * starts over from it.
   */
  private void restore(long from, CompletableFuture<Void> done) {
    log.latestCheckpoint().whenCompleteAsync((c, t) -> {
      if (t != null) {
        unreadable(from, t, done);
        return;
      }
      if (from != offset) {
        readMore(done);
        return;
      }
      try {
        if (c == null || c.offset() < log.floor()) {
          throw new IllegalStateException("the subscription log begins at byte " + log.floor()
              + " without a checkpoint there");
        }
        fold.restore(Events.JSON.readTree(c.bytes()));
      } catch (IOException | RuntimeException x) {
        stop(new IllegalStateException("the subscription log's checkpoint cannot be restored", x));
        done.completeExceptionally(failure);
        return;
      }
      offset = c.offset();
      restores++;
      listener.restored();
      published();
      readMore(done);
    }, exec);
  }

  /** Nothing was applied, so nothing is skipped: the requests waiting fail, and the fold tries again. */
  private void unreadable(long from, Throwable t, CompletableFuture<Void> done) {
    LOG.warn("subscription log unreadable at byte {}: {}; retrying", from, t.toString());
    done.completeExceptionally(new UnavailableException("the subscription log is not readable on this node now", 1));
    exec.schedule(this::catchUp, 1, TimeUnit.SECONDS);
  }

  private void published() {
    any = !fold.all().isEmpty();
    subscriptionCount = fold.all().size();
    foldedBytes = offset;
  }

  private void stop(Throwable t) {
    if (failure == null) {
      failure = t;
      LOG.error("subscriptions stopped on this node (fail-stop): {}", t.toString(), t);
      waiters.values().forEach(w -> w.completeExceptionally(new UnavailableException("subscriptions stopped", 30)));
      waiters.clear();
    }
  }

  /** Prometheus lines of the fold. */
  String metrics() {
    return "# HELP tributary_subscriptions Push subscriptions in this node's fold.\n"
        + "# TYPE tributary_subscriptions gauge\n"
        + "tributary_subscriptions " + subscriptionCount + "\n"
        + "# HELP tributary_subscription_log_folded_bytes Byte offset of the subscription log this node has folded.\n"
        + "# TYPE tributary_subscription_log_folded_bytes gauge\n"
        + "tributary_subscription_log_folded_bytes " + foldedBytes + "\n"
        + "# HELP tributary_subscription_log_floor_bytes Where the subscription log begins (earlier events were compacted).\n"
        + "# TYPE tributary_subscription_log_floor_bytes gauge\n"
        + "tributary_subscription_log_floor_bytes " + log.floor() + "\n"
        + "# HELP tributary_subscription_log_restores_total Times this node started its fold from a checkpoint (the log"
        + " before it dropped).\n"
        + "# TYPE tributary_subscription_log_restores_total counter\n"
        + "tributary_subscription_log_restores_total " + restores + "\n";
  }
}
