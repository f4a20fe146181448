package io.tributary.service;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.group.Replication;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import io.tributary.state.StreamView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes expired streams nobody asks for. Without it a stream whose TTL or Expires-At passed
 * stayed in memory and in every snapshot until someone requested it, so streams created with a
 * TTL and abandoned grew the state without bound.
 *
 * <p>Every {@code intervalMillis}, for each group this node leads, it looks through the published
 * views for streams that are expired (by this node's clock, counting reads not yet replicated as
 * access) and not pinned by forks, and submits at most {@code probesMax} expiry probes
 * ({@link Command.Touch} with {@link Command.Touch#EXPIRY_PROBE}) through the group's batcher. The
 * removal is decided in apply by the entry's time, identically on every replica: a probe for a
 * stream that was renewed meanwhile changes nothing. A pass waits for its probes before the next
 * one starts, so at most {@code probesMax} are outstanding.
 *
 * <p>Threads: its own daemon thread ({@code tributary-expiry-sweep}); reads only published views.
 */
public final class ExpirySweep implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExpirySweep.class);
  private final Replication host;
  private final Clock clock;
  private final TtlTracker ttl;
  private final int probesMax;
  private final AtomicLong probesSubmitted = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "tributary-expiry-sweep");
    t.setDaemon(true);
    return t;
  });

  ExpirySweep(Replication host, Clock clock, TtlTracker ttl, int probesMax) {
    this.host = host;
    this.clock = clock;
    this.ttl = ttl;
    this.probesMax = probesMax;
  }

  void start(long intervalMillis) {
    timer.scheduleWithFixedDelay(this::pass, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  /** One pass over the groups this node leads; returns the number of probes submitted. */
  public int pass() {
    int submitted = 0;
    for (int g = 0; g < host.groupCount(); g++) {
      if (!host.leads(g)) {
        continue;
      }
      GroupState state = host.replica(g).state();
      if (state == null) {
        continue;
      }
      List<StreamKey> expired = expired(state, probesMax - submitted);
      List<CompletableFuture<?>> probes = new ArrayList<>(expired.size());
      for (StreamKey k : expired) {
        probes.add(host.submit(g, new Command.Touch(k, Command.Touch.EXPIRY_PROBE), 0));
      }
      submitted += probes.size();
      try {
        CompletableFuture.allOf(probes.toArray(new CompletableFuture<?>[0])).join();
      } catch (RuntimeException e) {
        LOG.debug("group {}: expiry probes not all applied ({}); the next pass retries", g, e.toString());
      }
      if (submitted >= probesMax) {
        break;
      }
    }
    probesSubmitted.addAndGet(submitted);
    return submitted;
  }

  private List<StreamKey> expired(GroupState state, int max) {
    long now = clock.nowMillis();
    List<StreamKey> out = new ArrayList<>();
    state.forEachView(v -> {
      if (out.size() < max && expiredUnpinned(v, now)) {
        out.add(v.key());
      }
    });
    return out;
  }

  private boolean expiredUnpinned(StreamView v, long now) {
    return !v.softDeleted() && v.pinCount() == 0 && v.expiredAt(now, ttl.lastReadMillis(v.streamId()));
  }

  /** Probes submitted since start (Prometheus text). */
  public String metrics() {
    return "# TYPE tributary_expiry_probes_total counter\ntributary_expiry_probes_total " + probesSubmitted.get() + '\n';
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
