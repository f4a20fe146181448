package io.tributary.bench;

import io.netty.buffer.ByteBuf;
import io.tributary.bench.client.Stamp;
import io.tributary.bench.report.Recorder;

/**
 * One reader's view of the stamped events it receives: drops repeats (a bit per sequence number:
 * the paced writer spreads one stream's appends over several connections, so they may commit out
 * of sequence order), records delivery latency (receive time − send time in the payload) for events
 * in the measured window, and counts them. Owned by the reader's event loop.
 */
final class Delivery {
  private final Recorder rec;
  private final SeqWindow window;
  private final Stamp stamp = Stamp.holder();
  private final java.util.BitSet seen = new java.util.BitSet();

  Delivery(Recorder rec, SeqWindow window) {
    this.rec = rec;
    this.window = window;
  }

  /** A payload line (a data: line or a long-poll body line); empty or foreign lines are ignored. */
  void line(ByteBuf buf, int from, int length) {
    if (length == 0 || !stamp.parse(buf, from, length)) {
      return;
    }
    if (stamp.seq >= window.total()) {
      rec.error("unexpected_seq");
      return;
    }
    if (seen.get((int) stamp.seq)) {
      rec.count("duplicates", 1);
      return;
    }
    seen.set((int) stamp.seq);
    if (window.contains(stamp.seq)) {
      rec.latencyNanos("delivery", Stamp.nowNanos() - stamp.sendNanos);
      rec.count("delivered", 1);
    }
  }
}
