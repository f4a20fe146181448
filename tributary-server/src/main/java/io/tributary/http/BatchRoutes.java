package io.tributary.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.common.Offsets;
import io.tributary.common.StreamKey;
import io.tributary.service.BadRequestException;
import io.tributary.service.BatchAppends;
import io.tributary.service.WriteResult;
import io.tributary.service.ProducerIds;
import java.nio.charset.StandardCharsets;

/** {@code POST {stream}/$append-batch} and {@code POST {@affinity}/$transaction}. Event-loop only. */
final class BatchRoutes {
  private final HttpContext hc;

  BatchRoutes(HttpContext hc) {
    this.hc = hc;
  }

  void handle(Exchange x) {
    if (!x.method.equals(HttpMethod.POST)) {
      StreamRequestHandler.methodNotAllowed(x);
      return;
    }
    if (x.target.extArg() != null) {
      throw new BadRequestException(x.target.ext() + " takes no path segment after it");
    }
    if (x.target.ext().equals("$append-batch")) {
      appendBatch(x);
    } else {
      transaction(x);
    }
  }

  private void appendBatch(Exchange x) {
    String ct = x.headers.get(HttpHeaderNames.CONTENT_TYPE);
    if (ct == null || ct.isBlank()) {
      throw new BadRequestException("Content-Type (the stream's) is required");
    }
    ProducerIds p = WriteRoutes.producer(x.headers, hc.config.bounds());
    boolean minimal = "return=minimal".equalsIgnoreCase(String.valueOf(x.headers.get("Prefer")).trim());
    x.onLoop(hc.service.batches().appendBatch(x.target.key(), ct.trim(), x.body, p), b -> {
      WriteResult res = b.result();
      boolean dup = res.status() == WriteResult.Status.DUPLICATE;
      if (res.status() != WriteResult.Status.APPENDED && !dup) {
        x.respond(WriteRoutes.errorFor(res));
        return;
      }
      FullHttpResponse r;
      if (dup && res.start() < 0) {
        // a retry of an older batch than the producer's latest: acknowledged, offsets no longer known
        r = Responses.empty(HttpResponseStatus.NO_CONTENT);
      } else if (minimal) {
        r = Responses.empty(HttpResponseStatus.NO_CONTENT);
        r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.start() + b.frameEnds()[b.frameEnds().length - 1]));
      } else {
        StringBuilder sb = new StringBuilder(64 + 80 * b.frameEnds().length);
        long end = res.start() + b.frameEnds()[b.frameEnds().length - 1];
        sb.append("{\"duplicate\":").append(dup).append(",\"nextOffset\":\"").append(Offsets.format(end))
            .append("\",\"frames\":[");
        long prev = res.start();
        for (int i = 0; i < b.frameEnds().length; i++) {
          long fe = res.start() + b.frameEnds()[i];
          sb.append(i == 0 ? "" : ",").append("{\"offset\":\"").append(Offsets.format(prev))
              .append("\",\"nextOffset\":\"").append(Offsets.format(fe)).append("\"}");
          prev = fe;
        }
        sb.append("]}");
        r = Responses.full(HttpResponseStatus.OK, Unpooled.wrappedBuffer(sb.toString().getBytes(StandardCharsets.UTF_8)));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(end));
      }
      if (res.closed()) {
        r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
      }
      if (res.producerEpoch() >= 0) {
        r.headers().set(ProtocolHeaders.PRODUCER_EPOCH, Long.toString(res.producerEpoch()));
        r.headers().set(ProtocolHeaders.PRODUCER_SEQ, Long.toString(res.producerSeq()));
      }
      x.respond(r);
    });
  }

  private void transaction(Exchange x) {
    StreamKey key = x.target.key();
    if (key.stream().indexOf('/') >= 0 || !key.stream().startsWith("@")) {
      throw new BadRequestException("$transaction goes under an affinity key: {bucket path}/@key/$transaction");
    }
    x.onLoop(hc.service.batches().transaction(key, x.body), t -> {
      if (t.result().status() != WriteResult.Status.COMMITTED) {
        x.respond(WriteRoutes.errorFor(t.result()));
        return;
      }
      StringBuilder sb = new StringBuilder("{\"appends\":[");
      for (int i = 0; i < t.appends().size(); i++) {
        BatchAppends.TxAppend a = t.appends().get(i);
        sb.append(i == 0 ? "" : ",").append("{\"stream\":").append(JsonText.string(a.key().stream()))
            .append(",\"offset\":\"").append(Offsets.format(a.offset())).append("\",\"nextOffset\":\"")
            .append(Offsets.format(a.nextOffset())).append("\"}");
      }
      sb.append("]}");
      FullHttpResponse r = Responses.full(HttpResponseStatus.OK,
          Unpooled.wrappedBuffer(sb.toString().getBytes(StandardCharsets.UTF_8)));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      x.respond(r);
    });
  }
}
