package io.tributary.config;

/**
 * Bounds that keep one client (or a few) from starving the others (docs/security.md, "Abuse
 * limits"); each applies per listener.
 *
 * @param connectionsPerIpMax        open connections from one remote address
 * @param firstByteTimeoutMillis     a new connection must send its first byte within this
 * @param requestBufferBytesMax      request bodies held in memory, by declared length
 * @param responseBufferBytesMax     response bytes waiting for clients; beyond it catch-up reads get 503
 * @param responseWriteTimeoutMillis a response write the client does not take in time closes the connection
 * @param oversizedBodyDrainBytesMax after a 413, this much more of the refused body is read and
 *                                   dropped before the connection closes, so the client reads the 413
 */
public record AbuseConfig(int connectionsPerIpMax, long firstByteTimeoutMillis, long requestBufferBytesMax,
    long responseBufferBytesMax, long responseWriteTimeoutMillis, long oversizedBodyDrainBytesMax) {}
