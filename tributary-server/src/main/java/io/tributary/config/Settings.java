package io.tributary.config;

import java.util.List;

/** The catalogue of every setting. {@code docs/operations.md} carries the same table (checked by a test). */
public final class Settings {
  private Settings() {}

  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;

  public static final Setting HOST = str("host", "127.0.0.1", "address the client HTTP listener binds");
  public static final Setting PORT = num("port", 4437, "port", "client HTTP port (0 picks a free port)", v -> v >= 0 && v <= 65535, "0..65535");
  public static final Setting DATA_DIR = str("data-dir", "./data", "directory for the Raft log, snapshots and data segments");
  public static final Setting NODE_ID = str("node-id", "n1", "this node's id; must appear in --peers when peers are given");
  public static final Setting PEER_PORT = num("peer-port", 4438, "port", "Raft peer port", v -> v >= 0 && v <= 65535, "0..65535");
  public static final Setting PEERS = str("peers", "", "cluster voters as id=host:peerPort[:clientPort],... (clientPort defaults to peerPort-1); empty = single node");
  public static final Setting REJOIN = str("rejoin", "false", "true after this node lost its data dir: it leaves and re-joins every group as a new member and is sent snapshots (see docs/operations.md)");
  public static final Setting GROUPS = num("groups", 8, "count", "Raft groups (fixed when the cluster is created)", v -> v >= 1 && v <= 256, "1..256");
  public static final Setting RAFT_RPC = str("raft-rpc", "grpc", "Raft transport: grpc or netty");
  public static final Setting ELECTION_TIMEOUT_MIN_MS = num("election-timeout-min-ms", 300, "ms", "Raft election timeout, lower bound", v -> v >= 50, ">= 50");
  public static final Setting ELECTION_TIMEOUT_MAX_MS = num("election-timeout-max-ms", 600, "ms", "Raft election timeout, upper bound", v -> v >= 100, ">= 100");
  public static final Setting SNAPSHOT_INTERVAL_ENTRIES = num("snapshot-interval-entries", 20000, "entries", "Raft entries between automatic snapshots (the log is purged behind them)", v -> v >= 100, ">= 100");
  public static final Setting RAFT_SEGMENT_BYTES_MAX = num("raft-segment-bytes-max", 64 * MIB, "bytes", "size at which a Raft log segment is closed; only closed segments behind a snapshot are purged", v -> v >= 64 * KIB, ">= 64 KiB");
  public static final Setting SEGMENT_BYTES_MAX = num("segment-bytes-max", 64 * MIB, "bytes", "size at which a data segment file is rolled", v -> v >= MIB, ">= 1 MiB");
  public static final Setting TAIL_CACHE_BYTES = num("tail-cache-bytes", 4 * MIB, "bytes", "recent data kept in memory per group (serves live readers without disk I/O)", v -> v >= 0, ">= 0");
  public static final Setting BODY_BYTES_MAX = num("body-bytes-max", 32 * MIB, "bytes", "largest request body; larger gets 413", v -> v >= KIB && v <= 256 * MIB, "1 KiB..256 MiB");
  public static final Setting READ_CHUNK_BYTES_MAX = num("read-chunk-bytes-max", 4 * MIB, "bytes", "largest body of one catch-up read response", v -> v >= 4 * KIB, ">= 4 KiB");
  public static final Setting BATCH_BYTES_MAX = num("batch-bytes-max", MIB, "bytes", "appends coalesced into one Raft entry, by bytes", v -> v >= 4 * KIB, ">= 4 KiB");
  public static final Setting BATCH_APPENDS_MAX = num("batch-appends-max", 2048, "count", "appends coalesced into one Raft entry, by count", v -> v >= 1, ">= 1");
  public static final Setting ENTRIES_IN_FLIGHT_MAX = num("entries-in-flight-max", 2, "count", "Raft entries in flight per group before appends queue", v -> v >= 1 && v <= 64, "1..64");
  public static final Setting PENDING_APPENDS_MAX = num("pending-appends-max", 8192, "count", "queued appends per group; beyond it appends get 503", v -> v >= 1, ">= 1");
  public static final Setting PENDING_BYTES_MAX = num("pending-bytes-max", 64 * MIB, "bytes", "queued append bytes per group; beyond it appends get 503", v -> v >= MIB, ">= 1 MiB");
  public static final Setting CONNECTIONS_MAX = num("connections-max", 10000, "count", "open client connections; beyond it new ones get 503", v -> v >= 1, ">= 1");
  public static final Setting SSE_SUBSCRIBERS_MAX = num("sse-subscribers-max", 10000, "count", "concurrent SSE subscribers; beyond it 503", v -> v >= 1, ">= 1");
  public static final Setting LONG_POLLS_MAX = num("long-polls-max", 10000, "count", "concurrent parked long-polls; beyond it 503", v -> v >= 1, ">= 1");
  public static final Setting LONG_POLL_TIMEOUT_MS = num("long-poll-timeout-ms", 30000, "ms", "how long a long-poll waits at the tail before 204", v -> v >= 10 && v <= 600000, "10..600000");
  public static final Setting SSE_KEEPALIVE_MS = num("sse-keepalive-ms", 15000, "ms", "interval of SSE keep-alive comments while idle", v -> v >= 100, ">= 100");
  public static final Setting SSE_CONNECTION_MAX_MS = num("sse-connection-max-ms", 60000, "ms", "an SSE response is ended after this long (clients reconnect; lets CDNs collapse)", v -> v >= 1000, ">= 1000");
  public static final Setting REQUEST_TIMEOUT_MS = num("request-timeout-ms", 30000, "ms", "a request whose head or body stalls this long gets 408 and is closed; a snapshot download from a peer that stalls this long is abandoned (and retried)", v -> v >= 100, ">= 100");
  public static final Setting IDLE_TIMEOUT_MS = num("idle-timeout-ms", 300000, "ms", "an idle keep-alive connection is closed after this long", v -> v >= 1000, ">= 1000");
  public static final Setting WRITE_TIMEOUT_MS = num("write-timeout-ms", 30000, "ms", "deadline of a round trip through Raft: an append's acknowledgement (past it 503, outcome unknown, retry with producer headers), a write or read barrier forwarded to the leader, a follower read's barrier (past it 503)", v -> v >= 100, ">= 100");
  public static final Setting READ_THREADS = num("read-threads", 2, "count", "threads for disk reads (never on event loops)", v -> v >= 1 && v <= 64, "1..64");
  public static final Setting READ_QUEUE_MAX = num("read-queue-max", 4096, "count", "queued disk reads; beyond it reads get 503", v -> v >= 1, ">= 1");
  public static final Setting EVENT_LOOP_THREADS = num("event-loop-threads", 0, "count", "Netty event loops (0 = one per core)", v -> v >= 0 && v <= 256, "0..256");

