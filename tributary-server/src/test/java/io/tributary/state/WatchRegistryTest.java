package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Goal: a wake-up that throws (an executor already shut down while the node stops) neither
 * reaches the apply thread nor keeps the stream's other watchers asleep. CI saw the node-wide feed
 * of the subscriptions throw RejectedExecutionException into an apply during a clean shutdown, and
 * the replica halted the test JVM (fail-stop, exit 70). Method: a registry with a throwing feed
 * and a throwing watcher between two good ones; fire; count.
 */
class WatchRegistryTest {
  @Test
  void aFailingWakeUpIsContainedAndTheOthersStillRun() {
    WatchRegistry r = new WatchRegistry();
    List<String> woken = new ArrayList<>();
    r.onEveryChange(id -> {
      throw new RejectedExecutionException("subscriptions closed");
    });
    r.register(7, () -> woken.add("first"));
    r.register(7, () -> {
      throw new RejectedExecutionException("event loop shut down");
    });
    r.register(7, () -> woken.add("third"));
    r.fire(7);
    assertThat(woken).containsExactly("first", "third");
    assertThat(r.wakeFailures()).isEqualTo(2);
    assertThat(r.size()).isZero();
  }
}
