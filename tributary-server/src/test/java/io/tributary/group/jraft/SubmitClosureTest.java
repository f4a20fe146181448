package io.tributary.group.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.tributary.common.UnavailableException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * Goal: an entry the leader refused before logging it is told apart from one whose outcome is
 * unknown, with the statuses SOFAJRaft's {@code NodeImpl} really uses. A CI run answered a
 * conditional writer 503 "outcome unknown" for an entry refused while leadership was handed to the
 * preferred peer (EBUSY), which can never commit and is safe to send to the next leader. Method:
 * run a closure with each status, look at how its future fails.
 */
class SubmitClosureTest {
  @Test
  void refusalsBeforeTheLogAreResendable() {
    assertThat(failure(new Status(RaftError.EBUSY, "Is transferring leadership.")))
        .isInstanceOf(SubmitClosure.NotAppended.class);
    assertThat(failure(new Status(RaftError.EBUSY, "Node is busy, has too many tasks, queue is full and bufferSize=16384")))
        .isInstanceOf(SubmitClosure.NotAppended.class);
    assertThat(failure(new Status(RaftError.EPERM, "Is not leader.")))
        .isInstanceOf(SubmitClosure.NotAppended.class);
  }

  @Test
  void anEntryDroppedAfterTheLogHasAnUnknownOutcome() {
    for (Status st : new Status[] {
        new Status(RaftError.EPERM, "Leader stepped down"),
        new Status(RaftError.ESTATEMACHINE, "replica stopped"),
        new Status(RaftError.EIO, "disk")}) {
      assertThat(failure(st)).as(st.toString()).isInstanceOfSatisfying(UnavailableException.class, e -> {
        assertThat(e.notSubmitted()).isNull();
        assertThat(e.getMessage()).contains("outcome unknown");
      });
    }
  }

  private static Throwable failure(Status st) {
    SubmitClosure done = new SubmitClosure(3, Runnable::run);
    done.run(st);
    try {
      done.result().join();
      throw new AssertionError("completed normally");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }
}
