package io.tributary.state;

/**
 * Applies the cold tier's commands: a published chunk extends a stream's cold index when it
 * starts exactly at the cold end of the same incarnation and stays within its tail (so replicas
 * agree whatever order uploads finish in, and a retried publish is answered as before), and an
 * acknowledged deletion leaves the garbage queue. Publishing changes no bytes a reader sees, so
 * it republishes the view without waking watchers. A publish stamped after its deadline is refused
 * (see {@link Command.ColdChunksPublished}). Apply thread.
 */
final class ColdHandler {

  Outcome publish(GroupState s, Command.ColdChunksPublished p, long now) {
    StreamEntry e = s.byId.get(p.streamId());
    if (e == null || !e.key.equals(p.key())) {
      return Outcome.of(Outcome.Code.COLD_IGNORED, "stream " + p.streamId() + " is gone");
    }
    if (e.cold.holds(p.start(), p.end())) {
      return Outcome.of(Outcome.Code.COLD_PUBLISHED, "already published");
    }
    if (now > p.publishByMillis()) {
      // the orphan sweep deletes unreferenced objects older than twice the publish window: a
      // publish this late may name an object that is gone (the uploader uploads the range again)
      return Outcome.of(Outcome.Code.UPLOAD_EXPIRED, "published at " + now + ", after its deadline " + p.publishByMillis());
    }
    if (p.start() != e.cold.end() || p.end() > e.tail || p.end() <= p.start()) {
      return Outcome.of(Outcome.Code.COLD_IGNORED, "range [" + p.start() + ", " + p.end() + ") does not extend cold end "
          + e.cold.end() + " below tail " + e.tail);
    }
    e.cold.add(p.end(), p.recordStarts());
    if (e.retainedFrom > p.start() && e.pins.isEmpty()) {
      s.trimCold(e);
    }
    s.markRepublish(e);
    return Outcome.of(Outcome.Code.COLD_PUBLISHED, null);
  }

  Outcome collected(GroupState s, Command.ColdGarbageCollected g) {
    s.dequeueGarbage(g.objectKeys());
    return Outcome.of(Outcome.Code.COLD_COLLECTED, null);
  }
}
