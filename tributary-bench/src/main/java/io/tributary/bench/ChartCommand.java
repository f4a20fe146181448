package io.tributary.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder, replaced below. */
@Command(name = "chart")
final class ChartCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return 0;
  }
}
