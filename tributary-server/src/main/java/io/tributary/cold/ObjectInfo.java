package io.tributary.cold;

/** One stored object: its key (without any store-level prefix) and its size. Immutable. */
public record ObjectInfo(String key, long sizeBytes) {
  public ObjectInfo {
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("negative size " + sizeBytes + " for " + key);
    }
  }
}
