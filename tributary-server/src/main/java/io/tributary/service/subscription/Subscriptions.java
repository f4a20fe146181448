package io.tributary.service.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.config.SubscriptionConfig;
import io.tributary.service.StreamService;
import io.tributary.service.SystemLog;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
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
 * <p>This class answers the requests; {@link LogFolder} keeps the fold current and commits
 * changes; {@link WakeOwner} does the owner's work.
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
  static final long TICK_MILLIS = 100;
  static final long DEFAULT_LEASE_TTL_MILLIS = 30_000;
  static final long LEASE_TTL_MIN_MILLIS = 1_000;
  static final long LEASE_TTL_MAX_MILLIS = 600_000;
  /** Links per log event: a pattern matching many existing streams is linked in several events. */
  static final int LINKS_PER_EVENT_MAX = 500;

  private final SystemLog log;
  private final ScheduledExecutorService exec;
  private final Clock clock;
  private final SubscriptionConfig config;
  private final SubscriptionFold fold;
  private final WebhookKeys keys;
  private final WebhookTargets targets;
  private final StreamTails tails;
  private final LogFolder folder;
  private final WakeOwner owner;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean foldScheduled = new AtomicBoolean();
  private final AtomicBoolean passScheduled = new AtomicBoolean();

  public Subscriptions(StreamService service, SystemLog log, ScheduledExecutorService exec, Clock clock,
      SubscriptionConfig config, WebhookSender sender) {
    this.log = log;
    this.exec = exec;
    this.clock = clock;
    this.config = config;
    this.fold = new SubscriptionFold(config.subscriptionsMax(), config.subscriptionStreamsMax());
    this.targets = new WebhookTargets(config.webhookLoopbackAllowed());
    this.tails = new StreamTails(service);
    WakeOwner[] o = new WakeOwner[1]; // the folder tells the owner, which reads the folder
    this.folder = new LogFolder(log, fold, exec, new LogFolder.Listener() {
      @Override
      public void folded(JsonNode e) {
        o[0].folded(e);
      }

      @Override
      public void restored() {
        o[0].restored();
      }

      @Override
      public void caughtUp() {
        passSoon();
      }
    });
    try {
      this.keys = new WebhookKeys(config.signingKeyFile(), fold);
    } catch (IllegalArgumentException e) {
      throw new io.tributary.config.ConfigException(e.getMessage());
    }
    this.owner = new WakeOwner(log, fold, folder, tails, sender, targets, clock, config, exec, new SplittableRandom(), keys);
    o[0] = owner;
  }

  /** Subscribes to the node's stream changes and starts folding and the owner's timer. */
  public void start() {
    log.onEveryChange(this::onChange);
    exec.execute(folder::catchUp);
    exec.scheduleWithFixedDelay(owner::pass, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    exec.shutdownNow();
  }

  /** Prometheus lines: subscriptions, the log, deliveries. */
  public String metrics() {
    return folder.metrics() + owner.metrics();
  }

  /** Apply threads: a stream changed. Only enqueues (nothing once closed: the node is stopping). */
  private void onChange(StreamKey k) {
    if (k == null || exec.isShutdown()) {
      return;
    }
    if (log.is(k)) {
      if (foldScheduled.compareAndSet(false, true)) {
        exec.execute(() -> {
          foldScheduled.set(false);
          folder.catchUp();
        });
      }
      return;
    }
    if (folder.any() && k.bucket().equals(StreamKey.DEFAULT_BUCKET) && owner.changed(k)) {
      passSoon();
    }
  }

  private void passSoon() {
    if (passScheduled.compareAndSet(false, true)) {
      exec.execute(() -> {
        passScheduled.set(false);
        owner.pass();
      });
    }
  }

  // ------------------------------------------------------------------ requests (any thread)

  /** {@code PUT …/__ds/subscriptions/{id}}; {@code baseUrl} is scheme://host the client used. */
  public CompletableFuture<Reply> put(String id, byte[] body, String baseUrl) {
    return request(false, () -> create(id, body, baseUrl));
  }

  public CompletableFuture<Reply> get(String id, String baseUrl) {
    return request(false, () -> {
      Subscription s = fold.get(id);
      return done(s == null ? Reply.notFound() : Reply.of(200, SubscriptionJson.describe(s, keys.signing(), baseUrl)));
    });
  }

  public CompletableFuture<Reply> delete(String id) {
    return request(false, () -> fold.get(id) == null ? done(Reply.notFound()) : folder.commit(Events.event("delete", id)));
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
      java.util.Set<String> added = new java.util.HashSet<>();
      for (JsonNode p : b.path("streams")) {
        String why = SubscriptionRequest.pathProblem(p);
        if (why != null) {
          return done(Reply.invalid(why));
        }
        if (!fold.get(id).links.containsKey(p.asText()) && added.add(p.asText())) {
          links.add(Events.link(p.asText(), true, tails.tailOrZero(p.asText())));
        }
      }
      if (fold.get(id).links.size() + added.size() > config.subscriptionStreamsMax()) {
        return done(tooManyStreams());
      }
      ObjectNode e = Events.event("link", id);
      e.set("links", links);
      return folder.commit(e);
    });
  }

  public CompletableFuture<Reply> removeStream(String id, String path) {
    return request(false, () -> {
      if (fold.get(id) == null) {
        return done(Reply.notFound());
      }
      ObjectNode e = Events.event("unlink", id);
      e.put("path", path);
      e.put("explicit", true);
      return folder.commit(e);
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
      return folder.commit(e).thenApply(r -> {
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
      ObjectNode e = Events.event("claim", id);
      e.put("worker", worker);
      if (s.wakeId == null && s.holder == null && tails.pending(s)) {
        e.put("wake_id", Events.newId());
        e.set("tails", tails.snapshot(s));
      }
      return folder.commit(e).thenApply(r -> {
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
      return folder.commit(tokenEvent("release", id, t, b == null ? Reply.JSON.objectNode() : b));
    });
  }

  /** {@code GET …/__ds/jwks.json}: the public key deliveries are signed with. */
  public CompletableFuture<Reply> jwks() {
    return request(false, () -> done(Reply.of(200, SubscriptionJson.jwks(keys.published()))));
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
      if (folder.failure() != null) {
        return CompletableFuture.failedFuture(new UnavailableException("subscriptions stopped on this node: "
            + folder.failure().getMessage(), 30));
      }
      return folder.catchUp().thenCompose(x -> work.get());
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
      return done(existing.configHash.equals(r.hash()) ? Reply.of(200, SubscriptionJson.describe(existing, keys.signing(),
          baseUrl)) : Reply.error(409, "SUBSCRIPTION_ALREADY_EXISTS",
          "Subscription already exists with different configuration"));
    }
    if (r.streams().size() > config.subscriptionStreamsMax()) {
      return done(tooManyStreams());
    }
    ObjectNode e = r.event(id, baseUrl, clock.nowMillis(), Events.newSecret());
    if (keys.signing() == null) { // no key file, and the first subscription: the cluster's key goes into the log
      SigningKey k = SigningKey.generate();
      e.putObject("key").put("pkcs8", k.pkcs8()).put("x", k.x());
    }
    java.util.List<ObjectNode> links = new java.util.ArrayList<>();
    for (String p : r.streams()) {
      links.add(Events.link(p, true, tails.tailOrZero(p)));
    }
    if (r.pattern() != null) {
      Glob g = new Glob(r.pattern());
      int max = config.subscriptionStreamsMax();
      tails.forEachStream(g.literalPrefix(), (name, tail) -> {
        if (g.matches(name)) {
          links.add(Events.link(name, false, tail)); // existing streams: from their tails now
        }
        return links.size() < max;
      });
    }
    int first = Math.min(links.size(), LINKS_PER_EVENT_MAX);
    links.subList(0, first).forEach(e.putArray("links")::add);
    CompletableFuture<Reply> created = folder.commit(e);
    // the rest in further events, so no event outgrows an entry; the answer waits for all of them
    for (int from = first; from < links.size(); from += LINKS_PER_EVENT_MAX) {
      ObjectNode more = Events.event("link", id);
      links.subList(from, Math.min(links.size(), from + LINKS_PER_EVENT_MAX)).forEach(more.putArray("links")::add);
      created = created.thenCompose(out -> out.status() != 201 ? done(out) : folder.commit(more).thenApply(x -> out));
    }
    return created.thenApply(out -> !out.success() ? out
        : Reply.of(out.status(), SubscriptionJson.describe(fold.get(id), keys.signing(), baseUrl)));
  }

  /** Explicit links beyond the bound are refused; pattern links beyond it are simply not made. */
  private Reply tooManyStreams() {
    return Reply.invalid("a subscription links at most subscription-streams-max (" + config.subscriptionStreamsMax()
        + ") streams");
  }

  private ObjectNode tokenEvent(String ev, String sub, CallbackTokens.Parsed t, JsonNode b) {
    ObjectNode e = Events.event(ev, sub);
    e.put("token_generation", t.generation());
    e.put("token_wake", t.wakeId());
    e.put("wake_id", b.path("wake_id").asText(""));
    e.put("generation", b.path("generation").asLong(-1));
    return e;
  }

  private JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return Events.JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static CompletableFuture<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
