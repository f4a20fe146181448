package io.tributary.state;

/**
 * A Raft entry holds a command type or format version this build cannot apply (written by a newer
 * node, or damaged). Never skipped: the replica stops (see {@link ReplicaHalt}).
 */
public final class UnknownCommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnknownCommandException(String message) {
    super(message);
  }
}
