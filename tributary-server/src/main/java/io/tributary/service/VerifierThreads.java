package io.tributary.service;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The thread an export to a peer verifies its bytes on (O(data) of disk reads, never an event
 * loop): one daemon thread, started on demand and gone after a minute idle, with a bounded queue
 * (a full one rejects: the caller answers 503).
 */
final class VerifierThreads {
  private VerifierThreads() {}

  static ThreadPoolExecutor single(String name, int queuedMax) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queuedMax), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
