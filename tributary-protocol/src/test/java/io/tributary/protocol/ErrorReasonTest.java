package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Goal: a status and its protocol headers map to the reason a client acts on, and to the right outcome. */
class ErrorReasonTest {
  @Test
  void statusAndHeadersNameTheReason() {
    assertThat(ErrorReason.of(403, Map.of(Headers.PRODUCER_EPOCH, "3")::get)).isEqualTo(ErrorReason.STALE_EPOCH);
    assertThat(ErrorReason.of(403, Map.<String, String>of()::get)).isEqualTo(ErrorReason.FORBIDDEN);
    assertThat(ErrorReason.of(409, Map.of(Headers.STREAM_CLOSED, "TRUE")::get)).isEqualTo(ErrorReason.STREAM_CLOSED);
    assertThat(ErrorReason.of(409, Map.of(Headers.PRODUCER_EXPECTED_SEQ, "4")::get)).isEqualTo(ErrorReason.SEQUENCE_GAP);
    assertThat(ErrorReason.of(409, Map.of(Headers.STREAM_CLOSED, "false")::get)).isEqualTo(ErrorReason.CONFLICT);
    assertThat(ErrorReason.of(502, Map.<String, String>of()::get)).isEqualTo(ErrorReason.SERVER_ERROR);
    assertThat(ErrorReason.of(418, Map.<String, String>of()::get)).isEqualTo(ErrorReason.UNEXPECTED);
    assertThat(ErrorReason.of(503, Map.of(Headers.TRIBUTARY_UNAVAILABLE, Headers.UNAVAILABLE_NO_LEADER)::get))
        .isEqualTo(ErrorReason.NO_LEADER);
    assertThat(ErrorReason.of(503, Map.of(Headers.TRIBUTARY_UNAVAILABLE, Headers.UNAVAILABLE_OVERLOADED)::get))
        .isEqualTo(ErrorReason.OVERLOADED);
    assertThat(ErrorReason.of(503, Map.<String, String>of()::get)).isEqualTo(ErrorReason.UNAVAILABLE);
  }

  @Test
  void onlyUnavailabilityAndServerErrorsLeaveTheOutcomeUnknown() {
    assertThat(ErrorReason.UNAVAILABLE.outcome()).isEqualTo(ErrorReason.Outcome.UNKNOWN);
    assertThat(ErrorReason.UNAVAILABLE.isTransient()).isTrue();
    assertThat(ErrorReason.OVERLOADED.outcome()).isEqualTo(ErrorReason.Outcome.NOT_APPLIED);
    assertThat(ErrorReason.NO_LEADER.outcome()).as("no leader took it: nothing was submitted")
        .isEqualTo(ErrorReason.Outcome.NOT_APPLIED);
    assertThat(ErrorReason.NO_LEADER.isTransient()).isTrue();
    assertThat(ErrorReason.INSUFFICIENT_STORAGE.isTransient()).isTrue();
    assertThat(ErrorReason.TOO_LARGE.isTransient()).isFalse();
  }
}
