package io.tributary.service;

import io.tributary.common.StreamKey;

/**
 * A POST: data and/or close, with optional {@code Stream-Seq}, producer triple and
 * {@code If-Match} tail ({@code expectedTail} -1 when absent) and {@code Stream-Incarnation}
 * ({@code incarnation} -1 when absent).
 */
public record AppendRequest(StreamKey key, String contentType, byte[] body, boolean close, String streamSeq,
    String producerId, long producerEpoch, long producerSeq, long expectedTail, long incarnation) {

  public boolean hasProducer() {
    return producerId != null;
  }
}
