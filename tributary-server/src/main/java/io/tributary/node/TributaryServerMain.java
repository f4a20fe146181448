package io.tributary.node;

import io.tributary.common.Clock;
import io.tributary.config.ConfigException;
import io.tributary.config.ConfigLoader;
import io.tributary.config.TributaryConfig;
import java.util.Arrays;
import org.slf4j.LoggerFactory;

/**
 * Runs one node until SIGTERM/SIGINT: {@code TributaryServerMain --port 4437 --data-dir ./data ...}.
 * Prints {@code Tributary listening on http://HOST:PORT} on stdout once serving (tests and the
 * cluster launcher wait for that line).
 */
public final class TributaryServerMain {
  private TributaryServerMain() {}

  public static void main(String[] args) throws Exception {
    TributaryConfig config;
    try {
      config = ConfigLoader.load(Arrays.asList(args), System.getenv());
    } catch (ConfigException e) {
      System.err.println("tributary: " + e.getMessage());
      System.exit(2);
      return;
    }
    run(config);
  }

  /** Exit status of a node that could not start (its HTTP port is taken, its data dir unusable, ...). */
  public static final int EXIT_START_FAILED = 1;

  /**
   * Starts a node and blocks until the JVM is asked to stop. A node that cannot start exits the
   * JVM with {@link #EXIT_START_FAILED}: by then SOFAJRaft and Netty may already run non-daemon
   * threads that would keep a half-started node alive, serving Raft but not HTTP.
   */
  public static void run(TributaryConfig config) throws Exception {
    TributaryNode node = new TributaryNode(config, Clock.SYSTEM);
    try {
      node.start();
    } catch (Exception e) {
      LoggerFactory.getLogger(TributaryServerMain.class).error("node {} cannot start", config.nodeId(), e);
      System.err.println("tributary: cannot start: " + e);
      try {
        node.close();
      } finally {
        System.exit(EXIT_START_FAILED);
      }
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "tributary-shutdown"));
    // the admin line first: launchers that wait for the listening line then know both addresses
    System.out.println("Tributary admin on " + (config.tls().adminEnabled() ? "https" : "http") + "://"
        + config.listeners().adminHost() + ":" + node.adminPort());
    System.out.println("Tributary listening on " + (config.tls().clientEnabled() ? "https" : "http") + "://" + config.host()
        + ":" + node.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
