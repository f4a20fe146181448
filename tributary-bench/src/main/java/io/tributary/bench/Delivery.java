package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.tributary.bench.client.Stamp;
import io.tributary.bench.report.Recorder;

/**
 * One reader's view of the stamped events it receives: drops repeats (sequence numbers of one
 * stream only grow), records delivery latency (receive time − send time in the payload) for events
 * in the measured window, and counts them. Owned by the reader's event loop.
 */
final class Delivery {
  private final Recorder rec;
  private final SeqWindow window;
  private final Stamp stamp = Stamp.holder();
  private long highestSeq = -1;

  Delivery(Recorder rec, SeqWindow window) {
    this.rec = rec;
    this.window = window;
  }

  /** A payload line (a data: line or a long-poll body line); empty or foreign lines are ignored. */
  void line(ByteBuf buf, int from, int length) {
    if (length == 0 || !stamp.parse(buf, from, length)) {
      return;
    }
    if (stamp.seq <= highestSeq) {
      rec.count("duplicates", 1);
      return;
    }
    highestSeq = stamp.seq;
    if (window.contains(stamp.seq)) {
      rec.latencyNanos("delivery", Stamp.nowNanos() - stamp.sendNanos);
      rec.count("delivered", 1);
    }
  }

  long highestSeq() {
    return highestSeq;
  }
}
