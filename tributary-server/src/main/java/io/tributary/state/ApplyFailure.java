package io.tributary.state;

/**
 * Why a replica stopped applying a group's log: the first committed entry it could not apply,
 * and the cause. Nothing at or after {@code index} was applied or published by this replica.
 * Immutable.
 */
public record ApplyFailure(int group, long term, long index, String cause) {

  /** One line for logs, {@code /readyz} and the error a waiting client gets. */
  public String describe() {
    return "group " + group + " stopped at term " + term + " index " + index + ": " + cause;
  }
}
