package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.alipay.sofa.jraft.CliService;
import com.alipay.sofa.jraft.RaftServiceFactory;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.CliOptions;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.CliRequests;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.impl.MarshallerHelper;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Message;
import io.tributary.common.StreamKey;
import io.tributary.group.jraft.PeerRpcFactory;
import io.tributary.group.jraft.PeerTransport;
import io.tributary.state.Command;
import io.tributary.state.CommandCodec;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import io.tributary.tls.PeerTrust;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: with mutual TLS on the peer plane, the Raft port of a SOFAJRaft node does what only the
 * cluster's nodes may ask of it — commit an entry, change membership, move leadership, reset the
 * peers, take a snapshot — for them alone; it listens only on {@code --peer-host}; and the cluster
 * replicates and forwards writes over it (docs/security.md, "Peer plane").
 *
 * <p>Method (seeded, {@code -Dseed=N}): a development CA issues n1..n3 and a client certificate
 * "mallory"; a second CA issues another "n2". Three nodes run on jraft with their own certificates.
 * A stream is created and appended to through a follower of its group, and read back from every
 * node. Then this test JVM acts as three attackers, each a plain SOFAJRaft client of the same
 * library as the nodes (its {@code CliService}, and raw RPCs to the leader's Raft port):
 * <ol>
 *   <li>plaintext, no certificate;
 *   <li>the rogue CA's "n2" (a peer's name, the wrong issuer);
 *   <li>"mallory" (the right CA, a name that is no peer).
 * </ol>
 * Each asks to commit an append to the stream (our forwarding envelope), add a peer, remove one,
 * change the peers, transfer leadership, reset the peers and take a snapshot; every call must
 * fail. A control with n1's real certificate reads the group's peers over the same client, so
 * the failures are the server's refusals, not a broken probe; the same certificate with a client
 * that expects another node at the leader's address refuses the leader (the dialling side checks
 * names too). Afterwards no node's log shows any of those requests received (SOFAJRaft's
 * processors log each one; a control snapshot request with n1's certificate shows the line
 * appears when a request does get through), every group has its three peers, and every node
 * serves exactly the acknowledged bytes. Leaders and terms before and after are printed, not
 * asserted: on a loaded box an election can happen on its own. Finally a connection to 127.0.0.2 on the Raft
 * port is refused: the node bound 127.0.0.1 only (every 127/8 address is loopback on Linux).
 */
class PeerPlaneAttackTest {
  private static final int GROUPS = 2;
  private static final int RPC_TIMEOUT_MILLIS = 3000;
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  /** SOFAJRaft's membership, leadership, reset and snapshot requests; each processor logs "Receive <name>". */
  private static final List<String> CLI_REQUESTS = List.of("AddPeerRequest", "RemovePeerRequest", "ChangePeersRequest",
      "TransferLeaderRequest", "ResetPeerRequest", "SnapshotRequest");

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("peer-attack")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private ClusterNodes cluster;
  private String ctx;

  @AfterEach
  void tearDown() {
    PeerRpcFactory.configure(PeerTransport.PLAIN);
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }

