package io.tributary.sim;

import java.util.ArrayDeque;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Virtual time and the order of events of one simulated run: a priority queue of (time, sequence
 * number, event) and the run's only source of randomness. Nothing sleeps and nothing runs on
 * another thread, so a seed fixes the run. Keeps the tail of the trace for failure reports. One
 * thread.
 */
final class Scheduler {
  private record Event(long atNanos, long seq, String what, boolean quiet, Runnable action) {}

  private static final int TRACE_LINES_MAX = 60;

  final SplittableRandom random;
  private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.atNanos != b.atNanos
      ? Long.compare(a.atNanos, b.atNanos) : Long.compare(a.seq, b.seq));
  private final ArrayDeque<String> trace = new ArrayDeque<>();
  private long nowNanos;
  private long seq;
  private long events;
  /** Folds every event's time and name: equal for two runs of one seed. */
  private long fingerprint = 17;

  Scheduler(long seed) {
    this.random = new SplittableRandom(seed);
  }

  long nowNanos() {
    return nowNanos;
  }

  long events() {
    return events;
  }

  long fingerprint() {
    return fingerprint;
  }

  /** Runs {@code action} {@code delayMillis} (fractional) from now. */
  void after(double delayMillis, String what, Runnable action) {
    queue.add(new Event(nowNanos + (long) (delayMillis * 1_000_000), seq++, what, false, action));
  }

  /** Like {@link #after}, for a polling event that notes in the trace only what it does. */
  void poll(double delayMillis, String what, Runnable action) {
    queue.add(new Event(nowNanos + (long) (delayMillis * 1_000_000), seq++, what, true, action));
  }

  /** A random delay in {@code [minMillis, maxMillis)}. */
  double between(double minMillis, double maxMillis) {
    return minMillis + random.nextDouble() * (maxMillis - minMillis);
  }

  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  /** Runs the next event; false when none is left. */
  boolean step() {
    Event e = queue.poll();
    if (e == null) {
      return false;
    }
    nowNanos = e.atNanos;
    events++;
    fingerprint = fingerprint * 31 + e.atNanos;
    fingerprint = fingerprint * 31 + e.what.hashCode();
    if (!e.quiet) {
      note(e.what);
    }
    e.action.run();
    return true;
  }

  /** Adds a line to the trace (events add their own; facts found during one are added by it). */
  void note(String line) {
    if (trace.size() == TRACE_LINES_MAX) {
      trace.removeFirst();
    }
    trace.addLast(String.format("%10.3f ms  %s", nowNanos / 1e6, line));
  }

  String traceTail() {
    return String.join("\n", trace);
  }
}
