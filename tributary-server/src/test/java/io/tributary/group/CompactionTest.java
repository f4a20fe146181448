package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.state.GroupState;
import io.tributary.state.StreamView;
import io.tributary.state.TestGroups;
import io.tributary.storage.CorruptRecordException;
import io.tributary.storage.SegmentStore;
import io.tributary.storage.StreamReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: garbage interleaved with live records in sealed segments goes back to the file system
 * (compaction), while every live byte stays where it was: it reads back identically, after a
 * reopen too, the scrub finds nothing, and no compaction happens before two snapshots both see
 * the garbage.
 *
 * <p>Method: one group on 1 MiB segments, driven through {@link TestGroups#apply}. Four "doomed"
 * streams and one "live" stream take 1,000-byte appends round-robin (live one in every five
 * rounds), about 5.5 MiB; then the doomed ones are deleted. {@link Reclaim#pass} runs with time
 * passed in and an {@link Reclaim.Upkeep} that takes snapshots as the state machine does (sync,
 * mark the end). Disk use is the files' allocated blocks ({@code stat %b}), not their sizes, which
 * compaction keeps. With compaction off (percent 0) the same story reclaims nothing: that is what
 * the first assertion of the story catches.
 *
 * <p>Repair across copies that compacted differently: the same group's segments copied before
 * compaction make a plain peer; damage two live records of one segment (with garbage between
 * them) in one copy and repair it from the other, both ways; the segment's damage is gone and
 * the live bytes equal on both.
 */
class CompactionTest {
  private static final int RECORD = 1000;
  private static final int ROUNDS = 1100;
  private static final int DOOMED = 4;

  @TempDir
  Path dir;

  private static void apply(GroupState g, Command c) {
    TestGroups.apply(g, 1, c);
  }

  private static byte[] payload(SplittableRandom r) {
    byte[] b = new byte[RECORD];
    r.nextBytes(b);
    return b;
  }

  /** Writes the interleaved streams; returns the live stream's expected bytes. */
  private static byte[] writeInterleaved(GroupState g, StreamKey live, List<StreamKey> doomed) {
    SplittableRandom r = new SplittableRandom(42);
    apply(g, new Command.Create(live, "application/octet-stream", -1, null, -1, false, new byte[0], 0, null));
    for (StreamKey k : doomed) {
      apply(g, new Command.Create(k, "application/octet-stream", -1, null, -1, false, new byte[0], 0, null));
    }
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    for (int round = 0; round < ROUNDS; round++) {
      for (StreamKey k : doomed) {
        apply(g, new Command.Append(k, "application/octet-stream", payload(r), 0, false, null, null));
      }
      if (round % 5 == 0) {
        byte[] b = payload(r);
        expected.writeBytes(b);
        apply(g, new Command.Append(live, "application/octet-stream", b, 0, false, null, null));
      }
    }
    return expected.toByteArray();
  }

  private static byte[] readAll(SegmentStore store, StreamView v) {
    return StreamReader.read(store, v.streamId(), v.index(), v.tail(), 0, v.tail(), false);
  }

  /** Bytes the file system allocated to the segment files (what {@code du} counts). */
  static long allocatedBytes(Path segments) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("stat", "-c", "%b %B"));
    try (var files = Files.list(segments)) {
      files.filter(p -> p.toString().endsWith(".seg")).forEach(p -> cmd.add(p.toString()));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    assertThat(p.waitFor()).as("stat: %s", out).isZero();
    long sum = 0;
    for (String line : out.strip().split("\n")) {
      String[] f = line.trim().split(" ");
      sum += Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }
    return sum;
  }

  private static Reclaim reclaimOn(GroupState g, int percent, List<String> asked) {
    return new Reclaim(1, i -> g, 1000, percent, () -> io.tributary.state.FeatureLevel.CURRENT, new GroupMetrics(),
        new Reclaim.Upkeep() {
      @Override
      public void requestSnapshot(int group) {
        asked.add("snapshot");
        g.store().sync();
        g.store().markSnapshotEnd(g.store().end());
      }

      @Override
      public void commitNop(int group) {
        asked.add("nop");
        apply(g, new Command.Nop(new StreamKey("", "")));
      }
    });
  }

  @Test
  void interleavedGarbageIsReclaimedAndLiveBytesStay() throws Exception {
    Path segments = dir.resolve("g");
    GroupState g = TestGroups.on(new SegmentStore(segments, 1 << 20, 0));
    StreamKey live = new StreamKey("default", "live");
    List<StreamKey> doomed = new ArrayList<>();
    for (int i = 0; i < DOOMED; i++) {
      doomed.add(new StreamKey("default", "doomed-" + i));
    }
    byte[] expected = writeInterleaved(g, live, doomed);
    SegmentStore store = g.store();
    store.sync();
    long[] bases = store.segmentBases();
    assertThat(bases.length).as("several sealed segments").isGreaterThanOrEqualTo(5);
    long sealedEnd = bases[bases.length - 1];
    long allocatedBefore = allocatedBytes(segments);
    long deletedInSealed = 0;
    for (StreamKey k : doomed) {
      StreamView v = g.view(k);
      for (int i = 0; i < v.index().count(); i++) {
        if (v.index().positions()[i] < sealedEnd) {
          deletedInSealed += SegmentStore.HEADER_BYTES + RECORD;
        }
      }
      apply(g, new Command.Delete(k));
    }

    List<String> asked = new ArrayList<>();
    Reclaim reclaim = reclaimOn(g, 50, asked);
    assertThat(reclaim.pass(0)).as("no snapshot taken since the garbage was seen: nothing compacted").isZero();
    assertThat(allocatedBytes(segments)).isEqualTo(allocatedBefore);
    long reclaimed = 0;
    for (int pass = 1; pass <= 6; pass++) {
      reclaimed += reclaim.pass(pass * 2_000_000_000L);
    }
    long allocatedAfter = allocatedBytes(segments);
    System.out.printf("CompactionTest: allocated %,d -> %,d bytes; %,d deleted bytes in sealed segments; "
        + "%,d bytes reported in holes%n", allocatedBefore, allocatedAfter, deletedInSealed, reclaimed);
    // (1) the blocks went back: most of the deleted bytes (a block holding a live byte or a padding header stays allocated)
    assertThat(allocatedBefore - allocatedAfter).as("allocated bytes given back")
        .isGreaterThan(deletedInSealed * 7 / 10);
    assertThat(reclaimed).as("bytes reported in holes").isGreaterThan(deletedInSealed * 9 / 10);
    assertThat(asked).as("it asked for the two snapshots it needed").contains("snapshot", "nop");
    assertThat(Files.size(segments.resolve(SegmentStore.fileName(bases[1])))).as("sizes unchanged")
        .isEqualTo(bases[2] - bases[1]);
    // (2) every live byte reads back from disk identically
    assertThat(readAll(store, g.view(live))).isEqualTo(expected);
    // (4) the scrub walks every segment, stepping over the padding, and finds nothing
    List<CorruptRecordException> damage = new ArrayList<>();
    for (long at = 0; at < store.publishedEnd(); ) {
      at = store.scrub(at, Long.MAX_VALUE, b -> { }, damage::add);
    }
    assertThat(damage).isEmpty();
    assertThat(SegmentStore.verifyFile(segments.resolve(SegmentStore.fileName(bases[1])), bases[1],
        bases[2] - bases[1])).as("a compacted segment verifies whole (snapshot export)").isEqualTo(bases[2] - bases[1]);
    assertThat(reclaim.pass(20_000_000_000L)).as("nothing left to compact").isZero();
    reclaim.close();

    // (3) reopened (a restart's view of the files): the same bytes at the same positions
    StreamView liveView = g.view(live);
    store.close();
    try (SegmentStore reopened = new SegmentStore(segments, 1 << 20, 0)) {
      assertThat(readAll(reopened, liveView)).isEqualTo(expected);
      assertThat(reopened.end()).isEqualTo(store.end());
    }
  }

  /** Writes the story, deletes the doomed streams and compacts; returns the group. */
  private GroupState compacted(Path segments, Path plainCopy, StreamKey live) throws Exception {
    GroupState g = TestGroups.on(new SegmentStore(segments, 1 << 20, 0));
    List<StreamKey> doomed = new ArrayList<>();
    for (int i = 0; i < DOOMED; i++) {
      doomed.add(new StreamKey("default", "doomed-" + i));
    }
    writeInterleaved(g, live, doomed);
    g.store().sync();
    Files.createDirectories(plainCopy);
    try (var files = Files.list(segments)) {
      for (Path f : files.toList()) {
        Files.copy(f, plainCopy.resolve(f.getFileName()));
      }
    }
    for (StreamKey k : doomed) {
      apply(g, new Command.Delete(k));
    }
    Reclaim reclaim = reclaimOn(g, 50, new ArrayList<>());
    for (int pass = 1; pass <= 6; pass++) {
      reclaim.pass(pass * 2_000_000_000L);
    }
    reclaim.close();
    return g;
  }

  private static void flip(Path segments, long globalPos) throws IOException {
    long base = -1;
    try (var files = Files.list(segments)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".seg")).toList()) {
        long b = SegmentStore.baseOf(f);
        if (b <= globalPos && b > base) {
          base = b;
        }
      }
    }
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(segments.resolve(SegmentStore.fileName(base)).toFile(),
        "rw")) {
      f.seek(globalPos - base);
      int v = f.read();
      f.seek(globalPos - base);
      f.write(v ^ 0x08);
    }
  }

  /** What a peer's export sends for {@code [from, to)}, as the repairing node stores it. */
  private static Path peerCopy(SegmentStore peer, long from, long to, Path into) throws IOException {
    try (var out = Files.newOutputStream(into)) {
      for (SegmentStore.FilePart p : peer.verifiedParts(from, to)) {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.file().toFile(), "r")) {
          byte[] b = new byte[(int) p.length()];
          f.seek(p.offset());
          f.readFully(b);
          out.write(b);
        }
      }
    }
    return into;
  }

  @Test
  void repairWorksBetweenACompactedAndAPlainCopy() throws Exception {
    Path segments = dir.resolve("g");
    Path plainDir = dir.resolve("plain");
    StreamKey live = new StreamKey("default", "live");
    GroupState g = compacted(segments, plainDir, live);
    SegmentStore store = g.store();
    long[] bases = store.segmentBases();
    StreamView v = g.view(live);
    // two live records in the second segment, with garbage (compacted here, records there) between
    long[] in = java.util.Arrays.stream(v.index().positions(), 0, v.index().count())
        .filter(p -> p >= bases[1] && p + SegmentStore.HEADER_BYTES + RECORD <= bases[2]).toArray();
    assertThat(in.length).isGreaterThanOrEqualTo(3);
    long first = in[0];
    long last = in[in.length - 1];
    byte[] expected = readAll(store, v);
    try (SegmentStore plain = new SegmentStore(plainDir, 1 << 20, 0)) {
      assertThat(readAll(plain, v)).isEqualTo(expected);

      // the compacted copy damaged, the plain one the peer: its records over our padding are not taken
      flip(segments, first + SegmentStore.HEADER_BYTES + 7);
      flip(segments, last + SegmentStore.HEADER_BYTES + 9);
      var damage = store.damageAround(first);
      assertThat(damage.records()).hasSize(2);
      assertThat(store.patch(peerCopy(plain, damage.from(), damage.to(), dir.resolve("a.part")), damage.from(),
          damage.to())).as("records rewritten").isEqualTo(2);
      assertThat(store.damageAround(first).intact()).isTrue();
      assertThat(readAll(store, v)).isEqualTo(expected);

      // the plain copy damaged, the compacted one the peer: its padding is garbage to it, not a divergence
      flip(plainDir, first + SegmentStore.HEADER_BYTES + 3);
      flip(plainDir, last + SegmentStore.HEADER_BYTES + 5);
      damage = plain.damageAround(first);
      assertThat(damage.records()).hasSize(2);
      assertThat(plain.patch(peerCopy(store, damage.from(), damage.to(), dir.resolve("b.part")), damage.from(),
          damage.to())).isEqualTo(2);
      assertThat(plain.damageAround(first).intact()).isTrue();
      assertThat(readAll(plain, v)).isEqualTo(expected);
    }
  }

  /**
   * An entry being applied has written records (into segments that are sealed by the time the
   * reclaim thread looks) whose views it has not published yet: no view lists them, but they are
   * live. Compaction plans only segments below the store's settled end, so they stay.
   */
  @Test
  void recordsOfAnEntryStillBeingAppliedAreNotGarbage() throws Exception {
    Path segments = dir.resolve("g");
    GroupState g = TestGroups.on(new SegmentStore(segments, 1 << 20, 0));
    StreamKey live = new StreamKey("default", "live");
    List<StreamKey> doomed = List.of(new StreamKey("default", "doomed-0"), new StreamKey("default", "doomed-1"));
    writeInterleaved(g, live, doomed);
    for (StreamKey k : doomed) {
      apply(g, new Command.Delete(k));
    }
    SegmentStore store = g.store();
    // the entry in flight: begun, 2.5 MiB of records written and published to readers, views not yet
    store.beginEntry();
    byte[] payload = new byte[100_000];
    new SplittableRandom(7).nextBytes(payload);
    List<Long> inFlight = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      inFlight.add(store.append(999, (long) i * payload.length, payload, 0, payload.length));
    }
    store.publish();
    List<String> asked = new ArrayList<>();
    Reclaim reclaim = new Reclaim(1, i -> g, 1000, 50, () -> io.tributary.state.FeatureLevel.CURRENT,
        new GroupMetrics(), new Reclaim.Upkeep() {
          @Override
          public void requestSnapshot(int group) {
            asked.add("snapshot"); // no Nop: nothing may finish the entry in flight
            store.sync();
            store.markSnapshotEnd(store.end());
          }

          @Override
          public void commitNop(int group) {
          }
        });
    long reclaimed = 0;
    for (int pass = 1; pass <= 6; pass++) {
      reclaimed += reclaim.pass(pass * 2_000_000_000L);
    }
    reclaim.close();
    assertThat(reclaimed).as("the settled segments were compacted").isPositive();
    byte[] out = new byte[payload.length];
    for (int i = 0; i < inFlight.size(); i++) {
      long pos = inFlight.get(i);
      store.read(pos, 999, (long) i * payload.length, payload.length, 0, out, 0, out.length);
      assertThat(out).as("record at %d of the entry in flight", pos).isEqualTo(payload);
    }
    assertThat(readAll(store, g.view(live))).hasSize(ROUNDS / 5 * RECORD);
  }

  @Test
  void withCompactionOffNothingInterleavedIsReclaimed() throws Exception {
    Path segments = dir.resolve("g");
    GroupState g = TestGroups.on(new SegmentStore(segments, 1 << 20, 0));
    StreamKey live = new StreamKey("default", "live");
    List<StreamKey> doomed = List.of(new StreamKey("default", "doomed-0"), new StreamKey("default", "doomed-1"));
    writeInterleaved(g, live, doomed);
    g.store().sync();
    long allocatedBefore = allocatedBytes(segments);
    for (StreamKey k : doomed) {
      apply(g, new Command.Delete(k));
    }
    Reclaim reclaim = reclaimOn(g, 0, new ArrayList<>());
    for (int pass = 0; pass <= 6; pass++) {
      assertThat(reclaim.pass(pass * 2_000_000_000L)).isZero();
    }
    assertThat(allocatedBytes(segments)).as("whole-segment reclamation alone gives nothing back")
        .isEqualTo(allocatedBefore);
    reclaim.close();
  }
}
