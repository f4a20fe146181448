package io.tributary.cluster;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A cluster of Tributary nodes, each a child JVM ({@link ServerProcess}) on fixed loopback ports,
 * and the cluster-wide waits its tests need: a node is ready, every group has converged.
 *
 * <p>Ports: a node's client, admin, Raft and peer data ports are picked once and kept across
 * restarts (the Raft and data ports are part of every peer's {@code --peers} list). They are picked <em>below</em> the kernel's ephemeral range: a port that is free while
 * its node is down cannot then be taken by some outgoing connection's local port.
 *
 * <p>Routes: {@link RaftRoute} says which port node A dials to reach node B's Raft server — B's
 * own Raft port, or a {@link io.tributary.testing.TcpProxy} in front of it. Every node gets the
 * same {@code --peers} list (SOFAJRaft names a peer by its address) and its own
 * {@code --peer-routes}.
 * {@link HttpRoute} does the same for the peer data port a node dials to reach a peer's
 * node-to-node routes (snapshot downloads, segment repair), so a test can put a proxy in front
 * of them for one node only.
 *
 * <p>Threads: one test thread drives it; {@link #groups} and the waits may be called from any
 * thread (they only do HTTP).
 */
final class ClusterNodes implements AutoCloseable {
  /**
   * A development CA in {@code certs} issuing n1..n3 (127.0.0.1, localhost) and a client
   * certificate "mallory" (the right CA, not a node), and a second CA in {@code rogue} issuing
   * another "n2": what the peer-plane tests present and refuse.
   */
  static void writeTestPki(Path certs, Path rogue) throws Exception {
    Map<String, List<String>> nodes = new java.util.LinkedHashMap<>();
    for (String n : List.of("n1", "n2", "n3")) {
      nodes.put(n, List.of("127.0.0.1", "localhost"));
    }
    java.time.Instant now = java.time.Instant.now();
    io.tributary.tls.DevCertificates.writeSet(certs, nodes, List.of("mallory"), java.time.Duration.ofDays(30),
        java.time.Duration.ofDays(1), now);
    io.tributary.tls.DevCertificates.writeSet(rogue, Map.of("n2", List.of("127.0.0.1")), List.of(),
        java.time.Duration.ofDays(30), java.time.Duration.ofDays(1), now);
  }

  /** A node's id and fixed ports: client HTTP, Raft, peer data (snapshot and segment transfer) and admin. */
  record Member(String id, int httpPort, int raftPort, int dataPort, int adminPort) {
    String baseUrl() {
      return "http://127.0.0.1:" + httpPort;
    }

    String adminUrl() {
      return "http://127.0.0.1:" + adminPort;
    }
  }

  /** One group as one node sees it ({@code GET /admin/groups}). */
  record GroupView(int group, String role, String leader, long term, long commitIndex, long appliedIndex, long lag,
      int pendingAppends, int streams) {
    boolean hasLeader() {
      return leader != null && !leader.equals("null");
    }
  }

  /** The port node {@code from} dials to reach node {@code to}'s Raft server. */
  interface RaftRoute {
    int port(Member from, Member to);
  }

  /** Every node dials the others directly. */
  static final RaftRoute DIRECT = (from, to) -> to.raftPort();

  /** The port node {@code from} dials to reach node {@code to}'s peer data listener (its {@code --peers} data port). */
  interface HttpRoute {
    int port(Member from, Member to);
  }

  /** Every node fetches snapshots and segment ranges from the others directly. */
  static final HttpRoute DIRECT_HTTP = (from, to) -> to.dataPort();

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Duration POLL = Duration.ofMillis(100);

  private final Path work;
  private final List<Member> members;
  private final List<ServerProcess> processes = new ArrayList<>();
  private final StreamClient client;

  /**
   * Builds (does not start) one {@link ServerProcess} per member, named by its id, logging into
   * {@code work}, with {@code settings} on top of the cluster ones.
   */
  ClusterNodes(Path work, List<Member> members, RaftRoute route, Map<String, String> settings,
      StreamClient client) {
    this(work, members, route, DIRECT_HTTP, settings, client);
  }

  /** As above, with {@code httpRoute} naming the data port of each peer in each node's {@code --peers}. */
  ClusterNodes(Path work, List<Member> members, RaftRoute route, HttpRoute httpRoute, Map<String, String> settings,
      StreamClient client) {
    this(work, members, route, httpRoute, settings, m -> Map.of(), client);
  }

  /** As above, with {@code perNode} adding each member's own settings (its certificate, say). */
  ClusterNodes(Path work, List<Member> members, RaftRoute route, HttpRoute httpRoute, Map<String, String> settings,
      java.util.function.Function<Member, Map<String, String>> perNode, StreamClient client) {
    this.work = work;
    this.members = List.copyOf(members);
    this.client = client;
    String logback = resourcePath("logback-cluster-node.xml");
    for (Member m : members) {
      // SOFAJRaft names a peer by its --peers address, which must be the same on every node: each
      // node lists the real Raft ports and dials through a route (--peer-routes)
      String peers = members.stream()
          .map(p -> p.id() + "=127.0.0.1:" + p.raftPort() + ":" + (p.equals(m) ? p.dataPort() : httpRoute.port(m, p)))
          .collect(Collectors.joining(","));
      String routes = members.stream()
          .filter(p -> !p.equals(m) && route.port(m, p) != p.raftPort())
          .map(p -> p.id() + "=127.0.0.1:" + route.port(m, p))
          .collect(Collectors.joining(","));
      processes.add(ServerProcess.builder(work.resolve("data").resolve(m.id())).name(m.id()).logDir(work)
          .setting("node-id", m.id())
          .setting("port", Integer.toString(m.httpPort()))
          .setting("peer-port", Integer.toString(m.raftPort()))
          .setting("admin-port", Integer.toString(m.adminPort()))
          .setting("peers", peers)
          .settings(routes.isEmpty() ? Map.of() : Map.of("peer-routes", routes))
          .settings(settings)
          .settings(perNode.apply(m))
          // the test class path carries logback-test.xml (WARN only); a node logs its INFO lines
          .jvmArgs("-Xmx256m", "-Dlogback.configurationFile=" + logback)
          .build());
    }
  }

  /** {@code n} members {@code n1..n<n>} with distinct stable ports. */
  static List<Member> members(int n, SplittableRandom random) {
    int[] ports = stablePorts(4 * n, random);
    List<Member> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Member("n" + (i + 1), ports[4 * i], ports[4 * i + 1], ports[4 * i + 2], ports[4 * i + 3]));
    }
    return out;
  }

  /** {@code count} distinct loopback ports for nodes and proxies ({@link io.tributary.testing.TestPorts}). */
  static int[] stablePorts(int count, SplittableRandom random) {
    return io.tributary.testing.TestPorts.stable(count, random);
  }

  private static String resourcePath(String name) {
    URL url = ClusterNodes.class.getClassLoader().getResource(name);
    if (url == null) {
      throw new IllegalStateException(name + " is not on the class path");
    }
    try {
      return Path.of(url.toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(url.toString(), e);
    }
  }

  int size() {
    return members.size();
  }

  Member member(int i) {
    return members.get(i);
  }

  List<Member> members() {
    return members;
  }

  ServerProcess process(int i) {
    return processes.get(i);
  }

  int indexOf(String nodeId) {
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).id().equals(nodeId)) {
        return i;
      }
    }
    return -1;
  }

  /** Starts every node at once (their JVMs start in parallel) and returns when all listen. */
  void startAll() throws Exception {
    List<Future<?>> starts = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(processes.size())) {
      for (ServerProcess p : processes) {
        starts.add(pool.submit(() -> {
          p.start();
          return null;
        }));
      }
      for (Future<?> f : starts) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception ex ? ex : e;
        }
      }
    }
  }

  /**
   * Creates a binary stream through {@code via}, retrying while the answer is 503 or the node does
   * not answer (an election, a halted leader), until {@code deadline}; any answer but 200/201/503 fails.
   */
  void create(Member via, String name, Duration deadline, String context) {
    await("PUT " + name + " via " + via.id() + " [" + context + "]").atMost(deadline).pollInterval(POLL).until(() -> {
      HttpResponse<byte[]> r;
      try {
        r = client.create(via.baseUrl(), name, ProducerLedger.CONTENT_TYPE);
      } catch (IOException e) {
        return false;
      }
      if (r.statusCode() == 503) {
        return false;
      }
      if (r.statusCode() != 200 && r.statusCode() != 201) {
        throw new AssertionError("PUT " + name + " via " + via.id() + ": " + r.statusCode() + " "
            + new String(r.body(), StandardCharsets.UTF_8) + " [" + context + "]");
      }
      return true;
    });
  }

  /** The node's groups, or null if it does not answer. */
  List<GroupView> groups(int i) throws InterruptedException {
    try {
      HttpResponse<byte[]> r = client.get(members.get(i).adminUrl(), "/admin/groups");
      if (r.statusCode() != 200) {
        return null;
      }
      return List.of(JSON.readValue(r.body(), GroupView[].class));
    } catch (IOException e) {
      return null;
    }
  }

  boolean ready(int i) throws InterruptedException {
    return client.status(members.get(i).baseUrl(), "/readyz") == 200;
  }

  void awaitReady(int i, Duration timeout, String context) {
    await(members.get(i).id() + " ready [" + context + "]").atMost(timeout).pollInterval(POLL)
        .until(() -> ready(i));
  }

  /** {@link #awaitReady} for every node, one after the other (each within {@code timeout}). */
  void awaitAllReady(Duration timeout, String context) {
    for (int i = 0; i < members.size(); i++) {
      awaitReady(i, timeout, context);
    }
  }

  /**
   * Waits until every node is up and agrees on every group: the same leader, which calls itself
   * leader; the same commit index everywhere; nothing left to apply or queued anywhere. After that,
   * every node has applied exactly the same log prefix, so reads anywhere see the same data.
   */
  void awaitConverged(Duration timeout, String context) {
    try {
      await("cluster converged [" + context + "]").atMost(timeout).pollInterval(POLL)
          .until(() -> convergence() == null);
    } catch (ConditionTimeoutException e) {
      String why;
      try {
        why = convergence();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        why = "interrupted";
      }
      throw new AssertionError("not converged within " + timeout + ": " + why + "\n" + describe()
          + dumpThreads("not-converged") + " [" + context + "]", e);
    }
  }

  /** Null if converged, else the first reason it is not. */
  private String convergence() throws InterruptedException {
    List<List<GroupView>> views = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      List<GroupView> v = groups(i);
      if (v == null) {
        return members.get(i).id() + " does not answer /admin/groups";
      }
      views.add(v);
    }
    int groupCount = views.get(0).size();
    for (int g = 0; g < groupCount; g++) {
      GroupView first = views.get(0).get(g);
      if (!first.hasLeader()) {
        return "group " + g + " has no leader at " + members.get(0).id();
      }
      for (int i = 0; i < members.size(); i++) {
        GroupView v = views.get(i).get(g);
        String at = "group " + g + " at " + members.get(i).id() + ": ";
        if (!first.leader().equals(v.leader())) {
          return at + "leader " + v.leader() + " but " + first.leader() + " at " + members.get(0).id();
        }
        if (members.get(i).id().equals(v.leader()) != v.role().equals("LEADER")) {
          return at + "role " + v.role() + " with leader " + v.leader();
        }
        if (v.commitIndex() != first.commitIndex()) {
          return at + "commit index " + v.commitIndex() + " but " + first.commitIndex() + " at "
              + members.get(0).id();
        }
        if (v.lag() != 0 || v.pendingAppends() != 0) {
          return at + "lag " + v.lag() + ", pending appends " + v.pendingAppends();
        }
      }
    }
    return null;
  }

  /** Every node's view of every group, one line per node and group, for failure messages. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < members.size(); i++) {
      List<GroupView> v;
      try {
        v = groups(i);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return sb.append("(interrupted)").toString();
      }
      sb.append(members.get(i).id()).append(" (").append(processes.get(i)).append("):");
      if (v == null) {
        sb.append(" no answer\n");
        continue;
      }
      sb.append('\n');
      for (GroupView g : v) {
        sb.append("  ").append(g).append('\n');
      }
    }
    return sb.toString();
  }

  /** The tails of every node's log, for failure messages. */
  String logTails(int lines) {
    return processes.stream().map(p -> p.logTail(lines)).collect(Collectors.joining("\n"));
  }

  /**
   * Thread dumps of every live node ({@code jcmd PID Thread.print}) into {@code <work>/<label>-<id>.threads.txt},
   * for diagnosing a stuck cluster; returns a line naming the files.
   */
  String dumpThreads(String label) {
    StringBuilder out = new StringBuilder("thread dumps:");
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    for (int i = 0; i < processes.size(); i++) {
      ServerProcess p = processes.get(i);
      if (!p.isAlive()) {
        continue;
      }
      Path file = work.resolve(label + "-" + members.get(i).id() + ".threads.txt");
      try {
        Process d = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
            .redirectErrorStream(true).redirectOutput(file.toFile()).start();
        if (!d.waitFor(30, TimeUnit.SECONDS)) {
          d.destroyForcibly();
        }
        out.append(' ').append(file);
      } catch (IOException e) {
        out.append(' ').append(members.get(i).id()).append(": ").append(e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return out.append(" (interrupted)").toString();
      }
    }
    return out.toString();
  }

  /** How often {@code needle} occurs in the node's log (for coverage lines; 0 if unreadable). */
  long logCount(int i, String needle) {
    try (var lines = Files.lines(processes.get(i).stderrLog(), StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(needle)).count();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    processes.forEach(ServerProcess::close);
  }
}
