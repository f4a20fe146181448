package io.tributary.service;

import io.tributary.common.StreamKey;
import io.tributary.state.Command;
import io.tributary.common.ContentTypes;
import io.tributary.state.Outcome;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Creates a fork in two replicated steps, because source and fork may live in different groups:
 * (1) pin the source at the fork point on the source's group (validates the point, keeps the
 * source's data alive through a delete), then (2) create the fork on its own group referring to
 * the pin. A pin that ends up unused (conflict, identical re-PUT) is released again.
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
    StreamKey src = f.source();
    long point = f.offset();
    if (f.subOffset() > 0) {
      return service.readBarrier(src).thenCompose(v -> resolveSubOffset(f.offset(), f.subOffset(), -1));
    }
    return pin(point, -1);
  }

  /**
   * Resolves a sub-offset to a byte position, one read chunk at a time (never the whole rest of the
   * source in memory): it counts bytes (binary) or messages (JSON) past {@code at}. The pin then
   * verifies the source is still the stream these reads saw ({@code streamId}).
   */
  private CompletableFuture<WriteResult> resolveSubOffset(long at, long remaining, long streamId) {
    return service.reads().read(request.fork().source(), at, service.config().readChunkBytesMax()).thenCompose(rr -> {
      if (rr.status() == ReadResult.Status.NOT_FOUND) {
        return done(WriteResult.Status.NOT_FOUND, "fork source not found");
      }
      if (rr.status() == ReadResult.Status.GONE) {
        return done(WriteResult.Status.CONFLICT, "fork source was deleted");
      }
      if (rr.status() == ReadResult.Status.BAD_OFFSET) {
        return done(WriteResult.Status.BAD_REQUEST, rr.reason());
      }
      if (rr.status() != ReadResult.Status.OK) {
        return done(WriteResult.Status.CONFLICT, rr.reason());
      }
      long id = rr.info().streamId();
      if (streamId >= 0 && id != streamId) {
        return done(WriteResult.Status.CONFLICT, "fork source was replaced while the fork was resolved");
      }
      if (!rr.info().json()) {
        if (remaining > rr.info().tail() - at) {
          return done(WriteResult.Status.BAD_REQUEST, "Stream-Fork-Sub-Offset goes past the source's data");
        }
        return pin(at + remaining, id);
      }
      long prefix = JsonMessages.prefixOfMessages(rr.data(), remaining);
      if (prefix >= 0) {
        return pin(at + prefix, id);
      }
      if (rr.upToDate() || rr.next() == at) {
        return done(WriteResult.Status.BAD_REQUEST, "Stream-Fork-Sub-Offset goes past the source's data");
      }
      return resolveSubOffset(rr.next(), remaining - JsonMessages.count(rr.data()), id);
    });
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
