package io.tributary.bench;

import io.tributary.bench.report.Result;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench <workload> [options]}: the load generator's command tree, used by
 * {@code tributary bench} and by {@link BenchMain}. Each workload prints a human summary on stderr
 * and one JSON line on stdout. Runs on the main thread.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Load generator for Durable Streams servers (HTTP only; see docs/benchmarks.md).",
    subcommands = {BenchCommand.Append.class, BenchCommand.Fanout.class, BenchCommand.Catchup.class,
        BenchCommand.LongPoll.class, ReportCommand.class, ChartCommand.class})
public final class BenchCommand implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** Runs a workload with the context of its common options; exit status 0, or 1 on a setup error. */
  static int execute(CommonOptions common, WorkloadBody body) throws Exception {
    try (BenchContext ctx = common.context()) {
      Result r = body.run(ctx);
      r.emit(common.results);
      return 0;
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("bench: " + e.getMessage());
      return 1;
    }
  }

  /** A workload run against a context. */
  interface WorkloadBody {
    Result run(BenchContext ctx) throws Exception;
  }

  @Command(name = "append", mixinStandardHelpOptions = true,
      description = "Appends to S streams: closed loop (default) or open loop at --rate; appends/s and ack latency.")
  static final class Append implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--streams", defaultValue = "100", description = "streams (default: ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--concurrency", defaultValue = "512", description = "writer connections, at most one per stream (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--payload-bytes", defaultValue = "256", description = "bytes per append (default: ${DEFAULT-VALUE})")
    int payloadBytes;

    @Option(names = "--producer", description = "send Producer-Id/Epoch/Seq (idempotent producer) with every append")
    boolean producer;

    @Option(names = "--rate", defaultValue = "0", description = "open loop: appends/s in total, latency from the intended send time (default: closed loop)")
    double rate;

    @Option(names = "--pipeline", defaultValue = "1", description = "requests in flight per connection (HTTP/1.1 pipelining; default: ${DEFAULT-VALUE})")
    int pipeline;

    @Option(names = "--queue-max", defaultValue = "10000", description = "open loop: appends queued per connection before they count as overflow (default: ${DEFAULT-VALUE})")
    int queueMax;

    @Override
    public Integer call() throws Exception {
      return execute(common, ctx -> AppendWorkload.run(ctx, new AppendWorkload.Config(streams, concurrency, payloadBytes,
          producer, rate, pipeline, queueMax, common.warmup(), common.duration())));
    }
  }

  @Command(name = "fanout", mixinStandardHelpOptions = true,
      description = "One stream, N SSE subscribers, a paced writer (50 events/s); append-to-delivery latency, delivered/expected.")
  static final class Fanout implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--subscribers", defaultValue = "100", description = "SSE subscribers (default: ${DEFAULT-VALUE})")
    int subscribers;

    @Option(names = "--rate", defaultValue = "50", description = "events/s appended by the writer (default: ${DEFAULT-VALUE})")
    double rate;

    @Mixin PacedWriterOptions writer;

    @Override
    public Integer call() throws Exception {
      return execute(common, ctx -> FanoutWorkload.run(ctx, new FanoutWorkload.Config(subscribers, rate, writer.writers,
          writer.payloadBytes, common.warmup(), common.duration(), writer.drain())));
    }
  }

  @Command(name = "catchup", mixinStandardHelpOptions = true,
      description = "K streams x M messages prepared, then K concurrent readers from offset -1 to the tail; time to tail, bytes/s.")
  static final class Catchup implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--streams", defaultValue = "100", description = "streams = concurrent readers (default: ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--messages", defaultValue = "200", description = "messages per stream (default: ${DEFAULT-VALUE})")
    int messages;

    @Option(names = "--message-bytes", defaultValue = "1024", description = "bytes per message (default: ${DEFAULT-VALUE})")
    int messageBytes;

    @Option(names = "--rounds", defaultValue = "3", description = "measured rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup-rounds", defaultValue = "1", description = "rounds before the measured ones (default: ${DEFAULT-VALUE})")
    int warmupRounds;

    @Option(names = "--fill-connections", defaultValue = "32", description = "connections used to fill the streams (default: ${DEFAULT-VALUE})")
    int fillConnections;

    @Override
    public Integer call() throws Exception {
      return execute(common, ctx -> CatchupWorkload.run(ctx, new CatchupWorkload.Config(streams, messages, messageBytes,
          rounds, warmupRounds, fillConnections)));
    }
  }

  @Command(name = "longpoll", mixinStandardHelpOptions = true,
      description = "P streams with one long-poll reader each and a paced writer; append-to-delivery latency.")
  static final class LongPoll implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--streams", defaultValue = "100", description = "streams = long-poll readers (default: ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--rate", defaultValue = "200", description = "appends/s in total over all streams (default: ${DEFAULT-VALUE})")
    double rate;

    @Mixin PacedWriterOptions writer;

    @Override
    public Integer call() throws Exception {
      return execute(common, ctx -> LongPollWorkload.run(ctx, new LongPollWorkload.Config(streams, rate, writer.writers,
          writer.payloadBytes, common.warmup(), common.duration(), writer.drain())));
    }
  }

  /** The paced writer of the fanout and longpoll workloads. */
  static final class PacedWriterOptions {
    @Option(names = "--writers", defaultValue = "16", description = "writer connections the events are spread over; the rate holds while ack latency < writers / rate (default: ${DEFAULT-VALUE})")
    int writers;

    @Option(names = "--payload-bytes", defaultValue = "256", description = "bytes per event (default: ${DEFAULT-VALUE})")
    int payloadBytes;

    @Option(names = "--drain-s", defaultValue = "5", description = "seconds to wait after the last event for deliveries (default: ${DEFAULT-VALUE})")
    double drainS;

    java.time.Duration drain() {
      return java.time.Duration.ofMillis((long) (drainS * 1000));
    }
  }
}
