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

  /**
   * Renews a sliding TTL (reads renew it; the read itself is not replicated). With
   * {@link #EXPIRY_PROBE} as the stream id it renews nothing: like every command it first removes
   * the stream if it is expired at the entry's time (and no fork pins it), so the expiry sweep
   * removes expired streams through the log, decided by the entry's time on every replica.
   */
  record Touch(StreamKey key, long streamId) implements Command {
    /** The stream id of a sweep probe (ids are never negative). */
    public static final long EXPIRY_PROBE = -1;
  }

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

  /**
   * Publishes an application snapshot covering {@code [start, offset)} of the stream. {@code match}
   * is the {@code Stream-Snapshot-Match} precondition: null (none), "none" (no snapshot may exist
   * yet) or the digest the current snapshot must have. {@code digest} is computed, and the offset
   * checked to be a message boundary of incarnation {@code streamId}, by the submitter. A large
   * blob travels as {@code objectKey} (already in the object store, {@code data} empty) instead;
   * such a publish is refused ({@link Outcome.Code#UPLOAD_EXPIRED}) when its entry was stamped after
   * {@code publishByMillis} (the upload's start plus the publish window), so an object older than
   * the orphan grace can never become referenced ({@link Long#MAX_VALUE}: no deadline).
   */
  record PublishSnapshot(StreamKey key, long streamId, long offset, String contentType, byte[] data, String digest,
      String match, String objectKey, long publishByMillis)
      implements Command {}

  /**
   * Advances the stream's retention floor to {@code offset}. The submitter checked that the offset
   * is a message boundary of incarnation {@code streamId} (bytes below a tail never change).
   */
  record SetRetention(StreamKey key, long streamId, long offset) implements Command {}

  /** Replaces the stream's attributes (a compact JSON object, or null to clear them). */
  record SetAttrs(StreamKey key, String json) implements Command {}

  /**
   * Appends several frames to one stream as separate messages, in one entry. {@code data} holds the
   * frames back to back (framed for JSON streams); frame i ends at {@code frameEnds[i]}. The producer
   * triple (optional) covers the whole batch.
   */
  record AppendBatch(StreamKey key, String contentType, byte[] data, int[] frameEnds, int messages, Producer producer)
      implements Command {}

  /**
   * Appends to several streams of one affinity key atomically: every append's checks pass, then all
   * are written, or none is. {@code key} is the affinity key's placement key.
   */
  record Transaction(StreamKey key, java.util.List<Append> appends) implements Command {}

  /**
   * The group's leader uploaded stream bytes {@code [start, end)} of incarnation {@code streamId}
   * as one chunk object (key derived from group, id and range): the range becomes cold if it
   * starts exactly at the stream's cold end (else the command is ignored, and the uploader deletes
   * its object unless this exact range is already recorded). An entry stamped after
   * {@code publishByMillis} (the upload's start plus the publish window) is refused
   * ({@link Outcome.Code#UPLOAD_EXPIRED}): the orphan sweep may already have deleted the object.
   * {@code recordStarts}: the object carries a record-start table (chunk format version 2), so
   * replicas may forget the range's records from their in-memory index once their local copy is gone.
   */
  record ColdChunksPublished(StreamKey key, long streamId, long start, long end, long publishByMillis,
      boolean recordStarts) implements Command {}

  /** The leader deleted these garbage objects: they leave the group's deletion queue. Key: ("", ""). */
  record ColdGarbageCollected(StreamKey key, java.util.List<String> objectKeys) implements Command {}

  /**
   * The {@code Stream-Incarnation} request precondition: {@code command} (a create, append,
   * delete, snapshot publish or retention change of {@code key}) applies only while the live
   * stream at {@code key} is incarnation {@code streamId} (stream ids are never reused, so a
   * deleted and re-created stream has another). Otherwise nothing changes and the outcome is
   * {@link Outcome.Code#PRECONDITION_FAILED} carrying the current incarnation, if any. With no
   * live stream a create is refused (it would make a new incarnation) and the others answer as
   * they would unwrapped (404, 410). Requests without the header are never wrapped.
   */
  record IfIncarnation(StreamKey key, long streamId, Command command) implements Command {
    public IfIncarnation {
      boolean wrappable = command instanceof Create || command instanceof Append || command instanceof Delete
          || command instanceof PublishSnapshot || command instanceof SetRetention;
      if (!wrappable || !command.key().equals(key) || streamId < 0) {
        throw new IllegalArgumentException("Stream-Incarnation " + streamId + " cannot guard " + command);
      }
    }
  }

  /**
   * Changes nothing. Every applied entry ends with each replica's upkeep ({@link GroupState#trimIndexes}:
   * forgetting the index entries of records whose segments the replica deleted); the cold tier
   * submits this when it deleted segments of a group that applies nothing else, so the upkeep
   * does not wait for the next write. Key: ("", "").
   */
  record Nop(StreamKey key) implements Command {}

  /**
   * Node {@code nodeId} runs a build that applies entries up to feature level {@code level}
   * ({@link FeatureLevel}). Recorded by the registry group (key ("", "")); the cluster writes
   * newer formats only once every voter's recorded level allows them.
   */
  record AnnounceFeatures(StreamKey key, String nodeId, int level) implements Command {}
}
