package io.tributary.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared progress of the writers: acknowledged appends, retries, acknowledgements that were a
 * 204 duplicate on the first attempt, and the failures they saw. The test thread waits on it for
 * a delay that a failure cuts short. Thread-safe (its own monitor).
 */
final class LoadProgress {
  private long acks;
  private long retries;
  private long firstAttemptDuplicates;
  private final List<String> failures = new ArrayList<>();

  synchronized void acked() {
    acks++;
  }

  synchronized void retried() {
    retries++;
  }

  synchronized void firstAttemptDuplicate() {
    firstAttemptDuplicates++;
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

  synchronized long firstAttemptDuplicates() {
    return firstAttemptDuplicates;
  }

  synchronized List<String> failures() {
    return List.copyOf(failures);
  }

  synchronized boolean failed() {
    return !failures.isEmpty();
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
