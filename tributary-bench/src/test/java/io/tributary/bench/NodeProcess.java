package io.tributary.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real single Tributary node as a child JVM for the bench tests: the server's main class (by
 * name; the bench code itself never links to the server) on this JVM's class path, loopback, a
 * free port, a fresh data dir. Started and stopped by the test thread; its output goes to
 * target/bench-node.log.
 */
final class NodeProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("^Tributary listening on (http://\\S+)\\s*$");

  final Process process;
  final String url;

  private NodeProcess(Process process, String url) {
    this.process = process;
    this.url = url;
  }

  static NodeProcess start(Path dataDir, String... settings) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx512m",
        "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"), "io.tributary.node.TributaryServerMain",
        "--host", "127.0.0.1", "--port", Integer.toString(freePort()), "--peer-port", Integer.toString(freePort()),
        "--admin-port", "0", "--data-dir",
        dataDir.toString()));
    cmd.addAll(List.of(settings));
    Path log = Path.of("target", "bench-node.log");
    Files.createDirectories(log.getParent());
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    CompletableFuture<String> url = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          Matcher m = LISTENING.matcher(line);
          if (m.matches()) {
            url.complete(m.group(1));
          }
        }
      } catch (IOException e) {
        url.completeExceptionally(e);
      }
      url.completeExceptionally(new IllegalStateException("node exited before listening; see " + log));
    }, "bench-node-stdout");
    reader.setDaemon(true);
    reader.start();
    NodeProcess node = new NodeProcess(p, url.get(90, TimeUnit.SECONDS));
    node.awaitReady(Duration.ofSeconds(60));
    return node;
  }

  long pid() {
    return process.pid();
  }

  private void awaitReady(Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).build(),
          HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() == 200) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node at " + url + " not ready within " + timeout);
      }
      Thread.sleep(100);
    }
  }

  /**
   * A free port in 21000-21999 (the range this project's load tests keep to on shared machines),
   * else any free port.
   */
  private static int freePort() throws IOException {
    java.util.SplittableRandom r = new java.util.SplittableRandom();
    for (int i = 0; i < 50; i++) {
      int port = 21000 + r.nextInt(1000);
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
