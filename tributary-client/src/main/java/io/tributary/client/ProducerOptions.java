package io.tributary.client;

import java.util.UUID;

/**
 * How a {@link Producer} writes.
 *
 * @param producerId     the {@code Producer-Id}; default a random UUID. Reuse an id across restarts
 *                       only together with a higher {@code epoch}, which fences the previous instance
 * @param epoch          the {@code Producer-Epoch} (0 .. 2^53-1); sequence numbers start at 0 in each epoch
 * @param contentType    the stream's content type (every frame is one message of it)
 * @param bufferBytesMax bound on the bytes sent but not yet acknowledged plus those queued:
 *                       {@link Producer#send} blocks while a message does not fit (back-pressure)
 * @param batchBytesMax  bound on one {@code $append-batch} request's payload (keep it under the
 *                       server's {@code body-bytes-max}); a larger single message goes alone
 * @param batchFramesMax bound on the messages in one batch (keep it within {@code append-batch-frames-max})
 * @param claim          true: a restarted instance that reuses its id takes over. If the server holds a
 *                       higher epoch for the id when this producer sends its first batch, the producer
 *                       moves to that epoch plus one (fencing the older instance) and sends again; once a
 *                       batch of it was acknowledged, being fenced ends it as usual (another instance took over)
 */
public record ProducerOptions(String producerId, long epoch, String contentType, long bufferBytesMax,
    int batchBytesMax, int batchFramesMax, boolean claim) {
  private static final long EPOCH_MAX = (1L << 53) - 1;

  public ProducerOptions {
    if (producerId == null || producerId.isEmpty()) {
      throw new IllegalArgumentException("a producer id is required");
    }
    if (epoch < 0 || epoch > EPOCH_MAX) {
      throw new IllegalArgumentException("epoch out of 0..2^53-1: " + epoch);
    }
    if (contentType == null || contentType.isBlank()) {
      throw new IllegalArgumentException("a content type is required");
    }
    if (bufferBytesMax < 1 || batchBytesMax < 1 || batchFramesMax < 1) {
      throw new IllegalArgumentException("bounds must be positive");
    }
  }

  /** A fresh producer id, epoch 0, 16 MiB buffered, batches of at most 1 MiB and 512 messages. */
  public static ProducerOptions of(String contentType) {
    return new ProducerOptions(UUID.randomUUID().toString(), 0, contentType, 16L << 20, 1 << 20, 512, false);
  }

  public ProducerOptions withId(String id, long epochValue) {
    return new ProducerOptions(id, epochValue, contentType, bufferBytesMax, batchBytesMax, batchFramesMax, claim);
  }

  /** Takes over from an older instance of the same id at the first batch (see {@code claim}). */
  public ProducerOptions withClaim(boolean value) {
    return new ProducerOptions(producerId, epoch, contentType, bufferBytesMax, batchBytesMax, batchFramesMax, value);
  }

  public ProducerOptions withBufferBytesMax(long value) {
    return new ProducerOptions(producerId, epoch, contentType, value, batchBytesMax, batchFramesMax, claim);
  }

  public ProducerOptions withBatch(int bytesMax, int framesMax) {
    return new ProducerOptions(producerId, epoch, contentType, bufferBytesMax, bytesMax, framesMax, claim);
  }
}
