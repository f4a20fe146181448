package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponse;

/**
 * One HTTP exchange on an {@link HttpConn}. All methods run on the connection's event loop, in
 * the order encode, (head, content*, complete) or failure.
 */
public abstract class Call {
  /** When the op was meant to start (open loop: its slot in the schedule), System.nanoTime. */
  public long intendedNanos;
  /** When the request bytes were handed to the socket, System.nanoTime. */
  public long sentNanos;

  /** The full request (head and body); the connection writes and releases it. */
  public abstract ByteBuf encode(ByteBufAllocator alloc, long nowNanos);

  public abstract void onHead(HttpResponse head);

  /** A piece of the body; valid only during the call (not retained). */
  public void onContent(ByteBuf content) {}

  /** The response ended (its last content arrived). */
  public abstract void onComplete(long nowNanos);

  /** No (complete) response: connect failure, connection closed, or an undecodable response. */
  public abstract void onFailure(Throwable cause, long nowNanos);
}