  @Test
  @Timeout(value = 300, unit = java.util.concurrent.TimeUnit.SECONDS)
  void onlyClusterNodesActOnTheRaftPort() throws Exception {
    Path certs = work.resolve("certs");
    Path rogue = work.resolve("rogue");
    ClusterNodes.writeTestPki(certs, rogue);
    ctx = "seed=" + seed + " (rerun with -Dseed=" + seed + "), logs in " + work;
    cluster = new ClusterNodes(work, ClusterNodes.members(3, new SplittableRandom(seed)), ClusterNodes.DIRECT,
        ClusterNodes.DIRECT_HTTP, Map.of("groups", Integer.toString(GROUPS),
            // fewer elections on a loaded box (the first TLS handshakes of a cold JVM are slow)
            "election-timeout-min-ms", "1000", "election-timeout-max-ms", "2000"),
        m -> Map.of("peer-tls-cert-file", certs.resolve(m.id() + ".crt").toString(),
            "peer-tls-key-file", certs.resolve(m.id() + ".key").toString(),
            "peer-tls-ca-file", certs.resolve("ca.crt").toString()), client);
    say("%s", ctx);
    cluster.startAll();
    cluster.awaitConverged(DEADLINE, ctx);
    for (int i = 0; i < 3; i++) {
      assertThat(cluster.logCount(i, "mutual TLS")).as("%s runs its Raft server with mutual TLS [%s]",
          cluster.member(i).id(), ctx).isPositive();
    }

    // replication and forwarding over mutual TLS: every write goes through a follower of the group
    List<ClusterNodes.GroupView> view = settledLeaders();
    String stream = "attack-target";
    int group = new StreamKey(StreamKey.DEFAULT_BUCKET, stream).groupIndex(GROUPS);
    ClusterNodes.Member leader = cluster.member(cluster.indexOf(view.get(group).leader()));
    ClusterNodes.Member follower = cluster.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
    cluster.create(follower, stream, DEADLINE, ctx);
    ByteArrayOutputStream acknowledged = new ByteArrayOutputStream();
    for (int i = 0; i < 20; i++) {
      byte[] body = ("<" + i + ">").getBytes(StandardCharsets.UTF_8);
      HttpResponse<byte[]> r = client.append(follower.baseUrl(), stream, ProducerLedger.CONTENT_TYPE, body, null);
      assertThat(r.statusCode()).as("append %d via the follower %s [%s]", i, follower.id(), ctx).isEqualTo(204);
      acknowledged.writeBytes(body);
    }
    cluster.awaitConverged(DEADLINE, ctx);
    assertEveryNodeServes(stream, acknowledged.toByteArray());
    say("20 appends through follower %s of group %d (leader %s) replicated over mutual TLS to every node",
        follower.id(), group, leader.id());

    Configuration conf = new Configuration();
    Map<Endpoint, String> ids = new HashMap<>();
    for (ClusterNodes.Member m : cluster.members()) {
      Endpoint e = new Endpoint("127.0.0.1", m.raftPort());
      conf.addPeer(new PeerId(e, 0));
      ids.put(e, m.id());
    }
    Endpoint leaderEndpoint = new Endpoint("127.0.0.1", leader.raftPort());
    PeerId followerPeer = new PeerId(new Endpoint("127.0.0.1", follower.raftPort()), 0);
    PeerId stranger = new PeerId(new Endpoint("127.0.0.1", ClusterNodes.stablePorts(1, new SplittableRandom(seed))[0]), 0);
    byte[] entry = CommandCodec.encode(System.currentTimeMillis(), List.of(new Command.Append(
        new StreamKey(StreamKey.DEFAULT_BUCKET, stream), ProducerLedger.CONTENT_TYPE,
        "<forged>".getBytes(StandardCharsets.UTF_8), 1, false, null, null)), 64);
    assertThat(RpcFactoryHelper.rpcFactory()).as("this JVM's SOFAJRaft clients come from our factory")
        .isInstanceOf(PeerRpcFactory.class);
    RpcFactoryHelper.rpcFactory().registerProtobufSerializer(BytesValue.class.getName(), BytesValue.getDefaultInstance());
    MarshallerHelper.registerRespInstance(BytesValue.class.getName(), BytesValue.getDefaultInstance());

    Map<String, Supplier<PeerTransport>> attackers = new LinkedHashMap<>();
    attackers.put("plaintext, no certificate", () -> PeerTransport.PLAIN);
    attackers.put("the rogue CA's n2", () -> tls(rogue.resolve("n2.crt"), rogue.resolve("n2.key"), certs, ids));
    attackers.put("mallory (cluster CA, not a peer)", () -> tls(certs.resolve("mallory.crt"),
        certs.resolve("mallory.key"), certs, ids));
    for (Map.Entry<String, Supplier<PeerTransport>> a : attackers.entrySet()) {
      PeerRpcFactory.configure(a.getValue().get());
      attack(a.getKey(), group, conf, leaderEndpoint, followerPeer, stranger, entry);
    }
    assertThat(cluster.logCount(cluster.indexOf(leader.id()), "Raft port: refused a TLS client"))
        .as("the leader %s logged why it refused the certificate holders [%s]", leader.id(), ctx).isPositive();

    // the control: the same client with a node's certificate is answered
    PeerRpcFactory.configure(tls(certs.resolve("n1.crt"), certs.resolve("n1.key"), certs, ids));
    CliService cli = cli();
    try {
      for (int g = 0; g < GROUPS; g++) {
        assertThat(cli.getPeers(groupId(g), conf)).as("group %d's peers, asked with n1's certificate [%s]", g, ctx)
            .containsExactlyInAnyOrderElementsOf(conf.getPeers());
      }
    } finally {
      cli.shutdown();
    }

    // the dialling side checks names too: n1's certificate, but expecting another node at the leader's address
    Map<Endpoint, String> misnamed = new HashMap<>(ids);
    String impostorFor = cluster.members().stream().map(ClusterNodes.Member::id).filter(id -> !id.equals(leader.id()))
        .findFirst().orElseThrow();
    misnamed.put(leaderEndpoint, impostorFor);
    PeerRpcFactory.configure(tls(certs.resolve("n1.crt"), certs.resolve("n1.key"), certs, misnamed));
    RpcClient dialler = RpcFactoryHelper.rpcFactory().createRpcClient();
    dialler.init(new RpcOptions());
    try {
      Message ask = CliRequests.GetPeersRequest.newBuilder().setGroupId(groupId(group))
          .setLeaderId(new PeerId(leaderEndpoint, 0).toString()).build();
      assertThatThrownBy(() -> dialler.invokeSync(leaderEndpoint, ask, RPC_TIMEOUT_MILLIS))
          .as("a client expecting %s at %s, where %s answers [%s]", impostorFor, leaderEndpoint, leader.id(), ctx)
          .satisfies(t -> say("a client expecting %s at %s's address refuses it: %s", impostorFor, leader.id(),
              rootMessage(t)));
    } finally {
      dialler.shutdown();
    }

    // no attacker's request reached a SOFAJRaft request processor on any node (each logs what it receives)
    for (int i = 0; i < cluster.size(); i++) {
      for (String request : CLI_REQUESTS) {
        assertThat(cluster.logCount(i, "Receive " + request)).as("%s received a %s [%s]", cluster.member(i).id(),
            request, ctx).isZero();
      }
    }
    // ... and that log line is what a request that gets through leaves: the control asks for a snapshot
    PeerRpcFactory.configure(tls(certs.resolve("n1.crt"), certs.resolve("n1.key"), certs, ids));
    CliService control = cli();
    try {
      Status st = control.snapshot(groupId(group), new PeerId(leaderEndpoint, 0));
      say("a snapshot asked for with n1's certificate: %s", st);
    } finally {
      control.shutdown();
    }
    assertThat(cluster.logCount(cluster.indexOf(leader.id()), "Receive SnapshotRequest"))
        .as("the leader logged the control's snapshot request [%s]", ctx).isPositive();

    // leadership may move on its own on a loaded box (an election timeout missed): printed, not asserted;
    // membership and data are what an attacker would have changed
    List<ClusterNodes.GroupView> after = cluster.groups(0);
    for (int g = 0; g < GROUPS; g++) {
      say("group %d: leader %s term %d before the attacks, leader %s term %d after", g, view.get(g).leader(),
          view.get(g).term(), after.get(g).leader(), after.get(g).term());
    }
    cluster.awaitConverged(DEADLINE, ctx);
    assertEveryNodeServes(stream, acknowledged.toByteArray());
    say("after the attacks: three peers per group, no request processed, %s unchanged on every node", stream);

    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", leader.raftPort()), 2000);
    }
    assertThatThrownBy(() -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.2", leader.raftPort()), 2000);
      }
    }).as("127.0.0.2:%d (not --peer-host) [%s]", leader.raftPort(), ctx).isInstanceOf(ConnectException.class);
    say("the Raft port %d answers on 127.0.0.1 (--peer-host) and refuses 127.0.0.2", leader.raftPort());
  }

  /** Every request of one attacker, through CliService and as raw RPCs to the leader's Raft port: all fail. */
  private void attack(String who, int group, Configuration conf, Endpoint leader, PeerId follower, PeerId stranger,
      byte[] entry) throws Exception {
    String g = groupId(group);
    CliService cli = cli();
    try {
      Configuration without = conf.copy();
      without.removePeer(follower);
      Configuration with = conf.copy();
      with.addPeer(stranger);
      Map<String, Status> answers = new LinkedHashMap<>();
      answers.put("addPeer", cli.addPeer(g, conf, stranger));
      answers.put("removePeer", cli.removePeer(g, conf, follower));
      answers.put("changePeers", cli.changePeers(g, conf, without));
      answers.put("transferLeader", cli.transferLeader(g, conf, follower));
      answers.put("resetPeer", cli.resetPeer(g, new PeerId(leader, 0), with));
      answers.put("snapshot", cli.snapshot(g, new PeerId(leader, 0)));
      for (Map.Entry<String, Status> a : answers.entrySet()) {
        assertThat(a.getValue().isOk()).as("%s: CliService.%s answered %s [%s]", who, a.getKey(), a.getValue(), ctx)
            .isFalse();
      }
    } finally {
      cli.shutdown();
    }
    RpcClient rpc = RpcFactoryHelper.rpcFactory().createRpcClient();
    rpc.init(new RpcOptions());
    try {
      String leaderId = new PeerId(leader, 0).toString();
      Map<String, Message> requests = new LinkedHashMap<>();
      requests.put("a forwarded append", BytesValue.of(ByteString.copyFrom(
          ByteBuffer.allocate(4 + entry.length).putInt(group).put(entry).array())));
      requests.put("AddPeer", CliRequests.AddPeerRequest.newBuilder().setGroupId(g).setLeaderId(leaderId)
          .setPeerId(stranger.toString()).build());
      requests.put("RemovePeer", CliRequests.RemovePeerRequest.newBuilder().setGroupId(g).setLeaderId(leaderId)
          .setPeerId(follower.toString()).build());
      requests.put("ChangePeers", CliRequests.ChangePeersRequest.newBuilder().setGroupId(g).setLeaderId(leaderId)
          .addNewPeers(leaderId).build());
      requests.put("TransferLeader", CliRequests.TransferLeaderRequest.newBuilder().setGroupId(g).setLeaderId(leaderId)
          .setPeerId(follower.toString()).build());
      requests.put("ResetPeer", CliRequests.ResetPeerRequest.newBuilder().setGroupId(g).setPeerId(leaderId)
          .addNewPeers(leaderId).build());
      requests.put("Snapshot", CliRequests.SnapshotRequest.newBuilder().setGroupId(g).setPeerId(leaderId).build());
      List<String> failures = new ArrayList<>();
      for (Map.Entry<String, Message> r : requests.entrySet()) {
        assertThatThrownBy(() -> rpc.invokeSync(leader, r.getValue(), RPC_TIMEOUT_MILLIS))
            .as("%s: %s to the leader %s [%s]", who, r.getKey(), leader, ctx)
            .satisfies(t -> failures.add(r.getKey() + ": " + rootMessage(t)));
      }
      say("%s: every CliService call and raw RPC refused, e.g. %s", who, failures.getFirst());
    } finally {
      rpc.shutdown();
    }
  }

  private static CliService cli() {
    CliOptions o = new CliOptions();
    o.setTimeoutMs(RPC_TIMEOUT_MILLIS);
    o.setMaxRetry(0);
    return RaftServiceFactory.createAndInitCliService(o);
  }

  private static PeerTransport tls(Path cert, Path key, Path certs, Map<Endpoint, String> ids) {
    try {
      return new PeerTransport(null, Map.of(), ids, new PeerTransport.Tls(PeerTrust.keyManagers(cert, key),
          PeerTrust.authorities(certs.resolve("ca.crt"))), 4 * 1024 * 1024);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The groups as node 0 sees them, once every group is led by its preferred peer (g mod 3), where balancing leaves it. */
  private List<ClusterNodes.GroupView> settledLeaders() {
    List<List<ClusterNodes.GroupView>> seen = new ArrayList<>();
    await("every group led by its preferred peer [" + ctx + "]").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> {
          List<ClusterNodes.GroupView> v = cluster.groups(0);
          if (v == null) {
            return false;
          }
          for (int g = 0; g < v.size(); g++) {
            if (!cluster.member(g % 3).id().equals(v.get(g).leader())) {
              return false;
            }
          }
          seen.add(v);
          return true;
        });
    return seen.getLast();
  }

  private void assertEveryNodeServes(String stream, byte[] want) throws Exception {
    for (ClusterNodes.Member m : cluster.members()) {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      client.readAll(m.baseUrl(), stream, 100).forEach(c -> got.writeBytes(c.body()));
      assertThat(got.toString(StandardCharsets.UTF_8)).as("%s at %s [%s]", stream, m.id(), ctx)
          .isEqualTo(new String(want, StandardCharsets.UTF_8));
    }
  }

  private static String groupId(int g) {
    return "tributary-g" + g;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName() + ": " + c.getMessage();
  }

  private static void say(String format, Object... args) {
    System.out.println("PeerPlaneAttackTest: " + String.format(format, args));
  }
}
