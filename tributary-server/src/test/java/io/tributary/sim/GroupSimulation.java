package io.tributary.sim;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.group.AppendBatcher;
import io.tributary.group.GroupMetrics;
import io.tributary.group.GroupReply;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.state.Limits;
import io.tributary.state.Outcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One seeded run of a group: three {@link Replica}s of the real state machine
 * ({@code GroupState} over its own segment store), the leader's real {@link AppendBatcher} (in
 * virtual time, submitting to the {@link ReplicatedLog} model), {@link Clients}, and faults, all
 * driven by one {@link Scheduler}; {@link Invariants} are checked after every event.
 *
 * <p>The story of a run: the clients write for {@link #FAULT_PHASE_MILLIS} while faults strike
 * (replica crashes, power losses that cut the unsynced segment tail, snapshots, leader crashes and
 * step-downs that lose uncommitted entries, write timeouts, duplicate deliveries, clock jumps);
 * then the run heals (every replica restarts, no faults, no new requests) and must settle: every
 * outstanding append acknowledged, every replica at the last index; finally every replica
 * restarts from its latest snapshot and re-applies the log, and must reach the same state again.
 * Any failure names the seed and the tail of the event trace.
 */
final class GroupSimulation {
  static final long EPOCH_MILLIS = 1_750_000_000_000L;
  static final double FAULT_PHASE_MILLIS = 1_000;
  private static final double SETTLE_MILLIS_MAX = 30_000;
  private static final long WRITE_TIMEOUT_MILLIS = 200;
  /** The bounds the leader stamps into entries: room for every producer, expiry far beyond the run. */
  static final Limits LIMITS = new Limits(8, TimeUnit.HOURS.toMillis(1), 64, 16);

  /** A leader's term: its batcher, and the replies it waits for by log index. */
  private final class Term {
    final int leader;
    final AppendBatcher batcher;
    final Map<Long, CompletableFuture<GroupReply>> replies = new HashMap<>();
    boolean over;

    Term(int leader) {
      this.leader = leader;
      Replica r = replicas[leader];
      Clock clock = new Clock() {
        @Override
        public long nowMillis() {
          return r.wallMillis(scheduler.nowNanos());
        }

        @Override
        public long nanoTime() {
          return scheduler.nowNanos();
        }
      };
      batcher = new AppendBatcher(Replica.GROUP, clock, new GroupMetrics(), this::submitEntry, 4096, 2, 8, 3, 64,
          1 << 20, WRITE_TIMEOUT_MILLIS, LIMITS);
    }

    /** The Ratis boundary: the leader appends the entry; its reply comes when the leader applies it. */
    private CompletableFuture<GroupReply> submitEntry(byte[] entry) {
      CompletableFuture<GroupReply> reply = new CompletableFuture<>();
      if (over) {
        return reply; // never answered: the batcher was already expired
      }
      long index = log.append(entry, CommandCodec.decode(ByteBuffer.wrap(entry)).commands());
      replies.put(index, reply);
      return reply;
    }
  }

  final long seed;
  private final Scheduler scheduler;
  private final ReplicatedLog log = new ReplicatedLog();
  private final Replica[] replicas = new Replica[ReplicatedLog.REPLICAS];
  final Invariants invariants = new Invariants();
  private final Clients clients;
  private Term term;
  private boolean faulting = true;
  private boolean electionScheduled;
  /** The first failure inside a callback (futures would otherwise swallow it). */
  private RuntimeException failure;
  private final Map<String, Integer> faults = new java.util.TreeMap<>();

  GroupSimulation(long seed, Path dir) throws IOException {
    this.seed = seed;
    this.scheduler = new Scheduler(seed);
    for (int r = 0; r < replicas.length; r++) {
      replicas[r] = new Replica(r, dir);
    }
    this.clients = new Clients(this, scheduler);
  }

  static boolean isProduced(StreamKey key) {
    return key.stream().startsWith(Clients.PRODUCED_PREFIX);
  }

  /** What a run did, for the test's summary line. */
  record Summary(long events, long entries, int acknowledged, long duplicateDeliveries, long failedAttempts,
      long duplicateAnswers, Map<String, Integer> faults, long fingerprint) {}

  Summary run() {
    try {
      for (Replica r : replicas) {
        scheduler.poll(scheduler.between(0, 2), "r" + r.id + " applies", () -> applyLoop(r));
        scheduler.poll(scheduler.between(0, 2), "r" + r.id + " receives", () -> replicateLoop(r));
      }
      scheduler.after(0, "first election", this::elect);
      electionScheduled = true;
      scheduler.poll(WRITE_TIMEOUT_MILLIS / 4.0, "expiry sweep", this::expireLoop);
      scheduler.poll(scheduler.between(20, 80), "fault", this::faultLoop);
      clients.start();
      runUntil(() -> scheduler.nowNanos() >= FAULT_PHASE_MILLIS * 1e6);

      scheduler.note("-- heal: restart every replica, no faults, no new requests");
      faulting = false;
      clients.working = false;
      for (Replica r : replicas) {
        if (!r.up()) {
          restart(r);
        }
      }
      settle("after the faults");
      invariants.everyWrittenAppendAcknowledged();

      scheduler.note("-- every replica restarts from its latest snapshot and re-applies the log");
      for (Replica r : replicas) {
        if (scheduler.chance(0.5)) {
          r.snapshot();
        }
        crash(r, "final restart");
        restart(r);
      }
      settle("after the final restart");
      return new Summary(scheduler.events(), log.lastIndex(), invariants.acknowledgedCount(),
          clients.duplicateDeliveries, clients.failedAttempts, clients.duplicateAnswers, faults,
          scheduler.fingerprint());
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError("simulation seed " + seed + " failed at event " + scheduler.events() + " ("
          + String.format("%.3f", scheduler.nowNanos() / 1e6) + " ms virtual): " + e.getMessage()
          + "\n  replay: -Dsim.seed=" + seed + "\n  last events:\n" + scheduler.traceTail(), e);
    } finally {
      for (Replica r : replicas) {
        if (r.up()) {
          r.crash();
        }
      }
    }
  }

  private void settle(String when) {
    double deadline = scheduler.nowNanos() / 1e6 + SETTLE_MILLIS_MAX;
    runUntil(() -> settled() || scheduler.nowNanos() / 1e6 > deadline);
    invariants.check(settled(), "the group did not settle " + when + " within " + SETTLE_MILLIS_MAX
        + " ms: leader " + log.leader() + ", commit " + log.commitIndex() + ", last " + log.lastIndex()
        + ", clients idle " + clients.idle());
  }

  private boolean settled() {
    if (!clients.idle() || log.leader() < 0 || log.commitIndex() != log.lastIndex()) {
      return false;
    }
    for (Replica r : replicas) {
      if (!r.up() || r.applied != log.lastIndex()) {
        return false;
      }
    }
    return true;
  }

  private void runUntil(java.util.function.BooleanSupplier done) {
    while (!done.getAsBoolean()) {
      if (!scheduler.step()) {
        throw new IllegalStateException("no events left");
      }
      if (failure != null) {
        throw failure;
      }
      invariants.afterEvent(replicas);
    }
  }

  // ---- the clients' side ----

  /** Submits through the current leader's batcher; without a leader, a refusal that is safe to retry. */
  CompletableFuture<Outcome> submit(Command c, int bytes) {
    if (term == null) {
      return CompletableFuture.failedFuture(new UnavailableException("no leader", 1));
    }
    return term.batcher.submit(c, bytes);
  }

  void acknowledged(Invariants.Ack ack) {
    invariants.acknowledged(ack, log, replicas);
  }

  void expect(boolean ok, String message) {
    invariants.check(ok, message);
  }

  /** A future callback whose failure fails the run (a future would keep it to itself). */
  <T> BiConsumer<T, Throwable> guarded(BiConsumer<T, Throwable> callback) {
    return (v, e) -> {
      try {
        callback.accept(v, e);
      } catch (RuntimeException x) {
        if (failure == null) {
          failure = x;
        }
      }
    };
  }

  // ---- the replicas' and the log's side ----

  private void applyLoop(Replica r) {
    long i = r.next(log);
    if (i > 0) {
      ReplicatedLog.Entry e = log.entry(i);
      if (e.data() == null) {
        r.applied = i; // a leader's no-op: Ratis only advances the applied index
        scheduler.note("r" + r.id + " applies " + i + " (no-op of term " + e.term() + ")");
      } else {
        byte[] outcomes = r.state.apply(e.data());
        r.applied = i;
        scheduler.note("r" + r.id + " applies " + i + " " + describe(e.commands()));
        invariants.applied(r.id, i, e, outcomes);
        if (term != null && term.leader == r.id) {
          CompletableFuture<GroupReply> reply = term.replies.remove(i);
          if (reply != null) {
            reply.complete(new GroupReply(outcomes, CompletableFuture.completedFuture(null)));
          }
        }
      }
    }
    scheduler.poll(r.next(log) > 0 ? scheduler.between(0.05, 0.5) : scheduler.between(1, 5),
        "r" + r.id + " applies", () -> applyLoop(r));
  }

  private void replicateLoop(Replica r) {
    int leader = log.leader();
    if (leader >= 0 && leader != r.id && r.up() && log.match(r.id) < log.lastIndex() && !scheduler.chance(0.1)) {
      long behind = log.lastIndex() - log.match(r.id);
      long upTo = scheduler.chance(0.7) ? log.lastIndex() : log.match(r.id) + 1 + scheduler.random.nextLong(behind);
      log.replicate(r.id, upTo);
      scheduler.note("r" + r.id + " holds the log to " + upTo + "; commit " + log.commitIndex());
    }
    scheduler.poll(scheduler.between(1, 8), "r" + r.id + " receives", () -> replicateLoop(r));
  }

  private void expireLoop() {
    if (term != null) {
      scheduler.note("expiry sweep");
      term.batcher.expire(scheduler.nowNanos());
    }
    scheduler.poll(WRITE_TIMEOUT_MILLIS / 4.0, "expiry sweep", this::expireLoop);
  }

  private void elect() {
    electionScheduled = false;
    if (log.leader() >= 0) {
      return;
    }
    boolean[] live = new boolean[replicas.length];
    List<Integer> candidates = new ArrayList<>();
    for (Replica r : replicas) {
      live[r.id] = r.up();
    }
    for (Replica r : replicas) {
      if (log.electable(r.id, live)) {
        candidates.add(r.id);
      }
    }
    if (candidates.isEmpty()) {
      scheduleElection(); // no majority up
      return;
    }
    int winner = candidates.get(scheduler.random.nextInt(candidates.size()));
    long dropped = log.elect(winner);
    faults.merge("uncommitted entries lost", (int) dropped, Integer::sum);
    scheduler.note("  r" + winner + " leads term " + log.term() + "; " + dropped + " uncommitted entries dropped, log "
        + (log.lastIndex() - 1) + " (+ no-op), commit " + log.commitIndex());
    term = new Term(winner);
  }

  private void scheduleElection() {
    if (!electionScheduled) {
      electionScheduled = true;
      scheduler.after(scheduler.between(5, 40), "election", this::elect);
    }
  }

  /** The leader is gone: its batcher answers every waiting command "outcome unknown", nothing more commits for now. */
  private void endTerm(String why) {
    Term t = term;
    term = null;
    t.over = true;
    log.loseLeader();
    scheduler.note("  term " + log.term() + " ends: " + why);
    t.batcher.expire(scheduler.nowNanos() + TimeUnit.DAYS.toNanos(1));
    scheduleElection();
  }

  private void crash(Replica r, String why) {
    if (term != null && term.leader == r.id) {
      endTerm("leader r" + r.id + " " + why);
    }
    r.crash();
  }

  private void restart(Replica r) {
    invariants.check(r.snapshotIndex <= log.match(r.id), "r" + r.id + "'s snapshot " + r.snapshotIndex
        + " is past its log " + log.match(r.id));
    r.start();
    r.restarts++;
    invariants.restarted(r);
    scheduler.note("  r" + r.id + " restarted from snapshot " + r.snapshotIndex);
    if (log.leader() < 0) {
      scheduleElection();
    }
  }

  private void faultLoop() {
    if (!faulting) {
      return;
    }
    scheduler.note("fault");
    List<Replica> up = new ArrayList<>();
    List<Replica> down = new ArrayList<>();
    for (Replica r : replicas) {
      (r.up() ? up : down).add(r);
    }
    double p = scheduler.random.nextDouble();
    Replica anyUp = up.isEmpty() ? null : up.get(scheduler.random.nextInt(up.size()));
    if (p < 0.15 && anyUp != null) {
      count("crash");
      crash(anyUp, "crashed");
      scheduler.note("  r" + anyUp.id + " crashed at applied " + anyUp.applied);
    } else if (p < 0.22 && anyUp != null) {
      count("power loss");
      if (term != null && term.leader == anyUp.id) {
        endTerm("leader r" + anyUp.id + " lost power");
      }
      anyUp.powerLoss(scheduler.random);
      scheduler.note("  r" + anyUp.id + " lost power at applied " + anyUp.applied);
    } else if (p < 0.50 && !down.isEmpty()) {
      count("restart");
      restart(down.get(scheduler.random.nextInt(down.size())));
    } else if (p < 0.75 && anyUp != null) {
      count("snapshot");
      anyUp.snapshot();
      scheduler.note("  r" + anyUp.id + " snapshot at " + anyUp.applied);
    } else if (p < 0.85 && term != null) {
      count("step-down");
      endTerm("leader r" + term.leader + " stepped down");
    } else if (anyUp != null) {
      count("clock jump");
      long jump = (long) scheduler.between(-3_000, 20_000);
      anyUp.clockOffsetMillis += jump;
      scheduler.note("  r" + anyUp.id + " clock jumps " + jump + " ms");
    }
    scheduler.poll(scheduler.between(10, 60), "fault", this::faultLoop);
  }

  /** Short form of an entry's commands for the trace: {@code [p1 e0 s4 produced-2, Delete churn-1]}. */
  private static String describe(List<Command> commands) {
    List<String> parts = new ArrayList<>();
    for (Command c : commands) {
      parts.add(c instanceof Command.Append a && a.producer() != null
          ? a.producer().id() + " e" + a.producer().epoch() + " s" + a.producer().seq() + " " + a.key().stream()
          : c.getClass().getSimpleName() + " " + c.key().stream());
    }
    return parts.toString();
  }

  private void count(String fault) {
    faults.merge(fault, 1, Integer::sum);
  }
}
