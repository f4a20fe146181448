package io.tributary.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.testing.LoadMonitor;
import io.tributary.testing.ServerProcess;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a replica whose data segment holds a damaged record never serves it, keeps serving every
 * other range, and repairs itself from a healthy peer, after which all three replicas hold the
 * same bytes and exactly the acknowledged appends.
 *
 * <p>Story, on three nodes (two groups, a snapshot every 100 entries, 1 MiB segments, scrub off so
 * the read is what finds the damage):
 * <ol>
 *   <li>Four streams take acknowledged appends from idempotent producers through every node.</li>
 *   <li>n3 is stopped (SIGTERM). One payload byte of a record below its newest snapshot's segment
 *       end is flipped (above it, the restart would re-apply the log and rewrite the record).</li>
 *   <li>n3 restarts. Every stream is read through n3 from the start, chunk by chunk: each answer is
 *       a 200 whose bytes are exactly the acknowledged ones at that offset, or a 503 with
 *       Retry-After saying a repair runs (retried) — never other bytes, never a 500. The damaged
 *       record is reached (at least one 503).</li>
 *   <li>n3's {@code tributary_repairs_total{result="repaired"}} counts the repair and its log names
 *       the peer it came from; every stream on every node equals the ledger; every segment file of
 *       every group is byte-identical on the three nodes.</li>
 * </ol>
 */
class CorruptionClusterTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final int STREAMS = 4;
  private static final int APPENDS_PER_STREAM = 90;
  private static final int HEADER_BYTES = 32;

  private final long seed = Long.getLong("seed", System.nanoTime());
  private final Path work = ServerProcess.defaultLogDir().resolveSibling("corruption-cluster")
      .resolve("seed-" + seed + "-" + System.currentTimeMillis());
  private final StreamClient client = new StreamClient(Duration.ofSeconds(15));
  private final LoadMonitor progress = new LoadMonitor();
  private ClusterNodes cluster;
  private String ctx;

  @Test
  @Timeout(value = 400, unit = TimeUnit.SECONDS)
  void aDamagedRecordIsNeverServedAndIsRepairedFromAPeer() throws Exception {
    System.out.println("CorruptionClusterTest seed " + seed + ", logs in " + work);
    SplittableRandom random = new SplittableRandom(seed);
    cluster = new ClusterNodes(work, ClusterNodes.members(3, random), ClusterNodes.DIRECT, Map.of(
        "groups", "2",
        "election-timeout-min-ms", "500",
        "election-timeout-max-ms", "1000",
        "write-timeout-ms", "5000",
        "snapshot-interval-entries", "100",
        "segment-bytes-max", "1MiB",
        "scrub-bytes-per-second", "0"), client);
    ctx = "seed=" + seed + ", logs in " + work;
    cluster.startAll();
    cluster.awaitConverged(DEADLINE, ctx);

    // 1. acknowledged appends through every node
    List<ProducerLedger> streams = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      ProducerLedger s = new ProducerLedger(seed, i, "damaged-" + i, 1);
      cluster.create(cluster.member(i % 3), s.name, DEADLINE, ctx);
      streams.add(s);
    }
    ClusterWriter writer = new ClusterWriter(0, streams, cluster.members(), client, progress, seed, ctx);
    for (int a = 0; a < APPENDS_PER_STREAM; a++) {
      for (ProducerLedger s : streams) {
        writer.appendThrough(s, cluster.member(random.nextInt(3)), DEADLINE);
      }
    }
    cluster.awaitConverged(DEADLINE, ctx);

    // 2. n3 stopped, one payload byte flipped below its newest snapshot's end
    ServerProcess n3 = cluster.process(2);
    n3.stop();
    Path data = n3.dataDir();
    long[] flipped = flipBelowSnapshotEnd(data, random);
    System.out.println("flipped group " + flipped[0] + " position " + flipped[1] + " [" + ctx + "]");

    // 3. n3 restarts; reads through it: exact bytes or 503 while repairing, never anything else
    n3.start();
    cluster.awaitConverged(DEADLINE, "after n3's restart, " + ctx);
    int repairing = 0;
    for (ProducerLedger s : streams) {
      repairing += readThroughChecking(cluster.member(2), s);
    }
    assertThat(repairing).as("reads that reached the damaged record and were told a repair runs [%s]", ctx)
        .isPositive();

    // 4. repaired from a peer; replicas identical and equal to the ledger
    String repaired = "tributary_repairs_total{group=\"" + flipped[0] + "\",result=\"repaired\"}";
    await("n3 repairs group " + flipped[0] + " [" + ctx + "]").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
        .until(() -> metric(cluster.member(2), repaired) >= 1);
    assertThat(Files.readString(n3.stderrLog())).as("n3's log [%s]", ctx)
        .containsPattern("group " + flipped[0] + ": repaired segment \\d+\\.seg from n[12]: 1 damaged records");
    ReplicaVerifier verifier = new ReplicaVerifier(cluster, client, ctx);
    for (ProducerLedger s : streams) {
      verifier.check(s, seed + s.index);
    }
    verifier.checkSegmentFiles(2);
    assertThat(progress.failures()).as("writer failures [%s]", ctx).isEmpty();
  }

  /**
   * Reads {@code s} from its start through {@code node}, checking every 200 against the ledger and
   * retrying every 503 (which must carry Retry-After and say a repair runs); returns the 503s seen.
   */
  private int readThroughChecking(ClusterNodes.Member node, ProducerLedger s) throws Exception {
    byte[] expected = s.expectedContent();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    String offset = "-1";
    int unavailable = 0;
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<byte[]> r = client.get(node.baseUrl(), StreamClient.STREAM_ROOT + s.name + "?offset=" + offset);
      String body = new String(r.body(), StandardCharsets.UTF_8);
      if (r.statusCode() == 503) {
        assertThat(r.headers().firstValue("Retry-After")).as("503 for %s at %s [%s]", s.name, offset, ctx).isPresent();
        if (body.contains("being repaired from a peer")) {
          unavailable++;
        }
        Thread.sleep(100); // retry pacing, as a client would
        continue;
      }
      assertThat(r.statusCode()).as("%s at %s through %s: %s [%s]", s.name, offset, node.id(), body, ctx)
          .isEqualTo(200);
      int from = got.size();
      got.write(r.body());
      assertThat(Arrays.copyOfRange(expected, from, Math.min(expected.length, got.size())))
          .as("%s bytes [%d, %d) through %s [%s]", s.name, from, got.size(), node.id(), ctx).isEqualTo(r.body());
      if (r.headers().firstValue("Stream-Up-To-Date").map("true"::equalsIgnoreCase).orElse(false)) {
        assertThat(got.size()).as("%s read to its end through %s [%s]", s.name, node.id(), ctx)
            .isEqualTo(expected.length);
        return unavailable;
      }
      offset = r.headers().firstValue("Stream-Next-Offset").orElseThrow();
    }
    throw new AssertionError(s.name + " not read to its end through " + node.id() + " within " + DEADLINE + " [" + ctx + "]");
  }

  /**
   * Flips one payload byte of a record wholly below the segment end recorded by the newest
   * metadata snapshot of a group (layout: docs/on-disk-format.md); returns {group, position}.
   */
  private long[] flipBelowSnapshotEnd(Path data, SplittableRandom random) throws IOException {
    long[] bestEnd = {-1, -1}; // group, snapshot segment end
    // SOFAJRaft's snapshot directories: jraft/gNNN/snapshot/snapshot_<index>/tributary-meta
    try (Stream<Path> files = Files.walk(data.resolve("jraft"))) {
      for (Path p : files.filter(f -> f.getFileName().toString().equals("tributary-meta")
          && f.getParent().getFileName().toString().matches("snapshot_\\d+")).toList()) {
        try (InputStream in = Files.newInputStream(p); DataInputStream d = new DataInputStream(in)) {
          d.readInt(); // magic
          d.readInt(); // version
          int group = d.readInt();
          long end = d.readLong();
          if (end > bestEnd[1]) {
            bestEnd[0] = group;
            bestEnd[1] = end;
          }
        }
      }
    }
    assertThat(bestEnd[1]).as("a snapshot with segment bytes [%s]", ctx).isPositive();
    Path segments = data.resolve("groups").resolve(String.format("g%03d", bestEnd[0])).resolve("segments");
    Path first = segments.resolve(String.format("%020d.seg", 0));
    byte[] file = Files.readAllBytes(first);
    ByteBuffer h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    List<long[]> records = new ArrayList<>(); // position, payload length
    for (int at = 0; at + HEADER_BYTES <= file.length && at < bestEnd[1]; at += HEADER_BYTES + h.getInt(at + 4)) {
      if (at + HEADER_BYTES + h.getInt(at + 4) <= bestEnd[1]) {
        records.add(new long[] {at, h.getInt(at + 4)});
      }
    }
    assertThat(records).as("records below the snapshot end [%s]", ctx).isNotEmpty();
    long[] victim = records.get(records.size() / 2 + random.nextInt(Math.max(1, records.size() / 2)));
    long at = victim[0] + HEADER_BYTES + random.nextInt((int) victim[1]);
    try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
      f.seek(at);
      int v = f.read();
      f.seek(at);
      f.write(v ^ (1 << random.nextInt(8)));
    }
    return new long[] {bestEnd[0], victim[0]};
  }

  private double metric(ClusterNodes.Member node, String name) throws Exception {
    String text = new String(client.get(node.adminUrl(), "/metrics").body(), StandardCharsets.UTF_8);
    return text.lines().filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).sum();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
  }
}
