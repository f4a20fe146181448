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

  @Test
  void everyCommandTypeEncodesToItsGoldenBytes() throws IOException {
    byte[] entry = CommandCodec.encode(1_700_000_000_000L, everyCommand(), 0);
    assertThat(HEX.formatHex(entry)).as("entry with every command type (version 1)").isEqualTo(golden("commands-v1.hex"));
    CommandCodec.Batch back = CommandCodec.decode(ByteBuffer.wrap(HEX.parseHex(golden("commands-v1.hex"))));
    assertThat(back.nowMillis()).isEqualTo(1_700_000_000_000L);
    assertThat(back.commands()).hasSize(everyCommand().size());
    assertThat(HEX.formatHex(CommandCodec.encode(back.nowMillis(), back.commands(), 0)))
        .as("decode then encode is the identity").isEqualTo(golden("commands-v1.hex"));
  }

  /** Type 20, the Stream-Incarnation precondition, around each command it may guard. */
  @Test
  void incarnationGuardEncodesToItsGoldenBytes() throws IOException {
    List<Command> guarded = everyCommand().stream().filter(c -> c instanceof Command.Create cr && cr.fork() == null
        || c instanceof Command.Append || c instanceof Command.Delete || c instanceof Command.PublishSnapshot
        || c instanceof Command.SetRetention).map(c -> (Command) new Command.IfIncarnation(c.key(), 11, c)).toList();
    assertThat(guarded).hasSize(5);
    byte[] entry = CommandCodec.encode(1_700_000_000_000L, guarded, 0);
    assertThat(HEX.formatHex(entry)).as("entry of guarded commands").isEqualTo(golden("commands-v1-type-20.hex"));
    CommandCodec.Batch back = CommandCodec.decode(ByteBuffer.wrap(entry));
    assertThat(back.commands()).allSatisfy(c -> assertThat(c).isInstanceOf(Command.IfIncarnation.class));
    assertThat(HEX.formatHex(CommandCodec.encode(back.nowMillis(), back.commands(), 0))).isEqualTo(HEX.formatHex(entry));
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
      all.add(Outcome.tail(c, 10 + c.wire(), c.wire() % 2 == 0).withMessage("m" + c.wire()));
    }
    byte[] reply = CommandCodec.encodeOutcomes(all);
    assertThat(HEX.formatHex(reply)).as("a reply with every outcome code").isEqualTo(golden("outcomes-v1.hex"));
    List<Outcome> back = CommandCodec.decodeOutcomes(ByteBuffer.wrap(reply));
    assertThat(back).extracting(Outcome::code).containsExactly(Outcome.Code.values());
  }

  @Test
  void unknownCommandTypesAndVersionsAreRefusedNotSkipped() {
    byte[] entry = CommandCodec.encode(1, List.of(new Command.Delete(K)), 0);
    byte[] unknownType = entry.clone();
    unknownType[1 + 8 + 4] = (byte) 200; // version u8, now i64, count i32, then the first type
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
