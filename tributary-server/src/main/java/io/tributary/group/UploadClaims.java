package io.tributary.group;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per stream, who may touch its objects on this node right now: writers (a chunk upload or a
 * snapshot-blob upload, from before the PUT until its publish is answered) or the orphan sweep
 * deleting that stream's leftovers, never both. A writer that finds the sweep there backs off (the
 * tier tries again next pass, a snapshot publish answers 503 + {@code Retry-After}); the sweep
 * skips a stream that has writers. So this node never deletes a key it is uploading again: keys are
 * functions of their content, and a re-upload writes the very key an earlier, unpublished attempt
 * left behind. Claims are node-local; uploads on other nodes are protected by the orphan grace and
 * the publish deadline (see {@link OrphanSweep}).
 *
 * <p>Threads: any; every claim and release is one atomic map update, never held across I/O by
 * the map itself (the holder does its I/O between claim and release).
 */
public final class UploadClaims {
  private static final int SWEEPING = -1;
  /** Per group: stream id → number of writers, or {@link #SWEEPING}. Absent = free. */
  private final List<ConcurrentHashMap<Long, Integer>> byGroup = new ArrayList<>();

  public UploadClaims(int groups) {
    for (int g = 0; g < groups; g++) {
      byGroup.add(new ConcurrentHashMap<>());
    }
  }

  /** Registers an upload of one of the stream's objects; false while the sweep deletes the stream's orphans. */
  public boolean claimUpload(int group, long streamId) {
    boolean[] claimed = {false};
    byGroup.get(group).compute(streamId, (id, n) -> {
      if (n != null && n == SWEEPING) {
        return n;
      }
      claimed[0] = true;
      return n == null ? 1 : n + 1;
    });
    return claimed[0];
  }

  /** Ends an upload registered by {@link #claimUpload} (once its publish was answered, or it failed). */
  public void releaseUpload(int group, long streamId) {
    byGroup.get(group).computeIfPresent(streamId, (id, n) -> {
      if (n == SWEEPING) {
        throw new IllegalStateException("group " + group + ": upload claim of stream " + streamId
            + " released while the sweep holds it");
      }
      return n == 1 ? null : n - 1;
    });
  }

  /** Lets the sweep delete the stream's orphans; false while any upload of the stream is registered. */
  boolean claimSweep(int group, long streamId) {
    return byGroup.get(group).putIfAbsent(streamId, SWEEPING) == null;
  }

  void releaseSweep(int group, long streamId) {
    byGroup.get(group).remove(streamId, SWEEPING);
  }
}
