package io.tributary.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import io.tributary.common.Offsets;
import io.tributary.service.ReadResult;
import io.tributary.service.StreamInfo;
import io.tributary.service.StreamReads;
import io.tributary.service.Watch;
import java.util.concurrent.TimeUnit;

/**
 * One long-poll read. Answers at once when data (or closure) is already there; otherwise parks
 * without a thread: a watch on the stream and a timeout, both landing on the connection's event
 * loop. Counted against {@code long-polls-max} and its principal's {@code principal-long-polls-max}
 * while parked. What the answer looks like is its {@link Answer}'s: the stream protocol's
 * ({@link #PROTOCOL}) on the client listener, the console's JSON on the admin listener
 * ({@link AdminStreamRoutes}). Event-loop only.
 */
final class LongPoll {
  /** How a long-poll's outcome is written, and whether its read renews a sliding TTL. */
  interface Answer {
    /** True when the read counts as a client's read (renews a sliding TTL). */
    boolean renewsTtl();

    /** The most bytes one answer carries. */
    long bytesMax(HttpContext hc);

    /** The response carrying a read that found bytes from the wait's offset on. */
    FullHttpResponse data(HttpContext hc, Exchange x, ReadResult res);

    /** The response when nothing arrived: the stream is at {@code next}, and closed or not. */
    FullHttpResponse empty(HttpContext hc, Exchange x, StreamInfo info, long next, boolean closed);
  }

  /** The Durable Streams protocol's long-poll answers (docs/http-api.md). */
  static final Answer PROTOCOL = new Answer() {
    @Override
    public boolean renewsTtl() {
      return true;
    }

    @Override
    public long bytesMax(HttpContext hc) {
      return hc.config.readChunkBytesMax();
    }

    @Override
    public FullHttpResponse data(HttpContext hc, Exchange x, ReadResult res) {
      FullHttpResponse r = ReadRoutes.dataResponse(res);
      r.headers().set(ProtocolHeaders.STREAM_CURSOR, hc.cursors.next(x.param("cursor")));
      r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL, "no-cache");
      return r;
    }

    @Override
    public FullHttpResponse empty(HttpContext hc, Exchange x, StreamInfo info, long next, boolean closed) {
      FullHttpResponse r = Incarnations.set(Responses.empty(HttpResponseStatus.NO_CONTENT), info.streamId());
      r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(next));
      r.headers().set(ProtocolHeaders.STREAM_UP_TO_DATE, "true");
      r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL, "no-store");
      if (closed) {
        r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
      } else {
        r.headers().set(ProtocolHeaders.STREAM_CURSOR, hc.cursors.next(x.param("cursor")));
      }
      return r;
    }
  };

  private final HttpContext hc;
  private final Exchange x;
  private final Answer answer;
  private StreamInfo info;
  private final long start;
  private Watch watch;
  private ScheduledFuture<?> timeout;
  private boolean parked;
  /** This wait's place in its principal's long-poll limit while parked; released in {@link #unpark}. */
  private PrincipalLimits.Slot slot;

  LongPoll(HttpContext hc, Exchange x, StreamInfo info, long start, Answer answer) {
    this.hc = hc;
    this.answer = answer;
    this.x = x;
    this.info = info;
    this.start = start;
  }

  void start() {
    if (start < info.tail()) {
      readAndRespond();
      return;
    }
    if (info.closed()) {
      x.respond(emptyResponse(true));
      return;
    }
    if (hc.longPolls.incrementAndGet() > hc.config.longPollsMax()) {
      hc.longPolls.decrementAndGet();
      x.respond(Responses.unavailable("too many long-polls in progress", 1));
      return;
    }
    String who = PrincipalLimits.caller(x);
    slot = hc.principalLimits.acquire(PrincipalLimits.Kind.LONG_POLLS, who);
    if (slot == null) {
      hc.longPolls.decrementAndGet();
      x.respond(hc.principalLimits.refusal(PrincipalLimits.Kind.LONG_POLLS, who));
      return;
    }
    parked = true;
    timeout = x.ctx.executor().schedule(this::onTimeout, hc.config.longPollTimeoutMillis(), TimeUnit.MILLISECONDS);
    x.ctx.channel().closeFuture().addListener(f -> unpark());
    arm();
  }

  private void arm() {
    watch = hc.service.watch(info, start, () -> x.ctx.executor().execute(this::onWake));
  }

  private void onWake() {
    if (x.isDone()) {
      return;
    }
    StreamReads.Lookup l = hc.service.reads().lookup(info.key());
    if (l.status() != ReadResult.Status.OK || l.info().streamId() != info.streamId()) {
      unpark();
      x.respond(ReadRoutes.notOk(l.status() == ReadResult.Status.OK ? ReadResult.Status.NOT_FOUND : l.status()));
      return;
    }
    info = l.info();
    if (info.tail() > start) {
      unpark();
      readAndRespond();
    } else if (info.closed()) {
      unpark();
      x.respond(emptyResponse(true));
    } else {
      arm();
    }
  }

  private void onTimeout() {
    if (x.isDone()) {
      return;
    }
    unpark();
    StreamReads.Lookup l = hc.service.reads().lookup(info.key());
    if (l.status() == ReadResult.Status.OK) {
      info = l.info();
    }
    if (info.tail() > start) {
      // data landed just before the timeout (its wake-up is still queued): answer with it; a 204
      // pointing past it would make the client skip those bytes
      readAndRespond();
      return;
    }
    x.respond(emptyResponse(info.closed()));
  }

  private void unpark() {
    if (!parked) {
      return;
    }
    parked = false;
    hc.longPolls.decrementAndGet();
    slot.release();
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (watch != null) {
      watch.cancel();
    }
  }

  private void readAndRespond() {
    StreamReads.Lookup l = answer.renewsTtl() ? hc.service.reads().lookupForRead(info.key())
        : hc.service.reads().lookup(info.key());
    if (l.status() != ReadResult.Status.OK) {
      x.respond(ReadRoutes.notOk(l.status()));
      return;
    }
    x.onLoop(hc.service.reads().read(l.view(), start, answer.bytesMax(hc)), res -> {
      if (res.status() != ReadResult.Status.OK) {
        x.respond(ReadRoutes.notOk(res.status()));
        return;
      }
      x.respond(answer.data(hc, x, res));
    });
  }

  private FullHttpResponse emptyResponse(boolean closed) {
    return answer.empty(hc, x, info, Math.max(start, info.tail()), closed);
  }
}
