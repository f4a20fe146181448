package io.tributary.cluster;

import io.tributary.common.Offsets;
import io.tributary.testing.StreamClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Reads a stream from every node of a converged cluster and compares the replicas with each other
 * and with the producer's ledger: every node must serve exactly the acknowledged appends, in
 * order, each once (byte for byte: the bodies are distinct and self-describing), with the tail at
 * the last one's end; and a read from a sample of acknowledged end offsets must start, on every
 * node, exactly with the next acknowledged append (or be empty and up to date at the tail).
 * {@link #checkSegmentFiles} compares the replicas below the HTTP layer: the data segment files
 * themselves, byte for byte. That holds only while no replica compacted a segment (compaction is
 * local: garbage runs become padding at different times on different replicas), so it suits
 * stories without deleted, expired or trimmed data; {@code CompactionClusterTest} compares the
 * records two replicas both hold instead.
 *
 * <p>Each read goes through the node's read barrier (followers confirm the leader's commit index
 * first), so it is a read of the replicated state, not of a stale local view. Diverging replicas
 * are reported as such (which node, where they part) before any comparison with the ledger, so a
 * failure tells divergence from lost or duplicated data.
 *
 * <p>Threads: stateless apart from its client; call only after the writers stopped.
 */
final class ReplicaVerifier {
  private static final int MAX_CHUNKS = 100_000;
  private static final int OFFSET_SAMPLES = 8;

  private final ClusterNodes cluster;
  private final StreamClient client;
  private final String context;

  ReplicaVerifier(ClusterNodes cluster, StreamClient client, String context) {
    this.cluster = cluster;
    this.client = client;
    this.context = context;
  }

  /** Checks one stream on every node; returns the number of end-offset reads done. */
  int check(ProducerLedger s, long sampleSeed) throws IOException, InterruptedException {
    byte[] expected = s.expectedContent();
    List<byte[]> replicas = new ArrayList<>();
    List<String> tails = new ArrayList<>();
    for (ClusterNodes.Member m : cluster.members()) {
      List<StreamClient.Chunk> chunks = client.readAll(m.baseUrl(), s.name, MAX_CHUNKS);
      ByteArrayOutputStream out = new ByteArrayOutputStream(expected.length);
      chunks.forEach(c -> out.writeBytes(c.body()));
      replicas.add(out.toByteArray());
      tails.add(chunks.get(chunks.size() - 1).nextOffset());
    }
    for (int i = 1; i < replicas.size(); i++) {
      if (!Arrays.equals(replicas.get(0), replicas.get(i))) {
        int at = Arrays.mismatch(replicas.get(0), replicas.get(i));
        throw new AssertionError("replicas diverge: " + s.name + " is " + replicas.get(0).length + " bytes at "
            + cluster.member(0).id() + " and " + replicas.get(i).length + " bytes at " + cluster.member(i).id()
            + ", first difference at stream byte " + at + " (" + s.locate(at) + "); " + s + " [" + context + "]");
      }
    }
    byte[] actual = replicas.get(0);
    if (!Arrays.equals(actual, expected)) {
      int at = Arrays.mismatch(actual, expected);
      throw new AssertionError("all replicas agree, but " + s.name + " holds " + actual.length + " bytes where the"
          + " acknowledged appends are " + expected.length + "; first difference at stream byte " + at + " "
          + s.locate(at) + ": found '" + printable(actual, at, 48) + "'; " + s + " [" + context + "]");
    }
    String tail = Offsets.format(expected.length);
    for (int i = 0; i < tails.size(); i++) {
      if (!tail.equals(tails.get(i))) {
        throw new AssertionError(s.name + " at " + cluster.member(i).id() + ": tail offset " + tails.get(i)
            + ", expected " + tail + " [" + context + "]");
      }
    }
    return checkSampledOffsets(s, expected, new SplittableRandom(sampleSeed));
  }

  /**
   * Every group's data segment files hold the same bytes on every node (read from the data
   * directories: call only while no node writes, e.g. after convergence with the writers stopped).
   */
  void checkSegmentFiles(int groups) throws IOException {
    for (int g = 0; g < groups; g++) {
      String dir = String.format("groups/g%03d/segments", g);
      Path reference = cluster.process(0).dataDir().resolve(dir);
      List<Path> names;
      try (Stream<Path> files = Files.list(reference)) {
        names = files.map(Path::getFileName).sorted().toList();
      }
      for (int n = 1; n < cluster.size(); n++) {
        for (Path name : names) {
          byte[] copy = Files.readAllBytes(cluster.process(n).dataDir().resolve(dir).resolve(name));
          byte[] original = Files.readAllBytes(reference.resolve(name));
          if (!Arrays.equals(copy, original)) {
            throw new AssertionError(dir + "/" + name + " differs on " + cluster.member(n).id() + " and "
                + cluster.member(0).id() + " (" + copy.length + " and " + original.length + " bytes, first difference at "
                + Arrays.mismatch(copy, original) + ") [" + context + "]");
          }
        }
      }
    }
  }

  private int checkSampledOffsets(ProducerLedger s, byte[] expected, SplittableRandom random)
      throws IOException, InterruptedException {
    List<ProducerLedger.Ack> withOffsets = s.acked.stream().filter(a -> a.endOffset() != null).toList();
    if (withOffsets.isEmpty()) {
      return 0;
    }
    List<ProducerLedger.Ack> sample = new ArrayList<>();
    sample.add(withOffsets.get(withOffsets.size() - 1)); // the tail case is always covered
    for (int k = 0; k < OFFSET_SAMPLES - 1; k++) {
      sample.add(withOffsets.get(random.nextInt(withOffsets.size())));
    }
    int reads = 0;
    for (ProducerLedger.Ack a : sample) {
      for (ClusterNodes.Member m : cluster.members()) {
        StreamClient.Chunk c = client.readAvailable(m.baseUrl(), s.name, a.endOffset());
        reads++;
        String what = s.name + " at " + m.id() + " from seq " + a.seq() + "'s end offset " + a.endOffset();
        if (c.status() != 200) {
          throw new AssertionError(what + ": status " + c.status() + " [" + context + "]");
        }
        int n = c.body().length;
        if (a.endByte() == expected.length) {
          if (n != 0 || !c.upToDate()) {
            throw new AssertionError(what + ": the last append must end at the tail, but " + n + " bytes follow"
                + " (up to date: " + c.upToDate() + ") [" + context + "]");
          }
          continue;
        }
        byte[] want = Arrays.copyOfRange(expected, (int) a.endByte(), (int) Math.min(expected.length, a.endByte() + n));
        if (n == 0 || !Arrays.equals(c.body(), want)) {
          throw new AssertionError(what + ": " + n + " bytes that do not start with seq " + (a.seq() + 1) + " ('"
              + printable(c.body(), 0, 48) + "'); the acknowledged offset is not where the append ended ["
              + context + "]");
        }
      }
    }
    return reads;
  }

  private static String printable(byte[] b, int from, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = Math.max(0, from); i < b.length && i < from + max; i++) {
      int c = b[i] & 0xff;
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
    }
    return sb.toString();
  }
}
