package io.tributary.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Markdown tables of a results file: every run, then for every comparable size the ratio of each
 * subject target (Tributary) to each baseline (the reference server) for throughput (higher is
 * better) and p50/p99 latency (lower is better). Pure function of the rows.
 */
public final class ComparisonTable {
  private ComparisonTable() {}

  public static String markdown(List<ResultRow> rows, String subjectPrefix, String baselinePrefix) {
    StringBuilder sb = new StringBuilder();
    sb.append("| workload | size | target | throughput | p50 ms | p99 ms | p99.9 ms | completed | client CPU µs/op | server CPU µs/op | server RSS MiB |\n");
    sb.append("|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|\n");
    for (ResultRow r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s (%s) | %s | %s | %s %s | %s | %s | %s | %s | %s | %s | %s |%n", r.workload(),
          r.series(), r.size(), r.label(), num(r.throughput()), r.throughputUnit(), num(r.p50Ms()), num(r.p99Ms()),
          num(r.p999Ms()), r.okText(), num(r.clientUsPerOp()), num(r.serverUsPerOp()), num(r.serverRssMiB())));
    }
    Map<String, List<ResultRow>> bySize = new LinkedHashMap<>();
    for (ResultRow r : rows) {
      bySize.computeIfAbsent(r.workload() + " (" + r.series() + ") | " + r.size(), k -> new ArrayList<>()).add(r);
    }
    StringBuilder ratios = new StringBuilder();
    for (Map.Entry<String, List<ResultRow>> e : bySize.entrySet()) {
      for (ResultRow s : e.getValue()) {
        if (!s.label().startsWith(subjectPrefix)) {
          continue;
        }
        for (ResultRow b : e.getValue()) {
          if (!b.label().startsWith(baselinePrefix)) {
            continue;
          }
          ratios.append(String.format(Locale.ROOT, "| %s | %s / %s | %s | %s | %s | %s |%n", e.getKey(), s.label(), b.label(),
              ratio(s.throughput(), b.throughput()), ratio(s.p50Ms(), b.p50Ms()), ratio(s.p99Ms(), b.p99Ms()),
              ratio(s.serverUsPerOp(), b.serverUsPerOp())));
        }
      }
    }
    if (!ratios.isEmpty()) {
      sb.append("\nRatios (throughput: higher is better for ").append(subjectPrefix)
          .append("; latency and server CPU per op: lower is better)\n\n");
      sb.append("| workload | size | ratio | throughput | p50 latency | p99 latency | server CPU per op |\n"
          + "|---|---|---|---:|---:|---:|---:|\n");
      sb.append(ratios);
    }
    return sb.toString();
  }

  private static String ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2fx", a / b);
  }

  private static String num(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    if (v >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
