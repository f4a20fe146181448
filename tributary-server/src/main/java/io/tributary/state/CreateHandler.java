package io.tributary.state;

import io.tributary.common.ContentTypes;
import java.util.Objects;

/** Applies {@link Command.Create}: new stream (201), identical re-create (200) or conflict (409). Apply thread. */
final class CreateHandler {

  Outcome apply(GroupState s, Command.Create c, long now) {
    StreamEntry existing = s.live(c.key(), now);
    if (existing != null) {
      if (existing.goneAt(now)) {
        return release(c, Outcome.of(Outcome.Code.CONFLICT, "stream was deleted but forks still read it"));
      }
      if (sameConfig(existing, c)) {
        existing.lastAccessMillis = now;
        s.markChanged(existing);
        return release(c, Outcome.tail(Outcome.Code.EXISTS, existing.tail, existing.closed));
      }
      return release(c, Outcome.of(Outcome.Code.CONFLICT, "stream exists with a different configuration"));
    }
    if (s.bucketStreams(c.key().bucket()) >= s.limits.bucketStreamsMax()) {
      return release(c, Outcome.of(Outcome.Code.LIMIT_REACHED, "bucket '" + c.key().bucket() + "' holds bucket-streams-max ("
          + s.limits.bucketStreamsMax() + ") streams in this stream's group; delete some first"));
    }
    Command.ForkSpec f = c.fork();
    StreamView.Fork fork = f == null ? null
        : new StreamView.Fork(f.sourceKey(), f.sourceGroup(), f.sourceStreamId(), f.forkPoint());
    long start = f == null ? 0 : f.forkPoint();
    StreamEntry e = new StreamEntry(s.nextStreamId++, s.group, c.key(), c.contentType(), c.ttlSeconds(), c.expiresAt(),
        c.expiresAtMillis(), fork, f == null ? -1 : f.requestedOffset(), f == null ? 0 : f.subOffset(),
        f == null ? null : f.pinId(), GroupState.newIndex(), start);
    e.lastAccessMillis = now;
    s.writeData(e, c.data());
    e.closed = c.closed();
    s.add(e);
    return Outcome.tail(Outcome.Code.CREATED, e.tail, e.closed);
  }

  /** When the fork's pin was not used, tell the submitter to release it on the source's group. */
  static Outcome release(Command.Create c, Outcome o) {
    Command.ForkSpec f = c.fork();
    return f == null ? o : o.withRelease(f.sourceKey(), f.sourceStreamId(), f.pinId());
  }

  private static boolean sameConfig(StreamEntry e, Command.Create c) {
    if (!Objects.equals(ContentTypes.normalize(e.contentType), ContentTypes.normalize(c.contentType()))) {
      return false;
    }
    if (e.ttlSeconds != c.ttlSeconds() || e.expiresAtMillis != c.expiresAtMillis() || e.closed != c.closed()) {
      return false;
    }
    Command.ForkSpec f = c.fork();
    if ((e.fork == null) != (f == null)) {
      return false;
    }
    if (f != null) {
      if (!e.fork.sourceKey().equals(f.sourceKey()) || e.forkSubOffset != f.subOffset()) {
        return false;
      }
      long existingOffset = e.forkRequestedOffset >= 0 ? e.forkRequestedOffset : e.fork.forkPoint();
      if (f.requestedOffset() >= 0 && existingOffset != f.requestedOffset()) {
        return false;
      }
    }
    return true;
  }
}
