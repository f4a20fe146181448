package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Goal: {@link StalledFollowerWatch} nudges exactly the follower that keeps answering without
 * progress while the leader has entries for it, and no other: not one that progresses, not one
 * that is caught up, not one that is silent, and not one that just came back from being silent.
 * Method: feed it observations at explicit times (no clock), one per 100 ms.
 */
class StalledFollowerWatchTest {
  private static final long MS = 1_000_000L;
  private static final long STALL = 5_000 * MS;
  private static final long SILENT = 1_000 * MS;
  private static final long STEP = 100 * MS;

  private final StalledFollowerWatch watch = new StalledFollowerWatch(STALL, SILENT);

  @Test
  void aFollowerThatAnswersWithoutProgressIsNudgedAfterTheStallTimeThenEveryStallTime() {
    long firstNudge = -1;
    int nudges = 0;
    for (long t = 0; t <= 12_000 * MS; t += STEP) {
      if (watch.shouldNudge(t, 465, 900, 50 * MS)) {
        nudges++;
        if (firstNudge < 0) {
          firstNudge = t;
        }
      }
    }
    assertThat(firstNudge).isEqualTo(STALL);
    assertThat(nudges).as("nudges at 5 s and 10 s").isEqualTo(2);
  }

  @Test
  void aFollowerWhoseMatchIndexMovesIsNeverNudged() {
    long match = 100;
    for (long t = 0; t <= 30_000 * MS; t += STEP) {
      if (t % (4_000 * MS) == 0) {
        match++; // slow, but progressing: one step every 4 s
      }
      assertThat(watch.shouldNudge(t, match, 10_000, 50 * MS)).as("at %d ms", t / MS).isFalse();
    }
  }

  @Test
  void aCaughtUpFollowerIsNeverNudged() {
    for (long t = 0; t <= 30_000 * MS; t += STEP) {
      assertThat(watch.shouldNudge(t, 899, 900, 50 * MS)).isFalse();
    }
  }

  @Test
  void silenceDoesNotCountAndAFollowerThatComesBackGetsTheFullStallTime() {
    long t = 0;
    for (; t <= 20_000 * MS; t += STEP) {
      assertThat(watch.shouldNudge(t, 42, 900, t + SILENT + 1)).as("silent at %d ms", t / MS).isFalse();
    }
    long back = t;
    long firstNudge = -1;
    for (; t <= back + 10_000 * MS && firstNudge < 0; t += STEP) {
      if (watch.shouldNudge(t, 42, 900, 50 * MS)) {
        firstNudge = t;
      }
    }
    assertThat(firstNudge - back).as("time from coming back to the nudge (counted from the last silent look)")
        .isBetween(STALL - STEP, STALL);
  }

  @Test
  void progressRestartsTheClock() {
    for (long t = 0; t < 4_000 * MS; t += STEP) {
      assertThat(watch.shouldNudge(t, 10, 900, 0)).isFalse();
    }
    long moved = 4_000 * MS;
    assertThat(watch.shouldNudge(moved, 11, 900, 0)).isFalse();
    assertThat(watch.shouldNudge(moved + STALL - STEP, 11, 900, 0)).isFalse();
    assertThat(watch.shouldNudge(moved + STALL, 11, 900, 0)).isTrue();
  }
}
