package io.tributary.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One workload's result: the JSON line (one object, fields in insertion order; schema in
 * docs/benchmarks.md) and a few human-readable summary lines. Built on the main thread after
 * the run.
 */
public final class Result {
  static final ObjectMapper JSON = new ObjectMapper();
  /** Percentiles kept in the JSON line for latency CDF charts. */
  static final double[] CDF_PERCENTILES = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100};

  private final ObjectNode json = JSON.createObjectNode();
  private final List<String> summary = new ArrayList<>();

  public Result(String workload, String label, List<String> urls) {
    json.put("workload", workload);
    json.put("label", label);
    json.put("time", Instant.now().toString());
    ArrayNode u = json.putArray("urls");
    urls.forEach(u::add);
  }

  public ObjectNode json() {
    return json;
  }

  public Result put(String name, long value) {
    json.put(name, value);
    return this;
  }

  public Result put(String name, double value) {
    json.put(name, round3(value));
    return this;
  }

  public Result put(String name, String value) {
    json.put(name, value);
    return this;
  }

  public Result put(String name, boolean value) {
    json.put(name, value);
    return this;
  }

  public Result counts(String name, Map<String, Long> counts) {
    ObjectNode o = json.putObject(name);
    counts.forEach(o::put);
    return this;
  }

  /** {@code <name>Ms: {count, mean, p50, p90, p99, p999, max}} and {@code <name>CdfMs: [[percentile, ms], ...]}. */
  public Result latency(String name, Histogram micros) {
    ObjectNode o = json.putObject(name + "Ms");
    o.put("count", micros.getTotalCount());
    if (micros.getTotalCount() > 0) {
      o.put("mean", round3(micros.getMean() / 1000.0));
      o.put("p50", ms(micros, 50));
      o.put("p90", ms(micros, 90));
      o.put("p99", ms(micros, 99));
      o.put("p999", ms(micros, 99.9));
      o.put("max", round3(micros.getMaxValue() / 1000.0));
      ArrayNode cdf = json.putArray(name + "CdfMs");
      for (double p : CDF_PERCENTILES) {
        cdf.addArray().add(p).add(p == 0 ? round3(micros.getMinValue() / 1000.0) : ms(micros, p));
      }
    }
    return this;
  }

  /**
   * CPU time over the measured window: total seconds, microseconds per op, and cores used
   * ({@code serverCpuNanos} &lt; 0 means not measured: no --server-pid, or a process went away).
   */
  public Result cpu(long clientCpuNanos, long serverCpuNanos, long serverRssBytes, long ops, double windowS) {
    if (serverRssBytes >= 0) {
      json.put("serverRssMiB", round3(serverRssBytes / 1048576.0));
    } else {
      json.putNull("serverRssMiB");
    }
    json.put("clientCpuS", round3(clientCpuNanos / 1e9));
    json.put("clientCpuUsPerOp", ops > 0 ? round3(clientCpuNanos / 1e3 / ops) : 0);
    if (serverCpuNanos >= 0) {
      json.put("serverCpuS", round3(serverCpuNanos / 1e9));
      json.put("serverCpuUsPerOp", ops > 0 ? round3(serverCpuNanos / 1e3 / ops) : 0);
      json.put("serverCores", round3(serverCpuNanos / 1e9 / windowS));
    } else {
      json.putNull("serverCpuS");
      json.putNull("serverCpuUsPerOp");
    }
    return this;
  }

  public Result line(String format, Object... args) {
    summary.add(String.format(Locale.ROOT, format, args));
    return this;
  }

  /** The standard latency summary line. */
  public Result latencyLine(String what, Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return line("  %s: no samples", what);
    }
    return line("  %s: p50 %s  p99 %s  p999 %s  max %s  (n=%d)", what, fmtMs(micros, 50), fmtMs(micros, 99),
        fmtMs(micros, 99.9), fmtMicros(micros.getMaxValue()), micros.getTotalCount());
  }

  public Result cpuLine(String perWhat, long clientCpuNanos, long serverCpuNanos, long serverRssBytes, long ops,
      double windowS) {
    String client = ops > 0 ? String.format(Locale.ROOT, "%.1f µs", clientCpuNanos / 1e3 / ops) : "-";
    String server = serverCpuNanos < 0 ? "not measured (--server-pid)"
        : ops > 0 ? String.format(Locale.ROOT, "%.1f µs (%.2f cores)", serverCpuNanos / 1e3 / ops, serverCpuNanos / 1e9 / windowS)
        : "-";
    String rss = serverRssBytes < 0 ? "" : String.format(Locale.ROOT, "; server RSS %.0f MiB", serverRssBytes / 1048576.0);
    return line("  CPU per %s: client %s, server %s%s", perWhat, client, server, rss);
  }

  public String jsonLine() {
    try {
      return JSON.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("result is not serialisable", e);
    }
  }

  public List<String> summary() {
    return List.copyOf(summary);
  }

  /** Prints the summary (stderr) and the JSON line (stdout), and appends the line to a file if given. */
  public void emit(Path resultsFile) throws IOException {
    summary.forEach(System.err::println);
    System.out.println(jsonLine());
    System.out.flush();
    if (resultsFile != null) {
      if (resultsFile.getParent() != null) {
        Files.createDirectories(resultsFile.getParent());
      }
      Files.writeString(resultsFile, jsonLine() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  static double round3(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  private static double ms(Histogram micros, double p) {
    return round3(micros.getValueAtPercentile(p) / 1000.0);
  }

  private static String fmtMs(Histogram micros, double p) {
    return fmtMicros(micros.getValueAtPercentile(p));
  }

  static String fmtMicros(long micros) {
    if (micros < 1000) {
      return micros + " µs";
    }
    if (micros < 100_000) {
      return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
    }
    return String.format(Locale.ROOT, "%.0f ms", micros / 1000.0);
  }
}
