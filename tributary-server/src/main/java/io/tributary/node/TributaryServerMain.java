package io.tributary.node;

import io.tributary.common.Clock;
import io.tributary.config.ConfigException;
import io.tributary.config.ConfigLoader;
import io.tributary.config.TributaryConfig;
import java.util.Arrays;

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

  /** Starts a node and blocks until the JVM is asked to stop. */
  public static void run(TributaryConfig config) throws Exception {
    TributaryNode node = new TributaryNode(config, Clock.SYSTEM);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "tributary-shutdown"));
    node.start();
    System.out.println("Tributary listening on http://" + config.host() + ":" + node.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
