package io.tributary.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.common.Offsets;
import io.tributary.common.StreamKey;
import io.tributary.config.BoundsConfig;
import io.tributary.service.AppendRequest;
import io.tributary.service.BadRequestException;
import io.tributary.service.CreateRequest;
import io.tributary.service.WriteResult;
import io.tributary.service.ProducerIds;

/** PUT (create, fork), POST (append, close) and DELETE on a stream. Event-loop only. */
final class WriteRoutes {
  private final HttpContext hc;

  WriteRoutes(HttpContext hc) {
    this.hc = hc;
  }

  void create(Exchange x) {
    StreamKey key = x.target.key();
    var h = x.headers;
    String ttlText = h.get(ProtocolHeaders.STREAM_TTL);
    String expText = h.get(ProtocolHeaders.STREAM_EXPIRES_AT);
    if (ttlText != null && expText != null) {
      throw new BadRequestException("Stream-TTL and Stream-Expires-At are mutually exclusive");
    }
    long ttl = HeaderParsing.ttlSeconds(ttlText);
    long expMs = expText == null ? -1 : HeaderParsing.expiresAtMillis(expText);
    String ct = h.get(HttpHeaderNames.CONTENT_TYPE);
    if (ct != null && (ct.isBlank() || !ct.contains("/"))) {
      ct = null;
    }
    CreateRequest.Fork fork = fork(x);
    if (fork == null && ct == null) {
      ct = "application/octet-stream";
    }
    boolean closed = HeaderParsing.isTrue(h.get(ProtocolHeaders.STREAM_CLOSED));
    CreateRequest r = new CreateRequest(key, ct == null ? null : ct.trim(), ttl, expText == null ? null : expText.trim(),
        expMs, closed, x.body, fork, Incarnations.expected(x));
    x.onLoop(hc.service.create(r), res -> x.respond(createResponse(x, key, res)));
  }

