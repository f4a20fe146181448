package io.tributary.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tributary admin status --url ADMIN_URL}: the node's view of peers and groups as a table. */
@Command(name = "admin", description = "Inspect a running node.", subcommands = AdminCommand.Status.class)
final class AdminCommand implements Runnable {
  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  @Command(name = "status", description = "Print peers and per-group leader, term, commit/applied index, lag.")
  static final class Status implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:4440", description = "a node's admin listener URL (--admin-host/--admin-port)")
    String url;

    @Option(names = "--cacert", paramLabel = "FILE",
        description = "PEM CA certificate(s) to trust for an https --url (e.g. ca.crt of `tributary certs`); default: the JDK's trust store")
    java.nio.file.Path caCert;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public Integer call() throws Exception {
      HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
      if (caCert != null) {
        b.sslContext(trusting(caCert));
      }
      HttpClient c = b.build();
      HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(url + "/admin/cluster"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        System.err.println("tributary admin: " + url + " answered " + r.statusCode() + ": " + r.body());
        return 1;
      }
      JsonNode n = new ObjectMapper().readTree(r.body());
      System.out.println("node " + n.get("node").asText() + " at " + url);
      for (JsonNode p : n.get("peers")) {
        System.out.println("  peer " + p.get("id").asText() + " " + p.get("address").asText());
      }
      System.out.printf("%-6s %-10s %-8s %-6s %-12s %-12s %-6s %-8s %s%n", "group", "role", "leader", "term", "commit",
          "applied", "lag", "pending", "streams");
      for (JsonNode g : n.get("groups")) {
        System.out.printf("%-6d %-10s %-8s %-6d %-12d %-12d %-6d %-8d %d%n", g.get("group").asInt(), g.get("role").asText(),
            g.get("leader").asText(), g.get("term").asLong(), g.get("commitIndex").asLong(), g.get("appliedIndex").asLong(),
            g.get("lag").asLong(), g.get("pendingAppends").asInt(), g.get("streams").asInt());
      }
      return 0;
    }

    /** TLS that trusts only the certificates in {@code pem}. */
    static javax.net.ssl.SSLContext trusting(java.nio.file.Path pem) throws Exception {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      try (var in = java.nio.file.Files.newInputStream(pem)) {
        int i = 0;
        for (var cert : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          ks.setCertificateEntry("ca" + i++, cert);
        }
      }
      var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    }
  }
}
