package io.tributary.bench.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/**
 * A call with fixed request bytes whose outcome (status, headers, body size) goes to one callback.
 * For setup traffic (creating and filling streams), not for measured ops. Event loop only.
 */
public final class SimpleCall extends Call {
  /** Outcome of a simple call: status 0 and a cause when no response came. */
  public record Outcome(int status, HttpHeaders headers, long bodyBytes, Throwable cause) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /** Receives the outcome on the connection's event loop. */
  public interface Done {
    void done(Outcome outcome);
  }

  private final byte[] request;
  private final Done done;
  private HttpResponse head;
  private long bodyBytes;

  public SimpleCall(byte[] request, Done done) {
    this.request = request;
    this.done = done;
  }

  @Override
  public ByteBuf encode(ByteBufAllocator alloc, long nowNanos) {
    return alloc.directBuffer(request.length).writeBytes(request);
  }

  @Override
  public void onHead(HttpResponse head) {
    this.head = head;
  }

  @Override
  public void onContent(ByteBuf content) {
    bodyBytes += content.readableBytes();
  }

  @Override
  public void onComplete(long nowNanos) {
    done.done(new Outcome(head.status().code(), head.headers(), bodyBytes, null));
  }

  @Override
  public void onFailure(Throwable cause, long nowNanos) {
    done.done(new Outcome(0, null, 0, cause));
  }
}
