package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.config.SubscriptionConfig;
import io.tributary.service.SystemLog;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the owner of the subscriptions does: the node that leads the subscription log's group. It
 * links streams that start matching a pattern, opens a wake when a linked stream has data past its
 * acknowledged offset, delivers it (a signed webhook POST, or an event appended to the wake stream)
 * with backoff on failure, expires leases, and compacts the log. Every decision is an event
 * appended to the log; the fold applies it like any other. A node taking over re-delivers the wake
 * in progress. Every other node only drains its change feed.
 *
 * <p>Engine thread only, but for {@link #changed} (apply threads: it only enqueues, bounded by
 * {@link #CHANGES_MAX}).
 */
final class WakeOwner {
  private static final Logger LOG = LoggerFactory.getLogger(WakeOwner.class);
  /** Stream changes waiting for the pass; beyond it they are dropped and the next full pass catches up. */
  static final int CHANGES_MAX = 100_000;
  static final long RETRY_DELAY_MAX_MILLIS = 60_000;
  /** Every subscription's wake decision is re-evaluated this often, whatever the change feed said. */
  static final long FULL_PASS_MILLIS = 2_000;

  private final SystemLog log;
  private final SubscriptionFold fold;
  private final WebhookKeys keys;
  private final LogFolder folder;
  private final StreamTails tails;
  private final WebhookSender sender;
  private final WebhookTargets targets;
  private final Clock clock;
  private final SubscriptionConfig config;
  private final ScheduledExecutorService exec;
  /** Jitter of delivery retries. */
  private final SplittableRandom random;
  private final ConcurrentLinkedQueue<StreamKey> changed = new ConcurrentLinkedQueue<>();
  private final AtomicInteger changedCount = new AtomicInteger();
  private boolean owner;
  /** Owner actions appended but not yet folded (subscription id + what), so a pass does not repeat them. */
  private final Set<String> inFlight = new HashSet<>();
  /** Subscriptions whose wake decision may have changed (a linked stream changed, an event folded). */
  private final Set<String> dirty = new HashSet<>();
  private long nextFullPassMillis;
  /** Log bytes past the floor below which no checkpoint is tried again after one was too large. */
  private long skippedAtBytes;
  private volatile long checkpointsWritten;
  private final AtomicLong deliveriesAccepted = new AtomicLong();
  private final AtomicLong deliveriesFailed = new AtomicLong();

  WakeOwner(SystemLog log, SubscriptionFold fold, LogFolder folder, StreamTails tails, WebhookSender sender,
      WebhookTargets targets, Clock clock, SubscriptionConfig config, ScheduledExecutorService exec,
      SplittableRandom random, WebhookKeys keys) {
    this.log = log;
    this.keys = keys;
    this.fold = fold;
    this.folder = folder;
    this.tails = tails;
    this.sender = sender;
    this.targets = targets;
    this.clock = clock;
    this.config = config;
    this.exec = exec;
    this.random = random;
  }

  /** Apply threads: a stream of the stream root changed. Only enqueues; false when the feed is full. */
  boolean changed(StreamKey k) {
    if (changedCount.incrementAndGet() > CHANGES_MAX) {
      changedCount.decrementAndGet(); // dropped: the next full pass evaluates every subscription
      return false;
    }
    changed.add(k);
    return true;
  }

  /** The fold applied {@code e}: its subscription's decision is due, and an owner action of it landed. */
  void folded(JsonNode e) {
    dirty.add(e.path("sub").asText());
    inFlight.remove(e.path("sub").asText() + "\0" + e.path("ev").asText() + "\0" + e.path("path").asText(""));
  }

  /** The state was replaced by a checkpoint: re-deliver the open wakes, as after a leader change. */
  void restored() {
    owner = false;
    dirty.addAll(fold.all().keySet());
  }

  /** One pass (engine thread): link, wake, deliver, expire, compact. */
  void pass() {
    try {
      keys.refresh();
      passOnce();
    } catch (RuntimeException e) {
      LOG.error("subscription owner pass failed", e);
    }
  }

  private void passOnce() {
    Set<String> paths = new HashSet<>();
    for (StreamKey k; (k = changed.poll()) != null; ) {
      changedCount.decrementAndGet();
      paths.add(k.stream());
    }
    if (folder.failure() != null || !log.leads()) {
      owner = false;
      dirty.clear();
      return;
    }
    long now = clock.nowMillis();
    if (!owner) { // taking over: the wake in progress may never have reached its consumer
      owner = true;
      fold.all().values().forEach(s -> {
        s.delivered = s.holder != null; // a claimed pull-wake reached its worker
        s.leaseRenewed = s.wakeId != null && (s.webhook() || s.holder != null);
      });
      nextFullPassMillis = 0;
    }
    boolean full = now >= nextFullPassMillis;
    if (full) {
      nextFullPassMillis = now + FULL_PASS_MILLIS;
    }
    for (Subscription s : fold.all().values()) {
      if (!paths.isEmpty()) {
        noticeChanges(s, paths);
      }
      if (s.leaseRenewed) {
        s.leaseRenewed = false;
        s.leaseDeadlineMillis = now + s.leaseTtlMillis;
      }
      if (s.wakeId == null) {
        if ((full || dirty.contains(s.id)) && now >= s.nextDeliveryMillis && tails.pending(s)) {
          ObjectNode e = Events.event("wake", s.id);
          e.put("generation", s.generation + 1);
          e.put("wake_id", Events.newId());
          e.set("tails", tails.snapshot(s));
          append(s.id, "wake", "", e);
        }
        continue;
      }
      if (!s.delivered && now >= s.nextDeliveryMillis) {
        s.delivered = true;
        deliver(s);
      }
      if (now > s.leaseDeadlineMillis && (s.webhook() || s.holder != null)) {
        ObjectNode e = Events.event("expire", s.id);
        e.put("generation", s.generation);
        append(s.id, "expire", "", e);
      }
    }
    dirty.clear();
    checkpointIfDue();
  }

  /**
   * The owner's view of changed streams: a stream that starts matching the pattern is linked with
   * everything pending; a linked stream whose tail fell below its acknowledged offset was deleted
   * and created again, so its acknowledgement restarts; either way the wake decision is due.
   */
  private void noticeChanges(Subscription s, Set<String> paths) {
    Glob g = s.pattern == null ? null : new Glob(s.pattern);
    for (String p : paths) {
      Subscription.Link l = s.links.get(p);
      if (l != null) {
        dirty.add(s.id);
        if (!l.acked.equals("-1") && tails.exists(p) && tails.tailOrZero(p).compareTo(l.acked) < 0) {
          resetIfRecreated(s.id, p);
        }
      } else if (g != null && !SubscriptionRequest.reserved(p) && g.matches(p) && tails.exists(p)) {
        ObjectNode e = Events.event("link", s.id);
        e.put("path", p);
        e.putArray("links").add(Events.link(p, false, "-1")); // a stream new to the pattern: all of it is pending
        append(s.id, "link", p, e);
      }
    }
  }

  /**
   * A tail below the acknowledged offset means the stream was created again, or that this replica
   * of its group lags the one the acknowledgement was checked on: only after a read barrier on that
   * group is it the former, and the acknowledgement restarts.
   */
  private void resetIfRecreated(String sub, String path) {
    String key = sub + "\0reset-check\0" + path;
    if (!inFlight.add(key)) {
      return;
    }
    tails.barrier(path).whenCompleteAsync((v, t) -> {
      inFlight.remove(key);
      Subscription s = fold.get(sub);
      Subscription.Link l = s == null ? null : s.links.get(path);
      if (t == null && l != null && !l.acked.equals("-1") && tails.exists(path)
          && tails.tailOrZero(path).compareTo(l.acked) < 0) {
        ObjectNode e = Events.event("reset", sub);
        e.put("path", path);
        append(sub, "reset", path, e);
      }
    }, exec);
  }

  /** An owner action, appended once until the fold has seen it. */
  private void append(String sub, String what, String path, ObjectNode e) {
    String key = sub + "\0" + what + "\0" + path;
    if (!inFlight.add(key)) {
      return;
    }
    log.append(Events.bytes(e)).whenCompleteAsync((v, t) -> {
      if (t != null) {
        inFlight.remove(key); // not appended (or unknown): the next pass tries again
        LOG.debug("subscription {}: {} not appended: {}", sub, what, t.toString());
      }
    }, exec);
  }

  private void deliver(Subscription s) {
    String wakeId = s.wakeId;
    long generation = s.generation;
    if (!s.webhook()) {
      ObjectNode wake = Reply.JSON.objectNode();
      wake.put("type", "wake");
      wake.put("subscription_id", s.id);
      wake.put("stream", tails.firstPending(s));
      wake.put("generation", generation);
      wake.put("ts", clock.nowMillis());
      tails.appendJson(s.wakeStream, wake).whenCompleteAsync((ok, t) -> {
        if (t != null || !ok) {
          retryLater(s, wakeId, t == null ? "wake stream " + s.wakeStream + " refused the wake event" : t.toString());
        } else {
          s.deliveryFailures = 0;
        }
      }, exec);
      return;
    }
    ObjectNode body = Reply.JSON.objectNode();
    body.put("subscription_id", s.id);
    body.put("wake_id", wakeId);
    body.put("generation", generation);
    body.set("streams", tails.infos(s));
    body.put("callback_url", SubscriptionJson.actionUrl(s, "callback"));
    body.put("callback_token", CallbackTokens.issue(s, generation, wakeId));
    byte[] bytes = Events.bytes(body);
    String signature = keys.signing().signatureHeader(clock.nowMillis() / 1000, bytes);
    sender.send(s.webhookUrl, bytes, signature, targets, config.webhookTimeoutMillis()).whenCompleteAsync((res, t) -> {
      if (t != null || !res.accepted()) {
        deliveriesFailed.incrementAndGet();
        retryLater(s, wakeId, t != null ? t.toString() : res.reason());
        return;
      }
      deliveriesAccepted.incrementAndGet();
      s.deliveryFailures = 0;
      if (res.done() && wakeId.equals(s.wakeId) && s == fold.get(s.id)) {
        ObjectNode e = Events.event("auto_done", s.id);
        e.put("wake_id", wakeId);
        e.put("generation", generation);
        append(s.id, "auto_done", "", e);
      }
    }, exec);
  }

  /** Exponential backoff from 1 s to {@link #RETRY_DELAY_MAX_MILLIS}, ±20 % jitter, kept across wakes until a success. */
  private void retryLater(Subscription s, String wakeId, String why) {
    s.deliveryFailures++;
    long base = Math.min(RETRY_DELAY_MAX_MILLIS, 1000L << Math.min(16, s.deliveryFailures - 1));
    long delay = Math.max(0, base + (long) (base * 0.2 * (random.nextDouble() * 2 - 1)));
    s.nextDeliveryMillis = clock.nowMillis() + delay;
    if (wakeId.equals(s.wakeId)) {
      s.delivered = false;
    }
    LOG.warn("subscription {}: delivery of wake {} failed ({}); attempt {} in {} ms", s.id, wakeId, why,
        s.deliveryFailures + 1, delay);
  }

  /**
   * Compaction of the subscription log: once the log holds {@code subscription-log-checkpoint-bytes}
   * past its floor, the state the fold holds at its offset is published as the log's checkpoint
   * there (an application snapshot, which needs no coordination: it states exactly the events
   * before that offset, whatever was appended since), and the prefix before it is dropped (the
   * retention floor). A checkpoint larger than half the threshold would not pay and is skipped
   * with a warning.
   */
  private void checkpointIfDue() {
    long threshold = config.logCheckpointBytes();
    long floor = log.floor();
    long at = folder.offset();
    if (at - floor < threshold || at - floor < skippedAtBytes || !inFlight.add("\0checkpoint")) {
      return;
    }
    byte[] bytes = Events.bytes(fold.export());
    if (bytes.length > threshold / 2) {
      LOG.warn("subscription log not compacted: its checkpoint would take {} bytes, more than half of "
          + "subscription-log-checkpoint-bytes ({})", bytes.length, threshold);
      skippedAtBytes = at - floor + threshold; // look again after as many bytes more
      inFlight.remove("\0checkpoint");
      return;
    }
    log.checkpoint(at, bytes).thenCompose(v -> log.retain(at)).whenCompleteAsync((v, t) -> {
      inFlight.remove("\0checkpoint");
      if (t != null) {
        LOG.warn("subscription log checkpoint at byte {} failed: {}", at, t.toString());
        return;
      }
      checkpointsWritten++;
      skippedAtBytes = 0;
      LOG.info("subscription log compacted: checkpoint at byte {} ({} bytes), the events before it dropped", at,
          bytes.length);
    }, exec);
  }

  /** Prometheus lines of the owner's work on this node. */
  String metrics() {
    return "# HELP tributary_subscription_log_checkpoints_total Checkpoints this node wrote (compactions of the log).\n"
        + "# TYPE tributary_subscription_log_checkpoints_total counter\n"
        + "tributary_subscription_log_checkpoints_total " + checkpointsWritten + "\n"
        + "# HELP tributary_webhook_deliveries_total Webhook deliveries this node sent, by result.\n"
        + "# TYPE tributary_webhook_deliveries_total counter\n"
        + "tributary_webhook_deliveries_total{result=\"accepted\"} " + deliveriesAccepted.get() + "\n"
        + "tributary_webhook_deliveries_total{result=\"failed\"} " + deliveriesFailed.get() + "\n";
  }
}