  public static final List<Setting> ALL = List.of(HOST, PORT, DATA_DIR, NODE_ID, PEER_PORT, PEERS, REJOIN, GROUPS, RAFT_RPC,
      ELECTION_TIMEOUT_MIN_MS, ELECTION_TIMEOUT_MAX_MS, SNAPSHOT_INTERVAL_ENTRIES, RAFT_SEGMENT_BYTES_MAX, SEGMENT_BYTES_MAX, TAIL_CACHE_BYTES,
      BODY_BYTES_MAX, READ_CHUNK_BYTES_MAX, BATCH_BYTES_MAX, BATCH_APPENDS_MAX, ENTRIES_IN_FLIGHT_MAX,
      PENDING_APPENDS_MAX, PENDING_BYTES_MAX, CONNECTIONS_MAX, SSE_SUBSCRIBERS_MAX, LONG_POLLS_MAX,
      LONG_POLL_TIMEOUT_MS, SSE_KEEPALIVE_MS, SSE_CONNECTION_MAX_MS, REQUEST_TIMEOUT_MS, IDLE_TIMEOUT_MS,
      WRITE_TIMEOUT_MS, READ_THREADS, READ_QUEUE_MAX, EVENT_LOOP_THREADS);

  private static Setting str(String name, String def, String doc) {
    return new Setting(name, Setting.Kind.STRING, def, "", doc, v -> true, "");
  }

  private static Setting num(String name, long def, String unit, String doc, java.util.function.LongPredicate valid, String validText) {
    return new Setting(name, Setting.Kind.LONG, Long.toString(def), unit, doc, valid, validText);
  }
}
