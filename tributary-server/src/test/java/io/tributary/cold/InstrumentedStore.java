package io.tributary.cold;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test {@link ObjectStore} wrapper that records every ranged get (key and offset), counts the
 * ranged gets that have started, and can hold them at a gate or make them fail, so tests can line
 * up concurrent readers behind one fetch. Thread-safe.
 */
final class InstrumentedStore implements ObjectStore {
  /** One ranged get as the store saw it. */
  record RangeGet(String key, long offset, int lengthBytes) {}

  private final ObjectStore delegate;
  final Queue<RangeGet> rangeGets = new ConcurrentLinkedQueue<>();
  final AtomicInteger rangeGetsStarted = new AtomicInteger();
  private volatile CountDownLatch gate;
  private volatile RuntimeException failure;

  InstrumentedStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  /** Ranged gets that start from now on wait (at most 30 s) until {@link #openGate}. */
  void closeGate() {
    gate = new CountDownLatch(1);
  }

  void openGate() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  /** Ranged gets fail with {@code e} (after the gate) until called again with null. */
  void failWith(RuntimeException e) {
    failure = e;
  }

  /** Block indexes fetched for {@code key}, in order, given the block size. */
  List<Long> blocksFetched(String key, int blockBytes) {
    return rangeGets.stream().filter(g -> g.key().equals(key)).map(g -> g.offset() / blockBytes).toList();
  }

  @Override
  public byte[] getRange(String key, long offset, int lengthBytes) {
    rangeGetsStarted.incrementAndGet();
    CountDownLatch g = gate;
    if (g != null) {
      try {
        if (!g.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("test gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted at the test gate", e);
      }
    }
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    rangeGets.add(new RangeGet(key, offset, lengthBytes));
    return delegate.getRange(key, offset, lengthBytes);
  }

  @Override
  public void put(String key, byte[] bytes) {
    delegate.put(key, bytes);
  }

  @Override
  public void put(String key, ByteBuffer bytes) {
    delegate.put(key, bytes);
  }

  @Override
  public void putFile(String key, Path file) {
    delegate.putFile(key, file);
  }

  @Override
  public byte[] get(String key) {
    return delegate.get(key);
  }

  @Override
  public ObjectInfo head(String key) {
    return delegate.head(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix, String startAfter, int keysMax) {
    return delegate.list(prefix, startAfter, keysMax);
  }

  @Override
  public void delete(String key) {
    delegate.delete(key);
  }

  @Override
  public void check() {
    delegate.check();
  }

  @Override
  public String describe() {
    return "instrumented " + delegate.describe();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
