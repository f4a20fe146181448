package io.tributary.service;

import io.tributary.common.StreamKey;

/** What HEAD and read responses say about a stream. Immutable. */
public record StreamInfo(StreamKey key, long streamId, String contentType, boolean json, long tail, boolean closed,
    long ttlSeconds, String expiresAt) {}
