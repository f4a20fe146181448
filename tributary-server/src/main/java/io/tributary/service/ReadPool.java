package io.tributary.service;

import io.tributary.common.UnavailableException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The small, bounded pool that performs disk reads so event loops never block on I/O. A full
 * queue rejects with {@link UnavailableException} (503). Its threads run only read tasks.
 */
public final class ReadPool implements AutoCloseable {
  private final ThreadPoolExecutor executor;

  public ReadPool(int threads, int queueMax) {
    this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueMax),
        r -> {
          Thread t = new Thread(r, "tributary-read");
          t.setDaemon(true);
          return t;
        });
  }

  public <T> CompletableFuture<T> submit(Supplier<T> task) {
    try {
      return CompletableFuture.supplyAsync(task, executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new UnavailableException("too many disk reads queued", 1));
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
