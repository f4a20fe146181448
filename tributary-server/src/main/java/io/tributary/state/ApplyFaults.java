package io.tributary.state;

import io.tributary.storage.StorageException;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Fault injection for tests of the fail-stop path, set per JVM with system properties and read
 * once at start; no setting, route or command turns it on, so a client cannot reach it:
 * <ul>
 *   <li>{@code -Dtributary.test.apply-fault-stream=<stream>}: applying any command on that stream
 *       fails as a disk error would;</li>
 *   <li>{@code -Dtributary.test.unknown-commands=SetAttrs,...}: this node treats those command
 *       types (simple names of {@link Command}'s records) as unknown, as an older build that
 *       predates them would.</li>
 * </ul>
 */
public final class ApplyFaults {
  static final String STREAM_PROPERTY = "tributary.test.apply-fault-stream";
  static final String UNKNOWN_PROPERTY = "tributary.test.unknown-commands";
  private static final ApplyFaults NONE = new ApplyFaults(null, Set.of());
  private final String stream;
  private final Set<String> unknown;

  private ApplyFaults(String stream, Set<String> unknown) {
    this.stream = stream;
    this.unknown = unknown;
  }

  /** The faults the JVM was started with (usually none). */
  public static ApplyFaults fromSystemProperties() {
    String s = System.getProperty(STREAM_PROPERTY, "");
    Set<String> u = Arrays.stream(System.getProperty(UNKNOWN_PROPERTY, "").split(",")).map(String::trim)
        .filter(n -> !n.isEmpty()).collect(Collectors.toUnmodifiableSet());
    return s.isEmpty() && u.isEmpty() ? NONE : new ApplyFaults(s.isEmpty() ? null : s, u);
  }

  public static ApplyFaults none() {
    return NONE;
  }

  /** Fails every command on {@code stream}. */
  static ApplyFaults failing(String stream) {
    return new ApplyFaults(stream, Set.of());
  }

  /**
   * A node run as an older build ({@link FeatureLevel#supported()} below the current level) cannot
   * read what that build could not: batch version 2 (stamped limits) and the {@code Stream-Incarnation}
   * guard. The feature-level gate must keep such entries from it; if one arrives anyway, this
   * node refuses it as the older build would. Apply thread.
   */
  static void checkReadable(CommandCodec.Batch batch) {
    if (FeatureLevel.supported() >= FeatureLevel.LIMITS_AND_INCARNATION) {
      return;
    }
    if (batch.limits() != Limits.UNSTAMPED
        || batch.commands().stream().anyMatch(c -> c instanceof Command.IfIncarnation)) {
      throw new UnknownCommandException("batch version 2 or command type 20 (this node runs as feature level "
          + FeatureLevel.supported() + ")");
    }
  }

  /** Throws the injected fault if {@code c} is affected. Apply thread. */
  void check(Command c) {
    if (this == NONE) {
      return;
    }
    if (unknown.contains(c.getClass().getSimpleName())) {
      throw new UnknownCommandException("command type " + c.getClass().getSimpleName() + " (forgotten by "
          + UNKNOWN_PROPERTY + ")");
    }
    boolean hit = stream != null && (c.key().stream().equals(stream)
        || c instanceof Command.Transaction t && t.appends().stream().anyMatch(a -> a.key().stream().equals(stream)));
    if (hit) {
      throw new StorageException("injected apply fault on stream " + stream, new java.io.IOException("injected"));
    }
  }
}
