/**
 * Hot tier: per-group append-only data segment files ({@link io.tributary.storage.SegmentStore}), the
 * in-memory tail cache, and per-stream record indexes. Writes happen only on a group's apply
 * thread; reads happen on any thread through immutable index views and positional reads.
 * May import {@code io.tributary.common} and {@code io.tributary.cold}; never the engine, Netty or higher layers.
 */
package io.tributary.storage;
