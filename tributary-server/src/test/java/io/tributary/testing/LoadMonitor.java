package io.tributary.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared progress of load writers (crash and cluster fault tests): acknowledged appends, retries,
 * acknowledgements that were a 204 duplicate on the first attempt, and the failures they saw. The
 * test thread waits on it for "N more acks" (to kill right after a burst), for a random delay that
 * a failure cuts short, or for the first failure. Thread-safe (its own monitor).
 */
public final class LoadMonitor {
  private long acks;
  private long retries;
  private long firstAttemptDuplicates;
  private final List<String> failures = new ArrayList<>();

  public synchronized void acked() {
    acks++;
    notifyAll();
  }

  public synchronized void retried() {
    retries++;
  }

  public synchronized void firstAttemptDuplicate() {
    firstAttemptDuplicates++;
  }

  public synchronized long firstAttemptDuplicates() {
    return firstAttemptDuplicates;
  }

  public synchronized boolean failed() {
    return !failures.isEmpty();
  }

  public synchronized void fail(String what) {
    failures.add(what);
    notifyAll();
  }

  public synchronized long acks() {
    return acks;
  }

  public synchronized long retries() {
    return retries;
  }

  public synchronized List<String> failures() {
    return List.copyOf(failures);
  }

  /** Waits until {@code target} acks were counted or a failure is reported; false on timeout. */
  public synchronized boolean awaitAcks(long target, Duration timeout) throws InterruptedException {
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
  public synchronized void awaitDelayOrFailure(Duration delay) throws InterruptedException {
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
