package io.tributary.group;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Goal: on one node the orphan sweep and the uploads of a stream exclude each other, while
 * uploads of one stream (a chunk and a snapshot blob) and different streams or groups do not.
 * Method: claim and release in the orders the tier, snapshot publishes and the sweep use.
 */
class UploadClaimsTest {
  @Test
  void sweepAndUploadsOfOneStreamExcludeEachOther() {
    UploadClaims c = new UploadClaims(2);
    assertThat(c.claimUpload(0, 5)).isTrue();
    assertThat(c.claimUpload(0, 5)).as("a snapshot blob beside a chunk upload").isTrue();
    assertThat(c.claimSweep(0, 5)).as("sweep while uploads run").isFalse();
    assertThat(c.claimSweep(1, 5)).as("same id, other group").isTrue();
    assertThat(c.claimSweep(0, 6)).as("other stream").isTrue();
    c.releaseUpload(0, 5);
    assertThat(c.claimSweep(0, 5)).as("one upload left").isFalse();
    c.releaseUpload(0, 5);
    assertThat(c.claimSweep(0, 5)).as("all uploads done").isTrue();
    assertThat(c.claimUpload(0, 5)).as("upload while the sweep deletes").isFalse();
    assertThat(c.claimSweep(0, 5)).as("one sweep at a time").isFalse();
    c.releaseSweep(0, 5);
    assertThat(c.claimUpload(0, 5)).isTrue();
  }
}
