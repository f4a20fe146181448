package io.tributary.client;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Tail} as a {@link Flow.Publisher} of {@link Chunk}s. Each subscriber gets its own tail
 * from the publisher's offset, run by its own daemon thread ({@code tributary-tail-...}), which
 * reads a chunk only when the subscriber has demand: an unread chunk is never buffered beyond the
 * one in hand, so a slow subscriber slows the reads (back-pressure reaches the server as an idle
 * connection). The stream's end completes the subscriber; a failure the tail cannot retry is its
 * {@code onError}; {@code cancel} closes the tail.
 *
 * <p>Threads: subscriber signals ({@code onSubscribe}, {@code onNext}, {@code onError},
 * {@code onComplete}) all come from the subscription's thread, in order (Reactive Streams rule
 * 1.3); {@code request} and {@code cancel} may come from any thread (guarded by a lock).
 */
public final class TailPublisher implements Flow.Publisher<Chunk> {
  private final StreamHandle stream;
  private final String offset;
  private final TailOptions options;

  TailPublisher(StreamHandle stream, String offset, TailOptions options) {
    this.stream = stream;
    this.offset = offset;
    this.options = options;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super Chunk> subscriber) {
    Subscription s = new Subscription(stream.tail(offset, options), subscriber);
    Thread.ofPlatform().daemon(true).name("tributary-tail-" + stream.path()).start(s::run);
  }

  private static final class Subscription implements Flow.Subscription {
    private final Tail tail;
    private final Flow.Subscriber<? super Chunk> subscriber;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition demanded = lock.newCondition();
    /** Guarded by lock. */
    private long demand;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    /** Guarded by lock: a request(n <= 0), reported as onError per rule 3.9. */
    private IllegalArgumentException badRequest;

    Subscription(Tail tail, Flow.Subscriber<? super Chunk> subscriber) {
      this.tail = tail;
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      lock.lock();
      try {
        if (n <= 0) {
          badRequest = new IllegalArgumentException("request(" + n + "): demand must be positive (rule 3.9)");
        } else {
          demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        }
        demanded.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void cancel() {
      cancelled.set(true);
      tail.close();
      lock.lock();
      try {
        demanded.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void run() {
      try (tail) {
        subscriber.onSubscribe(this);
        while (awaitDemand()) {
          Chunk c = tail.next();
          if (c == null || cancelled.get()) {
            return;
          }
          if (!c.isEmpty()) {
            subscriber.onNext(c);
          }
          if (c.closed()) {
            subscriber.onComplete();
            return;
          }
        }
      } catch (TributaryException | IllegalStateException e) {
        if (!cancelled.get()) {
          subscriber.onError(e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (!cancelled.get()) {
          subscriber.onError(e);
        }
      }
    }

    /** Waits for demand and takes one unit of it; false once cancelled or after a bad request (signalled). */
    private boolean awaitDemand() throws InterruptedException {
      lock.lock();
      try {
        while (demand == 0 && !cancelled.get() && badRequest == null) {
          demanded.await();
        }
        if (badRequest != null) {
          cancelled.set(true);
          subscriber.onError(badRequest);
          return false;
        }
        if (cancelled.get()) {
          return false;
        }
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        return true;
      } finally {
        lock.unlock();
      }
    }
  }
}
