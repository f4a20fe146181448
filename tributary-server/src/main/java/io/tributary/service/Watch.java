package io.tributary.service;

/** A registered wake-up for a live reader; cancel it when the reader goes away. */
public interface Watch {
  void cancel();
}
