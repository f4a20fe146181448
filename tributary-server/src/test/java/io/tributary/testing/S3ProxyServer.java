package io.tributary.testing;

import io.tributary.cold.S3ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * s3proxy 4.1.0 (a real S3 API server: SigV4, ranges, ListObjectsV2) as a child JVM on a loopback
 * port, with the filesystem backend in a directory, for tests of the S3 object store and of S3
 * outages.
 *
 * <p>Class path: s3proxy and its ~150 jars are not on the test class path. The
 * {@code tributary-testkit} module's build resolves them and writes the class path to
 * {@code tributary-testkit/target/s3proxy.cp} (any reactor build does, e.g.
 * {@code ./mvnw -B -ntp package -DskipTests} or the CI's {@code install}); the system property
 * {@code tributary.s3proxy.classpath} may name another file. A missing file fails the test with
 * that instruction.
 *
 * <p>Lifecycle: {@link #start} picks a free loopback port (from {@code tributary.test.ports},
 * default 22000-22999, outside the kernel's ephemeral range, so no outgoing connection takes the
 * port while the server is stopped), writes {@code s3proxy.conf} and a WARN-level logback config
 * into the work directory, starts {@code java -cp <cp> org.gaul.s3proxy.Main}, and polls (with a
 * deadline) until it answers HTTP. {@link #stop} SIGKILLs it by PID and waits for the exit;
 * {@link #restart} starts it again on the same port over the same data, so buckets and objects
 * survive (an outage, not a wipe). {@link #pause}/{@link #resume} send SIGSTOP/SIGCONT: the port
 * stays open and accepts connections but nothing answers (a hung server). Output goes to
 * {@code target/server-logs/s3proxy-<name>.log}, one marker line per start.
 *
 * <p>Threads: one test thread drives it; {@link #endpoint} and friends may be read from any thread.
 * A JVM shutdown hook kills a child a test left running.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String MAIN_CLASS = "org.gaul.s3proxy.Main";
  public static final String ACCESS_KEY = "tributary-test-access";
  public static final String SECRET_KEY = "tributary-test-secret";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private final String name;
  private final Path workDir;
  private final Path dataDir;
  private final Path log;
  private final String classPath;
  private final int port;
  private final Thread reaper = new Thread(this::killQuietly, "s3proxy-reaper");
  private volatile Process process;
  private int starts;

  private S3ProxyServer(String name, Path workDir) throws IOException {
    this.name = name;
    this.workDir = workDir.toAbsolutePath();
    this.dataDir = this.workDir.resolve("data");
    this.log = ServerProcess.defaultLogDir().resolve("s3proxy-" + name + ".log");
    this.classPath = readClassPath();
    this.port = freeLoopbackPort();
    Files.createDirectories(dataDir);
    Files.createDirectories(log.getParent());
    Files.writeString(this.workDir.resolve("s3proxy.conf"), String.join("\n",
        "s3proxy.endpoint=" + endpoint(),
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + dataDir,
        ""));
    Files.writeString(this.workDir.resolve("logback-warn.xml"), """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
          </appender>
          <root level="WARN"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** Starts s3proxy with its data under {@code workDir/data}; returns once it answers HTTP. */
  public static S3ProxyServer start(String name, Path workDir) throws IOException, InterruptedException {
    S3ProxyServer s = new S3ProxyServer(name, workDir);
    try {
      s.launch();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public long pid() {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException("s3proxy " + name + " is not running");
    }
    return p.pid();
  }

  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  public Path log() {
    return log;
  }

  /** Options for an {@link S3ObjectStore} on this server (path-style, static keys, short test timeouts). */
  public S3ObjectStore.Options storeOptions(String bucket, String prefix) {
    return S3ObjectStore.Options.compatible(endpoint(), bucket, prefix, ACCESS_KEY, SECRET_KEY)
        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(30), 2);
  }

  /** Creates a bucket (names need at least 3 characters). */
  public void createBucket(String bucket) {
    try (S3Client s3 = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .endpointOverride(URI.create(endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build()) {
      s3.createBucket(b -> b.bucket(bucket));
    }
  }

  /** SIGKILL by PID, then wait for the exit; the port closes and S3 calls fail. A no-op if not running. */
  public void stop() throws InterruptedException {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroyForcibly();
    if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("s3proxy " + name + " (pid " + p.pid() + ") survived SIGKILL for " + STOP_TIMEOUT);
    }
  }

  /** Starts again on the same port and data after {@link #stop}; returns once it answers. */
  public void restart() throws IOException, InterruptedException {
    if (isAlive()) {
      throw new IllegalStateException("s3proxy " + name + " is still running (pid " + pid() + "); stop it first");
    }
    launch();
  }

  /** SIGSTOP: the process keeps its port (the kernel still accepts connections) but answers nothing. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid() + " failed");
    }
  }

  private void launch() throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // a test helper on a small shared box: little heap, C1 only, serial GC
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-Dlogback.configurationFile=" + workDir.resolve("logback-warn.xml"),
        "-cp", classPath, MAIN_CLASS, "--properties", workDir.resolve("s3proxy.conf").toString()));
    starts++;
    Files.writeString(log, String.format("%n==== s3proxy %s start #%d at %s on port %d, data %s%n", name, starts, Instant.now(), port,
        dataDir), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    Process p = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    process = p;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    try {
      Awaitility.await("s3proxy " + name + " answering on " + endpoint())
          .atMost(START_TIMEOUT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!p.isAlive()) {
              throw new IllegalStateException("s3proxy " + name + " exited with status " + p.exitValue() + "\n" + logTail(40));
            }
            return answers(http);
          });
    } catch (ConditionTimeoutException e) {
      p.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      throw new IOException("s3proxy " + name + " did not answer within " + START_TIMEOUT + "\n" + logTail(40), e);
    } finally {
      http.close();
    }
  }

  /** Any HTTP answer (an anonymous GET / is refused with 403) means the server is up. */
  private boolean answers(HttpClient http) throws InterruptedException {
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(endpoint() + "/")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding());
      return r.statusCode() > 0;
    } catch (IOException e) {
      return false; // not listening yet
    }
  }

  /** The last {@code lines} lines of the log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
      return "---- last " + tail.size() + " lines of " + log + " ----\n" + String.join("\n", tail);
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private static String readClassPath() throws IOException {
    String configured = System.getProperty("tributary.s3proxy.classpath");
    Path file = configured != null ? Path.of(configured)
        : Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../tributary-testkit/target/s3proxy.cp").normalize();
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("no s3proxy class path file at " + file + ": build the tributary-testkit module first "
          + "(./mvnw -B -ntp package -DskipTests from the project root writes it), or set -Dtributary.s3proxy.classpath=FILE");
    }
    String cp = Files.readString(file, StandardCharsets.UTF_8).trim();
    if (!cp.contains("s3proxy")) {
      throw new IllegalStateException(file + " does not list the s3proxy jar: " + cp.substring(0, Math.min(200, cp.length())));
    }
    return cp;
  }

  /** A port in {@code tributary.test.ports} (default 22000-22999) that binds on loopback right now. */
  static int freeLoopbackPort() {
    String[] range = System.getProperty("tributary.test.ports", "22000-22999").split("-");
    int lo = Integer.parseInt(range[0].trim());
    int hi = Integer.parseInt(range[1].trim());
    int n = hi - lo + 1;
    int start = ThreadLocalRandom.current().nextInt(n);
    for (int i = 0; i < n; i++) {
      int candidate = lo + (start + i) % n;
      try (ServerSocket s = new ServerSocket(candidate, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException e) {
        // taken: try the next one
      }
    }
    throw new IllegalStateException("no free loopback port in " + lo + "-" + hi);
  }

  private void killQuietly() {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
    }
  }

  /** Kills the child (SIGKILL also ends a paused one) and forgets the shutdown hook. */
  @Override
  public void close() {
    ChildProcesses.killAndForget(process, STOP_TIMEOUT, reaper);
  }

  @Override
  public String toString() {
    Process p = process;
    return "s3proxy " + name + " at " + endpoint() + (p == null ? " (not started)" : " pid " + p.pid() + (p.isAlive() ? "" : " (exited)"));
  }
}
