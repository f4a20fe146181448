package io.tributary.sim;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.state.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The simulated clients, as the HTTP layer would submit for them (already validated commands):
 * <ul>
 *   <li>an admin that creates the producer streams, retrying until each exists;
 *   <li>{@link #PRODUCERS} idempotent producers appending to the producer streams, one append
 *       outstanding each, retrying an unknown outcome with the same (id, epoch, seq) until it is
 *       acknowledged, sometimes sending a request twice (a duplicate delivery), sometimes starting
 *       a new epoch;
 *   <li>a churn client creating (some with a TTL), appending to, closing and deleting other streams
 *       without producer headers, accepting whatever answer comes.
 * </ul>
 * Answers arrive inside other events (an apply, an expiry sweep, the end of a leader's term); a
 * client only schedules its next step from them. One thread.
 */
final class Clients {
  static final int PRODUCERS = 4;
  static final int PRODUCED_STREAMS = 3;
  static final String PRODUCED_PREFIX = "produced-";
  private static final List<StreamKey> CHURN = List.of(new StreamKey("default", "churn-0"),
      new StreamKey("default", "churn-1"));
  private static final double DUPLICATE_DELIVERY_CHANCE = 0.05;
  private static final double NEW_EPOCH_CHANCE = 0.02;

  private final GroupSimulation sim;
  private final Scheduler scheduler;
  private final List<StreamKey> produced = new ArrayList<>();
  private final List<Producer> producers = new ArrayList<>();
  private int streamsCreated;
  private boolean churnBusy;
  /** Cleared when the run heals: no new requests, outstanding ones are still retried to the end. */
  boolean working = true;
  long duplicateDeliveries;
  /** Attempts answered with a failure: an unknown outcome (timeout, end of a term) or a refusal (no leader). */
  long failedAttempts;
  long duplicateAnswers;

  Clients(GroupSimulation sim, Scheduler scheduler) {
    this.sim = sim;
    this.scheduler = scheduler;
    for (int i = 0; i < PRODUCED_STREAMS; i++) {
      produced.add(new StreamKey("default", PRODUCED_PREFIX + i));
    }
    for (int i = 0; i < PRODUCERS; i++) {
      producers.add(new Producer("p" + i));
    }
  }

  void start() {
    for (StreamKey k : produced) {
      create(k);
    }
    scheduler.after(scheduler.between(1, 20), "churn starts", this::churn);
  }

  /** True when no request is outstanding. */
  boolean idle() {
    return !churnBusy && streamsCreated == produced.size() && producers.stream().allMatch(p -> p.current == null);
  }

  private void create(StreamKey k) {
    Command c = new Command.Create(k, "text/plain", -1, null, -1, false, new byte[0], 0, null);
    sim.submit(c, 64).whenComplete(sim.guarded((o, e) -> {
      if (e != null) {
        scheduler.after(scheduler.between(5, 30), "admin retries create " + k.stream(), () -> create(k));
        return;
      }
      sim.expect(o.code() == Outcome.Code.CREATED || o.code() == Outcome.Code.EXISTS, "create of " + k + ": " + o);
      if (++streamsCreated == produced.size()) {
        for (Producer p : producers) {
          scheduler.after(scheduler.between(0, 5), p.id + " starts", p::next);
        }
      }
    }));
  }

  /** One idempotent producer: its (epoch, next seq) per stream and its one outstanding append. */
  private final class Producer {
    final String id;
    final long[] epoch = new long[PRODUCED_STREAMS];
    final long[] seq = new long[PRODUCED_STREAMS];
    Command.Append current;
    int currentStream;

    Producer(String id) {
      this.id = id;
    }

    void next() {
      if (!working) {
        return;
      }
      int s = scheduler.random.nextInt(PRODUCED_STREAMS);
      StringBuilder line = new StringBuilder(id + " e" + epoch[s] + " s" + seq[s] + " ");
      int filler = scheduler.random.nextInt(120);
      for (int i = 0; i < filler; i++) {
        line.append((char) ('a' + scheduler.random.nextInt(26)));
      }
      byte[] data = line.append('\n').toString().getBytes(StandardCharsets.US_ASCII);
      currentStream = s;
      current = new Command.Append(produced.get(s), "text/plain", data, 1, false, null,
          new Command.Producer(id, epoch[s], seq[s]));
      send();
    }

    void send() {
      Command.Append c = current;
      String what = id + " e" + c.producer().epoch() + " s" + c.producer().seq() + " on " + c.key().stream();
      sim.submit(c, c.data().length + 64).whenComplete(sim.guarded((o, e) -> answered(c, what, o, e)));
      if (scheduler.chance(DUPLICATE_DELIVERY_CHANCE)) {
        duplicateDeliveries++;
        scheduler.note("  duplicate delivery of " + what);
        sim.submit(c, c.data().length + 64).whenComplete(sim.guarded((o, e) -> answered(c, what, o, e)));
      }
    }

    private void answered(Command.Append c, String what, Outcome o, Throwable e) {
      if (current != c) {
        // a late answer to a request already acknowledged (a duplicate delivery or an expired attempt)
        sim.expect(e != null || o.code() == Outcome.Code.DUPLICATE || o.code() == Outcome.Code.PRODUCER_STALE_EPOCH,
            "late answer to " + what + ": " + o);
        return;
      }
      if (e != null) {
        failedAttempts++;
        scheduler.after(scheduler.between(5, 40), "retry " + what, () -> {
          if (current == c) {
            send();
          }
        });
        return;
      }
      Command.Producer p = c.producer();
      if (o.code() == Outcome.Code.DUPLICATE) {
        duplicateAnswers++;
        sim.expect(o.producerEpoch() == p.epoch() && o.producerSeq() == p.seq(), what + ": " + o);
      } else {
        sim.expect(o.code() == Outcome.Code.APPENDED, what + " was answered " + o);
      }
      Invariants.Tag tag = Invariants.Tag.of(c.key().stream(), c.data());
      Long writtenAt = sim.invariants.writtenAt(tag);
      sim.expect(writtenAt != null, what + " acknowledged (" + o.code() + ") but never applied as APPENDED");
      sim.acknowledged(new Invariants.Ack(c.key(), tag, o.start(), c.data(), writtenAt));
      current = null;
      int s = currentStream;
      seq[s]++;
      if (scheduler.chance(NEW_EPOCH_CHANCE)) {
        epoch[s]++;
        seq[s] = 0;
      }
      scheduler.after(scheduler.between(1, 15), id + " appends", this::next);
    }
  }

  private void churn() {
    if (!working) {
      return;
    }
    StreamKey k = CHURN.get(scheduler.random.nextInt(CHURN.size()));
    int op = scheduler.random.nextInt(10);
    Command c = switch (op) {
      case 0, 1 -> new Command.Create(k, "text/plain", op == 0 ? -1 : 1 + scheduler.random.nextInt(5), null, -1,
          false, new byte[0], 0, null);
      case 2 -> new Command.Delete(k);
      case 3 -> new Command.Append(k, null, new byte[0], 0, true, null, null);
      default -> new Command.Append(k, "text/plain", ("churn " + scheduler.nowNanos() + "\n").getBytes(
          StandardCharsets.US_ASCII), 1, false, null, null);
    };
    churnBusy = true;
    CompletableFuture<Outcome> f = sim.submit(c, 96);
    f.whenComplete(sim.guarded((o, e) -> {
      churnBusy = false;
      scheduler.after(scheduler.between(2, 25), "churn", this::churn);
    }));
  }
}
