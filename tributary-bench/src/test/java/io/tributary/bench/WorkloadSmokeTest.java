package io.tributary.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Goal: every workload runs end to end against a real Tributary node and its result line is
 * well-formed and self-consistent, so a benchmark run cannot silently report numbers that its own
 * counts contradict. Method: one node (child JVM, see {@link NodeProcess}) with a short long-poll
 * timeout; each workload runs for about a second through the same picocli command users run; the
 * JSON line it appends to a results file is parsed and checked: no errors, every op accounted for
 * (fan-out and long-poll: delivered == expected, expected &gt; 0; catch-up: all bytes read),
 * percentiles ordered, CPU measured for client and server. Then report and chart must digest the
 * file, and a wrong route must make the tool fail rather than report zeros. Nothing asserts the
 * server's speed (CI machines are shared and slow): drains are generous and end as soon as every
 * delivery is in.
 */
class WorkloadSmokeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static NodeProcess node;
  private static Path results;

  @BeforeAll
  static void startNode(@TempDir Path dir) throws Exception {
    node = NodeProcess.start(dir.resolve("data"), "--long-poll-timeout-ms", "1000", "--groups", "2");
    results = dir.resolve("results.jsonl");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void appendClosedLoopCountsEveryAck() throws Exception {
    JsonNode r = run("append", "--streams", "20", "--concurrency", "10");
    assertThat(r.get("mode").asText()).isEqualTo("closed");
    assertThat(r.get("writers").asInt()).isEqualTo(10);
    assertNoErrors(r);
    long ops = r.get("ops").asLong();
    assertThat(ops).isPositive();
    assertThat(r.at("/ackMs/count").asLong()).isEqualTo(ops);
    assertThat(r.get("opsPerS").asDouble()).isCloseTo(ops / r.get("durationS").asDouble(),
        org.assertj.core.data.Percentage.withPercentage(1));
    assertPercentilesOrdered(r.get("ackMs"));
    assertCpuMeasured(r);
  }

  @Test
  void appendWithProducerHeadersNeverGaps() throws Exception {
    JsonNode r = run("append", "--streams", "5", "--concurrency", "5", "--producer");
    assertThat(r.get("producer").asBoolean()).isTrue();
    assertNoErrors(r);
    assertThat(r.get("ops").asLong()).isPositive();
  }

  @Test
  void appendOpenLoopOffersTheRate() throws Exception {
    JsonNode r = run("append", "--streams", "10", "--concurrency", "5", "--rate", "100");
    assertThat(r.get("mode").asText()).isEqualTo("open");
    assertNoErrors(r);
    double seconds = r.get("durationS").asDouble();
    long offered = r.get("offered").asLong();
    // the schedule offers rate x window whatever the server does (± a tick at each edge)...
    assertThat((double) offered).isCloseTo(100 * seconds, org.assertj.core.data.Offset.offset(5.0));
    // ...while acks in the window depend on the server (a loaded CI box is slow): at least one,
    // and never more than the window's offers plus what the 0.5 s warm-up left queued
    long ops = r.get("ops").asLong();
    assertThat(ops).isBetween(1L, offered + 50 + 5);
    assertThat(r.at("/ackMs/count").asLong()).isEqualTo(ops);
  }

  @Test
  void fanoutDeliversEveryEventToEverySubscriber() throws Exception {
    JsonNode r = run("fanout", "--subscribers", "20", "--rate", "50", "--drain-s", "20");
    assertThat(r.get("subscribersReady").asInt()).isEqualTo(20);
    assertNoErrors(r);
    assertThat(r.get("eventsAcked").asLong()).isEqualTo(r.get("events").asLong());
    assertThat(r.get("expected").asLong()).isEqualTo(r.get("eventsAcked").asLong() * 20).isPositive();
    assertThat(r.get("delivered").asLong()).isEqualTo(r.get("expected").asLong());
    assertThat(r.at("/deliveryMs/count").asLong()).isEqualTo(r.get("delivered").asLong());
    assertThat(r.get("duplicates").asLong()).isZero();
    assertPercentilesOrdered(r.get("deliveryMs"));
  }

  @Test
  void catchupReadsEveryByte() throws Exception {
    JsonNode r = run("catchup", "--streams", "8", "--messages", "30", "--message-bytes", "1024", "--rounds", "2",
        "--warmup-rounds", "0");
    assertNoErrors(r);
    assertThat(r.get("ops").asLong()).isEqualTo(16);
    assertThat(r.get("bytes").asLong()).isEqualTo(r.get("expectedBytes").asLong()).isEqualTo(16L * 30 * 1024);
    assertThat(r.get("shortReads").asLong()).isZero();
    assertThat(r.get("bytesPerS").asDouble()).isPositive();
    assertPercentilesOrdered(r.get("timeToTailMs"));
  }

  @Test
  void longPollDeliversEveryAppend() throws Exception {
    JsonNode r = run("longpoll", "--streams", "10", "--rate", "50", "--writers", "2", "--drain-s", "20");
    assertNoErrors(r);
    assertThat(r.get("expected").asLong()).isPositive();
    assertThat(r.get("delivered").asLong()).isEqualTo(r.get("expected").asLong());
    assertThat(r.get("duplicates").asLong()).isZero();
    assertPercentilesOrdered(r.get("deliveryMs"));
  }

  @Test
  void reportAndChartsDigestTheResults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("r.jsonl");
    Files.writeString(file, """
        {"workload":"append","label":"tributary","mode":"closed","streams":100,"opsPerS":2000,"errorCount":0,"ackMs":{"p50":1,"p99":4,"p999":9},"ackCdfMs":[[0,0.5],[50,1],[99,4],[100,12]],"clientCpuUsPerOp":10,"serverCpuUsPerOp":80}
        {"workload":"append","label":"ref-memory","mode":"closed","streams":100,"opsPerS":1000,"errorCount":0,"ackMs":{"p50":2,"p99":8,"p999":9},"ackCdfMs":[[0,0.5],[50,2],[99,8],[100,12]],"clientCpuUsPerOp":10,"serverCpuUsPerOp":null}
        """, StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(new CommandLine(new BenchCommand()).execute("report", "--results", file.toString())).isZero();
    } finally {
      System.setOut(old);
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("| append (closed loop) | 100 streams | tributary / ref-memory | 2.00x | 0.50x | 0.50x |");
    Path charts = dir.resolve("charts");
    assertThat(new CommandLine(new BenchCommand()).execute("chart", "--results", file.toString(), "--out",
        charts.toString())).isZero();
    List<Path> svgs = new ArrayList<>();
    try (var s = Files.list(charts)) {
      s.forEach(svgs::add);
    }
    assertThat(svgs).extracting(p -> p.getFileName().toString()).contains("append-closed-loop-throughput.svg",
        "append-closed-loop-p99.svg", "append-closed-loop-100-streams-cdf.svg");
    for (Path svg : svgs) {
      DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile()); // well-formed XML
    }
  }

  @Test
  void aWrongRouteFailsTheRunInsteadOfReportingZeros() {
    int code = new CommandLine(new BenchCommand()).execute("append", "--url", node.url, "--prefix", "/no-such-route/",
        "--streams", "2", "--warmup-s", "0", "--duration-s", "0.5");
    assertThat(code).isEqualTo(1);
  }

  private static JsonNode run(String... args) throws Exception {
    long before = Files.exists(results) ? Files.readAllLines(results).size() : 0;
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--url", node.url, "--label", "tributary-test", "--server-pid", Long.toString(node.pid()),
        "--warmup-s", "0.5", "--duration-s", "1.5", "--results", results.toString()));
    int code = new CommandLine(new BenchCommand()).execute(all.toArray(String[]::new));
    assertThat(code).as("exit status of bench %s", all).isZero();
    List<String> lines = Files.readAllLines(results);
    assertThat(lines).hasSize((int) before + 1);
    JsonNode r = JSON.readTree(lines.get(lines.size() - 1));
    assertThat(r.get("workload").asText()).isEqualTo(args[0]);
    assertThat(r.get("label").asText()).isEqualTo("tributary-test");
    assertThat(r.get("urls").get(0).asText()).isEqualTo(node.url);
    return r;
  }

  private static void assertNoErrors(JsonNode r) {
    assertThat(r.get("errorCount").asLong()).as("errors %s", r.get("errors")).isZero();
  }

  private static void assertPercentilesOrdered(JsonNode l) {
    assertThat(l.get("count").asLong()).isPositive();
    assertThat(l.get("p50").asDouble()).isPositive().isLessThanOrEqualTo(l.get("p99").asDouble());
    assertThat(l.get("p99").asDouble()).isLessThanOrEqualTo(l.get("p999").asDouble());
    assertThat(l.get("p999").asDouble()).isLessThanOrEqualTo(l.get("max").asDouble());
  }

  private static void assertCpuMeasured(JsonNode r) {
    assertThat(r.get("clientCpuS").asDouble()).isPositive();
    assertThat(r.get("serverCpuS").isNumber()).as("server CPU measured from /proc/<pid>/stat").isTrue();
    assertThat(r.get("serverCpuS").asDouble()).isPositive();
  }
}
