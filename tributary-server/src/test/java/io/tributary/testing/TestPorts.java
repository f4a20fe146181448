package io.tributary.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Loopback ports for servers the tests start later (child processes, proxies): free now, below the
 * kernel's ephemeral range, and never handed out before in this JVM. A port picked by binding port
 * 0 lies in the ephemeral range, where any outgoing connection made before the server binds it can
 * take it (seen in CI: a node that could not bind its Raft port); and a port picked by a bind test
 * alone may be handed out twice before either server binds it. Thread-safe.
 */
public final class TestPorts {
  private static final int RANGE_LOW = 20_000;
  private static final Set<Integer> HANDED_OUT = new HashSet<>();
  private static final SplittableRandom UNSEEDED = new SplittableRandom();

  private TestPorts() {}

  /** {@code count} distinct ports, drawn with {@code random} (a test's seed makes its picks repeatable). */
  public static int[] stable(int count, SplittableRandom random) {
    int high = ephemeralLow();
    int[] out = new int[count];
    int n = 0;
    synchronized (HANDED_OUT) {
      for (int tries = 0; n < count; tries++) {
        if (tries > 10_000) {
          throw new IllegalStateException("no " + count + " free ports in [" + RANGE_LOW + ", " + high + ")");
        }
        int port = random.nextInt(RANGE_LOW, high);
        if (!HANDED_OUT.contains(port) && free(port)) {
          HANDED_OUT.add(port);
          out[n++] = port;
        }
      }
    }
    return out;
  }

  /** One such port. */
  public static int one() {
    synchronized (HANDED_OUT) {
      return stable(1, UNSEEDED)[0];
    }
  }

  private static int ephemeralLow() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Math.max(RANGE_LOW + 1000, Integer.parseInt(range.split("\\s+")[0]));
    } catch (IOException | RuntimeException e) {
      return 32_768; // Linux's default; elsewhere any value keeps the pick inside the valid range
    }
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
