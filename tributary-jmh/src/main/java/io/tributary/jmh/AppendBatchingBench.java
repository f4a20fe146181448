package io.tributary.jmh;

import io.tributary.common.Clock;
import io.tributary.common.StreamKey;
import io.tributary.group.AppendBatcher;
import io.tributary.group.GroupMetrics;
import io.tributary.group.GroupReply;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.state.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The group commit's own cost per append, without Raft: queue a burst of 256 B appends behind an
 * entry in flight, answer it, let the batcher encode the burst into the next entry(ies), answer
 * those and complete every append's future. {@code batchAppendsMax} caps appends per entry, so 1
 * shows what an entry per append would cost here; Ratis's own cost per entry comes on top
 * (research/ratis-tuning.md: 250–750 µs).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AppendBatchingBench {
  private static final int BURST = 256;

  @Param({"1", "16", "2048"})
  int batchAppendsMax;

  private AppendBatcher batcher;
  private final List<CompletableFuture<GroupReply>> replies = new ArrayList<>();
  private final List<Integer> entrySizes = new ArrayList<>();
  private Command[] commands;
  private byte[][] encodedOutcomes;

  @Setup
  public void setUp() {
    batcher = new AppendBatcher(0, Clock.SYSTEM, new GroupMetrics(), entry -> {
      CompletableFuture<GroupReply> f = new CompletableFuture<>();
      replies.add(f);
      entrySizes.add(CommandCodec.decode(java.nio.ByteBuffer.wrap(entry)).commands().size());
      return f;
    }, 1 << 20, 1, batchAppendsMax, 1, 100_000, 1L << 30, 60_000);
    commands = new Command[BURST];
    for (int i = 0; i < BURST; i++) {
      commands[i] = new Command.Append(new StreamKey("bench", "s" + i), "text/plain", new byte[256], 1, false, null, null);
    }
    encodedOutcomes = new byte[BURST + 1][];
    for (int n = 1; n <= BURST; n++) {
      List<Outcome> outs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        outs.add(Outcome.tail(Outcome.Code.APPENDED, 256, false));
      }
      encodedOutcomes[n] = CommandCodec.encodeOutcomes(outs);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public int burst() throws Exception {
    List<CompletableFuture<Outcome>> futures = new ArrayList<>(BURST);
    for (Command c : commands) {
      futures.add(batcher.submit(c, 320));
    }
    // answer entries in order; each answer lets the batcher send the next one
    for (int i = 0; i < replies.size(); i++) {
      replies.get(i).complete(new GroupReply(encodedOutcomes[entrySizes.get(i)], CompletableFuture.completedFuture(null)));
    }
    replies.clear();
    entrySizes.clear();
    return futures.get(BURST - 1).get().tail() == 256 ? 1 : 0;
  }
}
