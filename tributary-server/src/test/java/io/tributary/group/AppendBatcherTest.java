package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.common.UnavailableException;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.state.Outcome;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Goal: the group commit coalesces what arrives while entries are in flight, in arrival order,
 * without delaying an idle group; its queue is bounded (503 when full); and a write that is not
 * answered within write-timeout-ms fails with a 503 from the sweep, whether it waited in the queue
 * or was in flight, while a late reply completes nothing twice. Method: the batcher with a
 * submitter whose replies the test completes by hand (the Ratis boundary), no Raft.
 */
class AppendBatcherTest {
  private static final long TIMEOUT_MILLIS = 1000;

  /** Entries handed to "Ratis", each with the reply future the test completes. */
  private final List<List<Command>> entries = new ArrayList<>();
  private final List<CompletableFuture<GroupReply>> replies = new ArrayList<>();

  private AppendBatcher batcher(int inFlightMax, int pendingMax) {
    return new AppendBatcher(0, Clock.SYSTEM, new GroupMetrics(), entry -> {
      entries.add(CommandCodec.decode(ByteBuffer.wrap(entry)).commands());
      CompletableFuture<GroupReply> f = new CompletableFuture<>();
      replies.add(f);
      return f;
    }, 1 << 20, 3, 2048, inFlightMax, pendingMax, 64L << 20, TIMEOUT_MILLIS,
        io.tributary.state.Limits.UNSTAMPED);
  }

  private static Command append(int i) {
    return new Command.Append(new StreamKey("b", "s" + i), "text/plain", new byte[] {(byte) i}, 1, false, null, null);
  }

  /** Answers entry {@code i} with one APPENDED outcome per command, tail = the command's number. */
  private void answer(int i) {
    List<Outcome> outs = new ArrayList<>();
    for (Command c : entries.get(i)) {
      outs.add(Outcome.tail(Outcome.Code.APPENDED, Long.parseLong(c.key().stream().substring(1)), false));
    }
    replies.get(i).complete(new GroupReply(CommandCodec.encodeOutcomes(outs), CompletableFuture.completedFuture(null)));
  }

  @Test
  void anIdleGroupSubmitsAtOnceAndWhatArrivesMeanwhileSharesTheNextEntryInOrder() throws Exception {
    AppendBatcher b = batcher(1, 1000);
    CompletableFuture<Outcome> first = b.submit(append(0), 64);
    assertThat(entries).as("idle group: no waiting for company").hasSize(1);
    List<CompletableFuture<Outcome>> later = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      later.add(b.submit(append(i), 64));
    }
    assertThat(entries).as("one entry in flight: the rest queue").hasSize(1);
    answer(0);
    assertThat(first.get(1, TimeUnit.SECONDS).tail()).isZero();
    assertThat(entries).as("the queue went out as one entry").hasSize(2);
    assertThat(entries.get(1)).extracting(c -> c.key().stream()).containsExactly("s1", "s2", "s3", "s4", "s5");
    answer(1);
    for (int i = 0; i < 5; i++) {
      assertThat(later.get(i).get(1, TimeUnit.SECONDS).tail()).isEqualTo(i + 1);
    }
  }

  @Test
  void aFurtherEntryInFlightStartsOnlyOnceEnoughIsQueued() throws Exception {
    AppendBatcher b = batcher(4, 1000); // batch-appends-min 3
    b.submit(append(0), 64);
    b.submit(append(1), 64);
    b.submit(append(2), 64);
    assertThat(entries).as("two queued behind an entry in flight: below the minimum, they wait").hasSize(1);
    b.submit(append(3), 64);
    assertThat(entries).as("three queued: a second entry starts without waiting for the first").hasSize(2);
    assertThat(entries.get(1)).extracting(c -> c.key().stream()).containsExactly("s1", "s2", "s3");
    b.submit(append(4), 64);
    answer(0);
    assertThat(entries).as("one entry still in flight: a lone command keeps waiting")
        .hasSize(2);
    answer(1);
    assertThat(entries).as("idle again: the straggler goes out alone").hasSize(3);
    assertThat(entries.get(2)).extracting(c -> c.key().stream()).containsExactly("s4");
  }

  @Test
  void aFullQueueIsA503() {
    AppendBatcher b = batcher(1, 2);
    b.submit(append(0), 64); // in flight
    b.submit(append(1), 64);
    b.submit(append(2), 64);
    CompletableFuture<Outcome> refused = b.submit(append(3), 64);
    assertThat(refused).isCompletedExceptionally();
    assertThat(causeOf(refused)).isInstanceOf(UnavailableException.class).hasMessageContaining("too many pending writes");
  }

  @Test
  void writesUnansweredPastTheTimeoutFailWith503AndALateReplyChangesNothing() throws Exception {
    AppendBatcher b = batcher(1, 1000);
    long t0 = System.nanoTime();
    CompletableFuture<Outcome> inFlight = b.submit(append(0), 64);
    CompletableFuture<Outcome> queued = b.submit(append(1), 64);
    b.expire(t0 + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS / 2));
    assertThat(inFlight).as("half the timeout: still waiting").isNotDone();
    assertThat(queued).isNotDone();

    b.expire(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS));
    for (CompletableFuture<Outcome> f : List.of(inFlight, queued)) {
      assertThat(f).isCompletedExceptionally();
      assertThat(causeOf(f)).isInstanceOf(UnavailableException.class).hasMessageContaining("not acknowledged within 1000 ms");
    }
    assertThat(b.queued()).as("the expired command left the queue").isZero();
    answer(0); // the entry committed after all: its future stays failed (outcome unknown to the client)
    assertThat(inFlight).isCompletedExceptionally();
    assertThat(entries).as("the expired queued command was never sent").hasSize(1);
    CompletableFuture<Outcome> next = b.submit(append(2), 64);
    assertThat(entries).as("the slot came back with the late reply").hasSize(2);
    answer(1);
    assertThat(next.get(1, TimeUnit.SECONDS).tail()).isEqualTo(2);
  }

  private static Throwable causeOf(CompletableFuture<?> f) {
    try {
      f.get(1, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
