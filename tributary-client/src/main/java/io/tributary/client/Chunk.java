package io.tributary.client;

/**
 * Data read from a stream: the bytes from {@code offset} up to {@code nextOffset} (whole messages;
 * a JSON stream's chunk is a JSON array of its messages), and where the stream stood when it was
 * read: {@code upToDate} when the chunk reached the tail, {@code closed} when the stream is closed
 * and the chunk reached its final offset (end of stream). Read on from {@code nextOffset}.
 */
public record Chunk(String offset, byte[] data, String nextOffset, boolean upToDate, boolean closed) {
  /** True if the chunk holds no data (a read at the tail, or the end-of-stream signal). */
  public boolean isEmpty() {
    return data.length == 0;
  }
}
