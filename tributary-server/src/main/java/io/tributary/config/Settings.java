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
  public static final Setting PEER_HOST = str("peer-host", "", "address the peer listeners bind (Raft on peer-port, node-to-node data transfer on the data port of this node's --peers entry); empty = this node's host in --peers, or 127.0.0.1 on a single node. Never the client address unless given");
  public static final Setting PEERS = str("peers", "", "cluster voters as id=host:peerPort[:dataPort],... where dataPort is the peer data listener (snapshot and segment transfer between nodes; defaults to peerPort+1); empty = single node");
  public static final Setting PEER_ROUTES = str("peer-routes", "", "where this node dials a peer's Raft port, as id=host:port,... (NAT, proxies); a peer not named is dialled at its --peers address. Only the address dialled changes: a peer is still named by its --peers address in every group's configuration, which must be identical on every node (jraft engine only)");
  public static final Setting ADMIN_HOST = str("admin-host", "127.0.0.1", "address the admin listener binds (admin API, /metrics); loopback unless given");
  public static final Setting ADMIN_PORT = num("admin-port", 4440, "port", "admin HTTP port (0 picks a free port)", v -> v >= 0 && v <= 65535, "0..65535");
  public static final Setting TLS_CERT_FILE = str("tls-cert-file", "", "PEM certificate chain (leaf first) of the client listener; with tls-key-file it serves HTTPS only. Empty = plain HTTP");
  public static final Setting TLS_KEY_FILE = str("tls-key-file", "", "PEM private key (PKCS#8, PKCS#1 or SEC1; unencrypted) of tls-cert-file. Keep it readable by the node's user only");
  public static final Setting ADMIN_TLS_CERT_FILE = str("admin-tls-cert-file", "", "PEM certificate chain of the admin listener; empty = the client listener's (so with tls-cert-file set, the admin listener is HTTPS too)");
  public static final Setting ADMIN_TLS_KEY_FILE = str("admin-tls-key-file", "", "PEM private key of admin-tls-cert-file; given together with it");
  public static final Setting PEER_TLS_CERT_FILE = str("peer-tls-cert-file", "", "PEM certificate chain of this node on the peer plane (its common name must be its --node-id); with peer-tls-key-file and peer-tls-ca-file the peer plane speaks mutual TLS: the Raft port (jraft engine: votes, replication, membership and leadership requests, forwarded writes) and the peer data listener (snapshots, segments) accept only nodes with a certificate from that CA whose common name is an id of --peers, and this node checks that a peer it dials presents that peer's id. Empty = plaintext (a private network only)");
  public static final Setting PEER_TLS_KEY_FILE = str("peer-tls-key-file", "", "PEM private key of peer-tls-cert-file");
  public static final Setting PEER_TLS_CA_FILE = str("peer-tls-ca-file", "", "PEM certificate(s) of the cluster CA that issues node certificates (read at start)");
  public static final Setting TLS_RELOAD_INTERVAL_MS = num("tls-reload-interval-ms", 10000, "ms", "how often the certificate and key files are re-read (off the event loops); a changed pair that matches and is valid serves new connections, a broken one is logged and the old one kept; 0 = never", v -> v == 0 || (v >= 100 && v <= 86_400_000), "0 or 100..86400000");
  public static final Setting REJOIN = str("rejoin", "false", "true after this node lost its data dir: it leaves and re-joins every group as a new member and is sent snapshots (see docs/operations.md)");
  public static final Setting GROUPS = num("groups", 0, "count", "Raft groups, fixed when the data directory is created (0 = auto: the count the data directory was created with; for a new one 1 on a single node, 3 in a cluster)", v -> v >= 0 && v <= 256, "0..256");
  public static final Setting ELECTION_TIMEOUT_MIN_MS = num("election-timeout-min-ms", 1000, "ms", "Raft election timeout, lower bound; a leader that has not heard from a majority for 90% of it steps down (SOFAJRaft), so it must outlast GC pauses and CPU starvation", v -> v >= 50, ">= 50");
  public static final Setting ELECTION_TIMEOUT_MAX_MS = num("election-timeout-max-ms", 2000, "ms", "Raft election timeout, upper bound", v -> v >= 100, ">= 100");
  public static final Setting LOG_MEMTABLE_BYTES = num("log-memtable-bytes", 4 * MIB, "bytes", "RocksDB write buffer of each group's Raft log: entries stay in it (native memory, off the heap) until it is flushed; at most two per group are held, so a node's log memory is bounded by groups x 2 x this, and the write-ahead log a restart replays by twice this per group", v -> v >= MIB && v <= 256 * MIB, "1MiB..256MiB");
  public static final Setting SNAPSHOT_INTERVAL_ENTRIES = num("snapshot-interval-entries", 20000, "entries", "Raft entries between automatic snapshots (the log is purged behind them)", v -> v >= 100, ">= 100");
  public static final Setting SEGMENT_BYTES_MAX = num("segment-bytes-max", 64 * MIB, "bytes", "size at which a data segment file is rolled", v -> v >= MIB, ">= 1 MiB");
  public static final Setting TAIL_CACHE_BYTES = num("tail-cache-bytes", 4 * MIB, "bytes", "recent data kept in memory per group (serves live readers without disk I/O)", v -> v >= 0, ">= 0");
  public static final Setting BODY_BYTES_MAX = num("body-bytes-max", 32 * MIB, "bytes", "largest request body; larger gets 413", v -> v >= KIB && v <= 256 * MIB, "1 KiB..256 MiB");
  public static final Setting READ_CACHE_BYTES = num("read-cache-bytes", 32 * MIB, "bytes", "recently read 16 KiB blocks of segment files kept in memory per node, split over its groups: readers of nearby data at the same time (a herd reconnecting, many streams caught up at once) read each block from disk once; 0 turns it off", v -> v >= 0, ">= 0");
  public static final Setting READ_CHUNK_BYTES_MAX = num("read-chunk-bytes-max", 4 * MIB, "bytes", "largest body of one catch-up read response", v -> v >= 4 * KIB, ">= 4 KiB");
  public static final Setting APPEND_BATCH_FRAMES_MAX = num("append-batch-frames-max", 512, "count", "frames in one $append-batch request", v -> v >= 1 && v <= 65536, "1..65536");
  public static final Setting TRANSACTION_APPENDS_MAX = num("transaction-appends-max", 64, "count", "appends in one $transaction", v -> v >= 1 && v <= 4096, "1..4096");
  public static final Setting ATTRS_BYTES_MAX = num("attrs-bytes-max", 16 * KIB, "bytes", "largest stream attributes JSON object", v -> v >= 64 && v <= MIB, "64 B..1 MiB");
  public static final Setting SNAPSHOT_INLINE_BYTES_MAX = num("snapshot-inline-bytes-max", MIB, "bytes", "application snapshots larger than this go to the object store (when every replica can read it) instead of through Raft", v -> v >= 0, ">= 0");
  public static final Setting BOOTSTRAP_BYTES_MAX = num("bootstrap-bytes-max", 16 * MIB, "bytes", "messages in one $bootstrap response (the rest is read from Stream-Next-Offset)", v -> v >= 4 * KIB, ">= 4 KiB");
  public static final Setting BATCH_BYTES_MAX = num("batch-bytes-max", MIB, "bytes", "appends coalesced into one Raft entry, by bytes", v -> v >= 4 * KIB, ">= 4 KiB");
  public static final Setting BATCH_APPENDS_MIN = num("batch-appends-min", 1, "count", "a group with an entry in flight starts another only once this many appends (or half of batch-bytes-max) are queued; an idle group submits at once (16 measured faster on one node, but lone appends then wait for the entry in flight)", v -> v >= 1, ">= 1");
  public static final Setting BATCH_APPENDS_MAX = num("batch-appends-max", 2048, "count", "appends coalesced into one Raft entry, by count", v -> v >= 1, ">= 1");
  public static final Setting ENTRIES_IN_FLIGHT_MAX = num("entries-in-flight-max", 2, "count", "Raft entries in flight per group before appends queue", v -> v >= 1 && v <= 64, "1..64");
  public static final Setting PENDING_APPENDS_MAX = num("pending-appends-max", 8192, "count", "queued appends per group; beyond it appends get 503", v -> v >= 1, ">= 1");
  public static final Setting PENDING_BYTES_MAX = num("pending-bytes-max", 64 * MIB, "bytes", "queued append bytes per group; beyond it appends get 503", v -> v >= MIB, ">= 1 MiB");
  public static final Setting CONNECTIONS_MAX = num("connections-max", 10000, "count", "open client connections; beyond it new ones get 503", v -> v >= 1, ">= 1");
  public static final Setting CONNECTIONS_PER_IP_MAX = num("connections-per-ip-max", 1000, "count", "open client connections from one remote address; beyond it new ones from that address get 503 (a front proxy funnels many clients through one address: raise it there)", v -> v >= 1, ">= 1");
  public static final Setting FIRST_BYTE_TIMEOUT_MS = num("first-byte-timeout-ms", 10000, "ms", "a new connection that sends nothing for this long is closed", v -> v >= 100 && v <= 600000, "100..600000");
  public static final Setting REQUEST_BUFFER_BYTES_MAX = num("request-buffer-bytes-max", 256 * MIB, "bytes", "request bodies held in memory per listener, by declared length; a request beyond it gets 503 + Retry-After (one request alone always fits, up to body-bytes-max)", v -> v >= MIB, ">= 1 MiB");
  public static final Setting RESPONSE_BUFFER_BYTES_MAX = num("response-buffer-bytes-max", 256 * MIB, "bytes", "response bytes waiting for slow clients per listener; beyond it catch-up reads get 503 + Retry-After", v -> v >= MIB, ">= 1 MiB");
  public static final Setting OVERSIZED_BODY_DRAIN_BYTES_MAX = num("oversized-body-drain-bytes-max", 8 * MIB, "bytes", "after a 413 for a body over body-bytes-max, up to this much more of it is read and dropped before the connection closes, so the client reads the 413 instead of a reset (slow senders are still cut by request-timeout-ms); 0 closes at once", v -> v >= 0 && v <= 1024 * MIB, "0..1 GiB");
  public static final Setting RESPONSE_WRITE_TIMEOUT_MS = num("response-write-timeout-ms", 30000, "ms", "a response write the client does not take within this long closes the connection (slow readers)", v -> v >= 100 && v <= 3_600_000, "100..3600000");
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
  public static final Setting DISK_FREE_BYTES_MIN = num("disk-free-bytes-min", 256 * MIB, "bytes", "free space the data directory's file system keeps: below it appends and creates get 507 (reads go on, /readyz says why) until space returns; writes between two checks reserve twice their size against it", v -> v >= MIB, ">= 1 MiB");
  public static final Setting DISK_CHECK_INTERVAL_MS = num("disk-check-interval-ms", 500, "ms", "how often free space is measured and the data directory write-tested (off the event loops)", v -> v >= 10 && v <= 60000, "10..60000");
  public static final Setting SCRUB_BYTES_PER_SECOND = num("scrub-bytes-per-second", 8 * MIB, "bytes/s", "rate at which a background scrub re-reads every local segment record and checks its CRC32C (a damaged one is logged, counted and repaired from a peer); 0 = off", v -> v >= 0, ">= 0");
  public static final Setting RECLAIM = str("reclaim", "true", "true: a node that does not tier deletes, every reclaim-interval-ms, each group's oldest segment files whose every record is garbage (removed, expired or retention-trimmed streams); false keeps them. A segment that also holds live records is compacted instead (see compact-garbage-percent-min)");
  public static final Setting RECLAIM_INTERVAL_MS = num("reclaim-interval-ms", 10000, "ms", "how often a node that does not tier looks for whole segment files of garbage to delete (off the apply thread)", v -> v >= 10 && v <= 86400000, "10..86400000");
  public static final Setting COMPACT_GARBAGE_PERCENT_MIN = num("compact-garbage-percent-min", 50, "percent", "with reclaim on, a sealed segment whose garbage not yet reclaimed is at least this share of its size is rewritten in place with its live records at the same positions and the garbage as holes (a sparse file; two retained snapshots must both see it as garbage first); 0 = no compaction", v -> v >= 0 && v <= 100, "0..100");
  public static final Setting EVENT_LOOP_THREADS = num("event-loop-threads", 0, "count", "Netty event loops (0 = one per core)", v -> v >= 0 && v <= 256, "0..256");

  // bounds of state grown by client input (see docs/operations.md, "Bounded state")
  public static final Setting PRODUCER_ID_BYTES_MAX = num("producer-id-bytes-max", 256, "bytes", "longest Producer-Id (UTF-8); a longer one gets 400 (every producer's id is kept in the stream table and in every snapshot)", v -> v >= 1 && v <= 4096, "1..4096");
  public static final Setting PRODUCERS_PER_STREAM_MAX = num("producers-per-stream-max", 1000, "count", "producers one stream keeps for exactly-once deduplication; a new producer beyond it, once idle ones are dropped, gets 429 (the value of the node that submits the write applies: it travels in the Raft entry)", v -> v >= 1 && v <= 1_000_000, "1..1000000");
  public static final Setting PRODUCER_IDLE_EXPIRY_MS = num("producer-idle-expiry-ms", 86_400_000, "ms", "a producer with no accepted append for this long is forgotten: its next append counts as a new producer's (must start at seq 0), so a retry after that is not deduplicated", v -> v >= 1000 && v <= 31_536_000_000L, "1000..31536000000");
  public static final Setting BUCKET_STREAMS_MAX = num("bucket-streams-max", 1_000_000, "count", "streams of one bucket that one group holds (live, or deleted while forks read them); a create beyond it gets 429. A bucket's streams spread over the groups by name hash (an affinity key's share one group), so a bucket holds up to groups x this", v -> v >= 1 && v <= 1_000_000_000, "1..1000000000");
  public static final Setting BUCKETS_MAX = num("buckets-max", 10_000, "count", "buckets besides default; creating one more gets 429", v -> v >= 1 && v <= 1_000_000, "1..1000000");
  public static final Setting EXPIRY_SWEEP_INTERVAL_MS = num("expiry-sweep-interval-ms", 60_000, "ms", "how often each group's leader looks for expired streams nobody asked for and removes them through the log", v -> v >= 100 && v <= 86_400_000, "100..86400000");
  public static final Setting EXPIRY_SWEEP_PROBES_MAX = num("expiry-sweep-probes-max", 1000, "count", "expired streams one sweep pass removes (the rest wait for the next pass)", v -> v >= 1 && v <= 100_000, "1..100000");
  public static final Setting FORK_DEPTH_MAX = num("fork-depth-max", 64, "count", "forks in a chain from its root stream (a fork of a fork ... ); creating a deeper one gets 400", v -> v >= 1 && v <= 10_000, "1..10000");
  public static final Setting STREAM_SEQ_BYTES_MAX = num("stream-seq-bytes-max", 256, "bytes", "longest Stream-Seq (UTF-8); a longer one gets 400", v -> v >= 1 && v <= 4096, "1..4096");


  // limits per caller and quotas per bucket (see docs/security.md, "Quotas and limits"); counted on each node
  public static final Setting PRINCIPAL_REQUESTS_MAX = num("principal-requests-max", 2000, "count", "requests one principal (an API key's name or a JWT's sub; without a token, the remote address) has in flight at once on this node, live reads included (a connection carries one at a time); beyond it 429 + Retry-After", v -> v >= 1 && v <= 1_000_000, "1..1000000");
  public static final Setting PRINCIPAL_SSE_SUBSCRIBERS_MAX = num("principal-sse-subscribers-max", 1000, "count", "concurrent SSE subscribers of one principal (or remote address, without a token) on this node; beyond it 429 + Retry-After", v -> v >= 1 && v <= 1_000_000, "1..1000000");
  public static final Setting PRINCIPAL_LONG_POLLS_MAX = num("principal-long-polls-max", 1000, "count", "concurrent parked long-polls of one principal (or remote address, without a token) on this node; beyond it 429 + Retry-After", v -> v >= 1 && v <= 1_000_000, "1..1000000");
  public static final Setting BUCKET_QUOTA_STREAMS_MAX = num("bucket-quota-streams-max", 10_000_000, "count", "streams of one bucket over all groups, counted on this node's replicas when a create arrives (concurrent creates through several nodes may overshoot by the creates in flight); a create beyond it gets 429", v -> v >= 1 && v <= 1_000_000_000_000L, "1..1000000000000");
  public static final Setting BUCKET_QUOTA_BYTES_MAX = num("bucket-quota-bytes-max", 1024L * 1024 * MIB, "bytes", "stored bytes of one bucket (each live stream from its retention floor to its tail, over all groups, on this node's replicas); an append or create whose body would pass it gets 429", v -> v >= MIB && v <= (1L << 60), "1 MiB..1 EiB");
  public static final Setting BUCKET_QUOTA_APPENDS_PER_SECOND = num("bucket-quota-appends-per-second", 100_000, "count/s", "appends (and creates with a body) one bucket may submit through this node per second, a token bucket holding bucket-quota-burst-ms of it; beyond it 429 with Retry-After from the refill time", v -> v >= 1 && v <= 1_000_000_000, "1..1000000000");
  public static final Setting BUCKET_QUOTA_APPEND_BYTES_PER_SECOND = num("bucket-quota-append-bytes-per-second", 256 * MIB, "bytes/s", "stream bytes one bucket may submit through this node per second, a token bucket holding bucket-quota-burst-ms of it (a body larger than the burst passes when the bucket is full, and the debt delays the next); beyond it 429 with Retry-After", v -> v >= KIB && v <= (1L << 40), "1 KiB..1 TiB");
  public static final Setting BUCKET_QUOTAS_FILE = str("bucket-quotas-file", "", "per-bucket quotas, one bucket per line: bucket=streams:N,bytes:N,appends-per-second:N,append-bytes-per-second:N (any subset; the rest take the bucket-quota-* values; # comments); checked for changes every 5 s (a file that no longer parses keeps the quotas in use, logged). Empty = every bucket has the bucket-quota-* values");
  public static final Setting BUCKET_QUOTA_BURST_MS = num("bucket-quota-burst-ms", 2000, "ms", "how much of its rate a bucket's token buckets hold: the burst a bucket idle for that long may send at once", v -> v >= 10 && v <= 3_600_000, "10..3600000");

  // cold tier: the object store and the block cache of cold reads (see docs/operations.md, "Cold tier and S3")
  public static final Setting OBJECT_STORE = str("object-store", "dir", "cold-tier object store: dir (a directory, --object-store-dir) or s3 (--s3-*)");
  public static final Setting OBJECT_STORE_DIR = str("object-store-dir", "", "directory of the dir object store; empty = <data-dir>/objects (a cluster that tiers needs a directory every node shares)");
  public static final Setting S3_ENDPOINT = str("s3-endpoint", "", "S3 endpoint URL, e.g. https://minio.internal:9000 for an S3-compatible server (http:// only with s3-allow-http); empty = AWS (or AWS_ENDPOINT_URL_S3)");
  public static final Setting S3_ALLOW_HTTP = str("s3-allow-http", "false", "true: accept an http:// --s3-endpoint (object data and request signatures travel unencrypted; for a local test server such as s3proxy). Otherwise only https:// is accepted");
  public static final Setting S3_REGION = str("s3-region", "", "S3 region; empty = AWS_REGION or the AWS profile, else us-east-1");
  public static final Setting S3_BUCKET = str("s3-bucket", "", "S3 bucket (required with --object-store s3)");
  public static final Setting S3_PREFIX = str("s3-prefix", "", "key prefix inside the bucket, so clusters can share one ([A-Za-z0-9._=-/])");
  public static final Setting S3_ACCESS_KEY = str("s3-access-key", "", "S3 access key id; empty = the AWS SDK default chain (AWS_ACCESS_KEY_ID, profiles, instance roles)");
  public static final Setting S3_SECRET_KEY = secret("s3-secret-key", "S3 secret key, with --s3-access-key (never logged; prefer the env or --config file to a flag)");
  public static final Setting S3_PATH_STYLE = str("s3-path-style", "false", "true: path-style requests (http://host/bucket/key), which most S3-compatible servers need");
  public static final Setting S3_CONNECT_TIMEOUT_MS = num("s3-connect-timeout-ms", 2000, "ms", "S3 connection timeout", v -> v >= 100 && v <= 600000, "100..600000");
  public static final Setting S3_READ_TIMEOUT_MS = num("s3-read-timeout-ms", 10000, "ms", "longest silence while waiting for bytes from S3 before the attempt fails", v -> v >= 100 && v <= 600000, "100..600000");
  public static final Setting S3_CALL_TIMEOUT_MS = num("s3-call-timeout-ms", 60000, "ms", "deadline of one S3 call including its retries", v -> v >= 1000 && v <= 3600000, "1000..3600000");
  public static final Setting S3_ATTEMPTS_MAX = num("s3-attempts-max", 3, "count", "attempts per S3 call (1 = no retry)", v -> v >= 1 && v <= 10, "1..10");
  public static final Setting COLD_BLOCK_BYTES = num("cold-block-bytes", MIB, "bytes", "block size of cold reads: one ranged GET fetches one block", v -> v >= 4 * KIB && v <= 64 * MIB, "4 KiB..64 MiB");
  public static final Setting COLD_CACHE_BYTES_MAX = num("cold-cache-bytes-max", 64 * MIB, "bytes", "cold-read blocks kept in memory per node (LRU); 0 = no cache", v -> v >= 0, ">= 0");
  public static final Setting COLD_PREFETCH_BLOCKS = num("cold-prefetch-blocks", 2, "count", "blocks read ahead of a sequential cold reader (0 = off)", v -> v >= 0 && v <= 64, "0..64");


  // tiering: moving sealed data to the object store (see docs/operations.md, "Cold tier and S3")
  public static final Setting TIERING = str("tiering", "auto", "auto (tier only with --object-store s3), on (also to --object-store-dir: a single node, or a cluster whose nodes share that directory) or off (all data stays on local disk)");
  public static final Setting HOT_BYTES_MAX = num("hot-bytes-max", 4096 * MIB, "bytes", "local segment bytes kept per node; beyond it the oldest segments whose data is all in the object store are deleted (0 = delete as soon as tiered)", v -> v >= 0, ">= 0");
  public static final Setting UNTIERED_BYTES_MAX = num("untiered-bytes-max", 1024 * MIB, "bytes", "stream bytes per node not yet in the object store; beyond it appends get 503 + Retry-After (an object store outage)", v -> v >= MIB, ">= 1 MiB");
  public static final Setting TIER_BYTES_MIN = num("tier-bytes-min", 4 * MIB, "bytes", "a stream's untiered bytes are uploaded once at least this many are waiting", v -> v >= 1, ">= 1");
  public static final Setting TIER_AGE_MS = num("tier-age-ms", 60000, "ms", "a smaller untiered tail is uploaded once it has not grown for this long (0 = at once)", v -> v >= 0, ">= 0");
  public static final Setting TIER_CHUNK_BYTES_MAX = num("tier-chunk-bytes-max", 8 * MIB, "bytes", "largest chunk object (a single record may exceed it)", v -> v >= 64 * KIB && v <= 256 * MIB, "64 KiB..256 MiB");
  public static final Setting TIER_UPLOADS_MAX = num("tier-uploads-max", 4, "count", "concurrent uploads and deletions per node", v -> v >= 1 && v <= 64, "1..64");
  public static final Setting TIER_INTERVAL_MS = num("tier-interval-ms", 500, "ms", "how often the tiering task looks for data to upload, segments to drop and garbage to delete", v -> v >= 10 && v <= 60000, "10..60000");
  public static final Setting ORPHAN_GRACE_MS = num("orphan-grace-ms", 3_600_000, "ms", "an unreferenced object is deleted as an orphan only once it is older than this; an upload whose publish has not committed within half of it is refused and uploaded again, so in-flight uploads are never swept (same value on every node)", v -> v >= 1000, ">= 1000");
  public static final Setting ORPHAN_SWEEP_INTERVAL_MS = num("orphan-sweep-interval-ms", 300_000, "ms", "how often each group's leader lists its objects to delete orphans (uploads never published, lost deletions)", v -> v >= 100 && v <= 86_400_000, "100..86400000");
  public static final Setting ORPHAN_SWEEP_KEYS_MAX = num("orphan-sweep-keys-max", 10_000, "count", "objects listed per group in one sweep pass; a larger group is swept over several passes", v -> v >= 1 && v <= 10_000, "1..10000");
  public static final Setting COLD_READS_PREFER = str("cold-reads-prefer", "false", "true: read every tiered range from the object store even while a local copy exists (tests use it to exercise cold reads)");
  public static final Setting COLD_READS_WAIT_MS = num("cold-reads-wait-ms", 0, "ms", "with cold-reads-prefer: a read of bytes not yet in the object store first asks the tiering task to upload them and waits up to this long, so (almost) every read is served cold (a test knob; 0 = never wait)", v -> v >= 0 && v <= 60000, "0..60000");

  public static final Setting AUTH_API_KEYS_FILE = str("auth-api-keys-file", "", "file of API keys, one per line: name, SHA-256 of the key in hex, then its grants (docs/security.md); clients send Authorization: Bearer <key>. Setting any auth-* source turns authentication on");
  public static final Setting AUTH_HS256_SECRET_FILE = str("auth-hs256-secret-file", "", "file holding the shared secret (at least 32 bytes) of HS256-signed JWTs");
  public static final Setting AUTH_JWKS_FILE = str("auth-jwks-file", "", "JWK set (JSON) of keys that verify JWTs (RS/PS/ES/EdDSA); re-read when it changes");
  public static final Setting AUTH_JWKS_URL = str("auth-jwks-url", "", "https URL of a JWK set that verifies JWTs, fetched in the background and refreshed every auth-jwks-refresh-ms");
  public static final Setting AUTH_JWKS_REFRESH_MS = num("auth-jwks-refresh-ms", 300_000, "ms", "how often the JWKS file or URL is checked for rotated keys (a token with an unknown key id also asks for an early refresh, at most every 10 s)", v -> v >= 1000 && v <= 86_400_000, "1000..86400000");
  public static final Setting AUTH_JWT_AUDIENCE = str("auth-jwt-audience", "", "a JWT must name this audience in aud; empty = aud not checked");
  public static final Setting AUTH_JWT_ISSUER = str("auth-jwt-issuer", "", "a JWT's iss must equal this; empty = iss not checked");
  public static final Setting AUTH_JWT_GRANTS_CLAIM = str("auth-jwt-grants-claim", "tributary_grants", "JWT claim holding the caller's grants (an array of grant strings, or one space-separated string)");
  public static final Setting AUTH_ANONYMOUS_GRANTS = str("auth-anonymous-grants", "", "space-separated grants of requests without a token when authentication is on (e.g. read:public/ for a public bucket); empty = 401");
  public static final Setting CORS_ORIGINS = str("cors-origins", "", "origins whose pages may read client responses, space-separated (https://app.example.com), or * for any; empty = * without authentication, none with it");
  public static final Setting ALLOWED_HOSTS = str("allowed-hosts", "", "host names a request's Host header may carry, space-separated (a DNS-rebinding guard); others get 421; empty = any");
  public static final Setting INSECURE = str("insecure", "false", "true: allow a client or admin listener on a non-loopback address without authentication (the node logs a warning); false refuses to start that way");

  public static final Setting SUBSCRIPTIONS_MAX = num("subscriptions-max", 1000, "count", "push subscriptions the cluster holds (/v1/stream/__ds/subscriptions); creating more answers 429", v -> v >= 1 && v <= 1_000_000, "1..1000000");
  public static final Setting SUBSCRIPTION_STREAMS_MAX = num("subscription-streams-max", 10_000, "count", "streams linked to one subscription, explicitly or by its pattern; links beyond it are refused (400) or not made (pattern)", v -> v >= 1 && v <= 10_000_000, "1..10000000");
  public static final Setting WEBHOOK_LOOPBACK_ALLOWED = str("webhook-loopback-allowed", "false", "true: subscription webhooks may target http://localhost and 127.0.0.0/8 (development and tests); false: https to public addresses only");
  public static final Setting SUBSCRIPTION_LOG_CHECKPOINT_BYTES = num("subscription-log-checkpoint-bytes", 4 * MIB, "bytes", "subscription-log events after which the leader of its group writes a checkpoint of every subscription and drops the log before it (skipped while the checkpoint would exceed half of this)", v -> v >= 4096, ">= 4 KiB");
  public static final Setting WEBHOOK_SIGNING_KEY_FILE = str("webhook-signing-key-file", "", "PEM file of Ed25519 private keys (openssl genpkey -algorithm ed25519), the same on every node: the first signs webhook deliveries, all are published in jwks.json; re-read when it changes (rotate: put the new key first, remove the old one later). Empty = one key generated by the cluster and kept in the subscription log, never rotated");
  public static final Setting WEBHOOK_TIMEOUT_MS = num("webhook-timeout-ms", 10_000, "ms", "deadline of one webhook delivery (connect, send, answer); a miss is retried with backoff", v -> v >= 100 && v <= 600_000, "100..600000");

  public static final List<Setting> ALL = List.of(HOST, PORT, DATA_DIR, NODE_ID, PEER_PORT, PEER_HOST, PEERS, PEER_ROUTES, ADMIN_HOST, ADMIN_PORT,
      TLS_CERT_FILE, TLS_KEY_FILE, ADMIN_TLS_CERT_FILE, ADMIN_TLS_KEY_FILE, PEER_TLS_CERT_FILE, PEER_TLS_KEY_FILE,
      PEER_TLS_CA_FILE, TLS_RELOAD_INTERVAL_MS, REJOIN, GROUPS,
      ELECTION_TIMEOUT_MIN_MS, ELECTION_TIMEOUT_MAX_MS, SNAPSHOT_INTERVAL_ENTRIES, LOG_MEMTABLE_BYTES, SEGMENT_BYTES_MAX, TAIL_CACHE_BYTES, READ_CACHE_BYTES,
      BODY_BYTES_MAX, READ_CHUNK_BYTES_MAX, APPEND_BATCH_FRAMES_MAX, TRANSACTION_APPENDS_MAX, ATTRS_BYTES_MAX,
      BOOTSTRAP_BYTES_MAX, SNAPSHOT_INLINE_BYTES_MAX, BATCH_BYTES_MAX, BATCH_APPENDS_MIN, BATCH_APPENDS_MAX,
      ENTRIES_IN_FLIGHT_MAX,
      PENDING_APPENDS_MAX, PENDING_BYTES_MAX, CONNECTIONS_MAX, CONNECTIONS_PER_IP_MAX, FIRST_BYTE_TIMEOUT_MS,
      REQUEST_BUFFER_BYTES_MAX, RESPONSE_BUFFER_BYTES_MAX, RESPONSE_WRITE_TIMEOUT_MS, OVERSIZED_BODY_DRAIN_BYTES_MAX, SSE_SUBSCRIBERS_MAX, LONG_POLLS_MAX,
      LONG_POLL_TIMEOUT_MS, SSE_KEEPALIVE_MS, SSE_CONNECTION_MAX_MS, REQUEST_TIMEOUT_MS, IDLE_TIMEOUT_MS,
      WRITE_TIMEOUT_MS, READ_THREADS, READ_QUEUE_MAX, DISK_FREE_BYTES_MIN, DISK_CHECK_INTERVAL_MS, SCRUB_BYTES_PER_SECOND, RECLAIM, RECLAIM_INTERVAL_MS, COMPACT_GARBAGE_PERCENT_MIN, EVENT_LOOP_THREADS,
      PRODUCER_ID_BYTES_MAX, STREAM_SEQ_BYTES_MAX, PRODUCERS_PER_STREAM_MAX, PRODUCER_IDLE_EXPIRY_MS,
      BUCKET_STREAMS_MAX, BUCKETS_MAX, FORK_DEPTH_MAX, EXPIRY_SWEEP_INTERVAL_MS, EXPIRY_SWEEP_PROBES_MAX,
      PRINCIPAL_REQUESTS_MAX, PRINCIPAL_SSE_SUBSCRIBERS_MAX, PRINCIPAL_LONG_POLLS_MAX, BUCKET_QUOTA_STREAMS_MAX,
      BUCKET_QUOTA_BYTES_MAX, BUCKET_QUOTA_APPENDS_PER_SECOND, BUCKET_QUOTA_APPEND_BYTES_PER_SECOND, BUCKET_QUOTAS_FILE, BUCKET_QUOTA_BURST_MS,
      OBJECT_STORE, OBJECT_STORE_DIR, S3_ENDPOINT, S3_ALLOW_HTTP, S3_REGION, S3_BUCKET, S3_PREFIX, S3_ACCESS_KEY, S3_SECRET_KEY, S3_PATH_STYLE,
      S3_CONNECT_TIMEOUT_MS, S3_READ_TIMEOUT_MS, S3_CALL_TIMEOUT_MS, S3_ATTEMPTS_MAX, COLD_BLOCK_BYTES, COLD_CACHE_BYTES_MAX,
      COLD_PREFETCH_BLOCKS, TIERING, HOT_BYTES_MAX, UNTIERED_BYTES_MAX, TIER_BYTES_MIN, TIER_AGE_MS, TIER_CHUNK_BYTES_MAX,
      TIER_UPLOADS_MAX, TIER_INTERVAL_MS, ORPHAN_GRACE_MS, ORPHAN_SWEEP_INTERVAL_MS, ORPHAN_SWEEP_KEYS_MAX, COLD_READS_PREFER,
      COLD_READS_WAIT_MS, AUTH_API_KEYS_FILE, AUTH_HS256_SECRET_FILE, AUTH_JWKS_FILE, AUTH_JWKS_URL, AUTH_JWKS_REFRESH_MS,
      AUTH_JWT_AUDIENCE, AUTH_JWT_ISSUER, AUTH_JWT_GRANTS_CLAIM, AUTH_ANONYMOUS_GRANTS, CORS_ORIGINS, ALLOWED_HOSTS, INSECURE,
      SUBSCRIPTIONS_MAX, SUBSCRIPTION_STREAMS_MAX, WEBHOOK_LOOPBACK_ALLOWED, WEBHOOK_TIMEOUT_MS, WEBHOOK_SIGNING_KEY_FILE,
      SUBSCRIPTION_LOG_CHECKPOINT_BYTES);

  private static Setting str(String name, String def, String doc) {
    return new Setting(name, Setting.Kind.STRING, def, "", doc, v -> true, "", false);
  }

  private static Setting secret(String name, String doc) {
    return new Setting(name, Setting.Kind.STRING, "", "", doc, v -> true, "", true);
  }

  private static Setting num(String name, long def, String unit, String doc, java.util.function.LongPredicate valid, String validText) {
    return new Setting(name, Setting.Kind.LONG, Long.toString(def), unit, doc, valid, validText, false);
  }
}
