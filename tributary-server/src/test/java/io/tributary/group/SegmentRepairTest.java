package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a damaged record is repaired from the first peer that serves a good copy, with reads
 * answering "repair under way" meanwhile, and never from a copy that fails verification; when no
 * peer has one, reads go back to "no repair" and the attempts stop after a bound.
 *
 * <p>Method: two segment stores take the same seeded appends (seed printed): "local" is this
 * replica, "healthy" plays the peers' copy. A byte of local's record is flipped on disk. Peers
 * are scripted: one refuses to connect, one flips a byte of what it sends (the in-flight case),
 * one sends the healthy copy. Time is a counter that jumps a minute whenever it is read, so
 * backoffs are always over and the test never waits for them.
 */
class SegmentRepairTest {
  private static final int RECORDS = 40;
  private static final int SEGMENT_BYTES = 1 << 20;
  @TempDir
  Path dir;
  private final long seed = Long.getLong("seed", System.nanoTime());
  private final byte[][] payloads = new byte[RECORDS][];
  private final long[] pos = new long[RECORDS];
  private final GroupMetrics metrics = new GroupMetrics();
  private final AtomicLong clock = new AtomicLong();
  private SegmentStore local;
  private SegmentStore healthy;
  private SegmentRepair repair;

  @BeforeEach
  void replicas() {
    System.out.println("SegmentRepairTest seed " + seed);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < RECORDS; i++) {
      payloads[i] = new byte[r.nextInt(1, 50_000)];
      r.nextBytes(payloads[i]);
    }
    for (String replica : List.of("local", "healthy")) {
      try (SegmentStore s = new SegmentStore(dir.resolve(replica), SEGMENT_BYTES, 0)) {
        for (int i = 0; i < RECORDS; i++) {
          pos[i] = s.append(3, 100_000L * i, payloads[i], 0, payloads[i].length);
        }
        s.publish();
      }
    }
  }

  @AfterEach
  void close() {
    if (repair != null) {
      repair.close();
    }
    local.close();
    healthy.close();
  }

  @Test
  void repairsFromTheFirstPeerWithAGoodCopyAndNeverFromADamagedOne() throws Exception {
    int hit = 25;
    flip(dir.resolve("local"), pos[hit] + SegmentStore.HEADER_BYTES + 9);
    open();
    CorruptRecordException damage = readFails(hit);
    Map<String, SegmentRepair.PeerRanges> script = Map.of(
        "down", (p, g, from, to) -> {
          throw new IOException("connection refused");
        },
        "flipsInFlight", (p, g, from, to) -> {
          byte[] b = healthyBytes(from, to);
          b[SegmentStore.HEADER_BYTES + 1] ^= 0x20;
          return new ByteArrayInputStream(b);
        },
        "good", (p, g, from, to) -> new ByteArrayInputStream(healthyBytes(from, to)));
    repair = repair(List.of("down", "flipsInFlight", "good"), script);

    assertThat(repair.request(0, damage)).as("queued: reads answer 503").isTrue();
    assertThat(repair.request(0, damage)).as("the same segment joins the pending repair").isTrue();
    repair.start();

    await().atMost(Duration.ofSeconds(20)).until(() -> count("repaired") == 1);
    assertThat(count("failed")).as("one attempt, seed %d", seed).isZero();
    for (int i = 0; i < RECORDS; i++) {
      byte[] out = new byte[payloads[i].length];
      local.read(pos[i], 3, 100_000L * i, out.length, 0, out, 0, out.length);
      assertThat(out).as("record %d after the repair, seed %d", i, seed).isEqualTo(payloads[i]);
    }
    assertThat(Files.readAllBytes(segment(dir.resolve("local"), pos[hit])))
        .isEqualTo(Files.readAllBytes(segment(dir.resolve("healthy"), pos[hit])));
    assertThat(repair.request(0, damage)).as("reported again later: a new repair finds the segment intact").isTrue();
    await().atMost(Duration.ofSeconds(20)).until(() -> count("intact") == 1);
  }

  @Test
  void withNoGoodCopyReadsSayNoRepairAndAttemptsStopAtTheBound() throws Exception {
    int hit = 5;
    flip(dir.resolve("local"), pos[hit] + SegmentStore.HEADER_BYTES);
    flip(dir.resolve("healthy"), pos[hit] + SegmentStore.HEADER_BYTES + 40); // the peer is damaged there too
    open();
    byte[] before = Files.readAllBytes(segment(dir.resolve("local"), pos[hit]));
    CorruptRecordException damage = readFails(hit);
    repair = repair(List.of("damagedToo"), Map.of("damagedToo", (p, g, from, to) -> {
      healthy.verifiedParts(from, to); // what the peer's export does: refuses its damaged copy
      throw new AssertionError("a damaged copy was served");
    }));
    assertThat(repair.request(0, damage)).isTrue();
    repair.start();

    await().atMost(Duration.ofSeconds(20)).until(() -> count("failed") >= 1);
    assertThat(repair.request(0, damage)).as("an attempt failed: reads answer 500 again").isFalse();
    await().atMost(Duration.ofSeconds(30)).until(() -> count("abandoned") == 1);
    assertThat(count("failed")).isEqualTo(SegmentRepair.ATTEMPTS_MAX);
    assertThat(repair.request(0, damage)).as("abandoned: no new attempt right away").isFalse();
    assertThat(Files.readAllBytes(segment(dir.resolve("local"), pos[hit]))).as("nothing written").isEqualTo(before);
  }

  private void open() {
    local = new SegmentStore(dir.resolve("local"), SEGMENT_BYTES, 0);
    healthy = new SegmentStore(dir.resolve("healthy"), SEGMENT_BYTES, 0);
  }

  /** Peers tried in {@code order}, each answering as {@code script} says; time jumps a minute per look. */
  private SegmentRepair repair(List<String> order, Map<String, SegmentRepair.PeerRanges> script) {
    SegmentRepair.PeerRanges byPeer = (p, g, from, to) -> script.get(p).open(p, g, from, to);
    return new SegmentRepair(g -> local, g -> order, byPeer, dir.resolve("repair"), metrics,
        () -> clock.addAndGet(60_000_000_000L));
  }

  private CorruptRecordException readFails(int i) {
    byte[] out = new byte[payloads[i].length];
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> local.read(pos[i], 3, 100_000L * i, out.length, 0, out, 0, out.length));
    assertThat(t).isInstanceOf(CorruptRecordException.class);
    return (CorruptRecordException) t;
  }

  private byte[] healthyBytes(long from, long to) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (SegmentStore.FilePart p : healthy.verifiedParts(from, to)) {
      try (RandomAccessFile f = new RandomAccessFile(p.file().toFile(), "r")) {
        byte[] b = new byte[(int) p.length()];
        f.seek(p.offset());
        f.readFully(b);
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  private double count(String result) {
    String prefix = "tributary_repairs_total{group=\"0\",result=\"" + result + "\"} ";
    return metrics.scrape().lines().filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).sum();
  }

  private static Path segment(Path replica, long globalPos) throws IOException {
    try (var files = Files.list(replica)) {
      return files.filter(p -> p.toString().endsWith(".seg")).sorted()
          .filter(p -> SegmentStore.baseOf(p) <= globalPos).reduce((a, b) -> b).orElseThrow();
    }
  }

  private static void flip(Path replica, long globalPos) throws IOException {
    Path seg = segment(replica, globalPos);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(globalPos - SegmentStore.baseOf(seg));
      int v = f.read();
      f.seek(globalPos - SegmentStore.baseOf(seg));
      f.write(v ^ 0x08);
    }
  }
}
