package io.tributary.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective configuration of one node: typed, validated once at start, immutable afterwards.
 * Every field corresponds to one {@link Setting} (same name in kebab case); see {@link Settings}.
 * The cold-tier settings are grouped in {@link ColdTierConfig} ({@link #cold}), the bounds of
 * client-grown state in {@link BoundsConfig} ({@link #bounds}), the listeners' TLS in {@link TlsConfig} ({@link #tls}),
 * the limits per principal and quotas per bucket in {@link QuotaConfig} ({@link #quotas}).
 */
public record TributaryConfig(
    String host,
    int port,
    Path dataDir,
    String nodeId,
    int peerPort,
    List<Peer> peers,
    boolean rejoin,
    int groups,
    long electionTimeoutMinMillis,
    long electionTimeoutMaxMillis,
    long snapshotIntervalEntries,
    long logMemtableBytes,
    long segmentBytesMax,
    long tailCacheBytes,
    long readCacheBytes,
    long bodyBytesMax,
    long readChunkBytesMax,
    int appendBatchFramesMax,
    int transactionAppendsMax,
    long attrsBytesMax,
    long bootstrapBytesMax,
    long snapshotInlineBytesMax,
    long batchBytesMax,
    int batchAppendsMin,
    int batchAppendsMax,
    int entriesInFlightMax,
    int pendingAppendsMax,
    long pendingBytesMax,
    int connectionsMax,
    int sseSubscribersMax,
    int longPollsMax,
    long longPollTimeoutMillis,
    long sseKeepaliveMillis,
    long sseConnectionMaxMillis,
    long requestTimeoutMillis,
    long idleTimeoutMillis,
    long writeTimeoutMillis,
    int readThreads,
    int readQueueMax,
    int eventLoopThreads,
    BoundsConfig bounds,
    ColdTierConfig cold,
    TieringConfig tiering,
    DiskConfig disk,
    ListenersConfig listeners,
    AuthConfig auth,
    TlsConfig tls,
    BrowserConfig browser,
    AbuseConfig abuse,
    QuotaConfig quotas,
    SubscriptionConfig subscriptions,
    Map<String, String> effective) {

  /**
   * One voter: id, host, Raft port and the port of its peer data listener (snapshot and segment
   * transfer between nodes).
   */
  public record Peer(String id, String host, int peerPort, int dataPort) {}

  /** Builds and validates a config from resolved string values (missing keys take defaults). */
  public static TributaryConfig fromValues(Map<String, String> values) {
    Map<String, String> eff = new LinkedHashMap<>();
    for (Setting s : Settings.ALL) {
      String v = values.getOrDefault(s.name(), s.defaultValue());
      if (s.kind() == Setting.Kind.LONG) {
        long n;
        try {
          n = parseSize(v);
        } catch (NumberFormatException e) {
          throw new ConfigException(s.flag() + ": not a number: '" + v + "'");
        }
        if (!s.valid().test(n)) {
          throw new ConfigException(s.flag() + ": " + v + " out of range (" + s.validText() + ")");
        }
        v = Long.toString(n);
      }
      eff.put(s.name(), v);
    }
    for (String k : values.keySet()) {
      if (Settings.ALL.stream().noneMatch(s -> s.name().equals(k))) {
        throw new ConfigException("unknown setting '" + k + "'");
      }
    }
    long emin = l(eff, Settings.ELECTION_TIMEOUT_MIN_MS);
    long emax = l(eff, Settings.ELECTION_TIMEOUT_MAX_MS);
    if (emax <= emin) {
      throw new ConfigException("--election-timeout-max-ms must exceed --election-timeout-min-ms");
    }
    String nodeId = eff.get(Settings.NODE_ID.name());
    if (!nodeId.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new ConfigException("--node-id: use 1-64 of [A-Za-z0-9_-], got '" + nodeId + "'");
    }
    ColdTierConfig cold = cold(eff, Path.of(eff.get(Settings.DATA_DIR.name())));
    List<Peer> peers = parsePeers(eff.get(Settings.PEERS.name()), nodeId, (int) l(eff, Settings.PEER_PORT));
    ListenersConfig listeners = listeners(eff, nodeId, peers);
    AuthConfig auth = auth(eff);
    exposure(eff, listeners, auth);
    int groups = DataDirLayout.resolveGroups(Path.of(eff.get(Settings.DATA_DIR.name())), (int) l(eff, Settings.GROUPS),
        peers.size());
    eff.put(Settings.GROUPS.name(), Integer.toString(groups)); // the effective config shows the count in use
    return new TributaryConfig(
        eff.get(Settings.HOST.name()),
        (int) l(eff, Settings.PORT),
        Path.of(eff.get(Settings.DATA_DIR.name())),
        nodeId,
        (int) l(eff, Settings.PEER_PORT),
        peers,
        bool(eff, Settings.REJOIN),
        groups,
        emin,
        emax,
        l(eff, Settings.SNAPSHOT_INTERVAL_ENTRIES),
        l(eff, Settings.LOG_MEMTABLE_BYTES),
        l(eff, Settings.SEGMENT_BYTES_MAX),
        l(eff, Settings.TAIL_CACHE_BYTES),
        l(eff, Settings.READ_CACHE_BYTES),
        l(eff, Settings.BODY_BYTES_MAX),
        l(eff, Settings.READ_CHUNK_BYTES_MAX),
        (int) l(eff, Settings.APPEND_BATCH_FRAMES_MAX),
        (int) l(eff, Settings.TRANSACTION_APPENDS_MAX),
        l(eff, Settings.ATTRS_BYTES_MAX),
        l(eff, Settings.BOOTSTRAP_BYTES_MAX),
        l(eff, Settings.SNAPSHOT_INLINE_BYTES_MAX),
        l(eff, Settings.BATCH_BYTES_MAX),
        (int) l(eff, Settings.BATCH_APPENDS_MIN),
        (int) l(eff, Settings.BATCH_APPENDS_MAX),
        (int) l(eff, Settings.ENTRIES_IN_FLIGHT_MAX),
        (int) l(eff, Settings.PENDING_APPENDS_MAX),
        l(eff, Settings.PENDING_BYTES_MAX),
        (int) l(eff, Settings.CONNECTIONS_MAX),
        (int) l(eff, Settings.SSE_SUBSCRIBERS_MAX),
        (int) l(eff, Settings.LONG_POLLS_MAX),
        l(eff, Settings.LONG_POLL_TIMEOUT_MS),
        l(eff, Settings.SSE_KEEPALIVE_MS),
        l(eff, Settings.SSE_CONNECTION_MAX_MS),
        l(eff, Settings.REQUEST_TIMEOUT_MS),
        l(eff, Settings.IDLE_TIMEOUT_MS),
        l(eff, Settings.WRITE_TIMEOUT_MS),
        (int) l(eff, Settings.READ_THREADS),
        (int) l(eff, Settings.READ_QUEUE_MAX),
        (int) l(eff, Settings.EVENT_LOOP_THREADS),
        bounds(eff),
        cold,
        tiering(eff, cold),
        new DiskConfig(l(eff, Settings.DISK_FREE_BYTES_MIN), l(eff, Settings.DISK_CHECK_INTERVAL_MS),
            l(eff, Settings.SCRUB_BYTES_PER_SECOND), bool(eff, Settings.RECLAIM), l(eff, Settings.RECLAIM_INTERVAL_MS),
            (int) l(eff, Settings.COMPACT_GARBAGE_PERCENT_MIN)),
        listeners,
        auth,
        tls(eff),
        browser(eff, auth),
        new AbuseConfig((int) l(eff, Settings.CONNECTIONS_PER_IP_MAX), l(eff, Settings.FIRST_BYTE_TIMEOUT_MS),
            l(eff, Settings.REQUEST_BUFFER_BYTES_MAX), l(eff, Settings.RESPONSE_BUFFER_BYTES_MAX),
            l(eff, Settings.RESPONSE_WRITE_TIMEOUT_MS), l(eff, Settings.OVERSIZED_BODY_DRAIN_BYTES_MAX)),
        quotas(eff),
        new SubscriptionConfig((int) l(eff, Settings.SUBSCRIPTIONS_MAX), (int) l(eff, Settings.SUBSCRIPTION_STREAMS_MAX),
            bool(eff, Settings.WEBHOOK_LOOPBACK_ALLOWED), l(eff, Settings.WEBHOOK_TIMEOUT_MS),
            l(eff, Settings.SUBSCRIPTION_LOG_CHECKPOINT_BYTES), readableFile(eff, Settings.WEBHOOK_SIGNING_KEY_FILE)),
        Map.copyOf(eff));
  }

  /** Defaults only (tests override selected keys through {@link #fromValues}). */
  public static TributaryConfig defaults() {
    return fromValues(Map.of());
  }

  /** A copy with some values replaced (and re-validated). */
  public TributaryConfig with(Map<String, String> overrides) {
    Map<String, String> m = new LinkedHashMap<>(effective);
    m.putAll(overrides);
    return fromValues(m);
  }

  /** The effective config as "key = value" lines, for the start-up log; secrets show as {@code ***}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Setting s : Settings.ALL) {
      String v = effective.get(s.name());
      sb.append("  ").append(s.name()).append(" = ").append(s.secret() && !v.isEmpty() ? "***" : v);
      if (!s.unit().isEmpty()) {
        sb.append(' ').append(s.unit());
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** Never prints secrets (the effective map holds them). */
  @Override
  public String toString() {
    return "TributaryConfig[\n" + describe() + "]";
  }

  private static BoundsConfig bounds(Map<String, String> eff) {
    return new BoundsConfig((int) l(eff, Settings.PRODUCER_ID_BYTES_MAX), (int) l(eff, Settings.STREAM_SEQ_BYTES_MAX),
        (int) l(eff, Settings.PRODUCERS_PER_STREAM_MAX), l(eff, Settings.PRODUCER_IDLE_EXPIRY_MS),
        (int) l(eff, Settings.BUCKET_STREAMS_MAX), (int) l(eff, Settings.BUCKETS_MAX), (int) l(eff, Settings.FORK_DEPTH_MAX),
        l(eff, Settings.EXPIRY_SWEEP_INTERVAL_MS), (int) l(eff, Settings.EXPIRY_SWEEP_PROBES_MAX));
  }

  private static QuotaConfig quotas(Map<String, String> eff) {
    QuotaConfig.Bucket defaults = new QuotaConfig.Bucket(l(eff, Settings.BUCKET_QUOTA_STREAMS_MAX),
        l(eff, Settings.BUCKET_QUOTA_BYTES_MAX), l(eff, Settings.BUCKET_QUOTA_APPENDS_PER_SECOND),
        l(eff, Settings.BUCKET_QUOTA_APPEND_BYTES_PER_SECOND));
    Path file = readableFile(eff, Settings.BUCKET_QUOTAS_FILE);
    return new QuotaConfig((int) l(eff, Settings.PRINCIPAL_REQUESTS_MAX), (int) l(eff, Settings.PRINCIPAL_SSE_SUBSCRIBERS_MAX),
        (int) l(eff, Settings.PRINCIPAL_LONG_POLLS_MAX), defaults, l(eff, Settings.BUCKET_QUOTA_BURST_MS), file);
  }

  private static ColdTierConfig cold(Map<String, String> eff, Path dataDir) {
    String store = eff.get(Settings.OBJECT_STORE.name());
    if (!store.equals(ColdTierConfig.STORE_DIR) && !store.equals(ColdTierConfig.STORE_S3)) {
      throw new ConfigException("--object-store: must be dir or s3, got '" + store + "'");
    }
    String dir = eff.get(Settings.OBJECT_STORE_DIR.name());
    String endpoint = eff.get(Settings.S3_ENDPOINT.name()).trim();
    if (!endpoint.isEmpty()) {
      try {
        URI u = new URI(endpoint);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw new URISyntaxException(endpoint, "expected http://host[:port] or https://host[:port]");
        }
        if ("http".equals(u.getScheme()) && !bool(eff, Settings.S3_ALLOW_HTTP)) {
          throw new ConfigException("--s3-endpoint: " + endpoint + " is plain http (object data and request signatures "
              + "would travel unencrypted); use https://, or give --s3-allow-http true for a local test server");
        }
      } catch (URISyntaxException e) {
        throw new ConfigException("--s3-endpoint: " + e.getMessage());
      }
    }
    String bucket = eff.get(Settings.S3_BUCKET.name()).trim();
    if (store.equals(ColdTierConfig.STORE_S3) && bucket.isEmpty()) {
      throw new ConfigException("--s3-bucket is required with --object-store s3");
    }
    if (!bucket.isEmpty() && !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new ConfigException("--s3-bucket: 3-63 of [a-z0-9.-], starting and ending with a letter or digit, got '" + bucket + "'");
    }
    String prefix = eff.get(Settings.S3_PREFIX.name()).trim();
    for (String segment : prefix.split("/")) {
      if (!segment.isEmpty() && !segment.matches("[A-Za-z0-9_=-][A-Za-z0-9._=-]*")) {
        throw new ConfigException("--s3-prefix: segments of [A-Za-z0-9._=-] not starting with '.', got '" + prefix + "'");
      }
    }
    String accessKey = eff.get(Settings.S3_ACCESS_KEY.name());
    String secretKey = eff.get(Settings.S3_SECRET_KEY.name());
    if (accessKey.isEmpty() != secretKey.isEmpty()) {
      throw new ConfigException("give both --s3-access-key and --s3-secret-key, or neither (to use the AWS SDK's default credentials)");
    }
    return new ColdTierConfig(
        store,
        dir.isBlank() ? dataDir.resolve("objects") : Path.of(dir),
        endpoint,
        eff.get(Settings.S3_REGION.name()).trim(),
        bucket,
        prefix,
        accessKey,
        secretKey,
        bool(eff, Settings.S3_PATH_STYLE),
        l(eff, Settings.S3_CONNECT_TIMEOUT_MS),
        l(eff, Settings.S3_READ_TIMEOUT_MS),
        l(eff, Settings.S3_CALL_TIMEOUT_MS),
        (int) l(eff, Settings.S3_ATTEMPTS_MAX),
        (int) l(eff, Settings.COLD_BLOCK_BYTES),
        l(eff, Settings.COLD_CACHE_BYTES_MAX),
        (int) l(eff, Settings.COLD_PREFETCH_BLOCKS));
  }

  private static TlsConfig tls(Map<String, String> eff) {
    Path cert = tlsFile(eff, Settings.TLS_CERT_FILE, Settings.TLS_KEY_FILE);
    Path key = cert == null ? null : Path.of(eff.get(Settings.TLS_KEY_FILE.name()).trim());
    Path adminCert = tlsFile(eff, Settings.ADMIN_TLS_CERT_FILE, Settings.ADMIN_TLS_KEY_FILE);
    Path adminKey = adminCert == null ? key : Path.of(eff.get(Settings.ADMIN_TLS_KEY_FILE.name()).trim());
    Path peerCert = tlsFile(eff, Settings.PEER_TLS_CERT_FILE, Settings.PEER_TLS_KEY_FILE);
    String ca = eff.get(Settings.PEER_TLS_CA_FILE.name()).trim();
    if ((peerCert == null) != ca.isEmpty()) {
      throw new ConfigException("give --peer-tls-cert-file, --peer-tls-key-file and --peer-tls-ca-file together, or none");
    }
    if (!ca.isEmpty() && !Files.isReadable(Path.of(ca))) {
      throw new ConfigException("--peer-tls-ca-file: " + ca + " is not a readable file");
    }
    return new TlsConfig(cert, key, adminCert == null ? cert : adminCert, adminKey, peerCert,
        peerCert == null ? null : Path.of(eff.get(Settings.PEER_TLS_KEY_FILE.name()).trim()),
        ca.isEmpty() ? null : Path.of(ca), l(eff, Settings.TLS_RELOAD_INTERVAL_MS));
  }

  /** The certificate file of a pair, or null when neither is given; both must be readable files. */
  private static Path tlsFile(Map<String, String> eff, Setting certSetting, Setting keySetting) {
    String cert = eff.get(certSetting.name()).trim();
    String key = eff.get(keySetting.name()).trim();
    if (cert.isEmpty() != key.isEmpty()) {
      throw new ConfigException("give both " + certSetting.flag() + " and " + keySetting.flag() + ", or neither");
    }
    if (cert.isEmpty()) {
      return null;
    }
    for (Setting s : List.of(certSetting, keySetting)) {
      Path f = Path.of(eff.get(s.name()).trim());
      if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
        throw new ConfigException(s.flag() + ": " + f + " is not a readable file");
      }
    }
    return Path.of(cert);
  }

  private static TieringConfig tiering(Map<String, String> eff, ColdTierConfig cold) {
    String mode = eff.get(Settings.TIERING.name());
    boolean enabled = switch (mode) {
      case "on" -> true;
      case "off" -> false;
      // a local directory is usually the node's own disk: tiering into it doubles the writes and
      // frees nothing, so the default node (no S3) does no tiering work at all
      case "auto" -> cold.usesS3();
      default -> throw new ConfigException("--tiering: must be auto, on or off, got '" + mode + "'");
    };
    boolean prefer = bool(eff, Settings.COLD_READS_PREFER);
    long waitMillis = l(eff, Settings.COLD_READS_WAIT_MS);
    if (waitMillis > 0 && !prefer) {
      throw new ConfigException("--cold-reads-wait-ms needs --cold-reads-prefer true (only then is a tiered range read cold)");
    }
    return new TieringConfig(enabled, l(eff, Settings.HOT_BYTES_MAX), l(eff, Settings.UNTIERED_BYTES_MAX),
        l(eff, Settings.TIER_BYTES_MIN), l(eff, Settings.TIER_AGE_MS), l(eff, Settings.TIER_CHUNK_BYTES_MAX),
        (int) l(eff, Settings.TIER_UPLOADS_MAX), l(eff, Settings.TIER_INTERVAL_MS), l(eff, Settings.ORPHAN_GRACE_MS),
        l(eff, Settings.ORPHAN_SWEEP_INTERVAL_MS), (int) l(eff, Settings.ORPHAN_SWEEP_KEYS_MAX), prefer, waitMillis);
  }

  private static boolean bool(Map<String, String> eff, Setting s) {
    String v = eff.get(s.name());
    if (!v.equals("true") && !v.equals("false")) {
      throw new ConfigException(s.flag() + ": must be true or false, got '" + v + "'");
    }
    return Boolean.parseBoolean(v);
  }

  private static long l(Map<String, String> eff, Setting s) {
    return Long.parseLong(eff.get(s.name()));
  }

  /** Accepts plain numbers and the suffixes KiB, MiB, GiB. */
  static long parseSize(String v) {
    String t = v.trim();
    long mult = 1;
    for (String[] suffix : new String[][] {{"KiB", "1024"}, {"MiB", "1048576"}, {"GiB", "1073741824"}}) {
      if (t.endsWith(suffix[0])) {
        mult = Long.parseLong(suffix[1]);
        t = t.substring(0, t.length() - suffix[0].length()).trim();
        break;
      }
    }
    return Math.multiplyExact(Long.parseLong(t), mult);
  }

  private static List<Peer> parsePeers(String spec, String nodeId, int peerPort) {
    List<Peer> out = new ArrayList<>();
    if (spec == null || spec.isBlank()) {
      // a single node has no peers to transfer data to: its data port is never bound
      out.add(new Peer(nodeId, "127.0.0.1", peerPort, 0));
      return List.copyOf(out);
    }
    for (String part : spec.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      String[] hp = eq <= 0 ? new String[0] : p.substring(eq + 1).split(":");
      if (hp.length < 2 || hp.length > 3 || hp[0].isEmpty()) {
        throw new ConfigException("--peers: expected id=host:peerPort[:dataPort], got '" + p + "'");
      }
      int raftPort;
      int dataPort;
      try {
        raftPort = Integer.parseInt(hp[1]);
        dataPort = hp.length == 3 ? Integer.parseInt(hp[2]) : raftPort + 1;
      } catch (NumberFormatException e) {
        throw new ConfigException("--peers: bad port in '" + p + "'");
      }
      if (raftPort < 1 || raftPort > 65535 || dataPort < 1 || dataPort > 65535 || dataPort == raftPort) {
        throw new ConfigException("--peers: ports must be 1..65535 and differ in '" + p + "'");
      }
      out.add(new Peer(p.substring(0, eq), hp[0], raftPort, dataPort));
    }
    if (out.stream().noneMatch(p -> p.id().equals(nodeId))) {
      throw new ConfigException("--peers does not list this node's id '" + nodeId + "'");
    }
    return List.copyOf(out);
  }

  private static AuthConfig auth(Map<String, String> eff) {
    String jwksUrl = eff.get(Settings.AUTH_JWKS_URL.name()).trim();
    if (!jwksUrl.isEmpty() && !jwksUrl.startsWith("https://") && !jwksUrl.startsWith("http://127.0.0.1")
        && !jwksUrl.startsWith("http://localhost")) {
      throw new ConfigException("--auth-jwks-url: must be https:// (keys fetched in the clear could be forged), got '"
          + jwksUrl + "'");
    }
    String claim = eff.get(Settings.AUTH_JWT_GRANTS_CLAIM.name()).trim();
    if (claim.isEmpty()) {
      throw new ConfigException("--auth-jwt-grants-claim: must not be empty");
    }
    String anon = eff.get(Settings.AUTH_ANONYMOUS_GRANTS.name()).trim();
    return new AuthConfig(path(eff, Settings.AUTH_API_KEYS_FILE), path(eff, Settings.AUTH_HS256_SECRET_FILE),
        path(eff, Settings.AUTH_JWKS_FILE), jwksUrl.isEmpty() ? null : jwksUrl, l(eff, Settings.AUTH_JWKS_REFRESH_MS),
        blankToNull(eff.get(Settings.AUTH_JWT_AUDIENCE.name())), blankToNull(eff.get(Settings.AUTH_JWT_ISSUER.name())),
        claim, anon.isEmpty() ? List.of() : List.of(anon.split("\\s+")), bool(eff, Settings.INSECURE));
  }

  private static BrowserConfig browser(Map<String, String> eff, AuthConfig auth) {
    String cors = eff.get(Settings.CORS_ORIGINS.name()).trim();
    List<String> origins = cors.isEmpty() || cors.equals("*") ? List.of() : List.of(cors.split("[\\s,]+"));
    for (String o : origins) {
      if (!o.matches("https?://[A-Za-z0-9.\\[\\]:-]+")) {
        throw new ConfigException("--cors-origins: '" + o + "' is not an origin (scheme://host[:port], no path)");
      }
    }
    String hosts = eff.get(Settings.ALLOWED_HOSTS.name()).trim();
    List<String> allowed = hosts.isEmpty() ? List.of()
        : java.util.Arrays.stream(hosts.split("[\\s,]+")).map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList();
    // with credentials in play, cross-origin reads are granted only to named origins
    boolean any = cors.equals("*") || (cors.isEmpty() && !auth.enabled());
    return new BrowserConfig(any, origins, allowed);
  }

  /**
   * The safe default: without authentication, the client and admin listeners bind only loopback
   * addresses unless {@code --insecure true} says the operator means it.
   */
  private static void exposure(Map<String, String> eff, ListenersConfig l, AuthConfig auth) {
    if (auth.enabled() || auth.insecure()) {
      return;
    }
    String host = eff.get(Settings.HOST.name());
    if (!loopback(host)) {
      throw new ConfigException("--host " + host + " is not a loopback address and no authentication is configured: "
          + "anyone who reaches it could read, write and delete every stream. Configure --auth-api-keys-file, "
          + "--auth-hs256-secret-file or --auth-jwks-file/--auth-jwks-url (docs/security.md), or pass --insecure true");
    }
    if (!loopback(l.adminHost())) {
      throw new ConfigException("--admin-host " + l.adminHost() + " is not a loopback address and no authentication is "
          + "configured; configure authentication or pass --insecure true");
    }
  }

  /** Loopback by its literal form (no DNS lookup at start): 127.0.0.0/8, ::1, localhost. */
  static boolean loopback(String host) {
    String h = host.trim().toLowerCase(java.util.Locale.ROOT);
    return h.equals("localhost") || h.equals("::1") || h.equals("[::1]") || h.matches("127(\\.\\d{1,3}){3}");
  }

  /** The setting's file, or null when unset; a file that cannot be read is a start-up error. */
  private static Path readableFile(Map<String, String> eff, Setting s) {
    Path file = path(eff, s);
    if (file != null && !Files.isReadable(file)) {
      throw new ConfigException("--" + s.name() + ": " + file + " is not a readable file");
    }
    return file;
  }

  private static Path path(Map<String, String> eff, Setting s) {
    String v = eff.get(s.name()).trim();
    return v.isEmpty() ? null : Path.of(v);
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static ListenersConfig listeners(Map<String, String> eff, String nodeId, List<Peer> peers) {
    Peer self = peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
    String peerHost = eff.get(Settings.PEER_HOST.name());
    if (peerHost.isBlank()) {
      peerHost = self.host();
      eff.put(Settings.PEER_HOST.name(), peerHost); // the effective config shows the address bound
    }
    String adminHost = eff.get(Settings.ADMIN_HOST.name());
    if (adminHost.isBlank()) {
      throw new ConfigException("--admin-host: must not be empty");
    }
    return new ListenersConfig(adminHost, (int) l(eff, Settings.ADMIN_PORT), peerHost,
        peers.size() > 1 ? self.dataPort() : 0, peerRoutes(eff.get(Settings.PEER_ROUTES.name()), nodeId, peers));
  }

  /** {@code --peer-routes}: id=host:port,... for peers of {@code --peers} other than this node, each at most once. */
  private static Map<String, ListenersConfig.PeerRoute> peerRoutes(String spec, String nodeId, List<Peer> peers) {
    Map<String, ListenersConfig.PeerRoute> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return out;
    }
    for (String part : spec.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      int colon = p.lastIndexOf(':');
      if (eq <= 0 || colon <= eq + 1 || colon == p.length() - 1) {
        throw new ConfigException("--peer-routes: expected id=host:port, got '" + p + "'");
      }
      String id = p.substring(0, eq);
      int port;
      try {
        port = Integer.parseInt(p.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException("--peer-routes: bad port in '" + p + "'");
      }
      if (port < 1 || port > 65535) {
        throw new ConfigException("--peer-routes: port must be 1..65535 in '" + p + "'");
      }
      if (id.equals(nodeId) || peers.stream().noneMatch(q -> q.id().equals(id))) {
        throw new ConfigException("--peer-routes: '" + id + "' is not another node of --peers");
      }
      if (out.put(id, new ListenersConfig.PeerRoute(p.substring(eq + 1, colon), port)) != null) {
        throw new ConfigException("--peer-routes: '" + id + "' is routed twice");
      }
    }
    return out;
  }
}
