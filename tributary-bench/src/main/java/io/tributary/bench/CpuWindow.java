package io.tributary.bench;

/**
 * Wall time and client/server CPU time between {@link #begin} and {@link #end}, and the servers'
 * resident memory at the end. Main thread only.
 */
final class CpuWindow {
  private final BenchContext ctx;
  private long startNanos;
  private long clientStartNanos;
  private long serverStartNanos;
  double seconds;
  long clientCpuNanos;
  /** -1 when not measured (no --server-pid, or a server process went away). */
  long serverCpuNanos = -1;
  /** Sum of the server processes' resident set at {@link #end}; -1 when not measured. */
  long serverRssBytes = -1;

  CpuWindow(BenchContext ctx) {
    this.ctx = ctx;
  }

  void begin() {
    startNanos = System.nanoTime();
    clientStartNanos = ctx.clientCpu.cpuNanos();
    serverStartNanos = ctx.serverCpu.isEmpty() ? -1 : ctx.serverCpu.cpuNanos();
  }

  void end() {
    seconds = (System.nanoTime() - startNanos) / 1e9;
    clientCpuNanos = ctx.clientCpu.cpuNanos() - clientStartNanos;
    long serverNow = ctx.serverCpu.isEmpty() ? -1 : ctx.serverCpu.cpuNanos();
    serverCpuNanos = serverStartNanos < 0 || serverNow < 0 ? -1 : serverNow - serverStartNanos;
    serverRssBytes = ctx.serverCpu.isEmpty() ? -1 : ctx.serverCpu.rssBytes();
  }
}
