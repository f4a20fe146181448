package io.tributary.bench;

import io.tributary.bench.client.HttpConn;
import io.tributary.bench.report.Recorder;
import io.tributary.bench.report.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code longpoll}: P text/plain streams, one long-poll reader each (reader i on node i mod
 * URLs, its own connection), and a paced writer appending stamped events at a fixed total rate
 * (op k to stream k mod P). Metric: append sent → event read from a long-poll response, and
 * delivered/expected (expected = acknowledged measured events). Main thread; readers and writer
 * run on the event loops.
 */
final class LongPollWorkload {
  /** Lets the first long-polls reach the server and park before the writer starts. */
  private static final long PARK_MILLIS = 500;

  record Config(int streams, double ratePerS, int writers, int payloadBytes, Duration warmup, Duration duration,
      Duration drain) {
    Config {
      if (streams < 1 || writers < 1 || !(ratePerS > 0)) {
        throw new IllegalArgumentException("streams, writers and rate must be > 0");
      }
    }
  }

  private LongPollWorkload() {}

  static Result run(BenchContext ctx, Config c) throws InterruptedException {
    String tag = "longpoll";
    String[] tails = StreamSetup.create(ctx, tag, c.streams(), "text/plain", 32);
    SeqWindow window = SeqWindow.of(c.ratePerS(), c.warmup(), c.duration());
    ctx.startRecording();
    List<Poller> pollers = new ArrayList<>();
    for (int i = 0; i < c.streams(); i++) {
      HttpConn conn = new HttpConn(ctx.loops, ctx.loops.loop(i), ctx.endpoint(i), 1);
      Poller p = new Poller(conn, ctx.recorder(conn.loop()), ctx.target(tag, i), tails[i] != null ? tails[i] : "now",
          window);
      pollers.add(p);
      conn.loop().execute(p::poll);
    }
    PacedWriter writer = new PacedWriter(ctx, tag, c.streams(), c.writers(), c.payloadBytes(), c.ratePerS(), window);
    writer.start(PARK_MILLIS);
    Thread.sleep(PARK_MILLIS + (long) (window.first() * 1000 / c.ratePerS()));
    CpuWindow cpu = new CpuWindow(ctx);
    cpu.begin();
    Thread.sleep(c.duration().toMillis());
    long deadline = System.nanoTime() + c.drain().toNanos();
    while (System.nanoTime() < deadline && !(writer.finished() && allDelivered(ctx))) {
      Thread.sleep(20);
    }
    cpu.end();
    Recorder.Snapshot snap = ctx.stopRecording(); // before the writer's connections close under appends in flight
    writer.stop();
    for (Poller p : pollers) {
      p.conn.loop().execute(p::stop);
    }
    return result(ctx, c, snap, cpu, window);
  }

  private static boolean allDelivered(BenchContext ctx) {
    Recorder.Snapshot s = ctx.peek();
    return s.counter("delivered") >= s.counter("acked");
  }

  private static Result result(BenchContext ctx, Config c, Recorder.Snapshot snap, CpuWindow cpu, SeqWindow window) {
    long delivered = snap.counter("delivered");
    long expected = snap.counter("acked");
    long polls = snap.counter("polls200") + snap.counter("polls204");
    Result r = new Result("longpoll", ctx.label, ctx.urls())
        .put("streams", c.streams())
        .put("ratePerS", c.ratePerS())
        .put("writers", c.writers())
        .put("payloadBytes", c.payloadBytes())
        .put("warmupS", c.warmup().toMillis() / 1000.0)
        .put("durationS", c.duration().toMillis() / 1000.0)
        .put("events", window.count())
        .put("expected", expected)
        .put("delivered", delivered)
        .put("deliveredRatio", expected > 0 ? (double) delivered / expected : 0)
        .put("deliveredPerS", delivered / (c.duration().toMillis() / 1000.0))
        .put("polls", polls)
        .put("polls204", snap.counter("polls204"))
        .put("duplicates", snap.counter("duplicates"))
        .put("errorCount", snap.errorTotal())
        .counts("errors", snap.errors())
        .latency("delivery", snap.latencyMicros("delivery"))
        .latency("appendAck", snap.latencyMicros("ack"))
        .cpu(cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, delivered, cpu.seconds);
    r.line("longpoll  %s  %d streams with one long-poll reader each, writer at %.0f appends/s, %d measured events",
        ctx.label, c.streams(), c.ratePerS(), window.count());
    r.line("  delivered %d / expected %d  polls %d (%d timed out)  duplicates %d  errors %d %s", delivered, expected,
        polls, snap.counter("polls204"), snap.counter("duplicates"), snap.errorTotal(),
        snap.errors().isEmpty() ? "" : snap.errors().toString());
    if (expected < window.count()) {
      r.line("  WARNING: the writer fell behind: %d of %d measured events acknowledged before the drain ended",
          expected, window.count());
    }
    r.latencyLine("append→long-poll delivery", snap.latencyMicros("delivery"));
    r.latencyLine("writer ack", snap.latencyMicros("ack"));
    r.cpuLine("delivery", cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, delivered, cpu.seconds);
    return r;
  }
}
