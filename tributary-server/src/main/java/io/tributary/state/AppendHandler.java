package io.tributary.state;

import io.tributary.common.ContentTypes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Applies {@link Command.Append}: the order of checks follows the protocol (closed before content
 * type, producer before {@code Stream-Seq}), so every replica reaches the same answer. Apply thread.
 */
final class AppendHandler {

  Outcome apply(GroupState s, Command.Append c, long now) {
    StreamEntry e = s.live(c.key(), now);
    if (e == null) {
      return Outcome.of(Outcome.Code.NOT_FOUND, "stream not found");
    }
    if (e.goneAt(now)) {
      return Outcome.of(Outcome.Code.GONE, "stream was deleted");
    }
    boolean closeOnly = c.data().length == 0 && c.close();
    Command.Producer p = c.producer();
    StreamEntry.ProducerState ps = p == null ? null : e.producers.get(p.id());
    if (ps != null && p.epoch() < ps.epoch) {
      return Outcome.of(Outcome.Code.PRODUCER_STALE_EPOCH, "producer epoch is stale").withProducer(ps.epoch, ps.lastSeq);
    }
    if (e.closed) {
      if (p != null && p.equals(e.closedBy)) {
        return Outcome.tail(Outcome.Code.DUPLICATE, e.tail, true).withProducer(p.epoch(), p.seq());
      }
      if (closeOnly && p == null) {
        touch(s, e, now);
        return Outcome.tail(Outcome.Code.CLOSED, e.tail, true);
      }
      return Outcome.tail(Outcome.Code.CONFLICT_CLOSED, e.tail, true);
    }
    if (!closeOnly && !Objects.equals(ContentTypes.normalize(c.contentType()), ContentTypes.normalize(e.contentType))) {
      return Outcome.of(Outcome.Code.CONFLICT_CONTENT_TYPE, "content type does not match the stream's");
    }
    if (!closeOnly && e.json && c.messages() == 0) {
      // the submitter framed for a stale view of a non-JSON stream; never store raw bytes in JSON mode
      return Outcome.of(Outcome.Code.CONFLICT_CONTENT_TYPE, "the stream changed type while the append was in flight; retry");
    }
    if (p != null) {
      Outcome rejected = checkProducer(e, ps, p);
      if (rejected != null) {
        if (rejected.code() == Outcome.Code.DUPLICATE) {
          touch(s, e, now);
        }
        return rejected;
      }
    }
    if (c.expectedTail() >= 0 && c.expectedTail() != e.tail) {
      // after producer dedup: a retried conditional append that already committed answers 204, not 412
      return new Outcome(Outcome.Code.PRECONDITION_FAILED, e.tail, e.closed, -1, -1, -1, -1, -1, null, -1, null, -1,
          null, -1, null, "If-Match: the stream's tail has moved");
    }
    if (c.streamSeq() != null && e.lastStreamSeq != null && compareBytes(c.streamSeq(), e.lastStreamSeq) <= 0) {
      return Outcome.of(Outcome.Code.CONFLICT_SEQ, "Stream-Seq must increase");
    }
    s.writeData(e, c.data());
    if (c.streamSeq() != null) {
      e.lastStreamSeq = c.streamSeq();
    }
    if (p != null) {
      if (ps == null) {
        e.producers.put(p.id(), new StreamEntry.ProducerState(p.epoch(), p.seq()));
      } else {
        ps.epoch = p.epoch();
        ps.lastSeq = p.seq();
      }
    }
    if (c.close()) {
      e.closed = true;
      e.closedBy = p;
    }
    touch(s, e, now);
    Outcome.Code code = closeOnly ? Outcome.Code.CLOSED : Outcome.Code.APPENDED;
    Outcome o = Outcome.tail(code, e.tail, e.closed);
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
      return Outcome.tail(Outcome.Code.DUPLICATE, e.tail, e.closed).withProducer(ps.epoch, ps.lastSeq);
    }
    if (p.seq() == ps.lastSeq + 1) {
      return null;
    }
    return gap(ps.lastSeq + 1, p.seq());
  }

  private static Outcome gap(long expected, long received) {
    return new Outcome(Outcome.Code.PRODUCER_GAP, -1, false, -1, -1, expected, received, -1, null, -1, null, -1, null,
        -1, null, "producer sequence gap");
  }

  static int compareBytes(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
