package io.tributary.client;

/**
 * A message the stream holds exactly once: the producer sequence number of the batch that carried
 * it, and where it lies ({@code offset} to {@code nextOffset}). The offsets are null when the
 * acknowledgement was a duplicate answer without them (a 204 for an older batch); the message is
 * in the stream all the same.
 */
public record Ack(long seq, String offset, String nextOffset) {}
