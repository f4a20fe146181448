package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.Clock;
import io.tributary.config.TributaryConfig;
import io.tributary.node.TributaryNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Goal: {@code tributary stream ...} drives a real node through the SDK: create, append from stdin,
 * read, head as JSON, close, tail to the end, delete, and a typed failure as exit status 1.
 * Method: an in-process node on a free port; each command runs in this JVM with stdout captured.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamCommandTest {
  @TempDir
  static Path dir;
  static TributaryNode node;
  static String url;

  /** What one command printed, and its exit status. */
  record Run(int code, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    node = new TributaryNode(TributaryConfig.defaults().with(Map.of("port", "0", "peer-port", "0", "admin-port", "0",
        "data-dir", dir.toString(), "long-poll-timeout-ms", "500")), Clock.SYSTEM);
    node.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!node.notReady().isEmpty()) {
      assertThat(System.nanoTime() - deadline).as("node ready: %s", node.notReady()).isNegative();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling pace
    }
    url = "http://127.0.0.1:" + node.port();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aStreamFromTheShell() {
    assertThat(run("", "create", "--url", url, "--content-type", "text/plain", "logs/app").out()).isEqualTo("created\n");
    assertThat(run("", "create", "--url", url, "--content-type", "text/plain", "--json", "logs/app").out())
        .isEqualTo("{\"created\":false}\n");
    assertThat(run("line one\n", "append", "--url", url, "--content-type", "text/plain", "logs/app").out())
        .isEqualTo("0000000000000000_0000000000000009\n");
    assertThat(run("line two\n", "append", "--url", url, "--content-type", "text/plain", "--json", "logs/app").out())
        .isEqualTo("{\"offset\":\"0000000000000000_0000000000000009\",\"nextOffset\":\"0000000000000000_0000000000000018\"}\n");
    assertThat(run("", "read", "--url", url, "logs/app").out()).isEqualTo("line one\nline two\n");
    assertThat(run("", "head", "--url", url, "--json", "logs/app").out())
        .contains("\"nextOffset\":\"0000000000000000_0000000000000018\"", "\"closed\":false");
    assertThat(run("", "close", "--url", url, "logs/app").out()).isEqualTo("0000000000000000_0000000000000018\n");
    assertThat(run("", "tail", "--url", url, "--offset", "0000000000000000_0000000000000009", "logs/app").out())
        .as("a tail of a closed stream prints the rest and ends").isEqualTo("line two\n");
    assertThat(run("", "delete", "--url", url, "logs/app").out()).isEqualTo("deleted\n");
    Run missing = run("", "head", "--url", url, "logs/app");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("NotFound (NOT_FOUND)");
  }

  @Test
  void bucketsAndListings() {
    assertThat(runCli("", "bucket", "create", "--url", url, "team-a").out()).isEqualTo("created\n");
    assertThat(runCli("", "bucket", "ls", "--url", url).out()).contains("team-a\n", "default\n");
    assertThat(run("", "create", "--url", url, "--bucket", "team-a", "--content-type", "application/json", "orders").out())
        .isEqualTo("created\n");
    assertThat(run("", "ls", "--url", url, "--bucket", "team-a", "--json").out())
        .isEqualTo("{\"name\":\"orders\",\"contentType\":\"application/json\",\"nextOffset\":"
            + "\"0000000000000000_0000000000000000\",\"closed\":false}\n");
    Run notEmpty = runCli("", "bucket", "delete", "--url", url, "team-a");
    assertThat(notEmpty.code()).isEqualTo(1);
    assertThat(notEmpty.err()).contains("Rejected (CONFLICT)");
    run("", "delete", "--url", url, "--bucket", "team-a", "orders");
    assertThat(runCli("", "bucket", "delete", "--url", url, "team-a").out()).isEqualTo("deleted\n");
  }

  private static Run run(String stdin, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "stream";
    System.arraycopy(args, 0, all, 1, args.length);
    return runCli(stdin, all);
  }

  private static Run runCli(String stdin, String... args) {
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    InputStream savedIn = System.in;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      code = new CommandLine(new TributaryCli()).execute(args);
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
      System.setIn(savedIn);
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
