package io.tributary.common;

import java.util.concurrent.CompletionException;

/** Failures as the futures of the write and read paths hand them over. Stateless. */
public final class Failures {
  private Failures() {}

  /**
   * The failure a {@link CompletionException} wraps (what a dependent stage of a failed future
   * sees), else {@code t} itself; null stays null. Callers decide by the failure's type (an
   * unknown outcome, a refusal before the log, a timeout), never by the wrapper's.
   */
  public static Throwable cause(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
