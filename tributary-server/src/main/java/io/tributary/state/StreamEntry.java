package io.tributary.state;

import io.tributary.common.ContentTypes;
import io.tributary.common.StreamKey;
import io.tributary.storage.StreamIndex;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Mutable state of one stream. Owned by its group's apply thread; every mutation ends with
 * {@link #publish()}, which replaces the volatile {@link #view} read by other threads.
 */
final class StreamEntry {
  /** Per-producer state: epoch and highest accepted seq. */
  static final class ProducerState {
    /** {@link #lastMillis} of a producer last active before activity times were kept (see {@link Limits#UNSTAMPED}). */
    static final long UNKNOWN_MILLIS = Long.MIN_VALUE;
    long epoch;
    long lastSeq;
    /** Where the data of {@link #lastSeq} began: a retry of it learns its original offsets. */
    long lastStart;
    /** Entry time of the producer's latest accepted append, or {@link #UNKNOWN_MILLIS}. */
    long lastMillis;

    ProducerState(long epoch, long lastSeq, long lastStart, long lastMillis) {
      this.epoch = epoch;
      this.lastSeq = lastSeq;
      this.lastStart = lastStart;
      this.lastMillis = lastMillis;
    }
  }

  final long streamId;
  final int group;
  final StreamKey key;
  final String contentType;
  final boolean json;
  final long ttlSeconds;
  final String expiresAt;
  final long expiresAtMillis;
  final StreamView.Fork fork;
  /** Client-requested fork offset (-1 absent) and sub-offset: compared on an identical re-PUT. */
  final long forkRequestedOffset;
  final long forkSubOffset;
  final String forkPinId;
  final StreamIndex index;
  /** Own bytes held in the object store (starts empty at the stream's own start). */
  ColdIndex cold;
  long lastAccessMillis;
  boolean closed;
  /** Producer tuple that closed the stream, if a producer did. */
  Command.Producer closedBy;
  long tail;
  String lastStreamSeq;
  boolean softDeleted;
  /** Retention floor: reads below it get 410. Starts at the stream's first offset (0). */
  long retainedFrom;
  /** The latest application snapshot, or null. */
  AppSnapshot snapshot;
  /** Attributes as compact JSON, or null. */
  String attrs;
  final Map<String, ProducerState> producers = new HashMap<>();
  /** pinId → fork key, for forks reading this stream's data. Insertion-ordered for deterministic snapshots. */
  final Map<String, StreamKey> pins = new LinkedHashMap<>();
  volatile StreamView view;
  /** This stream's share of its bucket's stored bytes in {@link GroupState}, as last counted. Apply thread. */
  long countedBytes;

  StreamEntry(long streamId, int group, StreamKey key, String contentType, long ttlSeconds, String expiresAt,
      long expiresAtMillis, StreamView.Fork fork, long forkRequestedOffset, long forkSubOffset, String forkPinId,
      StreamIndex index, long tail) {
    this.streamId = streamId;
    this.group = group;
    this.key = key;
    this.contentType = contentType;
    this.json = ContentTypes.isJson(contentType);
    this.ttlSeconds = ttlSeconds;
    this.expiresAt = expiresAt;
    this.expiresAtMillis = expiresAtMillis;
    this.fork = fork;
    this.forkRequestedOffset = forkRequestedOffset;
    this.forkSubOffset = forkSubOffset;
    this.forkPinId = forkPinId;
    this.index = index;
    this.tail = tail;
    this.cold = new ColdIndex(fork == null ? 0 : fork.forkPoint());
  }

  void publish() {
    view = new StreamView(streamId, group, key, contentType, json, ttlSeconds, expiresAt, expiresAtMillis,
        lastAccessMillis, closed, tail, softDeleted, pins.size(), fork, index.view(), retainedFrom, snapshot, attrs,
        cold.view());
  }

  /**
   * Forgets the index entries of leading records that this replica no longer holds on disk (they
   * start below segment position {@code firstPosition}) and that are wholly in the object store,
   * in chunks that list their record starts. Records of older chunks without such a table
   * (format version 1) stay, unless no reader can ask about them any more: below the retention
   * floor while no fork reads this stream. Returns true when the index changed. Apply thread.
   */
  boolean trimIndex(long firstPosition) {
    if (index.count() < 2) {
      return false; // the last record always stays
    }
    long ownStart = fork == null ? 0 : fork.forkPoint();
    long askedFrom = pins.isEmpty() ? Math.max(ownStart, retainedFrom) : ownStart;
    boolean untabledHeld = cold.tablesFrom() > Math.max(askedFrom, index.offsetAt(0));
    long limit = untabledHeld ? Math.min(cold.end(), askedFrom) : cold.end();
    return index.trimIfWorthIt(firstPosition, limit) > 0;
  }

  /**
   * The bytes this stream keeps readable of its own: from its retention floor (or its fork point,
   * for a fork: the source's bytes are the source's) to its tail, local or tiered alike.
   */
  long storedBytes() {
    long ownStart = fork == null ? 0 : fork.forkPoint();
    return Math.max(0, tail - Math.max(ownStart, retainedFrom));
  }

  boolean expiredAt(long nowMillis) {
    if (expiresAtMillis >= 0 && nowMillis >= expiresAtMillis) {
      return true;
    }
    return ttlSeconds >= 0 && nowMillis >= lastAccessMillis + ttlSeconds * 1000;
  }

  /** Gone for clients: deleted or expired, but kept because forks still read it. */
  boolean goneAt(long nowMillis) {
    return softDeleted || (!pins.isEmpty() && expiredAt(nowMillis));
  }
}
