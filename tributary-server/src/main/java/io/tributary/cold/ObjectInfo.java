package io.tributary.cold;

/**
 * One stored object: its key (without any store-level prefix), its size and when its current
 * bytes were written ({@code lastModifiedMillis}, epoch milliseconds by the store's clock: S3's
 * {@code Last-Modified}, whole seconds, or the file's modification time). A put over an existing key
 * moves it forward, which is what lets the orphan sweep tell an old leftover from a fresh re-upload
 * of the same key. Immutable.
 */
public record ObjectInfo(String key, long sizeBytes, long lastModifiedMillis) {
  public ObjectInfo {
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("negative size " + sizeBytes + " for " + key);
    }
  }
}
