package io.tributary.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on a loopback port that a test can cut and heal, for network-partition tests,
 * and that can damage HTTP responses on their way back ({@link #flipResponses}).
 *
 * <pre>
 *   client ──► [listen port] TcpProxy ──► target          FORWARD:   bytes pumped both ways
 *   client ──► [listen port] TcpProxy ─╳                  BLACKHOLE: accepted, read, dropped
 * </pre>
 *
 * <p>In {@link Mode#FORWARD} every accepted connection is paired with a new connection to the
 * target and bytes are copied in both directions until either side closes. In
 * {@link Mode#BLACKHOLE} connections are still accepted (the TCP handshake is the kernel's), but
 * nothing is forwarded and nothing is answered: what a client sends is read and dropped, so it
 * waits for replies that never come, as across a partition that loses packets. Switching mode cuts
 * every connection made in the other mode: {@link #blackhole} closes the forwarded ones (both
 * ends notice at once and reconnect — into the blackhole), {@link #heal} closes the blackholed
 * ones so their clients reconnect and are forwarded again. A cut connection is never resumed: a
 * stream that lost bytes in the middle would be corrupt, not partitioned.
 *
 * <p>With a {@link ResponseBodyFlip} set, forwarded connections accepted from then on pass their
 * server-to-client bytes through it: one byte of a response body flipped, for a budget of
 * responses, for tests of what a client does with damaged data that arrives intact at the TCP level.
 *
 * <p>Threads: a virtual thread accepts; each forwarded connection has two virtual pump threads,
 * each blackholed connection one draining thread. {@link #blackhole}, {@link #heal} and
 * {@link #close} may be called from any thread; the mode and the set of open sockets are guarded
 * by {@code lock}, and a connection that was being set up across a mode switch is closed rather
 * than registered in the wrong mode.
 */
public final class TcpProxy implements AutoCloseable {
  /** What the proxy does with connections. */
  public enum Mode { FORWARD, BLACKHOLE }

  private static final int BUFFER_BYTES = 64 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

  private final String name;
  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Object lock = new Object();
  private final Set<Socket> open = new HashSet<>(); // guarded by lock: sockets of the current generation
  private Mode mode = Mode.FORWARD; // guarded by lock
  private long generation; // guarded by lock: incremented at every mode switch
  private boolean closed; // guarded by lock
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong forwardedBytes = new AtomicLong();
  private final AtomicLong droppedBytes = new AtomicLong();
  private volatile ResponseBodyFlip flip;

  /** Listens on {@code 127.0.0.1:listenPort} and forwards to {@code 127.0.0.1:targetPort}. */
  public TcpProxy(String name, int listenPort, int targetPort) throws IOException {
    this.name = name;
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 128);
    Thread.ofVirtual().name("proxy-" + name + "-accept").start(this::acceptLoop);
  }

  public String name() {
    return name;
  }

  public int listenPort() {
    return listener.getLocalPort();
  }

  public Mode mode() {
    synchronized (lock) {
      return mode;
    }
  }

  /** Connections accepted since the start, in either mode. */
  public long accepted() {
    return accepted.get();
  }

  /** Bytes copied to the target or back since the start. */
  public long forwardedBytes() {
    return forwardedBytes.get();
  }

  /** Bytes read from clients and thrown away while blackholed. */
  public long droppedBytes() {
    return droppedBytes.get();
  }

  /** From now on, new connections' responses pass through {@code f} on their way to the client. */
  public void flipResponses(ResponseBodyFlip f) {
    this.flip = f;
  }

  /** Cuts the forwarded connections; from now on connections are accepted and ignored. */
  public void blackhole() {
    switchTo(Mode.BLACKHOLE);
  }

  /** Cuts the blackholed connections; from now on connections are forwarded again. */
  public void heal() {
    switchTo(Mode.FORWARD);
  }

  private void switchTo(Mode next) {
    List<Socket> cut;
    synchronized (lock) {
      if (closed || mode == next) {
        return;
      }
      mode = next;
      generation++;
      cut = new ArrayList<>(open);
      open.clear();
    }
    cut.forEach(TcpProxy::closeQuietly);
  }

  private void acceptLoop() {
    while (true) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (listener.isClosed()) {
          return; // close() ends the proxy
        }
        throw new UncheckedIOException("proxy " + name + ": accept failed", e);
      }
      accepted.incrementAndGet();
      Thread.ofVirtual().name("proxy-" + name + "-conn").start(() -> serve(client));
    }
  }

  private void serve(Socket client) {
    long gen;
    Mode m;
    synchronized (lock) {
      if (closed) {
        closeQuietly(client);
        return;
      }
      gen = generation;
      m = mode;
      open.add(client);
    }
    if (m == Mode.BLACKHOLE) {
      pump(client, null, droppedBytes, null, null);
      return;
    }
    Socket upstream = new Socket();
    try {
      upstream.setTcpNoDelay(true);
      client.setTcpNoDelay(true);
      upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
    } catch (IOException e) {
      // the target is down (e.g. a killed node): the client sees its connection closed, as it would
      closeQuietly(upstream);
      forget(client);
      return;
    }
    synchronized (lock) {
      if (generation != gen) { // the mode switched while connecting: this connection belongs to the past
        closeQuietly(upstream);
        open.remove(client);
        closeQuietly(client);
        return;
      }
      open.add(upstream);
    }
    ResponseBodyFlip f = flip;
    ResponseBodyFlip.Connection back = f == null ? null : f.connection();
    Thread.ofVirtual().name("proxy-" + name + "-back")
        .start(() -> pump(upstream, client, forwardedBytes, client, back));
    pump(client, upstream, forwardedBytes, upstream, null);
  }

  /**
   * Copies {@code from} to {@code to} (or drops it when {@code to} is null), through {@code damage}
   * unless null, until EOF or an error, then closes both sockets.
   */
  private void pump(Socket from, Socket to, AtomicLong counter, Socket peer, ResponseBodyFlip.Connection damage) {
    byte[] buffer = new byte[BUFFER_BYTES];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to == null ? null : to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (damage != null) {
          damage.apply(buffer, n);
        }
        if (out != null) {
          out.write(buffer, 0, n);
          out.flush();
        }
        counter.addAndGet(n);
      }
    } catch (IOException e) {
      // closed by a mode switch or close(), or reset by an endpoint: the connection is over either way
    } finally {
      forget(from);
      if (peer != null) {
        forget(peer);
      }
    }
  }

  private void forget(Socket s) {
    synchronized (lock) {
      open.remove(s);
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing a socket only fails if it is already broken; it is released either way
    }
  }

  /** Stops listening and cuts every connection. */
  @Override
  public void close() {
    List<Socket> cut;
    synchronized (lock) {
      closed = true;
      cut = new ArrayList<>(open);
      open.clear();
    }
    try {
      listener.close();
    } catch (IOException e) {
      throw new UncheckedIOException("proxy " + name + ": close failed", e);
    }
    cut.forEach(TcpProxy::closeQuietly);
  }

  @Override
  public String toString() {
    return "proxy " + name + " :" + listenPort() + " -> :" + target.getPort() + " (" + mode() + ", "
        + accepted.get() + " connections, " + forwardedBytes.get() + " bytes forwarded, " + droppedBytes.get()
        + " dropped" + (flip == null ? "" : ", " + flip) + ")";
  }
}
