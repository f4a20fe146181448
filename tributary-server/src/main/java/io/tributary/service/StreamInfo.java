package io.tributary.service;

import io.tributary.common.StreamKey;

/**
 * What HEAD and read responses say about a stream: identity, type, tail, closure, expiry, the
 * retention floor, the latest application snapshot (or null) and attributes (or null). Immutable.
 */
public record StreamInfo(StreamKey key, long streamId, String contentType, boolean json, long tail, boolean closed,
    long ttlSeconds, String expiresAt, long retainedFrom, SnapshotInfo snapshot, String attrs) {}
