package io.tributary.bench;

import io.tributary.bench.report.Charts;
import io.tributary.bench.report.ResultRow;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench chart}: SVG charts of a results file. Main thread. */
@Command(name = "chart", mixinStandardHelpOptions = true,
    description = "Write SVG charts (throughput and p99 vs size, latency CDFs) of a results file.")
final class ChartCommand implements Callable<Integer> {
  @Option(names = "--results", required = true, description = "results file (JSON lines)")
  Path results;

  @Option(names = "--out", defaultValue = "docs/bench", description = "directory for the SVG files (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--note", description = "added to every chart title, e.g. \"smoke run, not a measurement\"")
  String note;

  @Override
  public Integer call() throws Exception {
    List<ResultRow> rows = ResultRow.read(results);
    for (Path p : Charts.write(rows, out, note)) {
      System.out.println(p);
    }
    return 0;
  }
}
