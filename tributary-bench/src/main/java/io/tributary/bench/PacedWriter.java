package io.tributary.bench;

import io.netty.channel.EventLoop;
import io.tributary.bench.client.ClientLoops;
import io.tributary.bench.client.HttpConn;
import io.tributary.bench.report.Recorder;
import java.util.ArrayList;
import java.util.List;

/**
 * The writer of the read workloads: stamped appends at a fixed total rate to P streams (op k to
 * stream k mod P, sent on connection k mod W, so a server slower than the op interval does not
 * turn the fixed rate into a queue behind one connection), for exactly {@link SeqWindow#total()} ops, counting the
 * acknowledged ops of the measured window as {@code acked}. Built and driven by the main thread;
 * its lanes and tickers run on the event loops.
 */
final class PacedWriter {
  private final List<AppendLane> lanes = new ArrayList<>();
  private final List<OpenLoopTicker> tickers = new ArrayList<>();
  private final BenchContext ctx;
  private final SeqWindow window;
  private final double ratePerS;
  private final int streams;

  PacedWriter(BenchContext ctx, String tag, int streams, int writers, int payloadBytes, double ratePerS,
      SeqWindow window) {
    this.ctx = ctx;
    this.window = window;
    this.ratePerS = ratePerS;
    this.streams = streams;
    int[] all = new int[streams];
    for (int s = 0; s < streams; s++) {
      all[s] = s;
    }
    for (int i = 0; i < Math.max(1, writers); i++) {
      HttpConn conn = new HttpConn(ctx.loops, ctx.loops.loop(i), ctx.endpoint(i), 1);
      Recorder rec = ctx.recorder(conn.loop());
      lanes.add(new AppendLane(ctx, conn, tag, all, "text/plain", Payload.stamped(payloadBytes), null, k -> {
            if (window.contains(k)) {
              rec.count("acked", 1);
            }
          }, Integer.MAX_VALUE));
    }
  }

  /** Starts the schedule {@code delayMillis} from now. */
  void start(long delayMillis) {
    for (AppendLane l : lanes) {
      l.conn.loop().execute(() -> {
        l.conn.connect();
        l.startOpenLoop();
      });
    }
    long start = System.nanoTime() + delayMillis * 1_000_000L;
    int w = lanes.size();
    for (EventLoop loop : ctx.loops.loops()) {
      tickers.add(new OpenLoopTicker(loop, ratePerS, start, window.total(), (l, k, intended) -> {
        AppendLane lane = lanes.get((int) (k % w));
        if (lane.conn.loop() == l) {
          lane.offer((int) (k % streams), k, intended);
        }
      }));
    }
    tickers.forEach(OpenLoopTicker::start);
  }

  /** True when every op was sent and answered (main thread). */
  boolean finished() {
    for (AppendLane l : lanes) {
      if (!ClientLoops.call(l.conn.loop(), l::idle)) {
        return false;
      }
    }
    return true;
  }

  void stop() {
    tickers.forEach(OpenLoopTicker::stop);
    for (AppendLane l : lanes) {
      l.conn.loop().execute(() -> {
        l.stop();
        l.conn.close();
      });
    }
  }
}
