package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.SubscriptionConfig;
import io.tributary.service.StreamService;
import io.tributary.service.SystemLog;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscription engine of one node (docs/subscriptions.md). Every request is answered from the
 * fold of the subscription log after a read barrier, so any node answers what any other
 * acknowledged; every change is an event appended to that log and answered with the outcome the
 * fold gives it, so two nodes deciding at once (two claims) agree on the winner. The leader of the
 * log's group is the owner: it links streams that start matching a pattern, opens wakes when a
 * linked stream has unacknowledged data, delivers them (webhook POST, or an event appended to the
 * wake stream), and expires leases; a new owner re-delivers the wake in progress.
 *
 * <p>Threads: one engine thread ({@code exec}) owns the fold and every {@link Subscription}; HTTP
 * event loops call the public methods, which only enqueue (bounded: {@link #QUEUED_MAX}) and return
 * futures; apply threads report stream changes through a bounded queue; deliveries run on the
 * HTTP client's threads and report back through {@code exec}.
 */
public final class Subscriptions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Subscriptions.class);
  /** Requests waiting for the engine thread; beyond it 503. */
  static final int QUEUED_MAX = 10_000;
  /** Stream changes waiting for the owner pass; beyond it they are dropped and the tick's full pass catches up. */
  static final int CHANGES_MAX = 100_000;
  static final long TICK_MILLIS = 100;
  static final long DEFAULT_LEASE_TTL_MILLIS = 30_000;
  static final long LEASE_TTL_MIN_MILLIS = 1_000;
  static final long LEASE_TTL_MAX_MILLIS = 600_000;
  static final long RETRY_DELAY_MAX_MILLIS = 60_000;
  /** How long a request waits for its event to come back through the fold. */
  static final long COMMIT_WAIT_MILLIS = 30_000;
  static final long READ_BYTES_MAX = 1 << 20;
  /** Every subscription's wake decision is re-evaluated this often, whatever the change feed said. */
  static final long FULL_PASS_MILLIS = 2_000;
  /** Links per log event: a pattern matching many existing streams is linked in several events. */
  static final int LINKS_PER_EVENT_MAX = 500;

  private final StreamService service;
  private final SystemLog log;
  private final ScheduledExecutorService exec;
  private final Clock clock;
  private final SubscriptionConfig config;
  private final SubscriptionFold fold;
  private final WebhookTargets targets;
  private final WebhookSender sender;
  private final StreamTails tails;
  private final ObjectMapper json = new ObjectMapper();
  private final SecureRandom random = new SecureRandom();
  private final AtomicInteger queued = new AtomicInteger();
  private final ConcurrentLinkedQueue<StreamKey> changed = new ConcurrentLinkedQueue<>();
  private final AtomicInteger changedCount = new AtomicInteger();
  private final AtomicBoolean foldScheduled = new AtomicBoolean();
  private final AtomicBoolean passScheduled = new AtomicBoolean();
  /** Whether any subscription exists: while none does, apply threads skip the change feed. */
  private volatile boolean any;

  // engine thread
  private long foldOffset;
  private final java.util.Map<String, CompletableFuture<Reply>> waiters = new java.util.HashMap<>();
  /** Owner actions appended but not yet folded (subscription id + what), so a pass does not repeat them. */
  private final Set<String> inFlight = new HashSet<>();
  private boolean owner;
  private Throwable failure;
  /** Log bytes past the floor below which no checkpoint is tried again after one was too large (engine thread). */
  private long skippedAtBytes;
  // published for metrics (written by the engine thread)
  private volatile int subscriptionCount;
  private volatile long foldedBytes;
  private volatile long checkpointsWritten;
  private volatile long checkpointsRestored;
  private final java.util.concurrent.atomic.AtomicLong deliveriesAccepted = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong deliveriesFailed = new java.util.concurrent.atomic.AtomicLong();
  /** Subscriptions whose wake decision may have changed (a linked stream changed, an event folded). */
  private final Set<String> dirty = new HashSet<>();
  private long nextFullPassMillis;

  public Subscriptions(StreamService service, SystemLog log, ScheduledExecutorService exec, Clock clock,
      SubscriptionConfig config, WebhookSender sender) {
    this.service = service;
    this.log = log;
    this.exec = exec;
    this.clock = clock;
    this.config = config;
    this.fold = new SubscriptionFold(config.subscriptionsMax(), config.subscriptionStreamsMax());
    this.targets = new WebhookTargets(config.webhookLoopbackAllowed());
    this.sender = sender;
    this.tails = new StreamTails(service);
  }

  /** Subscribes to the node's stream changes and starts folding and the owner's timer. */
  public void start() {
    log.onEveryChange(this::onChange);
    exec.execute(() -> catchUp().whenComplete((v, t) -> passSoon()));
    exec.scheduleWithFixedDelay(this::ownerPass, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    exec.shutdownNow();
  }

  // ------------------------------------------------------------------ requests (any thread)

  /** {@code PUT …/__ds/subscriptions/{id}}; {@code baseUrl} is scheme://host the client used. */
  public CompletableFuture<Reply> put(String id, byte[] body, String baseUrl) {
    return request(false, () -> create(id, body, baseUrl));
  }

  public CompletableFuture<Reply> get(String id, String baseUrl) {
    return request(false, () -> {
      Subscription s = fold.get(id);
      return done(s == null ? Reply.notFound() : Reply.of(200, SubscriptionJson.describe(s, fold.key(), baseUrl)));
    });
  }

  public CompletableFuture<Reply> delete(String id) {
    return request(false, () -> fold.get(id) == null ? done(Reply.notFound()) : commit(event("delete", id)));
  }

  /** {@code POST …/subscriptions/{id}/streams {streams:[…]}}: explicit links, acknowledged from their tails now. */
  public CompletableFuture<Reply> addStreams(String id, byte[] body) {
    return request(false, () -> {
      if (fold.get(id) == null) {
        return done(Reply.notFound());
      }
      JsonNode b = parse(body);
      ArrayNode links = Reply.JSON.arrayNode();
      if (b == null || !b.path("streams").isArray() || b.path("streams").isEmpty()) {
        return done(Reply.invalid("body must be {\"streams\":[\"path\", …]}"));
      }
      for (JsonNode p : b.path("streams")) {
        String why = SubscriptionRequest.pathProblem(p);
        if (why != null) {
          return done(Reply.invalid(why));
        }
        links.add(linkNode(p.asText(), true, tails.tailOrZero(p.asText())));
      }
      ObjectNode e = event("link", id);
      e.set("links", links);
      return commit(e);
    });
  }

  public CompletableFuture<Reply> removeStream(String id, String path) {
    return request(false, () -> {
      if (fold.get(id) == null) {
        return done(Reply.notFound());
      }
      ObjectNode e = event("unlink", id);
      e.put("path", path);
      e.put("explicit", true);
      return commit(e);
    });
  }

  /** {@code POST …/callback} (webhook) and {@code POST …/ack} (pull-wake): progress, and done. */
  public CompletableFuture<Reply> ack(String id, String bearer, byte[] body, boolean pull) {
    return request(true, () -> {
      Subscription s = fold.get(id);
      if (s == null) {
        return done(Reply.notFound());
      }
      if (pull && s.webhook()) {
        return done(Reply.invalid("Subscription is not pull-wake"));
      }
      CallbackTokens.Parsed t = CallbackTokens.verify(s, bearer);
      if (t == null) {
        return done(Reply.error(401, "TOKEN_INVALID", "Token invalid"));
      }
      JsonNode b = parse(body);
      if (b == null || !b.isObject()) {
        return done(Reply.invalid("body must be a JSON object"));
      }
      ObjectNode e = tokenEvent("ack", id, t, b);
      ArrayNode acks = e.putArray("acks");
      for (JsonNode a : b.path("acks")) {
        String stream = a.hasNonNull("stream") ? a.path("stream").asText() : a.path("path").asText();
        String offset = a.path("offset").asText();
        if (!offset.equals("-1") && offset.compareTo(tails.tailOrZero(stream)) > 0) {
          return done(Reply.error(409, "INVALID_OFFSET", "Ack offset is beyond stream tail"));
        }
        acks.addObject().put("stream", stream).put("offset", offset);
      }
      boolean finished = b.path("done").asBoolean(false);
      e.put("done", finished);
      return commit(e).thenApply(r -> {
        if (!r.success()) {
          return r;
        }
        ObjectNode ok = Reply.JSON.objectNode();
        ok.put("ok", true);
        ok.put("next_wake", finished && tails.pending(fold.get(id)));
        return Reply.of(200, ok);
      });
    });
  }

  /** {@code POST …/claim {worker}}: the pull-wake worker takes the current wake (or a new one, if work is pending). */
  public CompletableFuture<Reply> claim(String id, byte[] body) {
    return request(true, () -> {
      Subscription s = fold.get(id);
      if (s == null) {
        return done(Reply.notFound());
      }
      JsonNode b = parse(body);
      String worker = b == null ? "" : b.path("worker").asText("");
      if (worker.isEmpty() || worker.length() > 256) {
        return done(Reply.invalid("body must be {\"worker\":\"<1-256 characters>\"}"));
      }
      ObjectNode e = event("claim", id);
      e.put("worker", worker);
      if (s.wakeId == null && s.holder == null && tails.pending(s)) {
        e.put("wake_id", newId());
        e.set("tails", tails.snapshot(s));
      }
      return commit(e).thenApply(r -> {
        if (!r.success()) {
          return r;
        }
        Subscription now = fold.get(id);
        ObjectNode out = Reply.JSON.objectNode();
        out.put("wake_id", now.wakeId);
        out.put("generation", now.generation);
        out.put("token", CallbackTokens.issue(now, now.generation, now.wakeId));
        out.set("streams", tails.infos(now));
        out.put("lease_ttl_ms", now.leaseTtlMillis);
        return Reply.of(200, out);
      });
    });
  }

  /** {@code POST …/release}: the worker gives the wake back; the next one gets a new generation. */
  public CompletableFuture<Reply> release(String id, String bearer, byte[] body) {
    return request(true, () -> {
      Subscription s = fold.get(id);
      if (s == null) {
        return done(Reply.notFound());
      }
      CallbackTokens.Parsed t = CallbackTokens.verify(s, bearer);
      if (t == null) {
        return done(Reply.error(401, "TOKEN_INVALID", "Token invalid"));
      }
      JsonNode b = parse(body);
      return commit(tokenEvent("release", id, t, b == null ? Reply.JSON.objectNode() : b));
    });
  }

  /** {@code GET …/__ds/jwks.json}: the public key deliveries are signed with. */
  public CompletableFuture<Reply> jwks() {
    return request(false, () -> done(Reply.of(200, SubscriptionJson.jwks(fold.key()))));
  }

  // ------------------------------------------------------------------ engine thread

  /**
   * Runs {@code work} on the engine thread once the fold holds everything acknowledged before
   * this call (of the log's group, or of every group when the answer depends on stream tails).
   */
  private CompletableFuture<Reply> request(boolean allGroups, Supplier<CompletableFuture<Reply>> work) {
    if (queued.incrementAndGet() > QUEUED_MAX) {
      queued.decrementAndGet();
      return CompletableFuture.failedFuture(new UnavailableException("subscription engine busy", 1));
    }
    CompletableFuture<Void> barrier = allGroups ? log.barrierAll() : log.barrier();
    return barrier.thenComposeAsync(v -> {
      queued.decrementAndGet();
      if (failure != null) {
        return CompletableFuture.failedFuture(new UnavailableException("subscriptions stopped on this node: "
            + failure.getMessage(), 30));
      }
      return catchUp().thenCompose(x -> work.get());
    }, exec).whenComplete((r, t) -> {
      if (t != null && !(t.getCause() instanceof UnavailableException)) {
        LOG.debug("subscription request failed", t);
      }
    });
  }

  private CompletableFuture<Reply> create(String id, byte[] body, String baseUrl) {
    SubscriptionRequest r = SubscriptionRequest.parse(parse(body), targets);
    if (r.problem() != null) {
      return done(r.problem());
    }
    Subscription existing = fold.get(id);
    if (existing != null) {
      return done(existing.configHash.equals(r.hash()) ? Reply.of(200, SubscriptionJson.describe(existing, fold.key(),
          baseUrl)) : Reply.error(409, "SUBSCRIPTION_ALREADY_EXISTS",
          "Subscription already exists with different configuration"));
    }
    ObjectNode e = r.event(id, baseUrl, clock.nowMillis(), newSecret());
    if (fold.key() == null) {
      SigningKey k = SigningKey.generate();
      e.putObject("key").put("pkcs8", k.pkcs8()).put("x", k.x());
    }
    java.util.List<ObjectNode> links = new java.util.ArrayList<>();
    for (String p : r.streams()) {
      links.add(linkNode(p, true, tails.tailOrZero(p)));
    }
    if (r.pattern() != null) {
      Glob g = new Glob(r.pattern());
      int max = config.subscriptionStreamsMax();
      tails.forEachStream((name, tail) -> {
        if (g.matches(name)) {
          links.add(linkNode(name, false, tail)); // existing streams: from their tails now
        }
        return links.size() < max;
      });
    }
    int first = Math.min(links.size(), LINKS_PER_EVENT_MAX);
    links.subList(0, first).forEach(e.putArray("links")::add);
    CompletableFuture<Reply> created = commit(e);
    // the rest in further events, so no event outgrows an entry; the answer waits for all of them
    for (int from = first; from < links.size(); from += LINKS_PER_EVENT_MAX) {
      ObjectNode more = event("link", id);
      links.subList(from, Math.min(links.size(), from + LINKS_PER_EVENT_MAX)).forEach(more.putArray("links")::add);
      created = created.thenCompose(out -> out.status() != 201 ? done(out) : commit(more).thenApply(x -> out));
    }
    return created.thenApply(out -> !out.success() ? out
        : Reply.of(out.status(), SubscriptionJson.describe(fold.get(id), fold.key(), baseUrl)));
  }

  /** Appends {@code e}; completes with the outcome the fold gives it (engine thread). */
  private CompletableFuture<Reply> commit(ObjectNode e) {
    String eid = newId();
    e.put("eid", eid);
    CompletableFuture<Reply> out = new CompletableFuture<>();
    waiters.put(eid, out);
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(e);
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
    log.append(bytes).whenCompleteAsync((v, t) -> {
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

  /** Folds the log from where this node stopped to its replica's end (engine thread). */
  private CompletableFuture<Void> catchUp() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    readMore(done);
    return done;
  }

  private void readMore(CompletableFuture<Void> done) {
    long from = foldOffset;
    if (log.floor() > from) {
      restore(from, done);
      return;
    }
    log.read(from, READ_BYTES_MAX).whenCompleteAsync((page, t) -> {
      if (t != null) {
        unreadable(from, t, done);
        return;
      }
      if (from != foldOffset || page.start() > from) { // folded meanwhile, or the prefix was just dropped
        readMore(done);
        return;
      }
      if (page.events().isEmpty()) {
        done.complete(null);
        return;
      }
      for (byte[] raw : page.events()) {
        try {
          JsonNode e = json.readTree(raw);
          Reply r = fold.apply(e);
          dirty.add(e.path("sub").asText());
          inFlight.remove(e.path("sub").asText() + "\0" + e.path("ev").asText() + "\0" + e.path("path").asText(""));
          CompletableFuture<Reply> w = waiters.remove(e.path("eid").asText());
          if (w != null) {
            w.complete(r);
          }
        } catch (IOException | RuntimeException x) {
          // fail-stop: an event this fold cannot apply is never skipped (every node would skip differently)
          stop(new IllegalStateException("subscription log event at byte " + foldOffset + " cannot be applied", x));
          done.completeExceptionally(failure);
          return;
        }
      }
      foldOffset = page.next();
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
      if (from != foldOffset) {
        readMore(done);
        return;
      }
      try {
        if (c == null || c.offset() < log.floor()) {
          throw new IllegalStateException("the subscription log begins at byte " + log.floor()
              + " without a checkpoint there");
        }
        fold.restore(json.readTree(c.bytes()));
      } catch (IOException | RuntimeException x) {
        stop(new IllegalStateException("the subscription log's checkpoint cannot be restored", x));
        done.completeExceptionally(failure);
        return;
      }
      foldOffset = c.offset();
      checkpointsRestored++;
      owner = false; // re-deliver the open wakes, as after a leader change
      fold.all().keySet().forEach(dirty::add);
      published();
      readMore(done);
    }, exec);
  }

  /** Nothing was applied, so nothing is skipped: the requests waiting fail, and the fold tries again. */
  private void unreadable(long from, Throwable t, CompletableFuture<Void> done) {
    LOG.warn("subscription log unreadable at byte {}: {}; retrying", from, t.toString());
    done.completeExceptionally(new UnavailableException("the subscription log is not readable on this node now", 1));
    exec.schedule(() -> catchUp().whenComplete((v, x) -> passSoon()), 1, TimeUnit.SECONDS);
  }

  /** Publishes what the metrics and the change feed read (engine thread). */
  private void published() {
    any = !fold.all().isEmpty();
    subscriptionCount = fold.all().size();
    foldedBytes = foldOffset;
  }

  /**
   * Compaction of the subscription log (owner, engine thread): once the log holds {@code
   * subscription-log-checkpoint-bytes} past its floor, the state this fold holds at its offset is
   * published as the log's checkpoint there (an application snapshot, which needs no coordination:
   * it states exactly the events before that offset, whatever was appended since), and the prefix
   * before it is dropped (the retention floor). A checkpoint larger than half the threshold would
   * not pay and is skipped with a warning.
   */
  private void checkpointIfDue() {
    long threshold = config.logCheckpointBytes();
    long floor = log.floor();
    if (foldOffset - floor < threshold || foldOffset - floor < skippedAtBytes || !inFlight.add("\0checkpoint")) {
      return;
    }
    long at = foldOffset;
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(fold.export());
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
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

  /** Prometheus lines: subscriptions, the log's folded size, deliveries. */
  public String metrics() {
    return "# HELP tributary_subscriptions Push subscriptions in this node's fold.\n"
        + "# TYPE tributary_subscriptions gauge\n"
        + "tributary_subscriptions " + subscriptionCount + "\n"
        + "# HELP tributary_subscription_log_folded_bytes Byte offset of the subscription log this node has folded.\n"
        + "# TYPE tributary_subscription_log_folded_bytes gauge\n"
        + "tributary_subscription_log_folded_bytes " + foldedBytes + "\n"
        + "# HELP tributary_subscription_log_floor_bytes Where the subscription log begins (earlier events were compacted).\n"
        + "# TYPE tributary_subscription_log_floor_bytes gauge\n"
        + "tributary_subscription_log_floor_bytes " + log.floor() + "\n"
        + "# HELP tributary_subscription_log_checkpoints_total Checkpoints this node wrote (compactions of the log).\n"
        + "# TYPE tributary_subscription_log_checkpoints_total counter\n"
        + "tributary_subscription_log_checkpoints_total " + checkpointsWritten + "\n"
        + "# HELP tributary_subscription_log_restores_total Times this node started its fold from a checkpoint (the log"
        + " before it dropped).\n"
        + "# TYPE tributary_subscription_log_restores_total counter\n"
        + "tributary_subscription_log_restores_total " + checkpointsRestored + "\n"
        + "# HELP tributary_webhook_deliveries_total Webhook deliveries this node sent, by result.\n"
        + "# TYPE tributary_webhook_deliveries_total counter\n"
        + "tributary_webhook_deliveries_total{result=\"accepted\"} " + deliveriesAccepted.get() + "\n"
        + "tributary_webhook_deliveries_total{result=\"failed\"} " + deliveriesFailed.get() + "\n";
  }

  private void stop(Throwable t) {
    if (failure == null) {
      failure = t;
      LOG.error("subscriptions stopped on this node (fail-stop): {}", t.toString(), t);
      waiters.values().forEach(w -> w.completeExceptionally(new UnavailableException("subscriptions stopped", 30)));
      waiters.clear();
    }
  }

  /** Apply threads: a stream changed. Only enqueues. */
  private void onChange(StreamKey k) {
    if (k == null) {
      return;
    }
    if (log.is(k)) {
      if (foldScheduled.compareAndSet(false, true)) {
        exec.execute(() -> {
          foldScheduled.set(false);
          catchUp().whenComplete((v, t) -> passSoon());
        });
      }
      return;
    }
    if (any && k.bucket().equals(StreamKey.DEFAULT_BUCKET) && changedCount.incrementAndGet() <= CHANGES_MAX) {
      changed.add(k);
      passSoon();
    }
  }

  private void passSoon() {
    if (passScheduled.compareAndSet(false, true)) {
      exec.execute(() -> {
        passScheduled.set(false);
        ownerPass();
      });
    }
  }

  /** What the owner does (engine thread): link, wake, deliver, expire. Every other node only drains its feed. */
  private void ownerPass() {
    try {
      ownerPassOnce();
    } catch (RuntimeException e) {
      LOG.error("subscription owner pass failed", e);
    }
  }

  private void ownerPassOnce() {
    Set<String> paths = new HashSet<>();
    for (StreamKey k; (k = changed.poll()) != null; ) {
      changedCount.decrementAndGet();
      paths.add(k.stream());
    }
    if (failure != null || !log.leads()) {
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
          ObjectNode e = event("wake", s.id);
          e.put("generation", s.generation + 1);
          e.put("wake_id", newId());
          e.set("tails", tails.snapshot(s));
          ownerAppend(s.id, "wake", "", e);
        }
        continue;
      }
      if (!s.delivered && now >= s.nextDeliveryMillis) {
        s.delivered = true;
        deliver(s);
      }
      if (now > s.leaseDeadlineMillis && (s.webhook() || s.holder != null)) {
        ObjectNode e = event("expire", s.id);
        e.put("generation", s.generation);
        ownerAppend(s.id, "expire", "", e);
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
        ObjectNode e = event("link", s.id);
        e.put("path", p);
        e.putArray("links").add(linkNode(p, false, "-1")); // a stream new to the pattern: all of it is pending
        ownerAppend(s.id, "link", p, e);
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
        ObjectNode e = event("reset", sub);
        e.put("path", path);
        ownerAppend(sub, "reset", path, e);
      }
    }, exec);
  }

  /** An owner action, appended once until the fold has seen it (engine thread). */
  private void ownerAppend(String sub, String what, String path, ObjectNode e) {
    String key = sub + "\0" + what + "\0" + path;
    if (!inFlight.add(key)) {
      return;
    }
    try {
      log.append(json.writeValueAsBytes(e)).whenCompleteAsync((v, t) -> {
        if (t != null) {
          inFlight.remove(key); // not appended (or unknown): the next pass tries again
          LOG.debug("subscription {}: {} not appended: {}", sub, what, t.toString());
        }
      }, exec);
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
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
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(body);
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
    String signature = fold.key().signatureHeader(clock.nowMillis() / 1000, bytes);
    sender.send(s.webhookUrl, bytes, signature, targets, config.webhookTimeoutMillis()).whenCompleteAsync((res, t) -> {
      if (t != null || !res.accepted()) {
        deliveriesFailed.incrementAndGet();
        retryLater(s, wakeId, t != null ? t.toString() : res.reason());
        return;
      }
      deliveriesAccepted.incrementAndGet();
      s.deliveryFailures = 0;
      if (res.done() && wakeId.equals(s.wakeId) && s == fold.get(s.id)) {
        ObjectNode e = event("auto_done", s.id);
        e.put("wake_id", wakeId);
        e.put("generation", generation);
        ownerAppend(s.id, "auto_done", "", e);
      }
    }, exec);
  }

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

  // ------------------------------------------------------------------ helpers

  private ObjectNode event(String ev, String sub) {
    ObjectNode e = Reply.JSON.objectNode();
    e.put("ev", ev);
    e.put("sub", sub);
    return e;
  }

  private ObjectNode tokenEvent(String ev, String sub, CallbackTokens.Parsed t, JsonNode b) {
    ObjectNode e = event(ev, sub);
    e.put("token_generation", t.generation());
    e.put("token_wake", t.wakeId());
    e.put("wake_id", b.path("wake_id").asText(""));
    e.put("generation", b.path("generation").asLong(-1));
    return e;
  }

  private static ObjectNode linkNode(String path, boolean explicit, String acked) {
    ObjectNode l = Reply.JSON.objectNode();
    l.put("path", path);
    l.put("explicit", explicit);
    l.put("acked", acked);
    return l;
  }

  private JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return json.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static CompletableFuture<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }

  private String newId() {
    byte[] b = new byte[12];
    random.nextBytes(b);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String newSecret() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return java.util.Base64.getEncoder().encodeToString(b);
  }
}
