package io.tributary.state;

import io.tributary.common.ContentTypes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Applies {@link Command.Append}, {@link Command.AppendBatch} and {@link Command.Transaction}.
 * Every append is decided in two steps: {@link #check} (no mutation) then {@link #commit}, so a
 * transaction can check all its appends before writing any. The order of checks follows the
 * protocol (closed before content type, producer before {@code If-Match} and {@code Stream-Seq}),
 * so every replica reaches the same answer. Apply thread.
 */
final class AppendHandler {

  /** What {@link #check} decided: a final outcome (rejection or duplicate), or go ahead on {@code entry}. */
  private record Checked(StreamEntry entry, Outcome outcome) {}

  Outcome apply(GroupState s, Command.Append c, long now) {
    Checked k = check(s, c.key(), c.contentType(), c.data().length == 0 && c.close(), c.data().length > 0 && c.messages() == 0,
        c.producer(), c.expectedTail(), c.streamSeq(), now);
    if (k.outcome != null) {
      return k.outcome;
    }
    StreamEntry e = k.entry;
    long start = e.tail;
    s.writeData(e, c.data());
    return commit(s, e, c.producer(), c.streamSeq(), c.close(), c.data().length == 0 && c.close(), start, now);
  }

  Outcome applyBatch(GroupState s, Command.AppendBatch c, long now) {
    Checked k = check(s, c.key(), c.contentType(), false, c.messages() == 0, c.producer(), -1, null, now);
    if (k.outcome != null) {
      return k.outcome;
    }
    StreamEntry e = k.entry;
    long start = e.tail;
    int from = 0;
    for (int end : c.frameEnds()) {
      // one write per frame: every frame starts a record, so it is a message boundary
      s.writeData(e, c.data(), from, end - from);
      from = end;
    }
    return commit(s, e, c.producer(), null, false, false, start, now);
  }

  Outcome applyTransaction(GroupState s, Command.Transaction t, long now) {
    List<Command.Append> appends = t.appends();
    StreamEntry[] entries = new StreamEntry[appends.size()];
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < appends.size(); i++) {
      Command.Append c = appends.get(i);
      Checked k = check(s, c.key(), c.contentType(), false, c.data().length > 0 && c.messages() == 0, null,
          c.expectedTail(), null, now);
      if (k.outcome != null) {
        // nothing was written: the whole transaction fails with the first failing append's answer
        String why = k.outcome.message() == null ? k.outcome.code().name() : k.outcome.message();
        return k.outcome.withMessage("append " + i + " (" + c.key().stream() + "): " + why).withStart(i);
      }
      if (!seen.add(k.entry.streamId)) {
        return Outcome.of(Outcome.Code.BAD_REQUEST, "append " + i + ": a transaction appends to each stream once")
            .withStart(i);
      }
      entries[i] = k.entry;
    }
    long[] ends = new long[appends.size()];
    for (int i = 0; i < appends.size(); i++) {
      s.writeData(entries[i], appends.get(i).data());
      touch(s, entries[i], now);
      ends[i] = entries[i].tail;
    }
    return Outcome.of(Outcome.Code.COMMITTED, null).withEnds(ends);
  }

  private Checked check(GroupState s, io.tributary.common.StreamKey key, String contentType, boolean closeOnly,
      boolean unframedJson, Command.Producer p, long expectedTail, String streamSeq, long now) {
    StreamEntry e = s.live(key, now);
    if (e == null) {
      return new Checked(null, Outcome.of(Outcome.Code.NOT_FOUND, "stream not found"));
    }
    if (e.goneAt(now)) {
      return new Checked(null, Outcome.of(Outcome.Code.GONE, "stream was deleted"));
    }
    StreamEntry.ProducerState ps = p == null ? null : ProducerTable.lookup(e, p.id(), now, s.limits);
    if (ps != null && p.epoch() < ps.epoch) {
      return new Checked(null, Outcome.of(Outcome.Code.PRODUCER_STALE_EPOCH, "producer epoch is stale")
          .withProducer(ps.epoch, ps.lastSeq));
    }
    if (e.closed) {
      if (p != null && p.equals(e.closedBy)) {
        return new Checked(null, Outcome.tail(Outcome.Code.DUPLICATE, e.tail, true).withProducer(p.epoch(), p.seq()));
      }
      if (closeOnly && p == null) {
        touch(s, e, now);
        return new Checked(null, Outcome.tail(Outcome.Code.CLOSED, e.tail, true));
      }
      return new Checked(null, Outcome.tail(Outcome.Code.CONFLICT_CLOSED, e.tail, true));
    }
    if (!closeOnly && !Objects.equals(ContentTypes.normalize(contentType), ContentTypes.normalize(e.contentType))) {
      return new Checked(null, Outcome.of(Outcome.Code.CONFLICT_CONTENT_TYPE, "content type does not match the stream's"));
    }
    if (!closeOnly && e.json && unframedJson) {
      // the submitter framed for a stale view of a non-JSON stream; never store raw bytes in JSON mode
      return new Checked(null, Outcome.of(Outcome.Code.CONFLICT_CONTENT_TYPE,
          "the stream changed type while the append was in flight; retry"));
    }
    if (p != null) {
      Outcome rejected = checkProducer(e, ps, p);
      if (rejected != null) {
        if (rejected.code() == Outcome.Code.DUPLICATE) {
          touch(s, e, now);
        }
        return new Checked(null, rejected);
      }
      Outcome full = ps == null ? ProducerTable.admit(e, now, s.limits) : null;
      if (full != null) {
        return new Checked(null, full);
      }
    }
    if (expectedTail >= 0 && expectedTail != e.tail) {
      // after producer dedup: a retried conditional append that already committed answers 204, not 412
      return new Checked(null, Outcome.tail(Outcome.Code.PRECONDITION_FAILED, e.tail, e.closed)
          .withMessage("If-Match: the stream's tail has moved"));
    }
    if (streamSeq != null && e.lastStreamSeq != null && compareBytes(streamSeq, e.lastStreamSeq) <= 0) {
      return new Checked(null, Outcome.of(Outcome.Code.CONFLICT_SEQ, "Stream-Seq must increase"));
    }
    return new Checked(e, null);
  }

  /** Records the producer, Stream-Seq and closure of an append whose data is written from {@code start}. */
  private static Outcome commit(GroupState s, StreamEntry e, Command.Producer p, String streamSeq, boolean close,
      boolean closeOnly, long start, long now) {
    if (streamSeq != null) {
      e.lastStreamSeq = streamSeq;
    }
    if (p != null) {
      ProducerTable.accepted(e, p, start, now, s.limits);
    }
    if (close) {
      e.closed = true;
      e.closedBy = p;
    }
    touch(s, e, now);
    Outcome.Code code = closeOnly ? Outcome.Code.CLOSED : Outcome.Code.APPENDED;
    Outcome o = Outcome.tail(code, e.tail, e.closed).withStart(start);
    return p == null ? o : o.withProducer(p.epoch(), p.seq());
  }

  private static void touch(GroupState s, StreamEntry e, long now) {
    e.lastAccessMillis = Math.max(e.lastAccessMillis, now);
    s.markChanged(e);
  }

  /** Returns null to accept, DUPLICATE for an already-applied seq, or the rejection. */
  private static Outcome checkProducer(StreamEntry e, StreamEntry.ProducerState ps, Command.Producer p) {
    if (ps == null) {
      return p.seq() == 0 ? null : gap(0, p.seq());
    }
    if (p.epoch() > ps.epoch) {
      return p.seq() == 0 ? null
          : Outcome.of(Outcome.Code.PRODUCER_BAD_EPOCH, "a new producer epoch must start at seq 0")
              .withProducer(ps.epoch, ps.lastSeq);
    }
    if (p.seq() <= ps.lastSeq) {
      Outcome d = Outcome.tail(Outcome.Code.DUPLICATE, e.tail, e.closed).withProducer(ps.epoch, ps.lastSeq);
      return p.seq() == ps.lastSeq ? d.withStart(ps.lastStart) : d;
    }
    if (p.seq() == ps.lastSeq + 1) {
      return null;
    }
    return gap(ps.lastSeq + 1, p.seq());
  }

  private static Outcome gap(long expected, long received) {
    return Outcome.of(Outcome.Code.PRODUCER_GAP, "producer sequence gap").withSeqs(expected, received);
  }

  static int compareBytes(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
