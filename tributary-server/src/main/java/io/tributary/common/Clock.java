package io.tributary.common;

/** Injected time source so tests can control time; {@link #SYSTEM} in production. */
public interface Clock {
  Clock SYSTEM = System::currentTimeMillis;

  /** Wall-clock milliseconds since the epoch. */
  long nowMillis();
}
