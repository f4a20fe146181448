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
 * {@code catchup}: K streams are filled with M messages of B bytes (one append each; not
 * measured), then in each round K fresh readers (reader i on node i mod URLs) connect, and all
 * start reading their stream from offset -1 at the same instant and follow it to the tail. Metric:
 * time to tail per reader (p50/p99) and bytes/s over the round (first start to last reader
 * done). Warm-up rounds run first and are not counted. Main thread; readers on the event loops.
 */
final class CatchupWorkload {
  private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(300);
  /** Readers whose connection is not up by then start anyway (and fail, counted as errors). */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

  record Config(int streams, int messages, int messageBytes, int rounds, int warmupRounds, int fillConnections) {
    Config {
      if (streams < 1 || messages < 1 || messageBytes < 1 || rounds < 1 || warmupRounds < 0 || fillConnections < 1) {
        throw new IllegalArgumentException("streams, messages, message bytes, rounds and fill connections must be >= 1");
      }
    }
  }

  private CatchupWorkload() {}

  static Result run(BenchContext ctx, Config c) throws InterruptedException {
    String tag = "catchup";
    StreamSetup.create(ctx, tag, c.streams(), "application/octet-stream", c.fillConnections());
    long fillStart = System.nanoTime();
    StreamSetup.fill(ctx, tag, c.streams(), c.messages(), c.messageBytes(), c.fillConnections());
    double fillS = (System.nanoTime() - fillStart) / 1e9;
    for (int r = 0; r < c.warmupRounds(); r++) {
      round(ctx, c, tag);
    }
    CpuWindow cpu = new CpuWindow(ctx);
    ctx.startRecording();
    cpu.begin();
    double readS = 0;
    for (int r = 0; r < c.rounds(); r++) {
      readS += round(ctx, c, tag);
    }
    cpu.end();
    Recorder.Snapshot snap = ctx.stopRecording();
    return result(ctx, c, snap, cpu, readS, fillS);
  }

  /** One round; returns its seconds from the common start to the last reader's end. */
  private static double round(BenchContext ctx, Config c, String tag) throws InterruptedException {
    List<CatchupReader> readers = new ArrayList<>();
    for (int i = 0; i < c.streams(); i++) {
      HttpConn conn = new HttpConn(ctx.loops, ctx.loops.loop(i), ctx.endpoint(i), 1);
      readers.add(new CatchupReader(conn, ctx.recorder(conn.loop()), ctx.target(tag, i),
          (long) c.messages() * c.messageBytes()));
      conn.loop().execute(conn::connect);
    }
    long connectDeadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
    while (count(ctx, readers, r -> r.conn.isConnected()) < readers.size() && System.nanoTime() < connectDeadline) {
      Thread.sleep(10);
    }
    long deadline = System.nanoTime() + ROUND_TIMEOUT.toNanos();
    long start = System.nanoTime();
    for (EventLoop l : ctx.loops.loops()) {
      l.execute(() -> {
        for (CatchupReader r : readers) {
          if (r.conn.loop() == l) {
            r.go(start);
          }
        }
      });
    }
    while (count(ctx, readers, CatchupReader::done) < readers.size() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    long last = start;
    for (CatchupReader r : readers) {
      last = Math.max(last, ClientLoops.call(r.conn.loop(), () -> {
        r.conn.close();
        return r.done() ? r.doneNanos() : System.nanoTime();
      }));
    }
    return (last - start) / 1e9;
  }

  /** How many readers pass the test, asked on each reader's loop in one task per loop. */
  private static int count(BenchContext ctx, List<CatchupReader> readers, java.util.function.Predicate<CatchupReader> p) {
    int n = 0;
    for (EventLoop l : ctx.loops.loops()) {
      n += ClientLoops.call(l, () -> {
        int k = 0;
        for (CatchupReader r : readers) {
          if (r.conn.loop() == l && p.test(r)) {
            k++;
          }
        }
        return k;
      });
    }
    return n;
  }

  private static Result result(BenchContext ctx, Config c, Recorder.Snapshot snap, CpuWindow cpu, double readS,
      double fillS) {
    long ops = snap.counter("ops");
    long bytes = snap.counter("bytes");
    long expectedReaders = (long) c.streams() * c.rounds();
    Result r = new Result("catchup", ctx.label, ctx.urls())
        .put("streams", c.streams())
        .put("messages", c.messages())
        .put("messageBytes", c.messageBytes())
        .put("rounds", c.rounds())
        .put("warmupRounds", c.warmupRounds())
        .put("fillS", fillS)
        .put("readS", readS)
        .put("readers", expectedReaders)
        .put("ops", ops)
        .put("bytes", bytes)
        .put("expectedBytes", expectedReaders * c.messages() * c.messageBytes())
        .put("bytesPerS", readS > 0 ? bytes / readS : 0)
        .put("requests", snap.counter("requests"))
        .put("shortReads", snap.counter("shortReads"))
        .put("errorCount", snap.errorTotal())
        .counts("errors", snap.errors())
        .latency("timeToTail", snap.latencyMicros("timeToTail"))
        .cpu(cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, ops, cpu.seconds);
    r.line("catchup  %s  %d streams x %d messages x %d B, %d round(s) of %d concurrent readers from offset -1",
        ctx.label, c.streams(), c.messages(), c.messageBytes(), c.rounds(), c.streams());
    r.line("  %.1f MiB/s  readers done %d/%d  requests %d  short reads %d  errors %d %s  (fill took %.1f s)",
        readS > 0 ? bytes / readS / (1 << 20) : 0.0, ops, expectedReaders, snap.counter("requests"),
        snap.counter("shortReads"), snap.errorTotal(), snap.errors().isEmpty() ? "" : snap.errors().toString(), fillS);
    r.latencyLine("time to tail", snap.latencyMicros("timeToTail"));
    r.cpuLine("reader", cpu.clientCpuNanos, cpu.serverCpuNanos, cpu.serverRssBytes, ops, cpu.seconds);
    return r;
  }
}
