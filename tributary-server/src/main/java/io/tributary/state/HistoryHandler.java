package io.tributary.state;

/**
 * Applies the commands that shape a stream's history: application snapshots, the retention floor
 * and attributes. A snapshot's blob is written to the group's segments under a fresh id, so the
 * state (and every Raft snapshot) holds only a reference to it. Apply thread.
 */
final class HistoryHandler {

  Outcome publish(GroupState s, Command.PublishSnapshot p, long now) {
    StreamEntry e = s.live(p.key(), now);
    Outcome missing = missing(e, p.streamId(), now);
    if (missing != null) {
      return missing;
    }
    AppSnapshot cur = e.snapshot;
    if (p.match() != null) {
      String have = cur == null ? "none" : cur.digest();
      if (!have.equals(p.match())) {
        return state(Outcome.Code.PRECONDITION_FAILED, e).withMessage("Stream-Snapshot-Match: the current snapshot is "
            + (cur == null ? "none" : cur.digest() + " at " + cur.offset()));
      }
    }
    if (p.offset() < e.retainedFrom) {
      return state(Outcome.Code.BELOW_RETENTION, e).withMessage("snapshot offset is below the retention floor");
    }
    if (p.offset() > e.tail) {
      return state(Outcome.Code.CONFLICT, e).withMessage("snapshot offset is past the stream's tail");
    }
    if (cur != null) {
      if (p.offset() == cur.offset()) {
        return cur.digest().equals(p.digest()) ? state(Outcome.Code.SNAPSHOT_PUBLISHED, e)
            : state(Outcome.Code.CONFLICT, e).withMessage("a different snapshot exists at this offset");
      }
      if (p.offset() < cur.offset()) {
        return state(Outcome.Code.CONFLICT, e).withMessage("a newer snapshot exists (at offset " + cur.offset() + ")");
      }
    }
    if (p.objectKey() != null && now > p.publishByMillis()) {
      // the orphan sweep may already have deleted an upload this old: refuse, the client retries
      return Outcome.of(Outcome.Code.UPLOAD_EXPIRED, "the snapshot blob was uploaded too long ago (deadline "
          + p.publishByMillis() + ", now " + now + "); retry");
    }
    long blobId = s.nextStreamId++;
    long[] positions = p.objectKey() == null ? s.writeBlob(blobId, p.data()) : new long[0];
    // the previous blob's records become garbage in the segments, like a deleted stream's (a
    // previous object is deleted by the submitter once this outcome says it was replaced)
    e.snapshot = new AppSnapshot(p.offset(), p.contentType(), p.digest(),
        p.objectKey() == null ? p.data().length : -1, blobId, positions, p.objectKey());
    s.markChanged(e);
    return state(Outcome.Code.SNAPSHOT_PUBLISHED, e);
  }

  Outcome retain(GroupState s, Command.SetRetention r, long now) {
    StreamEntry e = s.live(r.key(), now);
    Outcome missing = missing(e, r.streamId(), now);
    if (missing != null) {
      return missing;
    }
    if (r.offset() == e.retainedFrom) {
      return state(Outcome.Code.RETENTION_SET, e);
    }
    if (r.offset() < e.retainedFrom) {
      return state(Outcome.Code.CONFLICT, e).withMessage("the retention floor never moves backwards");
    }
    if (r.offset() > e.tail) {
      return state(Outcome.Code.CONFLICT, e).withMessage("retention offset is past the stream's tail");
    }
    if (e.snapshot == null || r.offset() > e.snapshot.offset()) {
      // a bootstrap must always cover the earliest retained offset: snapshot + messages after it
      return state(Outcome.Code.CONFLICT, e).withMessage(e.snapshot == null
          ? "publish a snapshot before trimming: retention cannot pass the latest snapshot"
          : "retention cannot pass the latest snapshot (at offset " + e.snapshot.offset() + ")");
    }
    e.retainedFrom = r.offset();
    s.trimCold(e);
    s.markChanged(e);
    return state(Outcome.Code.RETENTION_SET, e);
  }

  Outcome attrs(GroupState s, Command.SetAttrs a, long now) {
    StreamEntry e = s.live(a.key(), now);
    Outcome missing = missing(e, -1, now);
    if (missing != null) {
      return missing;
    }
    e.attrs = a.json();
    s.markChanged(e);
    return state(Outcome.Code.ATTRS_SET, e);
  }

  /** Null when {@code e} is the live incarnation asked for ({@code streamId} -1: any). */
  private static Outcome missing(StreamEntry e, long streamId, long now) {
    if (e == null) {
      return Outcome.of(Outcome.Code.NOT_FOUND, "stream not found");
    }
    if (e.goneAt(now)) {
      return Outcome.of(Outcome.Code.GONE, "stream was deleted");
    }
    if (streamId >= 0 && e.streamId != streamId) {
      return Outcome.of(Outcome.Code.CONFLICT, "the stream was deleted and re-created meanwhile; retry");
    }
    return null;
  }

  /** An outcome carrying the stream's tail, snapshot and retention floor. */
  private static Outcome state(Outcome.Code code, StreamEntry e) {
    AppSnapshot snap = e.snapshot;
    return Outcome.tail(code, e.tail, e.closed).withSnapshot(snap == null ? -1 : snap.offset(),
        snap == null ? null : snap.digest(), e.retainedFrom);
  }
}
