package io.tributary.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The charts of a results file, written as SVG files into a directory: per workload and variant,
 * p99 latency (and, for append and catch-up, throughput) against size (one line per target), and per size a latency CDF
 * (one line per target). Returns the files written. One thread.
 */
public final class Charts {
  /** CDF x positions: "nines" = -log10(1 - p), so 90 → 1, 99 → 2, 99.9 → 3; max drawn after 99.99. */
  private static final double MAX_NINES = 4.5;

  private Charts() {}

  /** @param note appended to every title (e.g. "smoke run"), or null */
  public static List<Path> write(List<ResultRow> rows, Path dir, String note) throws IOException {
    String suffix = note == null || note.isBlank() ? "" : " (" + note + ")";
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    Map<String, List<ResultRow>> byVariant = new LinkedHashMap<>();
    for (ResultRow r : rows) {
      byVariant.computeIfAbsent(r.workload() + "|" + r.series(), k -> new ArrayList<>()).add(r);
    }
    for (List<ResultRow> variant : byVariant.values()) {
      ResultRow first = variant.get(0);
      String base = slug(first.workload() + "-" + first.series());
      String xName = xName(first.workload());
      SvgChart tput = new SvgChart(first.workload() + " (" + first.series() + "): throughput" + suffix, xName,
          first.throughputUnit(), true, false);
      SvgChart p99 = new SvgChart(first.workload() + " (" + first.series() + "): p99 latency" + suffix, xName,
          "ms (log)", true, true);
      Map<String, List<double[]>> tputPts = new LinkedHashMap<>();
      Map<String, List<double[]>> p99Pts = new LinkedHashMap<>();
      for (ResultRow r : sortedByX(variant)) {
        tputPts.computeIfAbsent(r.label(), k -> new ArrayList<>()).add(new double[] {r.x(), r.throughput()});
        if (!Double.isNaN(r.p99Ms())) {
          p99Pts.computeIfAbsent(r.label(), k -> new ArrayList<>()).add(new double[] {r.x(), r.p99Ms()});
        }
      }
      tputPts.forEach((k, v) -> tput.add(new SvgChart.Series(k, v)));
      p99Pts.forEach((k, v) -> p99.add(new SvgChart.Series(k, v)));
      if (first.workload().equals("append") || first.workload().equals("catchup")) {
        // fan-out and long-poll throughput is fixed by the offered rate: only their latency says something
        out.add(write(dir.resolve(base + "-throughput.svg"), tput));
      }
      out.add(write(dir.resolve(base + "-p99.svg"), p99));
      Map<String, List<ResultRow>> bySize = new LinkedHashMap<>();
      for (ResultRow r : variant) {
        bySize.computeIfAbsent(r.size(), k -> new ArrayList<>()).add(r);
      }
      for (Map.Entry<String, List<ResultRow>> e : bySize.entrySet()) {
        SvgChart cdf = new SvgChart(first.workload() + " (" + first.series() + "), " + e.getKey() + ": latency CDF" + suffix,
            "percentile", "ms (log)", false, true).xTicks(List.of(new SvgChart.Tick(0, "0"), new SvgChart.Tick(1, "90"),
                new SvgChart.Tick(2, "99"), new SvgChart.Tick(3, "99.9"), new SvgChart.Tick(4, "99.99"),
                new SvgChart.Tick(MAX_NINES, "max")));
        for (ResultRow r : e.getValue()) {
          List<double[]> pts = new ArrayList<>();
          for (double[] p : r.cdfMs()) {
            double nines = p[0] >= 100 ? MAX_NINES : -Math.log10(1 - p[0] / 100);
            pts.add(new double[] {nines, p[1]});
          }
          cdf.add(new SvgChart.Series(r.label(), pts));
        }
        if (!cdf.isEmpty()) {
          out.add(write(dir.resolve(base + "-" + slug(e.getKey()) + "-cdf.svg"), cdf));
        }
      }
    }
    return out;
  }

  private static List<ResultRow> sortedByX(List<ResultRow> rows) {
    TreeMap<Double, List<ResultRow>> m = new TreeMap<>();
    for (ResultRow r : rows) {
      m.computeIfAbsent(r.x(), k -> new ArrayList<>()).add(r);
    }
    List<ResultRow> out = new ArrayList<>();
    m.values().forEach(out::addAll);
    return out;
  }

  private static String xName(String workload) {
    return switch (workload) {
      case "fanout" -> "SSE subscribers (log)";
      case "catchup" -> "streams = concurrent readers (log)";
      default -> "streams (log)";
    };
  }

  private static Path write(Path file, SvgChart chart) throws IOException {
    Files.writeString(file, chart.render(), StandardCharsets.UTF_8);
    return file;
  }

  static String slug(String s) {
    return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
  }
}
