package io.tributary.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tributary cluster --nodes N}: a local cluster of N separate node processes on loopback,
 * node i (1-based) serving HTTP on {@code base-port + 10(i-1)}, Raft on the next port, peer data on
 * the one after and admin on the fourth, data in
 * {@code data-dir/n<i>}. Prints one line per node (URL, PID, log), keeps the others running when
 * one dies, and stops them all on Ctrl-C. Runs on the main thread.
 */
@Command(name = "cluster", description = "Run a local N-node cluster, each node its own process.")
final class ClusterCommand implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "3", description = "number of nodes (3 or 5; 1 works too)")
  int nodes;

  @Option(names = "--base-port", defaultValue = "4437", description = "HTTP port of node 1; node i uses base + 10(i-1), Raft +1, peer data +2, admin +3")
  int basePort;

  @Option(names = "--data-dir", defaultValue = "./data-cluster", description = "parent of the nodes' data dirs")
  Path dataDir;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
  boolean help;

  @Parameters(arity = "0..*", paramLabel = "--setting value", description = "extra settings passed to every node; "
      + "{node} in a value becomes the node's id (n1, n2, ...), e.g. --peer-tls-cert-file certs/{node}.crt")
  List<String> settings = new ArrayList<>();

  /** True when the nodes get a certificate file {@code name} (a flag among the settings, or the env), for the printed URLs. */
  private boolean tls(String name) {
    return settings.stream().anyMatch(a -> a.equals("--" + name) || a.startsWith("--" + name + "="))
        || System.getenv("TRIBUTARY_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_')) != null;
  }

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 9) {
      System.err.println("tributary cluster: --nodes must be 1..9");
      return 2;
    }
    StringBuilder peers = new StringBuilder();
    for (int i = 1; i <= nodes; i++) {
      // node i: client base+10(i-1), Raft +1, peer data +2, admin +3
      peers.append(i > 1 ? "," : "").append("n").append(i).append("=127.0.0.1:").append(basePort + 10 * (i - 1) + 1)
          .append(':').append(basePort + 10 * (i - 1) + 2);
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Process> procs = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      procs.forEach(Process::destroy);
      for (Process p : procs) {
        try {
          p.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, "cluster-stop"));
    for (int i = 1; i <= nodes; i++) {
      Path dir = dataDir.resolve("n" + i);
      Files.createDirectories(dir);
      List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
          "--sun-misc-unsafe-memory-access=allow", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
          TributaryCli.class.getName(), "server", "--node-id", "n" + i,
          "--port", Integer.toString(basePort + 10 * (i - 1)), "--peer-port", Integer.toString(basePort + 10 * (i - 1) + 1),
          "--admin-port", Integer.toString(basePort + 10 * (i - 1) + 3),
          "--peers", peers.toString(), "--data-dir", dir.toString(),
          "--election-timeout-min-ms", "500", "--election-timeout-max-ms", "1000"));
      String id = "n" + i;
      // per-node values (the node's own certificate on the peer plane) from one template
      settings.forEach(a -> cmd.add(a.replace("{node}", id)));
      File log = dir.resolve("node.log").toFile();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
      procs.add(p);
      System.out.printf("n%d  %s://127.0.0.1:%d  admin %s://127.0.0.1:%d  pid %d  log %s%n", i, tls("tls-cert-file") ? "https" : "http",
          basePort + 10 * (i - 1), tls("tls-cert-file") || tls("admin-tls-cert-file") ? "https" : "http",
          basePort + 10 * (i - 1) + 3, p.pid(), log);
    }
    System.out.println("cluster running; Ctrl-C stops all nodes");
    for (int i = 0; i < procs.size(); i++) {
      int code = procs.get(i).waitFor();
      System.out.printf("n%d exited with %d%n", i + 1, code);
    }
    return 0;
  }
}
