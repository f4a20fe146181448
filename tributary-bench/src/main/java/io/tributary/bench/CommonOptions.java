package io.tributary.bench;

import io.tributary.bench.client.Endpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Option;

/** Options shared by every workload (a picocli mixin). Parsed on the main thread. */
final class CommonOptions {
  @Option(names = "--url", split = ",", defaultValue = "http://127.0.0.1:4437",
      description = "server base URL(s), no path; several (comma-separated or repeated) spread streams and connections round-robin (default: ${DEFAULT-VALUE})")
  List<String> urls = new ArrayList<>();

  @Option(names = "--prefix", defaultValue = "/v1/stream/", description = "route prefix of stream paths (default: ${DEFAULT-VALUE})")
  String prefix;

  @Option(names = "--label", description = "name of the server under test in the results (default: the first URL)")
  String label;

  @Option(names = "--warmup-s", defaultValue = "5", description = "warm-up seconds, not measured (default: ${DEFAULT-VALUE})")
  double warmupS;

  @Option(names = "--duration-s", defaultValue = "30", description = "measured seconds (default: ${DEFAULT-VALUE})")
  double durationS;

  @Option(names = "--server-pid", split = ",", description = "PID(s) of the server process(es) whose CPU time is reported (all nodes of a cluster)")
  List<Long> serverPids = new ArrayList<>();

  @Option(names = "--results", description = "append the JSON result line to this file")
  Path results;

  @Option(names = "--event-loops", defaultValue = "1", description = "client event-loop threads (default: ${DEFAULT-VALUE}; more only when the client is the bottleneck)")
  int eventLoops;

  @Option(names = "--run-id", description = "prefix of the stream names (default: random); names are <prefix><run-id>-<workload>-<i>")
  String runId;

  BenchContext context() {
    List<Endpoint> eps = new ArrayList<>();
    for (String u : urls) {
      if (!u.isBlank()) {
        eps.add(Endpoint.parse(u));
      }
    }
    String id = runId != null ? runId : "b" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    String lbl = label != null ? label : eps.isEmpty() ? "?" : eps.get(0).url();
    return new BenchContext(eps, prefix, id, lbl, eventLoops, serverPids);
  }

  Duration warmup() {
    return seconds(warmupS, "--warmup-s", true);
  }

  Duration duration() {
    return seconds(durationS, "--duration-s", false);
  }

  private static Duration seconds(double s, String name, boolean zeroOk) {
    if (s < 0 || (!zeroOk && s == 0) || s > 24 * 3600) {
      throw new IllegalArgumentException(name + " must be " + (zeroOk ? ">= 0" : "> 0") + " and at most a day");
    }
    return Duration.ofNanos((long) (s * 1e9));
  }
}
