package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Goal: a request that does not fit the node's request buffer budget is refused with a whole,
 * well-formed 503 (status, Retry-After, a Content-Length that matches the reason) and its
 * connection closed; one that fits passes on. Method: {@link BufferBudget} alone on Netty's
 * {@code EmbeddedChannel}s with real remote addresses sharing one 1 MiB budget: 900 KiB from one
 * address, 900 KiB from another (an address's only request always fits), then a second 900 KiB
 * from that address.
 */
class BufferBudgetTest {
  @Test
  void aRequestBeyondTheBudgetGetsAWhole503AndTheConnectionCloses() throws Exception {
    BufferBudget.Counters counters = new BufferBudget.Counters(1 << 20, 1 << 20);
    EmbeddedChannel first = channel(counters, "127.0.0.21");
    first.writeInbound(post(900 * 1024));
    Object passed = first.readInbound();
    assertThat(passed).as("a request that fits passes on").isNotNull();

    // an address's only request always fits (body-bytes-max bounds it); its second one does not
    EmbeddedChannel alone = channel(counters, "127.0.0.22");
    alone.writeInbound(post(900 * 1024));
    Object fits = alone.readInbound();
    assertThat(fits).as("an address's only request").isNotNull();
    EmbeddedChannel second = channel(counters, "127.0.0.22");
    second.writeInbound(post(900 * 1024));
    Object refused = second.readInbound();
    assertThat(refused).as("a request beyond the budget is not passed on").isNull();
    ByteBuf out = second.readOutbound();
    String answer = out.toString(StandardCharsets.US_ASCII);
    out.release();
    assertThat(answer).startsWith("HTTP/1.1 503 Service Unavailable\r\n").contains("\r\nRetry-After: 1\r\n");
    String reason = answer.substring(answer.indexOf("\r\n\r\n") + 4);
    assertThat(reason).isEqualTo("the node's request buffer budget is in use");
    assertThat(answer).contains("\r\nContent-Length: " + reason.length() + "\r\n");
    assertThat(second.isOpen()).as("the refused connection is closed").isFalse();
    assertThat(counters.refused.get()).isEqualTo(1);
    first.finishAndReleaseAll();
    alone.finishAndReleaseAll();
  }

  private static EmbeddedChannel channel(BufferBudget.Counters counters, String remote) throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(false, false) {
      @Override
      protected SocketAddress remoteAddress0() {
        return new InetSocketAddress(remote, 40000);
      }
    };
    ch.pipeline().addLast(new BufferBudget(counters));
    ch.register();
    return ch;
  }

  private static HttpRequest post(int length) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/stream/x");
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    return r;
  }
}
