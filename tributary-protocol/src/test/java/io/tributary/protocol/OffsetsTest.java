package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Goal: offsets round-trip, sort like their positions, and every malformed form is rejected. */
class OffsetsTest {
  @Test
  void roundTripsAndSortsLexicographically() {
    long seed = Long.getLong("seed", System.nanoTime());
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < 10_000; i++) {
      long a = r.nextLong(0, 9_999_999_999_999_999L);
      long b = r.nextLong(0, 9_999_999_999_999_999L);
      String fa = Offsets.format(a);
      assertThat(fa).as("seed %d", seed).hasSize(Offsets.LENGTH);
      assertThat(Offsets.parse(fa)).as("seed %d", seed).isEqualTo(a);
      assertThat(Integer.signum(fa.compareTo(Offsets.format(b)))).as("seed %d", seed).isEqualTo(Long.signum(a - b));
    }
    assertThat(Offsets.format(0)).isEqualTo("0000000000000000_0000000000000000");
  }

  @Test
  void rejectsMalformedOffsets() {
    for (String bad : new String[] {"", "abc", "0000000000000000-0000000000000000", "000000000000000_00000000000000000",
        "0000000000000000_000000000000000a", " 000000000000000_0000000000000000", "0000000000000000_0000000000000000 ",
        "-1", "now", "../etc/passwd"}) {
      assertThat(Offsets.parse(bad)).as("'%s'", bad).isEqualTo(Offsets.INVALID);
    }
    assertThat(Offsets.parse("9999999999999999_9999999999999999")).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void comparesPositionsWithTheBeginningFirst() {
    assertThat(Offsets.compare("-1", Offsets.format(0))).isNegative();
    assertThat(Offsets.compare(Offsets.format(10), Offsets.format(9))).isPositive();
    assertThat(Offsets.compare(Offsets.format(7), Offsets.format(7))).isZero();
    assertThat(Offsets.isReadable("now")).isTrue();
    assertThat(Offsets.isReadable("0000000000000000_00000000000000x1")).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Offsets.compare("now", Offsets.format(0)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
