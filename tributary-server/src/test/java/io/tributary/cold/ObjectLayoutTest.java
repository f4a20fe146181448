package io.tributary.cold;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Goal: the orphan sweep only ever judges keys Tributary itself writes, and reads the right owner
 * (group, stream) and content out of them. Method: build keys, parse them back, and feed the
 * parser near misses that must not count as ours.
 */
class ObjectLayoutTest {
  private static final String HEX = "0123456789abcdef".repeat(4);

  @Test
  void keysParseBackToWhatTheyHold() {
    assertThat(ObjectLayout.parse(ObjectLayout.chunkKey(7, 42, 0, 4_194_304)))
        .isEqualTo(new ObjectLayout.Chunk(7, 42, 0, 4_194_304));
    assertThat(ObjectLayout.parse(ObjectLayout.snapshotKey(255, Long.MAX_VALUE, 12, HEX)))
        .isEqualTo(new ObjectLayout.SnapshotBlob(255, Long.MAX_VALUE, 12, HEX));
    assertThat(ObjectLayout.chunkKey(7, 42, 0, 10)).startsWith(ObjectLayout.chunkGroupPrefix(7))
        .startsWith(ObjectLayout.chunkStreamPrefix(7, 42));
    assertThat(ObjectLayout.snapshotKey(7, 42, 0, HEX)).startsWith(ObjectLayout.snapshotGroupPrefix(7));
    assertThat(ObjectLayout.chunkKey(70, 1, 0, 1)).as("group 70 is not under group 7's prefix")
        .doesNotStartWith(ObjectLayout.chunkGroupPrefix(7));
  }

  @Test
  void nearMissesAreNotOurs() {
    String id = "s00000000000000000042";
    String range = "00000000000000000000-00000000000000000010";
    assertThat(ObjectLayout.parse("g007/" + id + "/" + range + ".chunk")).isNotNull();
    for (String k : new String[] {
        "g07/" + id + "/" + range + ".chunk",
        "g007/s0000000000000000042/" + range + ".chunk",
        "g007/" + id + "/" + range + ".chunk.tmp",
        "g007/" + id + "/" + range + ".blob",
        "x/g007/" + id + "/" + range + ".chunk",
        "g007/" + id + "/sub/" + range + ".chunk",
        "g007/s99999999999999999999/" + range + ".chunk",
        "g007/README",
        "snapshots/g007/" + id + "/00000000000000000000-" + HEX.toUpperCase() + ".blob",
        "snapshots/g007/" + id + "/00000000000000000000-" + HEX.substring(1) + ".blob",
        "snapshots/g007/" + id + "/00000000000000000000-" + HEX + ".chunk"}) {
      assertThat(ObjectLayout.parse(k)).as(k).isNull();
    }
  }
}
