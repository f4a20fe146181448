package io.tributary.cold;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A flat namespace of immutable byte objects: S3 ({@link S3ObjectStore}) or a directory that
 * every replica can read ({@link LocalDirectoryObjectStore}). The cold tier uploads sealed ranges
 * of streams here and reads them back with ranged gets through a {@link BlockCache}.
 *
 * <h2>Keys</h2>
 * {@code /}-separated segments of {@code [A-Za-z0-9._=-]}, at most 512 characters, no empty,
 * {@code .} or {@code ..} segment, no segment starting with {@code .}, no leading or trailing
 * {@code /} (see {@link ObjectKeys#validate}). A key must not also be the "directory" of another
 * key ({@code a} and {@code a/b} together): S3 allows it, a file system cannot, so the layout
 * (docs/on-disk-format.md, "Object store") never does it. A malformed key is a programming error:
 * {@link IllegalArgumentException}.
 *
 * <h2>Semantics</h2>
 * A put publishes the whole object atomically: a reader sees the previous object (or none) or all
 * of the new bytes, never a prefix. Objects are written once and not modified afterwards (a
 * re-put of a key after a crashed upload writes the same bytes); the {@link BlockCache} relies on
 * that. Deletes are idempotent. Listing is in ascending key order (UTF-8 byte order, which for
 * the key alphabet equals {@link String#compareTo}).
 *
 * <h2>Errors</h2>
 * Every operation throws only {@link ObjectStoreException} subclasses (besides
 * {@link IllegalArgumentException} for bad arguments):
 * <ul>
 *   <li>{@link ObjectNotFoundException}: the key does not exist; the answer is definite.</li>
 *   <li>{@link ObjectStoreUnavailableException}: the store could not be reached or answered with
 *       a transient failure (network, timeout, 5xx, throttling, local I/O error). The outcome of
 *       a put or delete is unknown; retrying later may succeed. Readers answer 503 +
 *       {@code Retry-After}.</li>
 *   <li>{@link ObjectStoreRejectedException}: the store answered and refused (access denied, no
 *       such bucket, invalid request). Retrying will not help until an operator fixes the
 *       configuration.</li>
 * </ul>
 * Every call returns or throws within a bound set by the implementation's timeouts; none hangs
 * while the store is down.
 *
 * <h2>Threads</h2>
 * Implementations are thread-safe and synchronous: calls block the calling thread on I/O, so they
 * run on the cold tier's small dedicated pools, never on a Netty event loop or an engine apply
 * thread.
 */
public interface ObjectStore extends AutoCloseable {
  /** The most keys one {@link #list(String, String, int)} call returns. */
  int LIST_KEYS_MAX = 10_000;

  /** Publishes {@code bytes} as the object {@code key}, replacing any previous object. */
  void put(String key, byte[] bytes);

  /** Publishes the remaining bytes of {@code bytes} (its position is not moved). */
  void put(String key, ByteBuffer bytes);

  /** Publishes the contents of {@code file} (read from its start to its end at the time of the call). */
  void putFile(String key, Path file);

  /** The whole object. Objects are at most {@link Integer#MAX_VALUE} - 8 bytes (cold chunks are far smaller). */
  byte[] get(String key);

  /**
   * Up to {@code lengthBytes} bytes of the object starting at {@code offset}: exactly
   * {@code lengthBytes} unless the object ends first, then the bytes up to its end, and an empty
   * array when {@code offset} is at or past the end.
   *
   * @throws ObjectNotFoundException if the object does not exist
   */
  byte[] getRange(String key, long offset, int lengthBytes);

  /** Key and size of an existing object. */
  ObjectInfo head(String key);

  /**
   * Up to {@code keysMax} (at most {@link #LIST_KEYS_MAX}) objects whose keys start with
   * {@code prefix} and sort after {@code startAfter} (null or empty: from the first), in key
   * order. Fewer than {@code keysMax} means the listing is complete; otherwise call again with the
   * last key returned. The prefix need not end at a {@code /}; the empty prefix lists everything.
   */
  List<ObjectInfo> list(String prefix, String startAfter, int keysMax);

  /** Every object under {@code prefix}, page by page; for bounded prefixes (one stream, one group). */
  default List<ObjectInfo> listAll(String prefix) {
    List<ObjectInfo> all = new ArrayList<>();
    String after = null;
    while (true) {
      List<ObjectInfo> page = list(prefix, after, LIST_KEYS_MAX);
      all.addAll(page);
      if (page.size() < LIST_KEYS_MAX) {
        return all;
      }
      after = page.get(page.size() - 1).key();
    }
  }

  /** Removes the object; deleting a key that does not exist succeeds. */
  void delete(String key);

  /**
   * Checks, without writing, that the store can be used: the S3 store lists at most one key
   * (a missing bucket, wrong region or bad credentials throw {@link ObjectStoreRejectedException},
   * an unreachable endpoint {@link ObjectStoreUnavailableException}); the directory store checks
   * that its root, or the nearest existing parent, is a writable directory. For start-up logs and
   * readiness: a put's refusal can look like an outage (see {@link S3ObjectStore}), this cannot.
   */
  void check();

  /** Where the objects are, for logs: {@code dir:/path} or {@code s3://bucket/prefix (endpoint)}. */
  String describe();

  /** Releases clients and connections; calls after close fail. */
  @Override
  void close();
}
