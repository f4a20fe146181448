/**
 * Cold tier: the object-store side of tiered storage. {@link io.tributary.cold.ObjectStore} is a
 * flat namespace of immutable objects with ranged reads and a small exception hierarchy (not
 * found / unavailable / rejected); {@link io.tributary.cold.LocalDirectoryObjectStore} (the
 * default, a directory) and {@link io.tributary.cold.S3ObjectStore} (AWS SDK v2) implement it;
 * {@link io.tributary.cold.BlockCache} serves cold reads from fixed-size blocks with a byte bound.
 * Everything here blocks on I/O and runs on the cold tier's own small pools. The object key
 * layout is in docs/on-disk-format.md ("Object store").
 *
 * <p>May import only {@code io.tributary.common} (and the AWS SDK, which no other package may).
 */
package io.tributary.cold;
