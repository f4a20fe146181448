package io.tributary.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.tributary.common.Offsets;
import io.tributary.common.StreamKey;
import io.tributary.service.BadRequestException;
import io.tributary.service.Buckets;
import io.tributary.service.ReadResult;
import io.tributary.service.StreamCatalog;
import io.tributary.service.StreamInfo;
import io.tributary.service.StreamReads;
import java.io.IOException;
import java.time.Instant;
import java.util.Set;

/**
 * The admin API's read-only view of buckets and streams, for the web console (docs/console.md,
 * docs/http-api.md "Admin API"):
 * <pre>
 *   GET /admin/buckets                                    bucket names
 *   GET /admin/streams?bucket=&amp;prefix=&amp;after=&amp;limit=   one page of a bucket's streams by name prefix
 *   GET /admin/stream?bucket=&amp;name=                       one stream's metadata
 *   GET /admin/tail?bucket=&amp;name=&amp;offset=               records from offset on, as a long-poll
 * </pre>
 * Everything comes from this node's replicas ({@link StreamCatalog}) without a read barrier and
 * without renewing a sliding TTL: the console shows what this node has applied. The tail is the
 * client listener's long-poll ({@link LongPoll}: a watch and a timeout, no thread parked, counted
 * against the long-poll limits) answering JSON records instead of stream bytes, so a page can
 * follow a stream with {@code fetch} and a bearer token (an {@code EventSource} cannot send one).
 * Event-loop only.
 */
final class AdminStreamRoutes {
  /** The routes under {@code /admin/} this class answers. */
  static final Set<String> ROUTES = Set.of("buckets", "streams", "stream", "tail");

  /** The most stream bytes one tail answer carries: a page renders them, so a few hundred KiB at a time. */
  static final long TAIL_BYTES_MAX = 256 * 1024;

  private static final int PREFIX_CHARS_MAX = 1024;

  private final HttpContext hc;
  private final StreamCatalog catalog;

  AdminStreamRoutes(HttpContext hc) {
    this.hc = hc;
    this.catalog = new StreamCatalog(hc.service);
  }

  void handle(Exchange x, String route) {
    switch (route) {
      case "buckets" -> x.respond(AdminRoutes.json(g -> {
        g.writeStartObject();
        g.writeArrayFieldStart("buckets");
        for (String b : catalog.buckets()) {
          g.writeString(b);
        }
        g.writeEndArray();
        g.writeEndObject();
      }));
      case "streams" -> streams(x);
      case "stream" -> stream(x);
      case "tail" -> tail(x);
      default -> throw new IllegalArgumentException("not a stream admin route: " + route);
    }
  }

