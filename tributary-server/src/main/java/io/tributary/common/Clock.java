package io.tributary.common;

/** Injected time source (wall clock and elapsed time) so tests can control time; {@link #SYSTEM} in production. */
public interface Clock {
  Clock SYSTEM = System::currentTimeMillis;

  /** Wall-clock milliseconds since the epoch. */
  long nowMillis();

  /**
   * Monotonic nanoseconds for measuring elapsed time (an arbitrary origin, like
   * {@link System#nanoTime()}, which it is unless a test supplies virtual time).
   */
  default long nanoTime() {
    return System.nanoTime();
  }
}
