package io.tributary.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.testing.LocalNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a few abusive clients cannot starve the others (docs/security.md, "Abuse limits").
 *
 * <p>Method: one node in this JVM with small bounds (64 connections per address, a 1 s first-byte
 * deadline, 4 MiB request and response buffer budgets, a 2 s response write deadline). Four
 * attacks run at once, each from its own loopback address: sockets that connect and send nothing,
 * slow readers of a 3 MiB stream that never read, uploads that declare 1 MiB and stall after
 * 1 KiB, and 10,000 connections opened from one address. Meanwhile a legitimate client on another
 * address opens a new connection per request and appends and reads. Every one of its requests
 * must succeed within 10 s (the deadline that says "not starved" on a busy CI box); the latencies are printed, not
 * asserted against a target (speed targets live in benchmarks). Afterwards every bound has been
 * hit (the admin metrics say so) and the node's buffers are back to zero.
 */
class AbuseCampaignTest {
  private static final InetAddress LEGIT = address("127.0.0.2");
  private static final InetAddress IDLERS = address("127.0.0.11");
  private static final InetAddress SLOW_READERS = address("127.0.0.12");
  private static final InetAddress STALLED_UPLOADS = address("127.0.0.13");
  private static final InetAddress FLOOD = address("127.0.0.14");
  private static final int LEGIT_DEADLINE_MS = 10_000;