  private void streams(Exchange x) {
    String bucket = bucket(x);
    String prefix = x.param("prefix") == null ? "" : x.param("prefix");
    if (prefix.length() > PREFIX_CHARS_MAX) {
      throw new BadRequestException("prefix longer than " + PREFIX_CHARS_MAX + " characters");
    }
    int limit = BucketRoutes.limit(x.param("limit"));
    if (!catalog.bucketExists(bucket)) {
      x.error(HttpResponseStatus.NOT_FOUND, "bucket not found");
      return;
    }
    StreamCatalog.Page page = catalog.list(bucket, prefix, x.param("after"), limit);
    x.respond(AdminRoutes.json(g -> {
      g.writeStartObject();
      g.writeStringField("bucket", bucket);
      g.writeStringField("prefix", prefix);
      g.writeArrayFieldStart("streams");
      for (Buckets.Entry e : page.streams()) {
        g.writeStartObject();
        g.writeStringField("name", e.name());
        g.writeStringField("contentType", e.contentType());
        g.writeStringField("nextOffset", Offsets.format(e.tail()));
        g.writeNumberField("tailBytes", e.tail());
        g.writeBooleanField("closed", e.closed());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeStringField("next", page.next());
      g.writeEndObject();
    }));
  }

  private void stream(Exchange x) {
    StreamKey key = key(x);
    StreamCatalog.Detail d = catalog.describe(key);
    if (d.status() != ReadResult.Status.OK) {
      x.respond(ReadRoutes.notOk(d.status()));
      return;
    }
    StreamInfo i = d.info();
    x.respond(AdminRoutes.json(g -> {
      g.writeStartObject();
      g.writeStringField("bucket", key.bucket());
      g.writeStringField("name", key.stream());
      g.writeNumberField("streamId", i.streamId());
      g.writeNumberField("group", d.group());
      g.writeStringField("contentType", i.contentType());
      g.writeBooleanField("json", i.json());
      g.writeStringField("nextOffset", Offsets.format(i.tail()));
      g.writeNumberField("tailBytes", i.tail());
      g.writeNumberField("ownBytes", i.tail() - d.ownStart());
      if (d.storedRecords() >= 0) {
        g.writeNumberField("storedRecords", d.storedRecords());
      } else {
        g.writeNullField("storedRecords");
      }
      g.writeBooleanField("closed", i.closed());
      if (i.ttlSeconds() >= 0) {
        g.writeNumberField("ttlSeconds", i.ttlSeconds());
      } else {
        g.writeNullField("ttlSeconds");
      }
      g.writeStringField("expiresAt", d.expiresAtMillis() >= 0 ? Instant.ofEpochMilli(d.expiresAtMillis()).toString()
          : i.expiresAt());
      g.writeStringField("lastAccess", d.lastAccessMillis() >= 0 ? Instant.ofEpochMilli(d.lastAccessMillis()).toString()
          : null);
      g.writeStringField("retainedFrom", Offsets.format(i.retainedFrom()));
      g.writeNumberField("retainedFromBytes", i.retainedFrom());
      if (i.snapshot() != null) {
        g.writeObjectFieldStart("snapshot");
        g.writeStringField("offset", Offsets.format(i.snapshot().offset()));
        g.writeNumberField("offsetBytes", i.snapshot().offset());
        g.writeStringField("contentType", i.snapshot().contentType());
        g.writeStringField("digest", i.snapshot().digest());
        g.writeEndObject();
      } else {
        g.writeNullField("snapshot");
      }
      if (d.forkSource() != null) {
        g.writeObjectFieldStart("forkOf");
        g.writeStringField("bucket", d.forkSource().bucket());
        g.writeStringField("name", d.forkSource().stream());
        g.writeStringField("forkPoint", Offsets.format(d.forkPoint()));
        g.writeEndObject();
      } else {
        g.writeNullField("forkOf");
      }
      g.writeStringField("attrs", i.attrs());
      g.writeEndObject();
    }));
  }

  /**
   * Records from {@code offset} on ({@code -1} = the oldest retained, {@code now} = the tail): at
   * once when there are some, else when the next arrive or after the long-poll timeout (an empty
   * answer pointing at the same offset). An offset below the retention floor reads from the floor.
   */
  private void tail(Exchange x) {
    StreamKey key = key(x);
    long offset = HeaderParsing.offsetParam(x.params("offset"));
    if (offset == HeaderParsing.ABSENT) {
      throw new BadRequestException("offset is required (-1 for the oldest retained record, now for the tail)");
    }
    StreamReads.Lookup l = hc.service.reads().lookup(key);
    if (l.status() != ReadResult.Status.OK) {
      x.respond(ReadRoutes.notOk(l.status()));
      return;
    }
    StreamInfo info = l.info();
    long start = offset == HeaderParsing.NOW ? info.tail() : StreamReads.addressedStart(offset, info.tail());
    if (start > info.tail()) {
      x.respond(ReadRoutes.notOk(ReadResult.Status.BAD_OFFSET));
      return;
    }
    new LongPoll(hc, x, info, Math.max(start, info.retainedFrom()), TAIL).start();
  }

  /** The tail's answers: JSON records (JSON streams) or base64 chunks (any other type). */
  private static final LongPoll.Answer TAIL = new LongPoll.Answer() {
    @Override
    public boolean renewsTtl() {
      return false;
    }

    @Override
    public long bytesMax(HttpContext hc) {
      return Math.min(TAIL_BYTES_MAX, hc.config.readChunkBytesMax());
    }

    @Override
    public FullHttpResponse data(HttpContext hc, Exchange x, ReadResult res) {
      return AdminRoutes.json(g -> {
        g.writeStartObject();
        head(g, res.info(), res.from(), res.next(), res.upToDate(), res.closedAtEnd());
        g.writeArrayFieldStart("records");
        if (res.info().json()) {
          jsonRecords(g, res.data(), res.from());
        } else if (res.data().length > 0) {
          g.writeStartObject();
          g.writeStringField("offset", Offsets.format(res.from()));
          g.writeNumberField("offsetBytes", res.from());
          g.writeStringField("base64", java.util.Base64.getEncoder().encodeToString(res.data()));
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      });
    }

    @Override
    public FullHttpResponse empty(HttpContext hc, Exchange x, StreamInfo info, long next, boolean closed) {
      return AdminRoutes.json(g -> {
        g.writeStartObject();
        head(g, info, next, next, true, closed);
        g.writeArrayFieldStart("records");
        g.writeEndArray();
        g.writeEndObject();
      });
    }
  };

  private static void head(JsonGenerator g, StreamInfo info, long from, long next, boolean upToDate, boolean closed)
      throws IOException {
    g.writeStringField("contentType", info.contentType());
    g.writeBooleanField("json", info.json());
    g.writeStringField("from", Offsets.format(from));
    g.writeStringField("next", Offsets.format(next));
    g.writeNumberField("nextBytes", next);
    g.writeBooleanField("upToDate", upToDate);
    g.writeBooleanField("closed", closed);
  }

  /**
   * One record per stored JSON message: they are stored newline-terminated and were validated and
   * re-serialized compactly when appended, so each line is one JSON value, written as it is.
   */
  private static void jsonRecords(JsonGenerator g, byte[] framed, long from) throws IOException {
    int startOfLine = 0;
    for (int i = 0; i < framed.length; i++) {
      if (framed[i] == '\n') {
        g.writeStartObject();
        g.writeStringField("offset", Offsets.format(from + startOfLine));
        g.writeNumberField("offsetBytes", from + startOfLine);
        g.writeFieldName("value");
        g.writeRawValue(new String(framed, startOfLine, i - startOfLine, java.nio.charset.StandardCharsets.UTF_8));
        g.writeEndObject();
        startOfLine = i + 1;
      }
    }
  }

  private static String bucket(Exchange x) {
    String bucket = x.param("bucket");
    if (bucket == null) {
      return StreamKey.DEFAULT_BUCKET;
    }
    String err = RouteFamilies.bucketError(bucket);
    if (err != null && !bucket.equals(StreamKey.DEFAULT_BUCKET)) {
      throw new BadRequestException(err);
    }
    return bucket;
  }

  private static StreamKey key(Exchange x) {
    String name = x.param("name");
    if (name == null || name.isEmpty()) {
      throw new BadRequestException("name is required");
    }
    if (name.length() > 1024) {
      throw new BadRequestException("stream name longer than 1024 characters");
    }
    return new StreamKey(bucket(x), name);
  }
}
