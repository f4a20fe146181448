package io.tributary.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time (user + system) of processes, from {@code /proc/<pid>/stat} fields 14 and 15, in clock
 * ticks ({@code getconf CLK_TCK}, 100 on Linux), so the resolution is 10 ms: fine over a window of
 * seconds. Children are not included (the {@code tributary cluster} launcher's nodes must be
 * given by their own PIDs). Main thread only.
 */
public final class CpuMeter {
  private static final long NANOS_PER_TICK = 1_000_000_000L / clockTicksPerSecond();

  private final List<Long> pids;

  /** @param pids processes to sum; an empty list measures nothing (reported as null). */
  public CpuMeter(List<Long> pids) {
    this.pids = List.copyOf(pids);
  }

  public static CpuMeter self() {
    return new CpuMeter(List.of(ProcessHandle.current().pid()));
  }

  public boolean isEmpty() {
    return pids.isEmpty();
  }

  /** Total CPU nanoseconds of the processes now; -1 if a process is gone or /proc is unreadable. */
  public long cpuNanos() {
    long total = 0;
    for (long pid : pids) {
      long t = cpuNanos(pid);
      if (t < 0) {
        return -1;
      }
      total += t;
    }
    return total;
  }

  static long cpuNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      // the command name (field 2) is in parentheses and may contain spaces: parse after the last ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      long utime = Long.parseLong(f[14 - 3]);
      long stime = Long.parseLong(f[15 - 3]);
      return (utime + stime) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Resident set of the processes now (VmRSS in /proc/<pid>/status), summed; -1 if unreadable. */
  public long rssBytes() {
    long total = 0;
    for (long pid : pids) {
      try {
        long kib = -1;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.US_ASCII)) {
          if (line.startsWith("VmRSS:")) {
            kib = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
          }
        }
        if (kib < 0) {
          return -1;
        }
        total += kib * 1024;
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
    return total;
  }

  private static long clockTicksPerSecond() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor() == 0 && out.matches("\\d+")) {
        return Long.parseLong(out);
      }
    } catch (IOException e) {
      // no getconf: Linux has used 100 for decades
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }

  public List<Long> pids() {
    return new ArrayList<>(pids);
  }
}
