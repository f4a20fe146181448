package io.tributary.group.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BytesValue;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Goal: the forwarding envelope carries each answer kind unchanged, and its bytes are pinned (a
 * follower and a leader of different builds must agree on them). Method: encode, decode, compare.
 */
class ForwardingTest {
  @Test
  void everyAnswerKindRoundTrips() {
    byte[] outcomes = {1, 2, 3};
    Forwarding.Answer a = Forwarding.parseResponse(Forwarding.response(new Forwarding.Answer.Applied(42, outcomes)));
    assertThat(a).isInstanceOfSatisfying(Forwarding.Answer.Applied.class, ap -> {
      assertThat(ap.index()).isEqualTo(42);
      assertThat(ap.outcomes()).containsExactly(1, 2, 3);
    });
    assertThat(Forwarding.parseResponse(Forwarding.response(new Forwarding.Answer.NotLeader("n2"))))
        .isEqualTo(new Forwarding.Answer.NotLeader("n2"));
    assertThat(Forwarding.parseResponse(Forwarding.response(new Forwarding.Answer.Failed("why"))))
        .isEqualTo(new Forwarding.Answer.Failed("why"));
  }

  @Test
  void theBytesArePinned() {
    BytesValue req = Forwarding.request(7, new byte[] {9, 8});
    assertThat(req.getValue().toByteArray()).containsExactly(0, 0, 0, 7, 9, 8);
    assertThat(Forwarding.response(new Forwarding.Answer.Applied(1, new byte[] {5})).getValue().toByteArray())
        .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 1, 5);
    assertThat(Forwarding.response(new Forwarding.Answer.NotLeader("a")).getValue().toByteArray()).containsExactly(1, 'a');
    assertThat(Forwarding.response(new Forwarding.Answer.Failed("b")).getValue().toByteArray()).containsExactly(2, 'b');
    assertThat(ByteBuffer.wrap(req.getValue().toByteArray()).getInt()).isEqualTo(7);
  }
}
