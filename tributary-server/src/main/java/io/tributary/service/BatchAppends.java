package io.tributary.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.common.Offsets;
import io.tributary.common.StreamKey;
import io.tributary.config.TributaryConfig;
import io.tributary.group.Replication;
import io.tributary.state.Command;
import io.tributary.state.StreamView;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Multi-message writes: {@code $append-batch} (many length-prefixed frames for one stream, one
 * Raft entry, one offset range per frame) and {@code $transaction} (appends to several streams of
 * one affinity key, all or nothing, one Raft entry). Parsing and JSON framing happen here, on the
 * caller's thread; apply decides. Thread-safe; no mutable state.
 */
public final class BatchAppends {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final StreamService service;
  private final Replication host;
  private final TributaryConfig config;

  BatchAppends(StreamService service, Replication host, TributaryConfig config) {
    this.service = service;
    this.host = host;
    this.config = config;
  }

  /** A batch's answer: the write result plus each frame's end, relative to {@code result.start()}. */
  public record BatchResult(WriteResult result, int[] frameEnds) {}

  /** One append of a transaction's answer. */
  public record TxAppend(StreamKey key, long offset, long nextOffset) {}

  /**
   * A transaction's answer: {@code COMMITTED} with one {@link TxAppend} per append, or the first
   * failing append's result (its index in {@code result.start()}) and nothing written.
   */
  public record TxResult(WriteResult result, List<TxAppend> appends) {}

  // ---------------------------------------------------------------- $append-batch

  /**
   * Appends the frames of {@code body} ({@code u32 big-endian length, payload}, repeated) as
   * separate messages. The producer triple, if any, covers the whole batch, so a retried batch is
   * deduplicated as one unit and learns its original offsets.
   */
  public CompletableFuture<BatchResult> appendBatch(StreamKey key, String contentType, byte[] body,
      ProducerIds ids) {
    return service.offLoopIfLarge(io.tributary.common.ContentTypes.isJson(contentType) ? body.length : 0,
        () -> framedBatch(key, contentType, body, ids));
  }