  /** What a {@code Stream-Forked-From} value (a path, or a URL whose path counts) addresses. */
  static RouteFamilies.Target forkSource(String header) {
    String path = header.trim();
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    if (path.startsWith("http://") || path.startsWith("https://")) {
      int slash = path.indexOf('/', path.indexOf("//") + 2);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    return RouteFamilies.resolve(path);
  }

  private CreateRequest.Fork fork(Exchange x) {
    var h = x.headers;
    String from = h.get(ProtocolHeaders.STREAM_FORKED_FROM);
    String offText = h.get(ProtocolHeaders.STREAM_FORK_OFFSET);
    String subText = h.get(ProtocolHeaders.STREAM_FORK_SUB_OFFSET);
    if (from == null) {
      if (subText != null) {
        throw new BadRequestException("Stream-Fork-Sub-Offset needs Stream-Forked-From");
      }
      if (offText != null) {
        throw new BadRequestException("Stream-Fork-Offset needs Stream-Forked-From");
      }
      return null;
    }
    RouteFamilies.Target src = forkSource(from);
    if (src.kind() != RouteFamilies.Kind.STREAM) {
      throw new BadRequestException("Stream-Forked-From is not a stream path");
    }
    long offset = -1;
    if (offText != null) {
      offset = Offsets.parse(offText.trim());
      if (offset == Offsets.INVALID) {
        throw new BadRequestException("malformed Stream-Fork-Offset");
      }
    }
    long sub = HeaderParsing.subOffset(subText);
    if (sub > 0 && offText == null) {
      throw new BadRequestException("Stream-Fork-Sub-Offset > 0 needs Stream-Fork-Offset");
    }
    return new CreateRequest.Fork(src.key(), offset, sub);
  }

  private FullHttpResponse createResponse(Exchange x, StreamKey key, WriteResult res) {
    switch (res.status()) {
      case CREATED, EXISTS -> {
        FullHttpResponse r = Responses.empty(res.status() == WriteResult.Status.CREATED
            ? HttpResponseStatus.CREATED : HttpResponseStatus.OK);
        if (res.contentType() != null) {
          Responses.streamContentType(r.headers(), res.contentType());
        }
        r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.tail()));
        if (res.closed()) {
          r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
        }
        if (res.status() == WriteResult.Status.CREATED) {
          r.headers().set(HttpHeaderNames.LOCATION, location(x));
        }
        return Incarnations.set(r, res.incarnation());
      }
      default -> {
        return errorFor(res);
      }
    }
  }

  private String location(Exchange x) {
    return origin(hc, x) + x.query.rawPath();
  }

  /**
   * {@code scheme://host} of the client listener as the client addressed it (its {@code Host},
   * validated against {@code allowed-hosts} before any route runs): absolute URLs the server hands
   * out ({@code Location}, subscription callback and JWKS URLs) point back there.
   */
  static String origin(HttpContext hc, Exchange x) {
    String host = x.headers.get(HttpHeaderNames.HOST);
    if (host == null || host.isBlank()) {
      host = hc.config.host() + ":" + hc.config.port();
    }
    // only the client listener writes, so its TLS decides the scheme
    return (hc.config.tls().clientEnabled() ? "https://" : "http://") + host;
  }

  /**
   * The producer triple of a request, or null when it has none; 400 when it is incomplete,
   * malformed, or its id is longer than {@code producer-id-bytes-max}.
   */
  static ProducerIds producer(io.netty.handler.codec.http.HttpHeaders h, BoundsConfig bounds) {
    String pid = h.get(ProtocolHeaders.PRODUCER_ID);
    String pe = h.get(ProtocolHeaders.PRODUCER_EPOCH);
    String ps = h.get(ProtocolHeaders.PRODUCER_SEQ);
    int present = (pid != null ? 1 : 0) + (pe != null ? 1 : 0) + (ps != null ? 1 : 0);
    if (present == 0) {
      return null;
    }
    if (present != 3) {
      throw new BadRequestException("Producer-Id, Producer-Epoch and Producer-Seq go together");
    }
    if (pid.isEmpty()) {
      throw new BadRequestException("Producer-Id is empty");
    }
    HeaderParsing.checkLength("Producer-Id", pid, bounds.producerIdBytesMax(), "producer-id-bytes-max");
    return new ProducerIds(pid, HeaderParsing.producerNumber("Producer-Epoch", pe),
        HeaderParsing.producerNumber("Producer-Seq", ps));
  }

  void append(Exchange x) {
    var h = x.headers;
    ProducerIds p = producer(h, hc.config.bounds());
    boolean close = HeaderParsing.isTrue(h.get(ProtocolHeaders.STREAM_CLOSED));
    String ct = h.get(HttpHeaderNames.CONTENT_TYPE);
    if (x.body.length == 0 && !close) {
      throw new BadRequestException("empty body (to close a stream send Stream-Closed: true)");
    }
    if (x.body.length > 0 && (ct == null || ct.isBlank())) {
      throw new BadRequestException("Content-Type is required with a body");
    }
    String seq = h.get(ProtocolHeaders.STREAM_SEQ);
    if (seq != null) {
      HeaderParsing.checkLength("Stream-Seq", seq, hc.config.bounds().streamSeqBytesMax(), "stream-seq-bytes-max");
    }
    AppendRequest r = new AppendRequest(x.target.key(), ct, x.body, close, seq,
        p == null ? null : p.id(), p == null ? -1 : p.epoch(), p == null ? -1 : p.seq(),
        HeaderParsing.ifMatch(h.get(HttpHeaderNames.IF_MATCH)), Incarnations.expected(x));
    x.onLoop(hc.service.append(r), res -> x.respond(appendResponse(res)));
  }

  private FullHttpResponse appendResponse(WriteResult res) {
    FullHttpResponse r;
    switch (res.status()) {
      case APPENDED, CLOSED -> {
        boolean producer = res.producerEpoch() >= 0;
        r = Responses.empty(producer && res.status() == WriteResult.Status.APPENDED ? HttpResponseStatus.OK
            : HttpResponseStatus.NO_CONTENT);
        r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.tail()));
      }
      case DUPLICATE -> r = Responses.empty(HttpResponseStatus.NO_CONTENT);
      default -> {
        return errorFor(res);
      }
    }
    if (res.closed()) {
      r.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
    }
    if (res.producerEpoch() >= 0) {
      r.headers().set(ProtocolHeaders.PRODUCER_EPOCH, Long.toString(res.producerEpoch()));
      r.headers().set(ProtocolHeaders.PRODUCER_SEQ, Long.toString(res.producerSeq()));
    }
    return Incarnations.set(r, res.incarnation());
  }

  void delete(Exchange x) {
    x.onLoop(hc.service.delete(x.target.key(), Incarnations.expected(x)), res -> x.respond(res.status() == WriteResult.Status.DELETED
        ? Responses.empty(HttpResponseStatus.NO_CONTENT) : errorFor(res)));
  }

  /** Snapshot and retention headers, when the result describes them. */
  static void historyHeaders(FullHttpResponse r, WriteResult res) {
    if (res.retainedFrom() < 0) {
      return;
    }
    r.headers().set(ProtocolHeaders.STREAM_RETAINED_OFFSET, Offsets.format(res.retainedFrom()));
    r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_OFFSET, res.snapshotOffset() < 0 ? "-1"
        : Offsets.format(res.snapshotOffset()));
    if (res.digest() != null) {
      r.headers().set(ProtocolHeaders.STREAM_SNAPSHOT_DIGEST, res.digest());
    }
    if (res.tail() >= 0 && !r.headers().contains(ProtocolHeaders.STREAM_NEXT_OFFSET)) {
      r.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.tail()));
    }
  }

  /** The error response of a write outcome. */
  static FullHttpResponse errorFor(WriteResult res) {
    String reason = res.reason();
    FullHttpResponse r = switch (res.status()) {
      case NOT_FOUND -> Responses.error(HttpResponseStatus.NOT_FOUND, reason == null ? "stream not found" : reason);
      case GONE -> Responses.error(HttpResponseStatus.GONE, reason == null ? "stream was deleted" : reason);
      case BELOW_RETENTION -> Responses.error(HttpResponseStatus.GONE, reason);
      case CONFLICT_CLOSED -> {
        FullHttpResponse c = Responses.error(HttpResponseStatus.CONFLICT, "stream is closed");
        c.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
        c.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.tail()));
        yield c;
      }
      case CONFLICT, CONFLICT_CONTENT_TYPE, CONFLICT_SEQ -> Responses.error(HttpResponseStatus.CONFLICT, reason);
      case PRODUCER_STALE_EPOCH -> {
        FullHttpResponse c = Responses.error(HttpResponseStatus.FORBIDDEN, reason);
        c.headers().set(ProtocolHeaders.PRODUCER_EPOCH, Long.toString(res.producerEpoch()));
        yield c;
      }
      case PRODUCER_BAD_EPOCH, BAD_REQUEST -> Responses.error(HttpResponseStatus.BAD_REQUEST, reason);
      case LIMIT_REACHED -> Responses.limitReached(reason);
      case PRECONDITION_FAILED -> {
        FullHttpResponse c = Responses.error(HttpResponseStatus.PRECONDITION_FAILED, reason);
        c.headers().set(ProtocolHeaders.STREAM_NEXT_OFFSET, Offsets.format(res.tail()));
        if (res.closed()) {
          c.headers().set(ProtocolHeaders.STREAM_CLOSED, "true");
        }
        yield Incarnations.set(c, res.incarnation());
      }
      case PRODUCER_GAP -> {
        FullHttpResponse c = Responses.error(HttpResponseStatus.CONFLICT, reason);
        c.headers().set(ProtocolHeaders.PRODUCER_EXPECTED_SEQ, Long.toString(res.expectedSeq()));
        c.headers().set(ProtocolHeaders.PRODUCER_RECEIVED_SEQ, Long.toString(res.receivedSeq()));
        yield c;
      }
      default -> Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "unexpected outcome " + res.status());
    };
    historyHeaders(r, res);
    return r;
  }
}
