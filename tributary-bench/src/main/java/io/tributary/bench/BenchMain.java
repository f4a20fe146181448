package io.tributary.bench;

import picocli.CommandLine;

/**
 * Stand-alone entry point: {@code java -cp tributary-bench.jar:lib/* io.tributary.bench.BenchMain
 * append --url http://127.0.0.1:4437 ...}. Same commands as {@code tributary bench}. Main thread.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchCommand()).execute(args));
  }
}
