package io.tributary.cli;

import io.tributary.tls.DevCertificates;
import io.tributary.tls.TlsMaterialException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary certs --out DIR --node n1=127.0.0.1,localhost ... [--client NAME ...]}: a
 * development CA and certificates from it (see {@link DevCertificates}). The CA is created on the
 * first run and reused after, so running again renews or adds certificates. Runs on the main thread.
 */
@Command(name = "certs", description = "Write a development CA and node (server + client) and client certificates as PEM.")
final class CertsCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "./certs", description = "directory for ca.crt, ca.key and <name>.crt, <name>.key (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--node", paramLabel = "NAME=SAN[,SAN...]",
      description = "a node certificate for TLS servers and clients; SANs are IP addresses or DNS names (repeatable)")
  List<String> nodes = new ArrayList<>();

  @Option(names = "--client", paramLabel = "NAME", description = "a client certificate (client authentication only; repeatable)")
  List<String> clients = new ArrayList<>();

  @Option(names = "--days", defaultValue = "365", description = "validity of node and client certificates (default ${DEFAULT-VALUE})")
  int days;

  @Option(names = "--ca-days", defaultValue = "3650", description = "validity of a new CA (default ${DEFAULT-VALUE})")
  int caDays;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
  boolean help;

  @Override
  public Integer call() throws Exception {
    Map<String, List<String>> sans = new LinkedHashMap<>();
    for (String n : nodes) {
      int eq = n.indexOf('=');
      String name = eq < 0 ? n : n.substring(0, eq);
      List<String> names = eq < 0 ? List.of(name)
          : Arrays.stream(n.substring(eq + 1).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      if (names.isEmpty() || sans.put(name, names) != null) {
        System.err.println("tributary certs: --node " + n + ": expected NAME=SAN[,SAN...], each name once");
        return 2;
      }
    }
    if (sans.isEmpty() && clients.isEmpty()) {
      System.err.println("tributary certs: give at least one --node or --client");
      return 2;
    }
    if (days < 1 || caDays < 1) {
      System.err.println("tributary certs: --days and --ca-days must be at least 1");
      return 2;
    }
    List<Path> written;
    try {
      written = DevCertificates.writeSet(out, sans, clients, Duration.ofDays(caDays), Duration.ofDays(days), Instant.now());
    } catch (IllegalArgumentException | TlsMaterialException e) {
      System.err.println("tributary certs: " + e.getMessage());
      return 2;
    }
    for (Path p : written) {
      System.out.println("wrote " + p);
    }
    System.out.println("CA: " + out.resolve(DevCertificates.CA_CERT) + (written.contains(out.resolve(DevCertificates.CA_CERT))
        ? " (new)" : " (existing, reused)") + "; keep " + DevCertificates.CA_KEY + " private");
    return 0;
  }
}
