package io.tributary.state;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does once one of its replicas could not apply a committed entry (an I/O error, a
 * broken invariant, a command type this build does not know). Skipping the entry would let this
 * replica diverge from the others silently, so the replica has already stopped applying when
 * this is called; the production action then ends the process, so no group on this node goes on
 * serving and an operator (or supervisor) sees a non-zero exit. Called on the group's apply thread.
 */
@FunctionalInterface
public interface ReplicaHalt {

  /** Exit status of a node halted by a replica that could not apply an entry. */
  int EXIT_STATUS = 70;

  void halt(ApplyFailure failure);

  /**
   * Halts the JVM with {@link #EXIT_STATUS}. {@code Runtime.halt}, not {@code exit}: shutdown
   * hooks would close the engine, which may take a snapshot of state that is not to be trusted.
   */
  static ReplicaHalt process() {
    return failure -> {
      Logger log = LoggerFactory.getLogger(ReplicaHalt.class);
      log.error("halting: {}; no later entry was applied. Fix the cause (disk, data directory, build version) and "
          + "restart: the replica re-applies the log from its last snapshot", failure.describe());
      System.err.println("tributary: halting: " + failure.describe());
      System.err.flush();
      Runtime.getRuntime().halt(EXIT_STATUS);
    };
  }
}
