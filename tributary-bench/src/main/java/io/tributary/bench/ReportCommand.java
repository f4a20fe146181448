package io.tributary.bench;

import io.tributary.bench.report.ComparisonTable;
import io.tributary.bench.report.ResultRow;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench report}: the results file as a Markdown table, with Tributary / reference ratios. Main thread. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Print a results file as Markdown tables: every run, then Tributary/reference ratios.")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--results", required = true, description = "results file (JSON lines)")
  Path results;

  @Option(names = "--subject-prefix", defaultValue = "tributary", description = "labels measured (default: ${DEFAULT-VALUE})")
  String subject;

  @Option(names = "--baseline-prefix", defaultValue = "ref", description = "labels compared against (default: ${DEFAULT-VALUE})")
  String baseline;

  @Override
  public Integer call() throws Exception {
    List<ResultRow> rows = ResultRow.read(results);
    System.out.print(ComparisonTable.markdown(rows, subject, baseline));
    return 0;
  }
}
