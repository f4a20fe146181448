package io.tributary.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Goal: a read learns when its TTL renewal counts everywhere: the touch sent for it, or, when one
 * was already in flight, the one touch sent after it for every read that arrived meanwhile; a
 * failed touch fails the reads it covered and the next read starts a new one. Method: a toucher
 * whose touches the test completes by hand.
 */
class TtlTrackerTest {
  private static final StreamKey KEY = new StreamKey(StreamKey.DEFAULT_BUCKET, "t");
  private final List<CompletableFuture<Void>> touches = new ArrayList<>();
  private final TtlTracker ttl = new TtlTracker(() -> 1_000L, (key, id) -> {
    CompletableFuture<Void> f = new CompletableFuture<>();
    touches.add(f);
    return f;
  });

  @Test
  void readsDuringATouchShareTheNextOne() {
    CompletableFuture<Void> first = ttl.read(KEY, 7);
    CompletableFuture<Void> second = ttl.read(KEY, 7);
    CompletableFuture<Void> third = ttl.read(KEY, 7);
    assertThat(touches).as("one touch in flight").hasSize(1);
    assertThat(second).isSameAs(third);
    touches.get(0).complete(null);
    assertThat(first).isCompleted();
    assertThat(second).as("a touch sent before these reads does not cover them").isNotDone();
    assertThat(touches).as("one more touch for both").hasSize(2);
    touches.get(1).complete(null);
    assertThat(second).isCompleted();
    assertThat(ttl.lastReadMillis(7)).isEqualTo(1_000L);
  }

  @Test
  void aFailedTouchFailsTheReadsItCoveredAndTheNextReadTouchesAgain() {
    CompletableFuture<Void> first = ttl.read(KEY, 7);
    CompletableFuture<Void> waiting = ttl.read(KEY, 7);
    touches.get(0).completeExceptionally(new IllegalStateException("no leader"));
    assertThat(first).isCompletedExceptionally();
    assertThat(waiting).isCompletedExceptionally();
    CompletableFuture<Void> later = ttl.read(KEY, 7);
    assertThat(touches).hasSize(2);
    touches.get(1).complete(null);
    assertThat(later).isCompleted();
  }
}
