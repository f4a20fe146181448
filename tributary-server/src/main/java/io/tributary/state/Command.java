package io.tributary.state;

import io.tributary.common.StreamKey;

/**
 * A state-changing request, decided by the state machine when its Raft entry is applied. Commands
 * carry everything apply needs except the time, which the batch carries (stamped by the leader).
 * Stateless validation (header syntax, JSON) happens before submission; validation that depends on
 * stream state (producers, closure, content type) happens in apply, identically on every replica.
 */
public sealed interface Command {

  StreamKey key();

  /** Idempotent-producer triple. */
  record Producer(String id, long epoch, long seq) {}

  /**
   * Fork source resolved by a prior {@link PinFork} on the source's group. {@code requestedOffset}
   * and {@code subOffset} are what the client asked (compared on re-PUT); {@code forkPoint} is the
   * resolved byte position where the fork's own data begins.
   */
  record ForkSpec(StreamKey sourceKey, int sourceGroup, long sourceStreamId, long forkPoint, long requestedOffset,
      long subOffset, String pinId) {}

  /** PUT: create a stream (or confirm an identical one). {@code data} is already framed. */
  record Create(StreamKey key, String contentType, long ttlSeconds, String expiresAt, long expiresAtMillis,
      boolean closed, byte[] data, int messages, ForkSpec fork) implements Command {}

  /**
   * POST: append (data may be empty only with {@code close}) and/or close. {@code expectedTail}
   * is the {@code If-Match} offset (-1 when absent): the append commits only at that tail.
   */
  record Append(StreamKey key, String contentType, byte[] data, int messages, boolean close, String streamSeq,
      Producer producer, long expectedTail) implements Command {
    public Append(StreamKey key, String contentType, byte[] data, int messages, boolean close, String streamSeq,
        Producer producer) {
      this(key, contentType, data, messages, close, streamSeq, producer, -1);
    }
  }

  /** DELETE. */
  record Delete(StreamKey key) implements Command {}

  /** Renews a sliding TTL (reads renew it; the read itself is not replicated). */
  record Touch(StreamKey key, long streamId) implements Command {}

  /**
   * Pins the source of a new fork so its data outlives a delete: validates the fork point against
   * the source (point ≤ tail) and records the pin. {@code forkPoint} -1 means the source tail;
   * {@code expectStreamId} -1 means any incarnation of the source.
   */
  record PinFork(StreamKey key, long forkPoint, long expectStreamId, String pinId, StreamKey forkKey)
      implements Command {}

  /** Creates a bucket (idempotent). Key: (bucket, ""). Applied on the bucket registry's group. */
  record CreateBucket(StreamKey key) implements Command {}

  /** Deletes an empty bucket. Key: (bucket, ""). */
  record DeleteBucket(StreamKey key) implements Command {}

  /** Releases a pin; a soft-deleted source with no pins left is removed. */
  record UnpinFork(StreamKey key, long streamId, String pinId) implements Command {}
}
