package io.tributary.group.jraft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.tributary.common.UnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The completion of one entry submitted with {@code Node#apply} on the leader: the state machine
 * hands it the entry's index and encoded outcomes once applied ({@link #applied}); SOFAJRaft runs
 * it with an error status when the entry was not committed through this node (not leader any more,
 * busy, shut down), or when the replica stopped on it. Either way the future completes on
 * {@code completions}, never on a SOFAJRaft thread, so nothing downstream runs on the FSM caller.
 */
final class SubmitClosure implements Closure {
  /** An applied entry: its log index and encoded outcomes. */
  record Applied(long index, byte[] outcomes) {}

  private final int group;
  private final Executor completions;
  private final CompletableFuture<Applied> result = new CompletableFuture<>();

  SubmitClosure(int group, Executor completions) {
    this.group = group;
    this.completions = completions;
  }

  CompletableFuture<Applied> result() {
    return result;
  }

  /** The FSM caller applied the entry. */
  void applied(long index, byte[] outcomes) {
    completions.execute(() -> result.complete(new Applied(index, outcomes)));
  }

  /**
   * Called by SOFAJRaft only when the entry did not apply here. Two kinds: refused before it
   * reached the log ({@link #notAppended}: nothing to commit, so the caller may hand the entry to
   * the next leader), or dropped after (an entry that lost leadership on the way may still commit
   * under the next leader), whose outcome is unknown to the client: a 503 that says to retry with
   * the same producer headers.
   */
  @Override
  public void run(Status status) {
    RuntimeException e = notAppended(status)
        ? new NotAppended("group " + group + ": the leader refused the entry before logging it: " + status)
        : new UnavailableException("group " + group + ": write failed, outcome unknown (retry with "
            + "the same producer headers): " + status, 1);
    completions.execute(() -> result.completeExceptionally(e));
  }

  /**
   * Whether SOFAJRaft refused the task before appending it to the log. {@code NodeImpl} answers
   * EBUSY only there (leadership being transferred, apply queue full) and EPERM "Is not leader."
   * for a node that stopped leading before the task reached the log; the EPERM of a leader that
   * stepped down with the entry logged ("Leader stepped down") is an unknown outcome.
   */
  static boolean notAppended(Status status) {
    return status.getRaftError() == RaftError.EBUSY
        || (status.getRaftError() == RaftError.EPERM && "Is not leader.".equals(status.getErrorMsg()));
  }

  /** The entry never reached this leader's log: resending it to the group's leader is safe. */
  static final class NotAppended extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotAppended(String reason) {
      super(reason, null, false, false);
    }
  }
}
