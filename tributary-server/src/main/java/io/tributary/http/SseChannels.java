package io.tributary.http;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/** Links a channel to its SSE session so writability changes can resume the pump. */
final class SseChannels {
  private static final AttributeKey<SseSession> KEY = AttributeKey.valueOf("tributary.sse");

  private SseChannels() {}

  static void attach(Channel ch, SseSession s) {
    ch.attr(KEY).set(s);
  }

  static SseSession of(Channel ch) {
    return ch.attr(KEY).get();
  }
}
