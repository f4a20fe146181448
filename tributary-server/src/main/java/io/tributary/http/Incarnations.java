package io.tributary.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.service.BadRequestException;
import io.tributary.service.StreamInfo;
import java.util.regex.Pattern;

/**
 * {@code Stream-Incarnation}, as Ursula defines it: successful stream responses (except DELETE)
 * name the stream's incarnation, and a request carrying it applies only to that incarnation,
 * else 412. A stream deleted and re-created at the same path is a new incarnation. Ours is the
 * stream's id, unique in its group and never reused (Ursula uses the creation time); clients echo
 * it and never interpret it. Writes are checked in apply ({@code Command.IfIncarnation}), reads
 * against the view they read. Stateless.
 */
final class Incarnations {
  private Incarnations() {}

  private static final Pattern DECIMAL = Pattern.compile("0|[1-9][0-9]{0,17}");

  /** The request's precondition, or -1 when it has none; 400 when it is not one decimal id. */
  static long expected(Exchange x) {
    String v = x.headers.get(ProtocolHeaders.STREAM_INCARNATION);
    if (v == null) {
      return -1;
    }
    if (!DECIMAL.matcher(v.trim()).matches()) {
      throw new BadRequestException("Stream-Incarnation must be the decimal incarnation a response named");
    }
    return Long.parseLong(v.trim());
  }

  /** Names the incarnation on a response ({@code incarnation} -1: unknown, nothing set). */
  static FullHttpResponse set(FullHttpResponse r, long incarnation) {
    if (incarnation >= 0) {
      r.headers().set(ProtocolHeaders.STREAM_INCARNATION, Long.toString(incarnation));
    }
    return r;
  }

  /**
   * For a read of {@code info}: answers the 412 and returns true when the request names another
   * incarnation; otherwise returns false and the caller goes on.
   */
  static boolean refuseRead(Exchange x, StreamInfo info) {
    long want = expected(x);
    if (want < 0 || want == info.streamId()) {
      return false;
    }
    x.respond(set(Responses.error(HttpResponseStatus.PRECONDITION_FAILED, "Stream-Incarnation: the stream was "
        + "deleted and re-created (it is incarnation " + info.streamId() + ", not " + want + ")"), info.streamId()));
    return true;
  }
}
