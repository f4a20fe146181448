package io.tributary.group;

import io.tributary.common.Clock;
import io.tributary.common.UnavailableException;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.state.Limits;
import io.tributary.state.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit for one group: commands that arrive while entries are in flight are coalesced into
 * the next Raft entry (bounded by bytes and count), with at most {@code entriesInFlightMax}
 * entries outstanding. An idle group submits at once: there is no batching delay. With an entry
 * in flight, another starts only once {@code batchAppendsMin} commands (or half of
 * {@code batchBytesMax}) are queued; fewer wait for the entry in flight to be answered. Raft costs
 * about the same per entry whatever it holds (a replicated entry several milliseconds of CPU over
 * three nodes), so a second slot taken by whatever arrived alone halved the appends per entry.
 *
 * <p>Threads: {@link #submit} from any thread (Netty event loops); completions run on the engine's
 * threads; {@link #expire} on the host's timeout thread. The queue, the batches in flight and
 * the counters are guarded by {@code this}; entries are encoded and handed to the engine under it, so
 * they enter the log in queue order. The queue is bounded by count and bytes; a full queue is a
 * 503. A command not answered within {@code write-timeout-ms} is failed by {@link #expire} (one
 * sweep for all commands, rather than a timer per append: a per-future {@code orTimeout} cost
 * about a tenth of the server's CPU in scheduling and wake-ups). Queue times come from
 * {@link Clock#nanoTime()}, the clock {@link #expire} is given times of, so a test can run the
 * batcher in virtual time.
 */
public final class AppendBatcher {
  private record Pending(Command command, int bytes, CompletableFuture<Outcome> future, long queuedNanos) {}

  private final int group;
  private final Clock clock;
  private final GroupMetrics metrics;
  private final Function<byte[], CompletableFuture<GroupReply>> submitter;
  private final long batchBytesMax;
  private final int batchAppendsMin;
  private final int batchAppendsMax;
  private final int entriesInFlightMax;
  private final int pendingMax;
  private final long pendingBytesMax;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  /** Batches handed to the engine and not yet answered, oldest first. */
  private final ArrayDeque<List<Pending>> sent = new ArrayDeque<>();
  private final long writeTimeoutMillis;
  /** Stamped into every entry with its time: apply decides the state bounds with them. */
  private final Limits limits;
  /** The cluster's feature level: which entry format every voter can apply (see {@link io.tributary.state.FeatureLevel}). */
  private final java.util.function.IntSupplier featureLevel;
  /** Run (outside the lock) whenever a completion leaves nothing queued or in flight; set once after construction. */
  private volatile Runnable whenIdle;
  private long queuedBytes;
  private int inFlight;
  private long entriesSubmitted;
  private long commandsSubmitted;

  /**
   * @param submitter submits one encoded entry and completes with its reply, or fails with
   *     {@link UnavailableException} when the group cannot take it
   */
  public AppendBatcher(int group, Clock clock, GroupMetrics metrics, Function<byte[], CompletableFuture<GroupReply>> submitter,
      long batchBytesMax, int batchAppendsMin, int batchAppendsMax, int entriesInFlightMax, int pendingMax,
      long pendingBytesMax, long writeTimeoutMillis, Limits limits) {
    this(group, clock, metrics, submitter, batchBytesMax, batchAppendsMin, batchAppendsMax, entriesInFlightMax, pendingMax,
        pendingBytesMax, writeTimeoutMillis, limits, () -> io.tributary.state.FeatureLevel.CURRENT);
  }

  /** @param featureLevel the cluster's feature level, read once per entry: the format the entry is written in */
  public AppendBatcher(int group, Clock clock, GroupMetrics metrics, Function<byte[], CompletableFuture<GroupReply>> submitter,
      long batchBytesMax, int batchAppendsMin, int batchAppendsMax, int entriesInFlightMax, int pendingMax,
      long pendingBytesMax, long writeTimeoutMillis, Limits limits, java.util.function.IntSupplier featureLevel) {
    this.limits = limits;
    this.featureLevel = featureLevel;
    this.batchAppendsMin = batchAppendsMin;
    this.group = group;
    this.writeTimeoutMillis = writeTimeoutMillis;
    this.metrics = metrics;
    this.clock = clock;
    this.submitter = submitter;
    this.batchBytesMax = batchBytesMax;
    this.batchAppendsMax = batchAppendsMax;
    this.entriesInFlightMax = entriesInFlightMax;
    this.pendingMax = pendingMax;
    this.pendingBytesMax = pendingBytesMax;
  }

  /** Queues a command; the future completes with its outcome once its entry is applied. */
  public CompletableFuture<Outcome> submit(Command command, int bytes) {
    CompletableFuture<Outcome> f = new CompletableFuture<>();
    synchronized (this) {
      if (queue.size() >= pendingMax || (queuedBytes + bytes > pendingBytesMax && !queue.isEmpty())) {
        return CompletableFuture.failedFuture(new UnavailableException(
            "group " + group + " has too many pending writes (" + queue.size() + " queued)", 1,
            io.tributary.protocol.Headers.UNAVAILABLE_OVERLOADED));
      }
      queue.add(new Pending(command, bytes, f, clock.nanoTime()));
      queuedBytes += bytes;
    }
    drain();
    return f;
  }

  /**
   * Takes queued commands into entries while fewer than the in-flight bound are outstanding.
   * Encoding and submission happen under the lock so entries reach the Raft log in queue order
   * (a producer pipelining seq n and n+1 must not see them reordered into a false gap).
   */
  private void drain() {
    boolean idle;
    synchronized (this) {
      while (!queue.isEmpty() && (inFlight == 0 || (inFlight < entriesInFlightMax
          && (queue.size() >= batchAppendsMin || queuedBytes >= batchBytesMax / 2)))) {
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), batchAppendsMax));
        int bytes = 0;
        while (!queue.isEmpty() && batch.size() < batchAppendsMax) {
          Pending p = queue.peek();
          if (!batch.isEmpty() && bytes + p.bytes > batchBytesMax) {
            break;
          }
          queue.poll();
          batch.add(p);
          bytes += p.bytes;
        }
        queuedBytes -= bytes;
        inFlight++;
        entriesSubmitted++;
        commandsSubmitted += batch.size();
        metrics.entry(group, batch.size(), bytes);
        sent.add(batch);
        send(batch, bytes);
      }
      idle = inFlight == 0 && queue.isEmpty();
    }
    Runnable r = whenIdle;
    if (idle && r != null) {
      r.run();
    }
  }

  /**
   * {@code r} runs, on the completing thread and outside the lock, each time an answered entry
   * leaves this batcher with nothing queued or in flight (the host announces commits to followers
   * then, when no next entry would carry them).
   */
  public void whenIdle(Runnable r) {
    this.whenIdle = r;
  }

  /** Nothing queued and no entry in flight. */
  public synchronized boolean idle() {
    return inFlight == 0 && queue.isEmpty();
  }

  private void send(List<Pending> batch, int bytes) {
    List<Command> commands = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      commands.add(p.command);
    }
    CompletableFuture<GroupReply> reply;
    try {
      reply = submitter.apply(CommandCodec.encode(clock.nowMillis(), featureLevel.getAsInt(), limits, commands, bytes));
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    java.util.function.BiConsumer<GroupReply, Throwable> done = (r, error) -> {
      synchronized (this) {
        inFlight--;
        sent.remove(batch);
      }
      if (error != null) {
        complete(batch, null, error);
      } else {
        // the slot is free as soon as the leader answered; clients wait until their write is visible here
        r.visibleLocally().whenComplete((v, e) -> complete(batch, r.outcomes(), e));
      }
      drain();
    };
    if (reply.isDone()) {
      // an immediate failure must not recurse through drain() under the lock, once per queued batch
      reply.whenCompleteAsync(done, java.util.concurrent.ForkJoinPool.commonPool());
    } else {
      reply.whenComplete(done);
    }
  }

  private void complete(List<Pending> batch, byte[] encoded, Throwable error) {
    if (error == null) {
      List<Outcome> outcomes;
      try {
        outcomes = CommandCodec.decodeOutcomes(java.nio.ByteBuffer.wrap(encoded));
      } catch (RuntimeException e) {
        error = e;
        outcomes = null;
      }
      if (outcomes != null && outcomes.size() == batch.size()) {
        long now = clock.nanoTime();
        for (int i = 0; i < batch.size(); i++) {
          metrics.completed(group, now - batch.get(i).queuedNanos);
          batch.get(i).future.complete(outcomes.get(i));
        }
        return;
      }
      if (error == null) {
        error = new IllegalStateException("group " + group + ": " + (outcomes == null ? 0 : outcomes.size())
            + " outcomes for " + batch.size() + " commands");
      }
    }
    Throwable cause = io.tributary.common.Failures.cause(error);
    for (Pending p : batch) {
      p.future.completeExceptionally(cause);
    }
  }

  /**
   * Fails every command queued or in flight for {@code write-timeout-ms} or more at
   * {@code nowNanos} with a 503 (outcome unknown: an entry in flight may still commit, and its
   * late reply then completes nothing). Host timeout thread.
   */
  public void expire(long nowNanos) {
    long timeoutNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(writeTimeoutMillis);
    List<Pending> expired = new ArrayList<>();
    synchronized (this) {
      for (List<Pending> batch : sent) {
        if (nowNanos - batch.get(0).queuedNanos < timeoutNanos) {
          break; // later batches were queued later
        }
        expired.addAll(batch);
      }
      while (!queue.isEmpty() && nowNanos - queue.peek().queuedNanos >= timeoutNanos) {
        Pending p = queue.poll();
        queuedBytes -= p.bytes;
        expired.add(p);
      }
    }
    if (expired.isEmpty()) {
      return;
    }
    UnavailableException timedOut = new UnavailableException("write not acknowledged within " + writeTimeoutMillis
        + " ms; outcome unknown, retry (producer headers make the retry exactly-once)", 1);
    for (Pending p : expired) {
      p.future.completeExceptionally(timedOut);
    }
  }

  public synchronized int queued() {
    return queue.size();
  }

  public synchronized long entriesSubmitted() {
    return entriesSubmitted;
  }

  public synchronized long commandsSubmitted() {
    return commandsSubmitted;
  }
}
