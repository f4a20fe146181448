package io.tributary.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What the test servers run out of process ({@link ServerProcess}, {@link S3ProxyServer}) share. Stateless. */
final class ChildProcesses {
  private ChildProcesses() {}

  /**
   * SIGKILLs {@code p} if it runs (this also ends a SIGSTOPped one), waits up to {@code timeout}
   * for it, and removes the shutdown hook that would otherwise kill it when the test JVM exits.
   */
  static void killAndForget(Process p, Duration timeout, Thread reaper) {
    if (p != null && p.isAlive()) {
      try {
        p.destroyForcibly().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the SIGKILL is sent; the caller is being interrupted anyway
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down and the hook is running or ran; nothing left to undo
    }
  }
}
