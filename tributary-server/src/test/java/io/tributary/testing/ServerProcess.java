package io.tributary.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Tributary server running as a child JVM, for tests that must kill it for real (crash tests)
 * or run several nodes (cluster tests).
 *
 * <p>The child is {@code $java.home/bin/java} on this JVM's class path running
 * {@code io.tributary.node.TributaryServerMain} with {@code --data-dir DIR} and any other settings
 * ({@code --name value}, see {@code io.tributary.config.Settings}). {@link #start} waits, with a
 * deadline, for the one stdout line {@code Tributary listening on http://HOST:PORT} and parses the
 * port from it. Unless the settings say otherwise, every start uses a fresh HTTP port
 * ({@code --port 0}; a restarted node never collides with its predecessor's sockets in
 * TIME_WAIT) and one Raft peer port picked when the object is built and kept across restarts
 * (a node's Raft address is part of its group configuration).
 *
 * <p>Diagnosis: the child's stderr (its log) is appended to {@code <logDir>/<name>.stderr.log}
 * and its stdout to {@code <name>.stdout.log}; each start first writes a marker line with the
 * start number, pid, arguments and added environment, so one file tells the story of every restart. The default log
 * directory is {@code target/server-logs} of the module under test.
 *
 * <p>Signals: {@link #kill9} sends SIGKILL ({@link Process#destroyForcibly}, which on Linux is
 * {@code kill(pid, SIGKILL)}; checked by the exit status 137 = 128 + 9) and waits for the exit;
 * {@link #stop} sends SIGTERM so the node's shutdown hook runs, and escalates to SIGKILL after the
 * stop timeout. A JVM shutdown hook kills a child that a test left running.
 *
 * <p>Threads: one test thread drives start/stop/kill; {@link #baseUrl} and friends may be read
 * from any thread (they read a volatile snapshot of the current incarnation). One daemon thread
 * per incarnation copies stdout.
 */
public final class ServerProcess implements AutoCloseable {
  public static final String MAIN_CLASS = "io.tributary.node.TributaryServerMain";
  /** Exit status of a process killed by SIGKILL (128 + 9). */
  public static final int EXIT_SIGKILL = 137;
  /** Exit status of a JVM that ran its shutdown hooks after SIGTERM (128 + 15). */
  public static final int EXIT_SIGTERM = 143;

  private static final Pattern LISTENING = Pattern.compile("^Tributary listening on (http://(\\S+):(\\d+))\\s*$");
  /** Printed before the listening line. */
  private static final Pattern ADMIN = Pattern.compile("^Tributary admin on (http://\\S+:\\d+)\\s*$");
  private static final List<String> BASE_JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
      "--sun-misc-unsafe-memory-access=allow");

  private final String name;
  private final Path dataDir;
  private final Map<String, String> settings;
  private final List<String> jvmArgs;
  private final Map<String, String> env;
  private final Duration startTimeout;
  private final Duration stopTimeout;
  private final Path stderrLog;
  private final Path stdoutLog;
  private final Thread reaper = new Thread(this::killQuietly, "server-process-reaper");

  private volatile Incarnation current;
  private int starts;
  /** JVM arguments of the next starts on top of the builder's (fault injection in one run, then none). */
  private volatile List<String> extraJvmArgs = List.of();

  /** One run of the child: its process and where it listens. */
  private record Incarnation(Process process, String baseUrl, int port, String adminUrl) {}

  private ServerProcess(Builder b) {
    this.name = b.name;
    this.dataDir = b.dataDir;
    this.settings = new LinkedHashMap<>(b.settings);
    this.jvmArgs = List.copyOf(b.jvmArgs);
    this.env = Map.copyOf(b.env);
    this.startTimeout = b.startTimeout;
    this.stopTimeout = b.stopTimeout;
    this.stderrLog = b.logDir.resolve(name + ".stderr.log");
    this.stdoutLog = b.logDir.resolve(name + ".stdout.log");
    settings.putIfAbsent("host", "127.0.0.1");
    settings.putIfAbsent("port", "0");
    settings.putIfAbsent("admin-port", "0");
    settings.putIfAbsent("peer-port", Integer.toString(freePort()));
    try {
      Files.createDirectories(b.logDir);
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** A builder for a node with its data in {@code dataDir}. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Options of a {@link ServerProcess}; every setting is a server flag without its leading dashes. */
  public static final class Builder {
    private final Path dataDir;
    private String name = "node";
    private final Map<String, String> settings = new LinkedHashMap<>();
    /**
     * Test nodes start often and share a small CI box: a bounded heap, and C1 only, which cuts the
     * CPU a start costs by about 40% (later flags win, so a test can ask for C2 back).
     */
    private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
        "-XX:TieredStopAtLevel=1"));
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration stopTimeout = Duration.ofSeconds(20);
    private Path logDir = defaultLogDir();

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    /** Names the log files ({@code <name>.stderr.log}); use the node id in cluster tests. */
    public Builder name(String value) {
      this.name = value;
      return this;
    }

    /** A server setting, e.g. {@code setting("long-poll-timeout-ms", "500")} or {@code ("peers", "...")}. */
    public Builder setting(String key, String value) {
      if (key.startsWith("-") || key.equals("data-dir")) {
        throw new IllegalArgumentException("setting names have no dashes, and the data dir is fixed: " + key);
      }
      settings.put(key, value);
      return this;
    }

    /** Several settings at once. */
    public Builder settings(Map<String, String> values) {
      values.forEach(this::setting);
      return this;
    }

    /** Extra JVM flags for the child, after the defaults {@code -Xmx512m -XX:TieredStopAtLevel=1}. */
    public Builder jvmArgs(String... values) {
      jvmArgs.addAll(List.of(values));
      return this;
    }

    /**
     * An environment variable of the child on top of this JVM's environment, e.g. {@code LD_PRELOAD}
     * for a library that watches the child's file-system calls (the power-loss test).
     */
    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder startTimeout(Duration value) {
      this.startTimeout = value;
      return this;
    }

    public Builder stopTimeout(Duration value) {
      this.stopTimeout = value;
      return this;
    }

    public Builder logDir(Path value) {
      this.logDir = value;
      return this;
    }

    /** Builds without starting. */
    public ServerProcess build() {
      return new ServerProcess(this);
    }

    /** Builds and starts. */
    public ServerProcess start() throws IOException, InterruptedException {
      ServerProcess p = build();
      p.start();
      return p;
    }
  }

  /** {@code <module>/target/server-logs}. */
  public static Path defaultLogDir() {
    return Path.of(System.getProperty("basedir", ".")).resolve("target").resolve("server-logs");
  }

  /** A loopback port for a server started later: free now, outside the ephemeral range ({@link TestPorts}). */
  public static int freePort() {
    return TestPorts.one();
  }

  /**
   * Starts the child and returns once it printed its listening line. Fails with the tail of the
   * log if it exits first or the start timeout passes (the child is then killed).
   */
  public void start() throws IOException, InterruptedException {
    if (current != null && current.process.isAlive()) {
      throw new IllegalStateException(name + " is already running (pid " + current.process.pid() + ")");
    }
    List<String> cmd = command();
    starts++;
    Files.writeString(stderrLog, String.format("%n==== %s start #%d at %s: %s%s%n", name, starts, Instant.now(),
        String.join(" ", cmd.subList(cmd.indexOf(MAIN_CLASS), cmd.size())), env.isEmpty() ? "" : " (environment " + env
        + ")"), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
    pb.environment().putAll(env);
    Process p = pb.start();
    CompletableFuture<String> listening = new CompletableFuture<>();
    CompletableFuture<String> admin = new CompletableFuture<>();
    Thread copier = new Thread(() -> copyStdout(p, admin, listening), name + "-stdout-" + starts);
    copier.setDaemon(true);
    copier.start();
    String url;
    try {
      url = listening.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      p.destroyForcibly().waitFor();
      throw new IOException(name + " did not print its listening line within " + startTimeout + "\n" + logTail(40));
    } catch (ExecutionException e) {
      p.waitFor(5, TimeUnit.SECONDS);
      throw new IOException(name + " failed to start: " + e.getCause().getMessage() + "\n" + logTail(40), e.getCause());
    }
    Matcher m = LISTENING.matcher(url);
    if (!m.matches()) {
      throw new IllegalStateException("unparsable listening line: " + url);
    }
    // the admin line comes before the listening line, so it is complete by now
    current = new Incarnation(p, m.group(1), Integer.parseInt(m.group(3)), admin.getNow(null));
  }

  private List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(BASE_JVM_FLAGS);
    cmd.addAll(jvmArgs);
    cmd.addAll(extraJvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(MAIN_CLASS);
    cmd.add("--data-dir");
    cmd.add(dataDir.toAbsolutePath().toString());
    settings.forEach((k, v) -> {
      cmd.add("--" + k);
      cmd.add(v);
    });
    return cmd;
  }

  private void copyStdout(Process p, CompletableFuture<String> admin, CompletableFuture<String> listening) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Writer out = Files.newBufferedWriter(stdoutLog, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      out.write(String.format("==== %s start #%d pid %d%n", name, starts, p.pid()));
      out.flush();
      String line;
      while ((line = r.readLine()) != null) {
        out.write(line);
        out.write('\n');
        out.flush();
        Matcher am = ADMIN.matcher(line);
        if (!admin.isDone() && am.matches()) {
          admin.complete(am.group(1));
        }
        if (!listening.isDone() && LISTENING.matcher(line).matches()) {
          listening.complete(line);
        }
      }
    } catch (IOException e) {
      listening.completeExceptionally(e);
      return;
    }
    int exit;
    try {
      exit = p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exit = -1;
    }
    listening.completeExceptionally(new IOException("exited with status " + exit + " before listening"));
  }

  private Incarnation running() {
    Incarnation c = current;
    if (c == null) {
      throw new IllegalStateException(name + " was never started");
    }
    return c;
  }

  /** {@code http://127.0.0.1:PORT} of the current (or last) incarnation. */
  public String baseUrl() {
    return running().baseUrl;
  }

  /** {@code http://127.0.0.1:PORT} of the admin listener of the current (or last) incarnation. */
  public String adminUrl() {
    String u = running().adminUrl;
    if (u == null) {
      throw new IllegalStateException(name + " printed no admin line");
    }
    return u;
  }

  /** HTTP port of the current (or last) incarnation. */
  public int port() {
    return running().port;
  }

  /** The Raft peer port (stable across restarts unless given per start). */
  public int peerPort() {
    return Integer.parseInt(settings.get("peer-port"));
  }

  public long pid() {
    return running().process.pid();
  }

  public boolean isAlive() {
    Incarnation c = current;
    return c != null && c.process.isAlive();
  }

  /** How many times this node has been started. */
  public int starts() {
    return starts;
  }

  public String name() {
    return name;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path stderrLog() {
    return stderrLog;
  }

  /**
   * SIGKILL: no shutdown hook, no flush, no close. Waits for the exit and returns its status
   * ({@link #EXIT_SIGKILL}); fails if the process was already gone or ended any other way.
   */
  public int kill9() throws InterruptedException {
    Process p = running().process;
    if (!p.isAlive()) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") already exited with " + p.exitValue()
          + "\n" + logTail(40));
    }
    p.destroyForcibly();
    if (!p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") survived SIGKILL for " + stopTimeout);
    }
    int exit = p.exitValue();
    if (exit != EXIT_SIGKILL) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") exit status after SIGKILL was " + exit
          + ", expected " + EXIT_SIGKILL + "\n" + logTail(40));
    }
    return exit;
  }

  /**
   * SIGTERM and wait for a graceful exit; after the stop timeout, SIGKILL. Returns the exit status
   * ({@link #EXIT_SIGTERM} for a clean shutdown); a no-op returning -1 if not running.
   */
  public int stop() throws InterruptedException {
    Incarnation c = current;
    if (c == null || !c.process.isAlive()) {
      return -1;
    }
    c.process.destroy();
    if (!c.process.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
      c.process.destroyForcibly().waitFor();
      throw new IllegalStateException(name + " ignored SIGTERM for " + stopTimeout + "; killed\n" + logTail(40));
    }
    return c.process.exitValue();
  }

  /** Sets the JVM arguments added to every later start (replacing earlier ones); none by default. */
  public void setExtraJvmArgs(String... args) {
    extraJvmArgs = List.of(args);
  }

  /** Waits up to {@code timeout} for the process to end by itself; returns its exit status, or -1 if it still runs. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    Process p = running().process;
    return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
  }

  /** Starts again on the same data directory (after {@link #kill9} or {@link #stop}). */
  public void restart() throws IOException, InterruptedException {
    if (isAlive()) {
      throw new IllegalStateException(name + " is still running; kill or stop it first");
    }
    start();
  }

  /** The last {@code lines} lines of the stderr log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(stderrLog, StandardCharsets.UTF_8);
      List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
      return "---- last " + tail.size() + " lines of " + stderrLog + " ----\n" + String.join("\n", tail);
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + stderrLog + ": " + e.getMessage() + ")";
    }
  }

  private void killQuietly() {
    Incarnation c = current;
    if (c != null && c.process.isAlive()) {
      c.process.destroyForcibly();
    }
  }

  /** Kills the child if it still runs (SIGKILL: tests that care about shutdown call {@link #stop}). */
  @Override
  public void close() {
    Incarnation c = current;
    ChildProcesses.killAndForget(c == null ? null : c.process, stopTimeout, reaper);
  }

  @Override
  public String toString() {
    Incarnation c = current;
    return name + (c == null ? " (not started)" : " pid " + c.process.pid() + " at " + c.baseUrl
        + (c.process.isAlive() ? "" : " (exited)"));
  }
}
