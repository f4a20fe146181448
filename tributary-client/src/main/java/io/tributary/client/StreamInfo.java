package io.tributary.client;

/**
 * What {@code HEAD} says about a stream. {@code ttlSeconds} is -1 and {@code expiresAt} null when
 * unset; {@code retainedOffset}/{@code snapshotOffset} are null when the server sent none.
 */
public record StreamInfo(String contentType, String nextOffset, boolean closed, long ttlSeconds, String expiresAt,
    String retainedOffset, String snapshotOffset, String incarnation) {}
