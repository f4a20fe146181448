package io.tributary.durability;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Where the writers send their requests, and the means to keep them away from the server while
 * it is being killed, restarted and checked.
 *
 * <p>Each writer makes one request <em>and records its outcome</em> inside
 * {@link #withServer} (read lock). The test thread, after a SIGKILL, {@link #hold}s the write lock:
 * that waits for the requests that were in flight to fail (the dead process's sockets are closed
 * by the kernel) and then keeps every writer out, so the writers' ledgers are stable and visible
 * to the test thread while it restarts the server and compares what it serves with them.
 * {@link #release} publishes the new address and lets the writers retry.
 *
 * <p>Threads: {@link #withServer} from writer threads; {@link #hold}/{@link #release} from the
 * one test thread, in pairs.
 */
final class ServerGate {
  /** A request (and the bookkeeping of its outcome) against the server at {@code baseUrl}. */
  interface Call<T> {
    T apply(String baseUrl) throws InterruptedException;
  }

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private String baseUrl; // guarded by lock

  ServerGate(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  <T> T withServer(Call<T> call) throws InterruptedException {
    lock.readLock().lockInterruptibly();
    try {
      return call.apply(baseUrl);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Waits (up to {@code timeout}) for the writers to leave, then keeps them out. */
  void hold(Duration timeout) throws InterruptedException {
    if (!lock.writeLock().tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("writers still had requests in flight " + timeout + " after the server died");
    }
    baseUrl = null;
  }

  /** Lets the writers in again, towards {@code newBaseUrl}. */
  void release(String newBaseUrl) {
    baseUrl = newBaseUrl;
    lock.writeLock().unlock();
  }
}
