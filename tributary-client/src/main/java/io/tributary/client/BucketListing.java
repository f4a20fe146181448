package io.tributary.client;

import java.util.List;

/**
 * One page of a bucket's streams ({@code GET /ds/{bucket}}); {@code next} is the {@code after} of
 * the next page, null on the last one.
 */
public record BucketListing(String bucket, List<Entry> streams, String next) {
  /** One stream: its name in the bucket, content type, tail and whether it is closed. */
  public record Entry(String name, String contentType, String nextOffset, boolean closed) {}
}
