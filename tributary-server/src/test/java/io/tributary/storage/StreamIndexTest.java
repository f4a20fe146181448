package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Goal: a record index that forgets a prefix of records keeps answering for the rest, never
 * disturbs a view taken before, never forgets the last record, and gives the memory back.
 * Method: build an index of 1,000 records of 100 bytes (record i at stream offset 100 i and
 * segment position 1,000 i), trim it the way the apply thread does, and check views before and
 * after.
 */
class StreamIndexTest {
  private static final int RECORDS = 1000;

  private static StreamIndex index() {
    StreamIndex idx = new StreamIndex();
    for (int i = 0; i < RECORDS; i++) {
      idx.add(100L * i, 1000L * i);
    }
    return idx;
  }

  @Test
  void trimmableCountsRecordsGoneFromDiskAndWhollyBelowTheLimit() {
    StreamIndex idx = index();
    assertThat(idx.trimmable(0, 1_000_000)).as("no segment gone").isZero();
    assertThat(idx.trimmable(300_000, 1_000_000)).as("records at positions below 300,000").isEqualTo(300);
    assertThat(idx.trimmable(300_000, 25_050)).as("only records ending at or below offset 25,050").isEqualTo(250);
    assertThat(idx.trimmable(300_000, 25_000)).as("record 249 ends exactly at 25,000").isEqualTo(250);
    assertThat(idx.trimmable(300_000, 24_999)).isEqualTo(249);
    assertThat(idx.trimmable(Long.MAX_VALUE, Long.MAX_VALUE)).as("never the last record").isEqualTo(RECORDS - 1);
  }

  @Test
  void aTrimmedIndexAnswersForTheRestAndOldViewsStayIntact() {
    StreamIndex idx = index();
    StreamIndex.View before = idx.view();
    idx.trimFront(600);
    StreamIndex.View after = idx.view();

    assertThat(after.count()).isEqualTo(400);
    assertThat(after.start()).isEqualTo(60_000);
    assertThat(after.locate(59_999)).as("below the start: forgotten").isEqualTo(-1);
    assertThat(after.locate(60_000)).isZero();
    assertThat(after.locate(75_050)).isEqualTo(150);
    assertThat(after.offsets()[150]).isEqualTo(75_000);
    assertThat(after.positions()[150]).isEqualTo(750_000);
    assertThat(after.offsets().length).as("the arrays shrank").isLessThanOrEqualTo(512);
    assertThat(idx.trimmed()).isEqualTo(600);

    assertThat(before.count()).isEqualTo(RECORDS);
    assertThat(before.start()).isZero();
    assertThat(before.locate(150)).isEqualTo(1);
    assertThat(before.positions()[1]).isEqualTo(1000);

    idx.add(100_000, 1_000_000);
    assertThat(idx.view().locate(100_050)).isEqualTo(400);
    assertThat(before.count()).as("appends after a trim do not reach old views").isEqualTo(RECORDS);
    assertThatThrownBy(() -> idx.trimFront(idx.count())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void trimsOnlyWhenAtLeastAsManyRecordsGoAsStay() {
    StreamIndex idx = index();
    assertThat(idx.trimIfWorthIt(400_000, Long.MAX_VALUE)).as("400 would go, 600 stay").isZero();
    assertThat(idx.count()).isEqualTo(RECORDS);
    assertThat(idx.trimIfWorthIt(500_000, Long.MAX_VALUE)).isEqualTo(500);
    assertThat(idx.view().start()).isEqualTo(50_000);
    assertThat(idx.trimIfWorthIt(Long.MAX_VALUE, Long.MAX_VALUE)).isEqualTo(499);
    assertThat(idx.view().count()).isEqualTo(1);
    assertThat(idx.view().start()).as("the last record stays").isEqualTo(99_900);
    assertThat(idx.view().offsets().length).isEqualTo(4);
    assertThat(idx.trimIfWorthIt(Long.MAX_VALUE, Long.MAX_VALUE)).isZero();
  }

  @Test
  void aRestoredTrimmedIndexStartsWhereItWasTrimmed() {
    StreamIndex idx = StreamIndex.restore(new long[] {500, 700}, new long[] {9000, 9100});
    assertThat(idx.view().start()).isEqualTo(500);
    assertThat(idx.view().locate(499)).isEqualTo(-1);
    assertThat(idx.view().locate(650)).isZero();
    idx.add(800, 9200);
    assertThat(idx.view().locate(900)).isEqualTo(2);
    assertThat(StreamIndex.restore(new long[0], new long[0]).view().start()).as("no records").isEqualTo(Long.MAX_VALUE);
  }
}
