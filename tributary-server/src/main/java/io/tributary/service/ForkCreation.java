package io.tributary.service;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.common.ContentTypes;
import io.tributary.state.Outcome;
import io.tributary.state.StreamView;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Creates a fork in two replicated steps, because source and fork may live in different groups:
 * (1) pin the source at the fork point on the source's group (validates the point, keeps the
 * source's data alive through a delete), then (2) create the fork on its own group referring to
 * the pin. A pin that ends up unused (conflict, identical re-PUT, a chain deeper than
 * {@code fork-depth-max}) is released again.
 * Runs on whatever thread completes each step; holds only the request.
 */
final class ForkCreation {
  private final StreamService service;
  private final CreateRequest request;

  ForkCreation(StreamService service, CreateRequest request) {
    this.service = service;
    this.request = request;
  }

  CompletableFuture<WriteResult> run() {
    CreateRequest.Fork f = request.fork();
    if (f.subOffset() > 0) {
      return service.readBarrier(f.source()).thenCompose(v -> resolveSubOffset(f.offset(), f.subOffset()));
    }
    return pin(f.offset(), -1);
  }

  /**
   * Resolves a sub-offset to a byte position: bytes past the offset of a binary source (from its
   * tail alone; nothing is read), messages past it of a JSON one ({@link #countMessages}). The pin
   * then verifies the source is still the stream seen here.
   */
  private CompletableFuture<WriteResult> resolveSubOffset(long offset, long sub) {
    StreamReads.Lookup l = service.reads().lookupForRead(request.fork().source());
    WriteResult refused = refusal(l.status(), null);
    if (refused != null) {
      return CompletableFuture.completedFuture(refused);
    }
    StreamInfo info = l.info();
    if (offset > info.tail()) {
      return done(WriteResult.Status.BAD_REQUEST, "offset is beyond the stream's tail");
    }
    if (info.json()) {
      return countMessages(offset, sub, info.streamId());
    }
    if (sub > info.tail() - offset) {
      return done(WriteResult.Status.BAD_REQUEST, "Stream-Fork-Sub-Offset goes past the source's data");
    }
    return pin(offset + sub, info.streamId());
  }

  /**
   * The position {@code remaining} JSON messages past {@code at}, counted one read chunk at a time
   * (never the whole rest of the source in memory), then pinned.
   */
  private CompletableFuture<WriteResult> countMessages(long at, long remaining, long streamId) {
    return service.reads().read(request.fork().source(), at, service.config().readChunkBytesMax()).thenCompose(rr -> {
      WriteResult refused = refusal(rr.status(), rr.reason());
      if (refused != null) {
        return CompletableFuture.completedFuture(refused);
      }
      if (rr.info().streamId() != streamId) {
        return done(WriteResult.Status.CONFLICT, "fork source was replaced while the fork was resolved");
      }
      long prefix = JsonMessages.prefixOfMessages(rr.data(), remaining);
      if (prefix >= 0) {
        return pin(at + prefix, streamId);
      }
      if (rr.upToDate() || rr.next() == at) {
        return done(WriteResult.Status.BAD_REQUEST, "Stream-Fork-Sub-Offset goes past the source's data");
      }
      return countMessages(rr.next(), remaining - JsonMessages.count(rr.data()), streamId);
    });
  }

  /** What the fork answers when a lookup or read of its source did not find it; null when it did. */
  private static WriteResult refusal(ReadResult.Status status, String reason) {
    return switch (status) {
      case OK -> null;
      case NOT_FOUND -> WriteResult.of(WriteResult.Status.NOT_FOUND, "fork source not found");
      case GONE -> WriteResult.of(WriteResult.Status.CONFLICT, "fork source was deleted");
      case BAD_OFFSET -> WriteResult.of(WriteResult.Status.BAD_REQUEST, reason);
    };
  }

  private CompletableFuture<WriteResult> pin(long point, long expectId) {
    StreamKey src = request.fork().source();
    String pinId = service.pinIds().get();
    Command.PinFork pin = new Command.PinFork(src, point, expectId, pinId, request.key());
    return service.submit(src, pin, 0).thenCompose(o -> afterPin(o, pinId));
  }

  private CompletableFuture<WriteResult> afterPin(Outcome pinned, String pinId) {
    if (pinned.code() != Outcome.Code.PINNED) {
      return CompletableFuture.completedFuture(StreamService.toResult(pinned, null));
    }
    int srcGroup = request.fork().source().groupIndex(service.host().groupCount());
    StreamView local = service.reads().viewById(srcGroup, pinned.streamId());
    CompletableFuture<StreamView> source = local != null ? CompletableFuture.completedFuture(local)
        : service.readBarrier(request.fork().source()).thenApply(v -> service.reads().viewById(srcGroup, pinned.streamId()));
    return source.thenCompose(src -> {
      int max = service.config().bounds().forkDepthMax();
      // the pinned incarnation's chain never changes; a source this replica cannot see (removed
      // meanwhile) leaves the depth to the read, which would fail anyway
      if (src != null && service.reads().forkDepth(src, max) + 1 > max) {
        release(pinned, pinId);
        return done(WriteResult.Status.BAD_REQUEST, "the fork source is already " + max
            + " forks deep (fork-depth-max); fork its source or an earlier stream instead");
      }
      return create(pinned, pinId);
    });
  }

  private CompletableFuture<WriteResult> create(Outcome pinned, String pinId) {
    CreateRequest.Fork f = request.fork();
    String ct = pinned.contentType();
    if (request.contentType() != null
        && !Objects.equals(ContentTypes.normalize(request.contentType()), ContentTypes.normalize(ct))) {
      release(pinned, pinId);
      return done(WriteResult.Status.CONFLICT, "content type differs from the fork source's");
    }
    long ttl = request.ttlSeconds();
    String exp = request.expiresAt();
    long expMs = request.expiresAtMillis();
    if (ttl < 0 && exp == null) {
      ttl = pinned.ttlSeconds();
      exp = pinned.expiresAt();
      expMs = pinned.expiresAtMillis();
    }
    int srcGroup = f.source().groupIndex(service.host().groupCount());
    Command.ForkSpec spec = new Command.ForkSpec(f.source(), srcGroup, pinned.streamId(), pinned.tail(), f.offset(),
        f.subOffset(), pinId);
    try {
      return service.createResolved(request, ct, ttl, exp, expMs, spec);
    } catch (BadRequestException e) {
      release(pinned, pinId);
      throw e;
    }
  }

  private void release(Outcome pinned, String pinId) {
    StreamKey src = request.fork().source();
    service.releaseIfAsked(Outcome.of(Outcome.Code.UNPINNED, null).withRelease(src, pinned.streamId(), pinId));
  }

  private static CompletableFuture<WriteResult> done(WriteResult.Status s, String reason) {
    return CompletableFuture.completedFuture(WriteResult.of(s, reason));
  }
}
