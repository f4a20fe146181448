package io.tributary.durability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared progress of the writers: the number of acknowledged appends and the failures they saw.
 * The test thread waits on it for "N more acks" (to kill right after a burst), for a random delay
 * that a failure cuts short, or for the first failure. Thread-safe (its own monitor).
 */
final class LoadMonitor {
  private long acks;
  private long retries;
  private final List<String> failures = new ArrayList<>();

  synchronized void acked() {
    acks++;
    notifyAll();
  }

  synchronized void retried() {
    retries++;
  }

  synchronized void fail(String what) {
    failures.add(what);
    notifyAll();
  }

  synchronized long acks() {
    return acks;
  }

  synchronized long retries() {
    return retries;
  }

  synchronized List<String> failures() {
    return List.copyOf(failures);
  }

  /** Waits until {@code target} acks were counted or a failure is reported; false on timeout. */
  synchronized boolean awaitAcks(long target, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acks < target && failures.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** Lets {@code delay} pass unless a failure is reported first (then returns at once). */
  synchronized void awaitDelayOrFailure(Duration delay) throws InterruptedException {
    long deadline = System.nanoTime() + delay.toNanos();
    while (failures.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }
}
