package io.tributary.state;

/**
 * This replica stopped applying its group's log ({@link ApplyFailure}). The entry a waiting
 * client submitted may have committed on the other replicas: its outcome is unknown here.
 */
public final class ReplicaStoppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient ApplyFailure failure;

  public ReplicaStoppedException(ApplyFailure failure) {
    super(failure.describe(), null, false, false);
    this.failure = failure;
  }

  public ApplyFailure failure() {
    return failure;
  }
}
