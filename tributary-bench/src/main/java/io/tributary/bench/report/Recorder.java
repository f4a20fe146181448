package io.tributary.bench.report;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What one event loop measured: named latency histograms (microseconds) and counters. Owned by that
 * loop; the main thread reads it only through {@link #snapshot()} run on the loop. Counting
 * happens only while {@link #recording()} (between warm-up and the end of the measured window).
 */
public final class Recorder {
  /** Latencies above this (10 minutes) are clamped: no request of ours lives that long. */
  public static final long LATENCY_MICROS_MAX = TimeUnit.MINUTES.toMicros(10);

  private final TreeMap<String, Histogram> latencies = new TreeMap<>();
  private final TreeMap<String, Long> counters = new TreeMap<>();
  private final TreeMap<String, Long> errors = new TreeMap<>();
  private boolean recording;

  public boolean recording() {
    return recording;
  }

  /** Starts a fresh measured window (drops everything counted during warm-up). */
  public void start() {
    latencies.clear();
    counters.clear();
    errors.clear();
    recording = true;
  }

  public void stop() {
    recording = false;
  }

  /** Records a latency in the named histogram if recording. */
  public void latencyNanos(String name, long nanos) {
    if (recording) {
      long micros = Math.max(1, Math.min(LATENCY_MICROS_MAX, nanos / 1000));
      latencies.computeIfAbsent(name, n -> new Histogram(LATENCY_MICROS_MAX, 3)).recordValue(micros);
    }
  }

  public void count(String name, long n) {
    if (recording) {
      counters.merge(name, n, Long::sum);
    }
  }

  /** Counts a failed op under a short machine-readable kind, e.g. {@code http_503}, {@code closed}. */
  public void error(String kind) {
    if (recording) {
      errors.merge(kind, 1L, Long::sum);
    }
  }

  public Snapshot snapshot() {
    TreeMap<String, Histogram> h = new TreeMap<>();
    latencies.forEach((k, v) -> h.put(k, v.copy()));
    return new Snapshot(h, new TreeMap<>(counters), new TreeMap<>(errors));
  }

  /** An immutable copy, safe to hand to the main thread. */
  public record Snapshot(Map<String, Histogram> latencies, Map<String, Long> counters, Map<String, Long> errors) {
    /** The named latency histogram in microseconds (empty if nothing was recorded). */
    public Histogram latencyMicros(String name) {
      Histogram h = latencies.get(name);
      return h != null ? h : new Histogram(LATENCY_MICROS_MAX, 3);
    }

    public long counter(String name) {
      return counters.getOrDefault(name, 0L);
    }

    public long errorTotal() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Sums the snapshots of several loops. */
    public static Snapshot merge(Iterable<Snapshot> parts) {
      TreeMap<String, Histogram> h = new TreeMap<>();
      TreeMap<String, Long> c = new TreeMap<>();
      TreeMap<String, Long> e = new TreeMap<>();
      for (Snapshot s : parts) {
        s.latencies.forEach((k, v) -> h.computeIfAbsent(k, n -> new Histogram(LATENCY_MICROS_MAX, 3)).add(v));
        s.counters.forEach((k, v) -> c.merge(k, v, Long::sum));
        s.errors.forEach((k, v) -> e.merge(k, v, Long::sum));
      }
      return new Snapshot(h, c, e);
    }
  }
}
