package io.tributary.bench;

import io.netty.channel.EventLoop;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fixed-rate schedule of ops: op k is due at {@code startNanos + k / rate}. A timer on one event
 * loop wakes every period and hands each op that has come due to the dispatcher with its intended
 * time; the dispatcher ignores ops that belong to another loop (each loop runs its own ticker over
 * the same schedule). Owned by its event loop.
 */
final class OpenLoopTicker implements Runnable {
  /** Receives due ops on the ticker's loop. */
  interface Dispatcher {
    void due(EventLoop loop, long k, long intendedNanos);
  }

  private final EventLoop loop;
  private final double ratePerS;
  private final long startNanos;
  private final long opsMax;
  private final Dispatcher dispatcher;
  private long nextOp;
  private ScheduledFuture<?> timer;

  /** @param opsMax ops after which the schedule ends ({@code Long.MAX_VALUE}: until stopped) */
  OpenLoopTicker(EventLoop loop, double ratePerS, long startNanos, long opsMax, Dispatcher dispatcher) {
    if (!(ratePerS > 0)) {
      throw new IllegalArgumentException("rate must be > 0");
    }
    this.loop = loop;
    this.ratePerS = ratePerS;
    this.startNanos = startNanos;
    this.opsMax = opsMax;
    this.dispatcher = dispatcher;
  }

  /** Any thread. The period is the op interval, kept between 0.1 ms and 1 ms. */
  void start() {
    long periodNanos = Math.max(100_000L, Math.min(1_000_000L, (long) (1e9 / ratePerS)));
    long delayNanos = Math.max(0, startNanos - System.nanoTime());
    timer = loop.scheduleAtFixedRate(this, delayNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  /** Any thread. */
  void stop() {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  @Override
  public void run() {
    long now = System.nanoTime();
    long due = Math.min(opsMax, (long) Math.floor((now - startNanos) * ratePerS / 1e9) + 1);
    while (nextOp < due) {
      long k = nextOp++;
      dispatcher.due(loop, k, startNanos + (long) (k * 1e9 / ratePerS));
    }
    if (nextOp >= opsMax && timer != null) {
      timer.cancel(false);
    }
  }
}
