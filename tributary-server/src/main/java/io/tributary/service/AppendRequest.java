package io.tributary.service;

import io.tributary.common.StreamKey;

/** A POST: data and/or close, with optional {@code Stream-Seq} and producer triple. */
public record AppendRequest(StreamKey key, String contentType, byte[] body, boolean close, String streamSeq,
    String producerId, long producerEpoch, long producerSeq) {

  public boolean hasProducer() {
    return producerId != null;
  }
}
