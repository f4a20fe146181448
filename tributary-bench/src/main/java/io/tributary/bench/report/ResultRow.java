package io.tributary.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One result line reduced to what the table and the charts show: the workload, its size (a key
 * that says which runs are comparable, and a number for the x axis), the target's label, the
 * headline throughput, the latency percentiles and CDF, CPU per op and the server's RSS at the
 * end of the run. Immutable.
 *
 * @param size human key, e.g. {@code 500 streams} or {@code 1000 subscribers}
 * @param x the size as a number (streams, subscribers)
 * @param series the variant within a workload that gets its own chart line (e.g. closed/open loop)
 */
public record ResultRow(String workload, String series, String size, double x, String label, double throughput,
    String throughputUnit, double p50Ms, double p99Ms, double p999Ms, String okText, double clientUsPerOp,
    double serverUsPerOp, double serverRssMiB, List<double[]> cdfMs) {

  /** Reads a results file (one JSON object a line; blank lines and lines not starting with '{' skipped). */
  public static List<ResultRow> read(Path file) throws IOException {
    // the newest line wins for the same workload, size and label (a re-run replaces a run)
    Map<String, ResultRow> byKey = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.startsWith("{")) {
        continue;
      }
      ResultRow r = of(Result.JSON.readTree(line));
      if (r != null) {
        byKey.remove(r.workload + "|" + r.series + "|" + r.size + "|" + r.label);
        byKey.put(r.workload + "|" + r.series + "|" + r.size + "|" + r.label, r);
      }
    }
    return new ArrayList<>(byKey.values());
  }

  static ResultRow of(JsonNode j) {
    String w = j.path("workload").asText();
    String label = j.path("label").asText();
    double client = j.path("clientCpuUsPerOp").asDouble(Double.NaN);
    double server = j.path("serverCpuUsPerOp").isNumber() ? j.path("serverCpuUsPerOp").asDouble() : Double.NaN;
    return switch (w) {
      case "append" -> {
        String mode = j.path("mode").asText();
        String series = mode.equals("open") ? String.format(Locale.ROOT, "open loop %.0f/s", j.path("targetRatePerS").asDouble())
            : "closed loop";
        if (j.path("producer").asBoolean()) {
          series += ", producer";
        }
        long streams = j.path("streams").asLong();
        yield row(j, w, series, streams + " streams", streams, label, j.path("opsPerS").asDouble(), "appends/s", "ack",
            j.path("errorCount").asLong() + " errors", client, server);
      }
      case "fanout" -> {
        long subs = j.path("subscribers").asLong();
        yield row(j, w, "SSE", subs + " subscribers", subs, label, j.path("deliveredPerS").asDouble(), "events/s",
            "delivery", j.path("delivered").asLong() + "/" + j.path("expected").asLong(), client, server);
      }
      case "catchup" -> {
        long streams = j.path("streams").asLong();
        yield row(j, w, "catch-up", streams + " x " + j.path("messages").asLong() + " x " + j.path("messageBytes").asLong()
            + " B", streams, label, j.path("bytesPerS").asDouble() / (1 << 20), "MiB/s", "timeToTail",
            j.path("ops").asLong() + "/" + j.path("readers").asLong() + " readers", client, server);
      }
      case "longpoll" -> {
        long streams = j.path("streams").asLong();
        yield row(j, w, "long-poll", streams + " streams @ " + j.path("ratePerS").asLong() + "/s", streams, label,
            j.path("deliveredPerS").asDouble(), "events/s", "delivery",
            j.path("delivered").asLong() + "/" + j.path("expected").asLong(), client, server);
      }
      default -> null;
    };
  }

  private static ResultRow row(JsonNode j, String w, String series, String size, double x, String label, double tput,
      String unit, String latency, String ok, double client, double server) {
    JsonNode l = j.path(latency + "Ms");
    List<double[]> cdf = new ArrayList<>();
    for (JsonNode p : j.path(latency + "CdfMs")) {
      cdf.add(new double[] {p.get(0).asDouble(), p.get(1).asDouble()});
    }
    return new ResultRow(w, series, size, x, label, tput, unit, l.path("p50").asDouble(Double.NaN),
        l.path("p99").asDouble(Double.NaN), l.path("p999").asDouble(Double.NaN), ok, client, server,
        j.path("serverRssMiB").isNumber() ? j.path("serverRssMiB").asDouble() : Double.NaN, cdf);
  }
}
