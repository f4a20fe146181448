package io.tributary.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.common.StreamKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal: the bytes of Raft entries and replies never change by accident. Entries live in every
 * replica's log (and are re-applied on restart, by whatever build the node runs then), replies
 * cross between nodes of different builds during a rolling upgrade, so a reordered enum or a
 * renumbered command would make replicas read something else than was written.
 *
 * <p>Method: one entry with every command type, and replies with every outcome code, are
 * encoded and compared with golden bytes checked in under {@code src/test/resources/golden/};
 * the golden entries are decoded back, including the older encodings still read (types 9 and 14
 * without a publish deadline). A change to the format is a new version or a new command type
 * with its own golden file, never an edit of an existing one. A command type or outcome number
 * this build does not know is refused ({@link UnknownCommandException}), never skipped.
 */
class CommandCodecGoldenTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final StreamKey K = new StreamKey("b", "s");
  /** outcomes-v1.hex holds a reply with the codes 0..32, the ones that existed when it was written. */
  private static final int LAST_CODE_OF_FIRST_GOLDEN = 32;

  /** One command of every type the encoder writes today, with distinct field values. */
  static List<Command> everyCommand() {
    Command.Producer p = new Command.Producer("prod", 2, 7);
    Command.Append a = new Command.Append(K, "text/plain", new byte[] {1, 2, 3}, 0, false, "seq-1", p, 42);
    return List.of(
        new Command.Create(K, "application/json", 60, null, -1, false, "[1]".getBytes(StandardCharsets.UTF_8), 1, null),
        new Command.Create(new StreamKey("b", "f"), "text/plain", -1, "2030-01-01T00:00:00Z", 1_893_456_000_000L, true,
            new byte[0], 0, new Command.ForkSpec(K, 3, 11, 100, 90, 5, "pin-1")),
        a,
        new Command.Delete(K),
        new Command.Touch(K, 11),
        new Command.PinFork(K, 100, 11, "pin-2", new StreamKey("b", "f2")),
        new Command.UnpinFork(K, 11, "pin-2"),
        new Command.CreateBucket(new StreamKey("b2", "")),
        new Command.DeleteBucket(new StreamKey("b2", "")),
        new Command.PublishSnapshot(K, 11, 64, "text/plain", new byte[] {9}, "sha256:ab", "none", null, 5_000),
        new Command.SetRetention(K, 11, 64),
        new Command.SetAttrs(K, "{\"a\":1}"),
        new Command.AppendBatch(K, "text/plain", new byte[] {4, 5, 6, 7}, new int[] {1, 4}, 0, p),
        new Command.Transaction(new StreamKey("b", "t/"), List.of(a)),
        new Command.ColdChunksPublished(K, 11, 0, 64, 6_000, false),
        new Command.ColdChunksPublished(K, 11, 64, 128, 7_000, true),
        new Command.ColdGarbageCollected(K, List.of("k1", "k2")),
        new Command.Nop(K));
  }

  /** The limits a leader stamps into an entry (batch version 2), as the defaults are today. */
  private static final Limits LIMITS = new Limits(1000, 86_400_000L, 1_000_000, 10_000);
  private static final long NOW = 1_700_000_000_000L;

  /** Type 20, the Stream-Incarnation precondition, around each command it may guard. */
  static List<Command> guarded() {
    return everyCommand().stream().filter(c -> c instanceof Command.Create cr && cr.fork() == null
        || c instanceof Command.Append || c instanceof Command.Delete || c instanceof Command.PublishSnapshot
        || c instanceof Command.SetRetention).map(c -> (Command) new Command.IfIncarnation(c.key(), 11, c)).toList();
  }

  @Test
  void everyCommandTypeEncodesToItsGoldenBytes() throws IOException {
    List<Command> all = new ArrayList<>(everyCommand());
    all.addAll(guarded());
    byte[] entry = CommandCodec.encode(NOW, LIMITS, all, 0);
    assertThat(HEX.formatHex(entry)).as("entry with every command type (batch version 2)")
        .isEqualTo(golden("commands-v2.hex"));
    CommandCodec.Batch back = CommandCodec.decode(ByteBuffer.wrap(entry));
    assertThat(back.nowMillis()).isEqualTo(NOW);
    assertThat(back.limits()).isEqualTo(LIMITS);
    assertThat(HEX.formatHex(CommandCodec.encode(back.nowMillis(), back.limits(), back.commands(), 0)))
        .as("decode then encode is the identity").isEqualTo(golden("commands-v2.hex"));
  }

  /**
   * Entries written before the limits were stamped (batch version 1) are still in logs and are
   * re-applied on restart: they decode to the same commands, with no limits.
   */
  @Test
  void version1EntriesStillDecode() throws IOException {
    Map<String, List<Command>> files = Map.of("commands-v1.hex", everyCommand(), "commands-v1-type-20.hex", guarded());
    for (Map.Entry<String, List<Command>> f : files.entrySet()) {
      CommandCodec.Batch b = CommandCodec.decode(ByteBuffer.wrap(HEX.parseHex(golden(f.getKey()))));
      assertThat(b.nowMillis()).as(f.getKey()).isEqualTo(NOW);
      assertThat(b.limits()).as(f.getKey()).isEqualTo(Limits.UNSTAMPED);
      assertThat(HEX.formatHex(CommandCodec.encode(NOW, Limits.UNSTAMPED, b.commands(), 0)))
          .as("%s decodes to the same commands", f.getKey())
          .isEqualTo(HEX.formatHex(CommandCodec.encode(NOW, Limits.UNSTAMPED, f.getValue(), 0)));
    }
  }

  /**
   * A cluster with a voter still at feature level 1 writes exactly what a level-1 build wrote
   * (batch version 1, no limits), and never a {@code Stream-Incarnation} guard.
   */
  @Test
  void atFeatureLevel1EntriesAreWrittenAsVersion1() throws IOException {
    byte[] entry = CommandCodec.encode(NOW, FeatureLevel.BASE, LIMITS, everyCommand(), 0);
    assertThat(HEX.formatHex(entry)).isEqualTo(golden("commands-v1.hex"));
    assertThatThrownBy(() -> CommandCodec.encode(NOW, FeatureLevel.BASE, LIMITS, guarded(), 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("feature level");
    byte[] announce = CommandCodec.encode(NOW, FeatureLevel.BASE, LIMITS,
        List.of(new Command.AnnounceFeatures(new StreamKey("", ""), "n1", 2)), 0);
    assertThat(HEX.formatHex(announce)).as("type 21 at level 1").isEqualTo(golden("commands-v1-type-21.hex"));
    Command.AnnounceFeatures back = (Command.AnnounceFeatures) CommandCodec.decode(ByteBuffer.wrap(announce))
        .commands().get(0);
    assertThat(back.nodeId()).isEqualTo("n1");
    assertThat(back.level()).isEqualTo(2);
  }

  /** Types 9 (snapshot) and 14 (cold chunk) were written before the publish deadline existed. */
  @Test
  void olderCommandEncodingsStillDecode() throws IOException {
    CommandCodec.Batch b = CommandCodec.decode(ByteBuffer.wrap(HEX.parseHex(golden("commands-v1-types-9-14.hex"))));
    assertThat(b.commands()).hasSize(2);
    Command.PublishSnapshot s = (Command.PublishSnapshot) b.commands().get(0);
    assertThat(s.publishByMillis()).isEqualTo(Long.MAX_VALUE);
    assertThat(s.digest()).isEqualTo("sha256:ab");
    Command.ColdChunksPublished c = (Command.ColdChunksPublished) b.commands().get(1);
    assertThat(c.publishByMillis()).isEqualTo(Long.MAX_VALUE);
    assertThat(c.end()).isEqualTo(64);
  }

  /** Outcome codes travel as fixed numbers: this table is the contract (append, never renumber). */
  @Test
  void outcomeCodesKeepTheirNumbers() throws IOException {
    Map<Outcome.Code, Integer> numbers = new LinkedHashMap<>();
    for (String line : golden("outcome-codes.txt").split("\n")) {
      String[] kv = line.trim().split("=");
      numbers.put(Outcome.Code.valueOf(kv[0]), Integer.parseInt(kv[1]));
    }
    for (Outcome.Code c : Outcome.Code.values()) {
      assertThat(numbers).as("outcome code %s must be in golden/outcome-codes.txt", c).containsKey(c);
      assertThat(c.wire()).as("wire number of %s", c).isEqualTo(numbers.get(c));
      assertThat(Outcome.Code.fromWire(c.wire())).isEqualTo(c);
    }
    List<Outcome> all = new ArrayList<>();
    for (Outcome.Code c : Outcome.Code.values()) {
      if (c.wire() > LAST_CODE_OF_FIRST_GOLDEN) {
        continue; // later codes: the number table above is their contract
      }
      all.add(Outcome.tail(c, 10 + c.wire(), c.wire() % 2 == 0).withMessage("m" + c.wire()));
    }
    byte[] reply = CommandCodec.encodeOutcomes(all);
    assertThat(HEX.formatHex(reply)).as("a reply with every outcome code").isEqualTo(golden("outcomes-v1.hex"));
    List<Outcome> back = CommandCodec.decodeOutcomes(ByteBuffer.wrap(reply));
    assertThat(back).extracting(Outcome::code).containsExactlyElementsOf(all.stream().map(Outcome::code).toList());
  }

  @Test
  void unknownCommandTypesAndVersionsAreRefusedNotSkipped() throws IOException {
    byte[] entry = HEX.parseHex(golden("commands-v1-types-9-14.hex"));
    byte[] unknownType = entry.clone();
    unknownType[1 + 8 + 4] = (byte) 200; // version 1: version u8, now i64, count i32, then the first type
    assertThatThrownBy(() -> CommandCodec.decode(ByteBuffer.wrap(unknownType)))
        .isInstanceOf(UnknownCommandException.class).hasMessageContaining("command type 200");
    byte[] unknownVersion = entry.clone();
    unknownVersion[0] = 9;
    assertThatThrownBy(() -> CommandCodec.decode(ByteBuffer.wrap(unknownVersion)))
        .isInstanceOf(UnknownCommandException.class).hasMessageContaining("version 9");
    assertThatThrownBy(() -> Outcome.Code.fromWire(250)).isInstanceOf(UnknownCommandException.class);
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = CommandCodecGoldenTest.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new AssertionError("missing golden file src/test/resources/golden/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
    }
  }
}
