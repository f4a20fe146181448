package io.tributary.bench;

import io.netty.channel.EventLoop;
import io.tributary.bench.client.ClientLoops;
import io.tributary.bench.client.HttpConn;
import io.tributary.bench.report.Recorder;
import io.tributary.bench.report.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code append}: S streams, W writer connections (W = min(concurrency, S)); writer w owns the
 * streams s with s mod W = w and sends to node w mod (number of URLs). Closed loop by default;
 * with a rate, open loop at that many appends/s in total, op k going to stream k mod S.
 * Measures appends/s and acknowledgement latency over the window after the warm-up.
 * Runs on the main thread; the lanes run on the event loops.
 */
final class AppendWorkload {
  /** How long the main thread waits for appends still in flight after the window. */
  private static final Duration DRAIN = Duration.ofSeconds(10);

  /**
   * @param ratePerS 0 = closed loop
   * @param queueMax open loop: appends queued per writer before they are dropped as overflow
   */
  record Config(int streams, int concurrency, int payloadBytes, boolean producer, double ratePerS,
      int pipelineDepth, int queueMax, Duration warmup, Duration duration) {
    Config {
      if (streams < 1 || concurrency < 1 || payloadBytes < 1 || pipelineDepth < 1 || queueMax < 1) {
        throw new IllegalArgumentException("streams, concurrency, payload bytes, pipeline depth and queue max must be >= 1");
      }
      if (producer && pipelineDepth > 1) {
        throw new IllegalArgumentException("--producer needs --pipeline 1 (sequence numbers are assigned at send time)");
      }
    }

    boolean openLoop() {
      return ratePerS > 0;
    }
  }

  private AppendWorkload() {}

  static Result run(BenchContext ctx, Config c) throws InterruptedException {
    String tag = "append";
    StreamSetup.create(ctx, tag, c.streams(), "application/octet-stream", 32);
    int writers = Math.min(c.concurrency(), c.streams());
    List<AppendLane> lanes = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      List<Integer> mine = new ArrayList<>();
      for (int s = w; s < c.streams(); s += writers) {
        mine.add(s);
      }
      HttpConn conn = new HttpConn(ctx.loops, ctx.loops.loop(w), ctx.endpoint(w), c.pipelineDepth());
      lanes.add(new AppendLane(ctx, conn, tag, mine.stream().mapToInt(Integer::intValue).toArray(),
          "application/octet-stream", Payload.fixed(c.payloadBytes(), 42), c.producer() ? ctx.runId + "-p" : null, null, c.queueMax()));
    }
    // connect everything first so the warm-up does not start with a connect storm
    for (AppendLane l : lanes) {
      l.conn.loop().execute(l.conn::connect);
    }
    List<OpenLoopTicker> tickers = new ArrayList<>();
    if (c.openLoop()) {
      long start = System.nanoTime() + 50_000_000L;
      for (EventLoop loop : ctx.loops.loops()) {
        tickers.add(new OpenLoopTicker(loop, c.ratePerS(), start, Long.MAX_VALUE, (l, k, intended) -> {
          int s = (int) (k % c.streams());
          AppendLane lane = lanes.get(s % writers);
          if (lane.conn.loop() == l) {
            lane.offer(s / writers, k, intended);
          }
        }));
      }
      for (AppendLane l : lanes) {
        l.conn.loop().execute(l::startOpenLoop);
      }
      tickers.forEach(OpenLoopTicker::start);
    } else {
      for (AppendLane l : lanes) {
        l.conn.loop().execute(l::startClosedLoop);
      }
    }
    Thread.sleep(c.warmup().toMillis());
    CpuWindow cpu = new CpuWindow(ctx);
    ctx.startRecording();
    cpu.begin();
    Thread.sleep(c.duration().toMillis());
    Recorder.Snapshot snap = ctx.stopRecording();
    cpu.end();
    tickers.forEach(OpenLoopTicker::stop);
    stopAndDrain(lanes);
    return result(ctx, c, writers, snap, cpu);
  }

  private static void stopAndDrain(List<AppendLane> lanes) throws InterruptedException {
    for (AppendLane l : lanes) {
      ClientLoops.call(l.conn.loop(), () -> {
        l.stop();
        return null;
      });
    }
    long deadline = System.nanoTime() + DRAIN.toNanos();
    for (AppendLane l : lanes) {
      while (!ClientLoops.call(l.conn.loop(), l::idle) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      l.conn.loop().execute(l.conn::close);
    }
  }

  private static Result result(BenchContext ctx, Config c, int writers, Recorder.Snapshot snap, CpuWindow cpu) {
    long ops = snap.counter("ops");
    Result r = new Result("append", ctx.label, ctx.urls())
        .put("mode", c.openLoop() ? "open" : "closed")
        .put("streams", c.streams())
        .put("writers", writers)
        .put("payloadBytes", c.payloadBytes())
        .put("producer", c.producer())
        .put("pipelineDepth", c.pipelineDepth())
        .put("targetRatePerS", c.ratePerS())
        .put("warmupS", c.warmup().toMillis() / 1000.0)
        .put("durationS", cpu.seconds)
        .put("ops", ops)
        .put("opsPerS", ops / cpu.seconds)
        .put("offered", snap.counter("offered"))
        .put("errorCount", snap.errorTotal())
        .counts("errors", snap.errors())
        .latency("ack", snap.latencyMicros("ack"))
        .cpu(cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, ops, cpu.seconds);
    r.line("append  %s  %d streams, %s, %d B%s, %.1f s", ctx.label, c.streams(),
        c.openLoop() ? String.format(java.util.Locale.ROOT, "open loop at %.0f/s over %d connections", c.ratePerS(), writers)
            : "closed loop, " + writers + " writers",
        c.payloadBytes(), c.producer() ? ", producer headers" : "", cpu.seconds);
    r.line("  %,.0f appends/s  (%d ok, %d errors %s)", ops / cpu.seconds, ops, snap.errorTotal(),
        snap.errors().isEmpty() ? "" : snap.errors().toString());
    r.latencyLine(c.openLoop() ? "ack latency from intended send" : "ack latency", snap.latencyMicros("ack"));
    r.cpuLine("append", cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, ops, cpu.seconds);
    return r;
  }
}