  @Test
  void legitimateClientsAreServedWhileAbusersHitTheirBounds(@TempDir Path dir) throws Exception {
    try (LocalNode node = new LocalNode(dir.resolve("data"), Map.of("connections-per-ip-max", "64",
        "first-byte-timeout-ms", "1000", "request-timeout-ms", "2000", "body-bytes-max", "2097152",
        "request-buffer-bytes-max", "4194304", "response-buffer-bytes-max", "4194304",
        "response-write-timeout-ms", "2000", "read-chunk-bytes-max", "4194304"))) {
      int port = Integer.parseInt(node.url("").substring(node.url("").lastIndexOf(':') + 1));
      assertThat(node.send("PUT", "/v1/stream/legit", "text/plain", "").statusCode()).isEqualTo(201);
      assertThat(node.send("PUT", "/v1/stream/big", "application/octet-stream", null).statusCode()).isEqualTo(201);
      String mib = "b".repeat(1 << 20);
      for (int i = 0; i < 3; i++) {
        assertThat(node.send("POST", "/v1/stream/big", "application/octet-stream", mib).statusCode()).isEqualTo(204);
      }

      AtomicBoolean attacking = new AtomicBoolean(true);
      List<Socket> held = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger refusedIdlers = new AtomicInteger();
      AtomicInteger closedIdlers = new AtomicInteger();
      AtomicInteger floodRefused = new AtomicInteger();
      AtomicInteger floodOpened = new AtomicInteger();
      ExecutorService attackers = Executors.newFixedThreadPool(4);
      List<Future<?>> attacks = new ArrayList<>();
      attacks.add(attackers.submit(() -> {
        // idle sockets: 300 at once that send nothing; the node refuses those past the per-address
        // bound and closes the others at the first-byte deadline
        while (attacking.get()) {
          List<Socket> round = new ArrayList<>();
          for (int i = 0; i < 300; i++) {
            round.add(connect(IDLERS, port, 64 * 1024));
          }
          sleep(300);
          List<Socket> admitted = new ArrayList<>();
          for (Socket s : round) {
            if (s.getInputStream().available() > 0) {
              refusedIdlers.incrementAndGet();
            } else {
              admitted.add(s);
            }
          }
          sleep(1500);
          for (Socket s : admitted) {
            if (closedByNode(s)) {
              closedIdlers.incrementAndGet();
            }
          }
          for (Socket s : round) {
            s.close();
          }
        }
        return null;
      }));
      attacks.add(attackers.submit(() -> {
        // slow readers: a 3 MiB read each, never taken
        while (attacking.get()) {
          for (int i = 0; i < 40 && attacking.get(); i++) {
            Socket s = connect(SLOW_READERS, port, 1024);
            held.add(s);
            s.getOutputStream().write(request("GET /v1/stream/big?offset=-1", null, 0));
          }
          sleep(1000);
        }
        return null;
      }));
      attacks.add(attackers.submit(() -> {
        // stalled uploads: 1 MiB declared, 1 KiB sent
        while (attacking.get()) {
          for (int i = 0; i < 20 && attacking.get(); i++) {
            Socket s = connect(STALLED_UPLOADS, port, 64 * 1024);
            held.add(s);
            OutputStream out = s.getOutputStream();
            out.write(request("POST /v1/stream/legit", "text/plain", 1 << 20));
            out.write(new byte[1024]);
          }
          sleep(1000);
        }
        return null;
      }));
      attacks.add(attackers.submit(() -> {
        // 10,000 connections from one address, 500 held at a time
        for (int round = 0; round < 20; round++) {
          List<Socket> batch = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            batch.add(connect(FLOOD, port, 64 * 1024));
            floodOpened.incrementAndGet();
          }
          for (Socket s : batch) {
            if (refusedNow(s)) {
              floodRefused.incrementAndGet();
            }
            s.close();
          }
        }
        return null;
      }));

      List<Long> latenciesMs = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
      int appended = 0;
      while (System.nanoTime() < end) {
        String body = "m" + appended + ";";
        long t0 = System.nanoTime();
        String status = legit(port, "POST /v1/stream/legit", "text/plain", body);
        latenciesMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        if (!status.equals("204")) {
          failures.add("append " + appended + ": " + status);
        } else {
          appended++;
        }
        t0 = System.nanoTime();
        status = legit(port, "GET /v1/stream/legit?offset=-1", null, null);
        latenciesMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        if (!status.equals("200")) {
          failures.add("read: " + status);
        }
        sleep(50);
      }
      attacking.set(false);
      for (Future<?> f : attacks) {
        f.get(60, TimeUnit.SECONDS);
      }
      attackers.shutdown();

      Collections.sort(latenciesMs);
      long p50 = latenciesMs.get(latenciesMs.size() / 2);
      long p99 = latenciesMs.get((int) Math.min(latenciesMs.size() - 1, Math.ceil(latenciesMs.size() * 0.99) - 1));
      long max = latenciesMs.get(latenciesMs.size() - 1);
      String metrics = node.metricsText();
      System.out.printf("AbuseCampaignTest: legitimate client %d requests, p50 %d ms, p99 %d ms, max %d ms; idle sockets "
          + "refused %d, closed at the first-byte deadline %d; flood %d opened, %d refused; %s%n", latenciesMs.size(),
          p50, p99, max, refusedIdlers.get(), closedIdlers.get(),
          floodOpened.get(), floodRefused.get(), metrics.lines().filter(l -> l.startsWith("tributary_connections_refused")
              || l.startsWith("tributary_request_buffer_refused")).toList());
      assertThat(failures).as("legitimate requests that failed").isEmpty();
      assertThat(max).as("slowest legitimate request (ms)").isLessThan(LEGIT_DEADLINE_MS);
      assertThat(appended).as("legitimate appends").isGreaterThan(20);
      assertThat(floodRefused.get()).as("flood connections refused beyond the per-address bound").isGreaterThan(8_000);
      assertThat(refusedIdlers.get()).as("idle sockets refused beyond the per-address bound").isPositive();
      assertThat(closedIdlers.get()).as("admitted idle sockets closed at the first-byte deadline").isPositive();
      assertThat(metric(metrics, "tributary_request_buffer_refused_total")).as("stalled uploads hit the budget")
          .isPositive();

      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() -> {
        String m = node.metricsText();
        assertThat(metric(m, "tributary_request_buffer_bytes")).as("request buffer after the attack").isZero();
        assertThat(metric(m, "tributary_response_buffer_bytes")).as("response buffer after the attack").isZero();
      });
      String all = node.send("GET", "/v1/stream/legit?offset=-1", null, null).body();
      assertThat(all).as("every acknowledged legitimate append, in order").startsWith("m0;m1;").contains("m" + (appended - 1) + ";");
    }
  }

  /** One legitimate request on a new connection from {@link #LEGIT}; the status code, or why it failed. */
  private static String legit(int port, String line, String contentType, String body) {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(LEGIT, 0));
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), LEGIT_DEADLINE_MS);
      s.setSoTimeout(LEGIT_DEADLINE_MS);
      byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      OutputStream out = s.getOutputStream();
      out.write(request(line, contentType, b.length));
      out.write(b);
      InputStream in = s.getInputStream();
      String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      return status.length() == 12 ? status.substring(9, 12) : "short answer '" + status + "'";
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static byte[] request(String line, String contentType, int length) {
    return (line + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (contentType == null ? "" : "Content-Type: " + contentType
        + "\r\n") + (length > 0 || contentType != null ? "Content-Length: " + length + "\r\n" : "")
        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static Socket connect(InetAddress from, int port, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(receiveBuffer);
    s.bind(new InetSocketAddress(from, 0));
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
    return s;
  }

  /** True when the node answered a refusal (503) on this connection within 200 ms. */
  private static boolean refusedNow(Socket s) {
    try {
      s.setSoTimeout(200);
      byte[] head = s.getInputStream().readNBytes(12);
      return head.length == 12 && new String(head, StandardCharsets.US_ASCII).endsWith("503");
    } catch (IOException e) {
      return false; // admitted: nothing to read
    }
  }

  /** True when the node closed this connection (end of stream) without sending anything more. */
  private static boolean closedByNode(Socket s) {
    try {
      s.setSoTimeout(50);
      InputStream in = s.getInputStream();
      while (in.available() > 0) {
        in.read(); // a refusal's bytes
      }
      return in.read() == -1;
    } catch (IOException e) {
      return e instanceof java.net.SocketException; // reset by the node
    }
  }

  private static double metric(String text, String name) {
    return text.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(
        name.length() + 1).trim())).sum();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static InetAddress address(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
