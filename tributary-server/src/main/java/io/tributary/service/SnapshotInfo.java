package io.tributary.service;

/** What responses say about a stream's application snapshot. Immutable. */
public record SnapshotInfo(long offset, String contentType, String digest) {

  static SnapshotInfo of(io.tributary.state.AppSnapshot s) {
    return s == null ? null : new SnapshotInfo(s.offset(), s.contentType(), s.digest());
  }
}
