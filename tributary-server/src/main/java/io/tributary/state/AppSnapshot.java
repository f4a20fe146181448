package io.tributary.state;

import io.tributary.storage.SegmentStore;
import io.tributary.storage.StreamIndex;

/**
 * An application snapshot of a stream: an opaque blob published by a client that stands for the
 * stream's messages {@code [start, offset)}. The blob's bytes live in the group's segments as
 * records of their own id ({@code blobId}, taken from the stream-id counter), one record per
 * {@link SegmentStore#RECORD_PAYLOAD_MAX} bytes at {@code positions}; memory holds only this
 * reference. A blob larger than {@code snapshot-inline-bytes-max} lives in the object store under
 * {@code objectKey} instead (then {@code positions} is empty). Immutable.
 */
public record AppSnapshot(long offset, String contentType, String digest, long length, long blobId, long[] positions,
    String objectKey) {

  /** The blob's records as an index, for {@code StreamReader}. */
  public StreamIndex.View index() {
    long[] offsets = new long[positions.length];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (long) i * SegmentStore.RECORD_PAYLOAD_MAX;
    }
    return new StreamIndex.View(offsets, positions, positions.length);
  }
}
