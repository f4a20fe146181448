package io.tributary.bench.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client's event loops: one by default, because a load generator that needs many threads
 * takes CPU from the server it measures (they share the machine). Epoll when available. Built and
 * closed by the main thread; {@link #call} lets the main thread read loop-owned state safely.
 */
public final class ClientLoops implements AutoCloseable {
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final EventLoopGroup group;
  private final List<EventLoop> loops = new ArrayList<>();
  private final Class<? extends Channel> channelType;

  public ClientLoops(int threads) {
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("event loops must be 1..64, got " + threads);
    }
    IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    channelType = Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
    group = new MultiThreadIoEventLoopGroup(threads, io);
    for (EventExecutor e : group) {
      loops.add((EventLoop) e);
    }
  }

  public int size() {
    return loops.size();
  }

  /** The i-th loop, modulo the number of loops (spreads connections round-robin). */
  public EventLoop loop(int i) {
    return loops.get(Math.floorMod(i, loops.size()));
  }

  /** A bootstrap bound to one loop; the caller adds the handler. */
  Bootstrap bootstrap(EventLoop loop) {
    return new Bootstrap().group(loop).channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS);
  }

  /** Runs {@code task} on {@code loop} and waits for its result (main thread only, never on a loop). */
  public static <T> T call(EventLoop loop, Callable<T> task) {
    if (loop.inEventLoop()) {
      throw new IllegalStateException("ClientLoops.call must not block an event loop");
    }
    try {
      return loop.submit(task).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the event loop", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("event-loop task failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("event loop did not answer within 30 s (overloaded client?)", e);
    }
  }

  /** Runs {@code task} on every loop and waits. */
  public void onEachLoop(java.util.function.Consumer<EventLoop> task) {
    for (EventLoop l : loops) {
      call(l, () -> {
        task.accept(l);
        return null;
      });
    }
  }

  public List<EventLoop> loops() {
    return List.copyOf(loops);
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
