package io.tributary.state;

import io.tributary.common.Offsets;
/**
 * Applies the lifecycle commands: delete (soft while forks pin the stream), TTL touch, and fork
 * pins. A removed fork hands its own pin back to the submitter ({@link Outcome#hasRelease()}),
 * which carries it to the source's group. Apply thread.
 */
final class LifecycleHandler {

  Outcome delete(GroupState s, Command.Delete d, long now) {
    StreamEntry e = s.live(d.key(), now);
    if (e == null) {
      return Outcome.of(Outcome.Code.NOT_FOUND, "stream not found");
    }
    if (e.goneAt(now)) {
      return Outcome.of(Outcome.Code.GONE, "stream was deleted");
    }
    if (!e.pins.isEmpty()) {
      e.softDeleted = true;
      s.markChanged(e);
      return Outcome.tail(Outcome.Code.DELETED, e.tail, e.closed);
    }
    return removeAndRelease(s, e, Outcome.tail(Outcome.Code.DELETED, e.tail, e.closed));
  }

  Outcome touch(GroupState s, Command.Touch t, long now) {
    StreamEntry e = s.live(t.key(), now);
    if (e == null || e.streamId != t.streamId() || e.goneAt(now)) {
      return Outcome.of(Outcome.Code.NOT_FOUND, "stream not found");
    }
    if (now > e.lastAccessMillis) {
      e.lastAccessMillis = now;
      s.markChanged(e);
    }
    return Outcome.of(Outcome.Code.TOUCHED, null);
  }

  Outcome pin(GroupState s, Command.PinFork p, long now) {
    StreamEntry e = s.live(p.key(), now);
    if (e == null || (p.expectStreamId() >= 0 && e.streamId != p.expectStreamId())) {
      return Outcome.of(Outcome.Code.NOT_FOUND, "fork source not found");
    }
    if (e.goneAt(now)) {
      return Outcome.of(Outcome.Code.CONFLICT, "fork source was deleted");
    }
    long point = p.forkPoint() < 0 ? e.tail : p.forkPoint();
    if (point > e.tail) {
      return Outcome.of(Outcome.Code.BAD_REQUEST, "fork offset is beyond the source's tail");
    }
    if (e.retainedFrom > 0) {
      // a fork holds the source's bytes below its fork point, and those below the floor may
      // already be released ($retention); a fork of a trimmed stream would have a hole
      return Outcome.of(Outcome.Code.CONFLICT, "the fork source's data below its retention floor "
          + Offsets.format(e.retainedFrom) + " was released; a trimmed stream cannot be forked");
    }
    e.pins.put(p.pinId(), p.forkKey());
    s.markChanged(e);
    return Outcome.tail(Outcome.Code.PINNED, point, e.closed)
        .withStream(e.streamId, e.contentType, e.ttlSeconds, e.expiresAt, e.expiresAtMillis);
  }

  Outcome unpin(GroupState s, Command.UnpinFork u) {
    StreamEntry e = s.byId.get(u.streamId());
    if (e == null || e.pins.remove(u.pinId()) == null) {
      return Outcome.of(Outcome.Code.UNPINNED, "no such pin");
    }
    s.markChanged(e);
    if (e.softDeleted && e.pins.isEmpty()) {
      return removeAndRelease(s, e, Outcome.of(Outcome.Code.UNPINNED, "source removed"));
    }
    s.trimCold(e); // retention may have moved while forks held the bytes below the floor: release them once none does
    return Outcome.of(Outcome.Code.UNPINNED, null);
  }

  private static Outcome removeAndRelease(GroupState s, StreamEntry e, Outcome o) {
    s.remove(e);
    return o;
  }
}
