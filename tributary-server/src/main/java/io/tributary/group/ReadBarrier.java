package io.tributary.group;

import io.tributary.common.UnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Read-your-writes for reads served by a follower: before answering, confirm the leader's commit
 * index (a Ratis linearizable read-index) and wait until it is applied here. Calls are coalesced:
 * at most one read-index query is in flight per group, and every read that arrives while it runs
 * joins the next one (a query sent before a read arrived cannot vouch for that read).
 * Thread-safe: guarded by {@code this}.
 */
final class ReadBarrier {
  private final Supplier<CompletableFuture<Void>> query;
  private CompletableFuture<Void> inFlight;
  private CompletableFuture<Void> next;

  ReadBarrier(Supplier<CompletableFuture<Void>> query) {
    this.query = query;
  }

  CompletableFuture<Void> sync() {
    synchronized (this) {
      if (inFlight == null) {
        inFlight = new CompletableFuture<>();
        CompletableFuture<Void> mine = inFlight;
        start(mine);
        return mine;
      }
      if (next == null) {
        next = new CompletableFuture<>();
      }
      return next;
    }
  }

  private void start(CompletableFuture<Void> target) {
    CompletableFuture<Void> q;
    try {
      q = query.get();
    } catch (RuntimeException e) {
      q = CompletableFuture.failedFuture(e);
    }
    q.whenComplete((v, e) -> {
      CompletableFuture<Void> following;
      synchronized (this) {
        following = next;
        next = null;
        inFlight = following;
      }
      if (e != null) {
        target.completeExceptionally(new UnavailableException("cannot confirm the leader's commit index: "
            + e.getMessage(), 1));
      } else {
        target.complete(null);
      }
      if (following != null) {
        start(following);
      }
    });
  }
}
