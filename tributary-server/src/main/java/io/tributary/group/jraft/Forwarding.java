package io.tributary.group.jraft;

import com.alipay.sofa.jraft.rpc.RpcContext;
import com.alipay.sofa.jraft.rpc.RpcProcessor;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * Writes forwarded from a follower to the group's leader over SOFAJRaft's own RPC server (the
 * node's one gRPC server that also carries Raft traffic). One request carries one whole entry (a
 * batch of appends), never one client append. Protobuf's {@link BytesValue} is the envelope so no
 * generated code is needed; the payload is ours:
 *
 * <pre>
 *   request:  group i32 | entry bytes
 *   response: OK         (0) | log index i64 | encoded outcomes
 *             NOT_LEADER (1) | UTF-8 leader hint ("" if none)   -- nothing was submitted: safe to resend
 *             FAILED     (2) | UTF-8 reason                     -- submitted, outcome unknown
 * </pre>
 *
 * <p>The follower resends only after NOT_LEADER; a lost or failed call is answered 503 with an
 * unknown outcome (the entry may still commit), and a client retry with the same producer headers
 * is exactly-once. Ratis's client instead resends with the same call id into the leader's retry
 * cache; a SOFAJRaft equivalent would need such a cache keyed by (node, sequence) in the leader's
 * state, the next step if forwarded writes during failovers must not surface as 503.
 */
final class Forwarding {
  static final byte OK = 0;
  static final byte NOT_LEADER = 1;
  static final byte FAILED = 2;

  private Forwarding() {}

  /** A leader's answer to one forwarded entry. */
  sealed interface Answer {
    record Applied(long index, byte[] outcomes) implements Answer {}

    record NotLeader(String leaderHint) implements Answer {}

    record Failed(String reason) implements Answer {}
  }

  static BytesValue request(int group, byte[] entry) {
    ByteBuffer b = ByteBuffer.allocate(4 + entry.length).putInt(group).put(entry);
    return BytesValue.of(ByteString.copyFrom(b.array()));
  }

  static BytesValue response(Answer a) {
    return BytesValue.of(switch (a) {
      case Answer.Applied ap -> ByteString.copyFrom(
          ByteBuffer.allocate(9 + ap.outcomes().length).put(OK).putLong(ap.index()).put(ap.outcomes()).array());
      case Answer.NotLeader nl -> ByteString.copyFrom(new byte[] {NOT_LEADER})
          .concat(ByteString.copyFromUtf8(nl.leaderHint()));
      case Answer.Failed f -> ByteString.copyFrom(new byte[] {FAILED}).concat(ByteString.copyFromUtf8(f.reason()));
    });
  }

  static Answer parseResponse(BytesValue v) {
    ByteBuffer b = v.getValue().asReadOnlyByteBuffer();
    byte kind = b.get();
    switch (kind) {
      case OK -> {
        long index = b.getLong();
        byte[] outcomes = new byte[b.remaining()];
        b.get(outcomes);
        return new Answer.Applied(index, outcomes);
      }
      case NOT_LEADER -> {
        return new Answer.NotLeader(StandardCharsets.UTF_8.decode(b).toString());
      }
      case FAILED -> {
        return new Answer.Failed(StandardCharsets.UTF_8.decode(b).toString());
      }
      default -> throw new IllegalArgumentException("unknown forwarding answer kind " + kind);
    }
  }

  /**
   * The leader's side: decodes a request and hands (group, entry) to {@code accept}, answering
   * when its future completes. Runs on the RPC server's executor, returns at once.
   */
  static final class Processor implements RpcProcessor<BytesValue> {
    private final BiFunction<Integer, byte[], CompletableFuture<Answer>> accept;

    Processor(BiFunction<Integer, byte[], CompletableFuture<Answer>> accept) {
      this.accept = accept;
    }

    @Override
    public void handleRequest(RpcContext ctx, BytesValue request) {
      ByteBuffer b = request.getValue().asReadOnlyByteBuffer();
      int group = b.getInt();
      byte[] entry = new byte[b.remaining()];
      b.get(entry);
      accept.apply(group, entry).whenComplete((a, e) ->
          ctx.sendResponse(response(e != null ? new Answer.Failed(e.toString()) : a)));
    }

    @Override
    public String interest() {
      return BytesValue.class.getName();
    }
  }
}
