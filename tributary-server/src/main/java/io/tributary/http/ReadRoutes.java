package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.common.Offsets;
import io.tributary.service.BadRequestException;
import io.tributary.service.JsonMessages;
import io.tributary.service.ReadResult;
import io.tributary.service.StreamInfo;
import io.tributary.service.StreamReads;

/** HEAD, catch-up GET and the entry to long-poll and SSE reads. Event-loop only. */
final class ReadRoutes {
  private final HttpContext hc;

  ReadRoutes(HttpContext hc) {
    this.hc = hc;
  }

  void head(Exchange x) {
    x.after(hc.service.readBarrier(x.target.key()), () -> headNow(x));
  }

  private void headNow(Exchange x) {
    StreamReads.Lookup l = hc.service.reads().lookup(x.target.key());
    if (l.status() != ReadResult.Status.OK) {
      x.respond(notOk(l.status()));
      return;
    }
    StreamInfo i = l.info();
    if (Incarnations.refuseRead(x, i)) {
      return;
    }
    FullHttpResponse r = Incarnations.set(Responses.empty(HttpResponseStatus.OK), i.streamId());
    Responses.streamContentType(r.headers(), i.contentType());
    r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(i.tail()));
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    if (i.closed()) {
      r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
    }
    if (i.ttlSeconds() >= 0) {
      r.headers().set(ProtocolHeaders.STREAM_TTL, Long.toString(i.ttlSeconds()));
    }
    if (i.expiresAt() != null) {
      r.headers().set(ProtocolHeaders.STREAM_EXPIRES_AT, i.expiresAt());
    }
    historyHeaders(r, i);
    x.respond(r);
  }

  /** 410: the history before the retention floor is gone; bootstrap from the latest snapshot instead. */
  private static FullHttpResponse belowRetention(StreamInfo v) {
    FullHttpResponse r = Responses.error(HttpResponseStatus.GONE, "offset is below the stream's retention floor "
        + Offsets.format(v.retainedFrom()) + "; load $bootstrap (snapshot + retained messages) and read on from its "
        + "Stream-Next-Offset");
    r.headers().set(ProtocolHeaders.STREAM_RETAINED_OFFSET, Offsets.format(v.retainedFrom()));
    historyHeaders(r, v);
    return r;
  }

  /** Snapshot and retention headers of a stream that has either. */
  private static void historyHeaders(FullHttpResponse r, StreamInfo v) {
    if (v.snapshot() != null) {
      r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_OFFSET, Offsets.format(v.snapshot().offset()));
      r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_DIGEST, v.snapshot().digest());
    }
    if (v.retainedFrom() > 0) {
      r.headers().set(ProtocolHeaders.STREAM_RETAINED_OFFSET, Offsets.format(v.retainedFrom()));
    }
  }

  static FullHttpResponse notOk(ReadResult.Status s) {
    return switch (s) {
      case GONE -> Responses.error(HttpResponseStatus.GONE, "stream was deleted");
      case BAD_OFFSET -> Responses.error(HttpResponseStatus.BAD_REQUEST, "offset is beyond the stream's tail");
      default -> Responses.error(HttpResponseStatus.NOT_FOUND, "stream not found");
    };
  }

  void get(Exchange x) {
    long offset = HeaderParsing.offsetParam(x.params("offset"));
    String live = x.param("live");
    if (live != null && !live.equals("long-poll") && !live.equals("sse")) {
      throw new BadRequestException("live must be long-poll or sse");
    }
    if (live != null && offset == HeaderParsing.ABSENT) {
      throw new BadRequestException("live reads need an offset");
    }
    if (live == null && hc.budget.responsesOverBudget(ConnectionGate.remoteAddress(x.ctx))) {
      // slow readers hold response-buffer-bytes-max already: a catch-up read would add up to a chunk more
      x.respond(Responses.unavailable("the node's response buffer budget is in use; retry shortly", 1));
      return;
    }
    x.after(hc.service.readBarrier(x.target.key()), () -> getNow(x, offset, live));
  }

  private void getNow(Exchange x, long offset, String live) {
    StreamReads.Lookup l = hc.service.reads().lookupForRead(x.target.key());
    // a read that renews a TTL close to running out answers once every replica counts the renewal
    x.after(l.renewal(), () -> getRenewed(x, offset, live, l));
  }

  private void getRenewed(Exchange x, long offset, String live, StreamReads.Lookup l) {
    if (l.status() != ReadResult.Status.OK) {
      x.respond(notOk(l.status()));
      return;
    }
    if (Incarnations.refuseRead(x, l.info())) {
      return;
    }
    long start = offset == HeaderParsing.NOW ? l.info().tail() : StreamReads.addressedStart(offset, l.info().tail());
    if (start > l.info().tail()) {
      x.respond(notOk(ReadResult.Status.BAD_OFFSET));
      return;
    }
    if (start < l.info().retainedFrom()) {
      x.respond(belowRetention(l.info()));
      return;
    }
    if ("sse".equals(live)) {
      new SseSession(hc, x, l.info(), start).start();
      return;
    }
    if ("long-poll".equals(live)) {
      new LongPoll(hc, x, l.info(), start, LongPoll.PROTOCOL).start();
      return;
    }
    if (offset == HeaderParsing.NOW) {
      x.respond(nowResponse(l.info()));
      return;
    }
    x.onLoop(hc.service.reads().read(l.view(), start, hc.config.readChunkBytesMax()), res -> {
      if (res.status() != ReadResult.Status.OK) {
        x.respond(notOk(res.status()));
        return;
      }
      String etag = etag(res);
      String inm = x.headers.get(HttpHeaderNames.IF_NONE_MATCH);
      if (inm != null && inm.trim().equals(etag)) {
        FullHttpResponse nm = Responses.empty(HttpResponseStatus.NOT_MODIFIED);
        nm.headers().set(HttpHeaderNames.ETAG, etag);
        nm.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.next()));
        x.respond(Incarnations.set(nm, res.info().streamId()));
        return;
      }
      FullHttpResponse r = dataResponse(res);
      r.headers().set(HttpHeaderNames.ETAG, etag);
      r.headers().set(HttpHeaderNames.CACHE_CONTROL,
          res.upToDate() ? "no-cache" : "public, max-age=60, stale-while-revalidate=300");
      x.respond(r);
    });
  }

  private static FullHttpResponse nowResponse(StreamInfo i) {
    byte[] body = i.json() ? JsonMessages.toArray(new byte[0]) : new byte[0];
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    Responses.streamContentType(r.headers(), i.contentType());
    r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(i.tail()));
    r.headers().set(ProtocolHeaders.STREAM_UP_TO_DATE, "true");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    if (i.closed()) {
      r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
    }
    return Incarnations.set(r, i.streamId());
  }

  /** A 200 carrying the read's bytes with offset, up-to-date and closed headers. */
  static FullHttpResponse dataResponse(ReadResult res) {
    byte[] body = res.info().json() ? JsonMessages.toArray(res.data()) : res.data();
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    Responses.streamContentType(r.headers(), res.info().contentType());
    r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.next()));
    if (res.upToDate()) {
      r.headers().set(ProtocolHeaders.STREAM_UP_TO_DATE, "true");
    }
    if (res.closedAtEnd()) {
      r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
    }
    return Incarnations.set(r, res.info().streamId());
  }

  /** Changes with the range returned and with closure (a closed stream's final read differs). */
  private static String etag(ReadResult res) {
    return "\"" + res.info().streamId() + "-" + res.from() + "-" + res.next() + (res.closedAtEnd() ? "-c" : "") + "\"";
  }
}
