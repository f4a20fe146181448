package io.tributary.bench;

import io.tributary.bench.client.HttpConn;
import io.tributary.bench.report.Recorder;
import io.tributary.bench.report.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fanout}: one text/plain stream, N SSE subscribers (subscriber i on node i mod URLs), a
 * paced writer appending stamped 256 B events at a fixed rate (50/s; {@link PacedWriter}). Once every subscriber is
 * registered (its first control event), the writer runs warm-up + measured events; the metric is
 * end-to-end latency (append sent → event parsed by a subscriber) for every measured event at
 * every subscriber, and delivered/expected (expected = acknowledged measured events × ready
 * subscribers). Main thread; subscribers and writer run on the event loops.
 */
final class FanoutWorkload {
  /** Subscribers whose connection is being opened at once (keeps the servers' accept queues short). */
  private static final int CONNECT_BATCH = 256;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  record Config(int subscribers, double ratePerS, int writers, int payloadBytes, Duration warmup, Duration duration,
      Duration drain) {
    Config {
      if (subscribers < 1 || writers < 1 || !(ratePerS > 0)) {
        throw new IllegalArgumentException("subscribers, writers and rate must be > 0");
      }
    }
  }

  private FanoutWorkload() {}

  static Result run(BenchContext ctx, Config c) throws InterruptedException {
    String tag = "fanout";
    String tail = StreamSetup.create(ctx, tag, 1, "text/plain", 1)[0];
    SeqWindow window = SeqWindow.of(c.ratePerS(), c.warmup(), c.duration());
    ctx.startRecording();
    List<Subscriber> subs = new ArrayList<>();
    long readyDeadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    for (int i = 0; i < c.subscribers(); i++) {
      HttpConn conn = new HttpConn(ctx.loops, ctx.loops.loop(i), ctx.endpoint(i), 1);
      Subscriber s = new Subscriber(conn, ctx.recorder(conn.loop()), ctx.target(tag, 0), tail != null ? tail : "now",
          window);
      subs.add(s);
      conn.loop().execute(s::open);
      if (subs.size() % CONNECT_BATCH == 0) {
        awaitReady(ctx, subs.size() - CONNECT_BATCH / 2, readyDeadline);
      }
    }
    long ready = awaitReady(ctx, subs.size(), readyDeadline);
    PacedWriter writer = new PacedWriter(ctx, tag, 1, c.writers(), c.payloadBytes(), c.ratePerS(), window);
    writer.start(50);
    Thread.sleep(50 + (long) (window.first() * 1000 / c.ratePerS()));
    CpuWindow cpu = new CpuWindow(ctx);
    cpu.begin();
    Thread.sleep(c.duration().toMillis());
    long deadline = System.nanoTime() + c.drain().toNanos();
    while (System.nanoTime() < deadline && !(writer.finished() && allDelivered(ctx, ready))) {
      Thread.sleep(20);
    }
    cpu.end();
    Recorder.Snapshot snap = ctx.stopRecording(); // before the writer's connections close under appends in flight
    writer.stop();
    for (Subscriber s : subs) {
      s.conn.loop().execute(s::stop);
    }
    return result(ctx, c, snap, cpu, ready, window);
  }

  private static long awaitReady(BenchContext ctx, long want, long deadlineNanos) throws InterruptedException {
    long ready;
    while ((ready = ctx.peek().counter("ready")) < want && System.nanoTime() < deadlineNanos) {
      Thread.sleep(20);
    }
    return ready;
  }

  /** Every acknowledged measured event reached every ready subscriber (main thread). */
  private static boolean allDelivered(BenchContext ctx, long ready) {
    Recorder.Snapshot s = ctx.peek();
    return s.counter("delivered") >= s.counter("acked") * ready;
  }

  private static Result result(BenchContext ctx, Config c, Recorder.Snapshot snap, CpuWindow cpu, long ready,
      SeqWindow window) {
    long delivered = snap.counter("delivered");
    long expected = snap.counter("acked") * ready;
    Result r = new Result("fanout", ctx.label, ctx.urls())
        .put("subscribers", c.subscribers())
        .put("subscribersReady", ready)
        .put("ratePerS", c.ratePerS())
        .put("writers", c.writers())
        .put("payloadBytes", c.payloadBytes())
        .put("warmupS", c.warmup().toMillis() / 1000.0)
        .put("durationS", c.duration().toMillis() / 1000.0)
        .put("events", window.count())
        .put("eventsAcked", snap.counter("acked"))
        .put("expected", expected)
        .put("delivered", delivered)
        .put("deliveredRatio", expected > 0 ? (double) delivered / expected : 0)
        .put("deliveredPerS", delivered / (c.duration().toMillis() / 1000.0))
        .put("duplicates", snap.counter("duplicates"))
        .put("reconnects", snap.counter("reconnects"))
        .put("errorCount", snap.errorTotal())
        .counts("errors", snap.errors())
        .latency("delivery", snap.latencyMicros("delivery"))
        .latency("appendAck", snap.latencyMicros("ack"))
        .cpu(cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, delivered, cpu.seconds);
    r.line("fanout  %s  %d SSE subscribers (%d ready), writer at %.0f events/s over %d connection(s), %d measured events"
        + " (%d acknowledged)", ctx.label, c.subscribers(), ready, c.ratePerS(), c.writers(), window.count(),
        snap.counter("acked"));
    r.line("  delivered %d / expected %d (%.4f)  duplicates %d  reconnects %d  errors %d %s", delivered, expected,
        expected > 0 ? (double) delivered / expected : 0, snap.counter("duplicates"), snap.counter("reconnects"),
        snap.errorTotal(), snap.errors().isEmpty() ? "" : snap.errors().toString());
    if (snap.counter("acked") < window.count()) {
      r.line("  WARNING: the writer fell behind: %d of %d measured events acknowledged before the drain ended;"
          + " the server did not sustain %.0f appends/s with %d subscribers (see appendAck)", snap.counter("acked"),
          window.count(), c.ratePerS(), c.subscribers());
    }
    r.latencyLine("append→SSE delivery", snap.latencyMicros("delivery"));
    r.latencyLine("writer ack", snap.latencyMicros("ack"));
    r.cpuLine("delivery", cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, delivered, cpu.seconds);
    return r;
  }
}