  private CompletableFuture<BatchResult> framedBatch(StreamKey key, String contentType, byte[] body, ProducerIds ids) {
    Command.Producer producer = ids == null ? null : new Command.Producer(ids.id(), ids.epoch(), ids.seq());
    List<byte[]> frames = frames(body);
    boolean json = service.frameAsJson(key, contentType);
    byte[] data;
    int[] ends = new int[frames.size()];
    int messages = 0;
    if (json) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length + frames.size() * 2);
      for (int i = 0; i < frames.size(); i++) {
        JsonMessages.Framed f;
        try {
          f = JsonMessages.frame(frames.get(i), false);
        } catch (BadRequestException e) {
          throw new BadRequestException("frame " + i + ": " + e.getMessage());
        }
        out.writeBytes(f.bytes());
        messages += f.count();
        ends[i] = out.size();
      }
      data = out.toByteArray();
    } else {
      data = new byte[body.length - 4 * frames.size()];
      int at = 0;
      for (int i = 0; i < frames.size(); i++) {
        byte[] f = frames.get(i);
        System.arraycopy(f, 0, data, at, f.length);
        at += f.length;
        ends[i] = at;
      }
    }
    Command.AppendBatch c = new Command.AppendBatch(key, contentType, data, ends, messages, producer);
    return service.submit(key, c, data.length).thenApply(o -> new BatchResult(StreamService.toResult(o, null), ends));
  }

  private List<byte[]> frames(byte[] body) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(body);
    while (b.hasRemaining()) {
      if (b.remaining() < 4) {
        throw new BadRequestException("truncated frame header at byte " + b.position());
      }
      long len = Integer.toUnsignedLong(b.getInt());
      if (len == 0) {
        throw new BadRequestException("frame " + out.size() + " is empty");
      }
      if (len > b.remaining()) {
        throw new BadRequestException("frame " + out.size() + " declares " + len + " bytes but " + b.remaining()
            + " remain");
      }
      if (out.size() == config.appendBatchFramesMax()) {
        throw new PayloadTooLargeException("more than append-batch-frames-max (" + config.appendBatchFramesMax()
            + ") frames");
      }
      byte[] f = new byte[(int) len];
      b.get(f);
      out.add(f);
    }
    if (out.isEmpty()) {
      throw new BadRequestException("empty batch: no frames");
    }
    return out;
  }

  // ---------------------------------------------------------------- $transaction

  /**
   * Parses {@code {"appends":[{"stream":..., "json"|"text"|"base64": ..., "contentType"?:...,
   * "ifMatch"?: offset}, ...]}} and commits it as one entry on the affinity key's group.
   */
  public CompletableFuture<TxResult> transaction(StreamKey affinityKey, byte[] body) {
    return service.offLoopIfLarge(body.length, () -> parsedTransaction(affinityKey, body));
  }

  private CompletableFuture<TxResult> parsedTransaction(StreamKey affinityKey, byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequestException("transaction body is not JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new BadRequestException("transaction body is not readable JSON");
    }
    JsonNode appends = root == null ? null : root.get("appends");
    if (appends == null || !appends.isArray() || appends.isEmpty()) {
      throw new BadRequestException("a transaction needs a non-empty \"appends\" array");
    }
    if (appends.size() > config.transactionAppendsMax()) {
      throw new PayloadTooLargeException("more than transaction-appends-max (" + config.transactionAppendsMax()
          + ") appends");
    }
    // the barrier makes streams created through other nodes visible here (content types, framing)
    return service.readBarrier(affinityKey).thenCompose(x -> {
      List<Command.Append> cmds = new ArrayList<>();
      Set<StreamKey> seen = new HashSet<>();
      int bytes = 0;
      for (int i = 0; i < appends.size(); i++) {
        Command.Append a = txAppend(affinityKey, appends.get(i), i);
        if (!seen.add(a.key())) {
          throw new BadRequestException("append " + i + ": stream " + a.key().stream() + " appears twice");
        }
        cmds.add(a);
        bytes += a.data().length;
      }
      return service.submit(affinityKey, new Command.Transaction(affinityKey, cmds), bytes).thenApply(o -> {
        WriteResult r = StreamService.toResult(o, null);
        List<TxAppend> out = new ArrayList<>();
        if (r.status() == WriteResult.Status.COMMITTED) {
          for (int i = 0; i < cmds.size(); i++) {
            long end = r.ends()[i];
            out.add(new TxAppend(cmds.get(i).key(), end - cmds.get(i).data().length, end));
          }
        }
        return new TxResult(r, out);
      });
    });
  }

  private Command.Append txAppend(StreamKey affinityKey, JsonNode item, int i) {
    if (item == null || !item.isObject()) {
      throw new BadRequestException("append " + i + " is not an object");
    }
    JsonNode s = item.get("stream");
    if (s == null || !s.isTextual() || s.asText().isEmpty()) {
      throw new BadRequestException("append " + i + " needs a \"stream\" name");
    }
    StreamKey key = new StreamKey(affinityKey.bucket(), s.asText());
    if (!affinityKey.stream().equals(key.affinity())) {
      throw new BadRequestException("append " + i + ": stream " + key.stream() + " is not under affinity key "
          + affinityKey.stream());
    }
    StreamView v = host.replica(key).view(key);
    JsonNode ctNode = item.get("contentType");
    String ct = ctNode != null && ctNode.isTextual() ? ctNode.asText() : v != null ? v.contentType() : null;
    if (ct == null) {
      throw new BadRequestException("append " + i + ": stream " + key.stream() + " not found (and no contentType given)");
    }
    byte[] raw;
    int kinds = (item.has("json") ? 1 : 0) + (item.has("text") ? 1 : 0) + (item.has("base64") ? 1 : 0);
    if (kinds != 1) {
      throw new BadRequestException("append " + i + " needs exactly one of \"json\", \"text\", \"base64\"");
    }
    if (item.has("json")) {
      raw = item.get("json").toString().getBytes(StandardCharsets.UTF_8);
    } else if (item.has("text")) {
      if (!item.get("text").isTextual()) {
        throw new BadRequestException("append " + i + ": \"text\" must be a string");
      }
      raw = item.get("text").asText().getBytes(StandardCharsets.UTF_8);
    } else {
      try {
        raw = Base64.getDecoder().decode(item.get("base64").asText());
      } catch (IllegalArgumentException e) {
        throw new BadRequestException("append " + i + ": \"base64\" is not valid base64");
      }
    }
    if (raw.length == 0) {
      throw new BadRequestException("append " + i + " is empty");
    }
    byte[] data = raw;
    int messages = 0;
    if (service.frameAsJson(key, ct)) {
      try {
        JsonMessages.Framed f = JsonMessages.frame(raw, false);
        data = f.bytes();
        messages = f.count();
      } catch (BadRequestException e) {
        throw new BadRequestException("append " + i + ": " + e.getMessage());
      }
    }
    long expected = -1;
    JsonNode im = item.get("ifMatch");
    if (im != null && !im.isNull()) {
      expected = Offsets.parse(im.asText());
      if (expected == Offsets.INVALID) {
        throw new BadRequestException("append " + i + ": \"ifMatch\" must be a stream offset");
      }
    }
    return new Command.Append(key, ct, data, messages, false, null, null, expected);
  }
}
