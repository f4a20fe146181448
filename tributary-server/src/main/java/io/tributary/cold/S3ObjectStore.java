package io.tributary.cold;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * An {@link ObjectStore} in an S3 bucket (AWS or an S3-compatible server), under an optional key
 * prefix: the object {@code k} is {@code s3://<bucket>/<prefix>/k}.
 *
 * <p>Client: AWS SDK v2 with the synchronous URL-connection HTTP client (the SDK's Netty and
 * Apache clients are excluded from the build). Every call is bounded in time: a connect timeout,
 * a socket read timeout (the longest silence while waiting for bytes), at most
 * {@link Options#attemptsMax} attempts with the SDK's standard backoff, and an overall call
 * timeout; so with S3 down a call fails with {@link ObjectStoreUnavailableException} within
 * about {@code min(callTimeout, attempts × (connect + read))}, never hangs. Request and response
 * checksums are computed only when S3 requires them: S3-compatible servers vary in their support
 * of the SDK's newer default CRC trailers, and cold chunks carry their own CRC32C.
 *
 * <p>Credentials: the access and secret key from the options when both are given, else the SDK's
 * default chain ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, profiles, instance
 * roles). Region: the options', else the SDK's default chain ({@code AWS_REGION}, profile), else
 * {@code us-east-1} (what S3-compatible servers expect). Endpoint: the options', else the SDK's
 * default (AWS itself, or {@code AWS_ENDPOINT_URL_S3}).
 *
 * <p>Error mapping: 404 on a key (NoSuchKey, or a HEAD without a body) is
 * {@link ObjectNotFoundException}; 416 on a ranged get is an empty result; 5xx, 429, throttling
 * and every client-side failure (connect refused, reset, timeouts, interruption) are
 * {@link ObjectStoreUnavailableException}; other 4xx (403, NoSuchBucket, wrong region, 400) are
 * {@link ObjectStoreRejectedException}. A HEAD on a missing bucket is indistinguishable from a
 * missing key (S3 sends no body on HEAD) and reports not found. A PUT that S3 refuses before it
 * has read the body (403, missing bucket) may surface as unavailable instead: the server answers
 * and closes while the URL-connection client is still sending, and the JDK's HttpURLConnection
 * then reports only a write error (the same is known of other HttpURLConnection users, e.g.
 * Jersey issue 3472). {@link #check} classifies such a configuration reliably.
 *
 * <p>Threads: thread-safe (one shared {@link S3Client}); each call blocks its thread for the
 * request's duration, so callers use a small dedicated pool.
 */
public final class S3ObjectStore implements ObjectStore {
  private static final String CONTENT_TYPE = "application/octet-stream";
  /** ListObjectsV2 returns at most this many keys per request. */
  private static final int LIST_PAGE_KEYS_MAX = 1000;

  /**
   * Where and how to reach the bucket. Empty strings mean "not set" (see the class comment for
   * the defaults). Timeouts must be positive; {@code attemptsMax} ≥ 1 (1 = no retry).
   */
  public record Options(String endpoint, String region, String bucket, String prefix, String accessKey, String secretKey,
      boolean pathStyle, Duration connectTimeout, Duration readTimeout, Duration callTimeout, int attemptsMax) {
    public Options {
      if (bucket == null || bucket.length() < 3) {
        throw new IllegalArgumentException("S3 bucket name must have at least 3 characters: '" + bucket + "'");
      }
      endpoint = endpoint == null ? "" : endpoint.trim();
      region = region == null ? "" : region.trim();
      prefix = normalizePrefix(prefix);
      accessKey = accessKey == null ? "" : accessKey;
      secretKey = secretKey == null ? "" : secretKey;
      if (accessKey.isEmpty() != secretKey.isEmpty()) {
        throw new IllegalArgumentException("give both an S3 access key and a secret key, or neither (to use the SDK's default chain)");
      }
      for (Duration d : new Duration[] {connectTimeout, readTimeout, callTimeout}) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("S3 timeouts must be positive: " + d);
        }
      }
      if (attemptsMax < 1) {
        throw new IllegalArgumentException("attemptsMax must be >= 1: " + attemptsMax);
      }
    }

    /** Options for an S3-compatible server at {@code endpoint} with static keys, path-style, and test-sized timeouts. */
    public static Options compatible(String endpoint, String bucket, String prefix, String accessKey, String secretKey) {
      return new Options(endpoint, "us-east-1", bucket, prefix, accessKey, secretKey, true, Duration.ofSeconds(2),
          Duration.ofSeconds(10), Duration.ofSeconds(60), 3);
    }

    /** The same options with other timeouts and attempts. */
    public Options withTimeouts(Duration connect, Duration read, Duration call, int attempts) {
      return new Options(endpoint, region, bucket, prefix, accessKey, secretKey, pathStyle, connect, read, call, attempts);
    }

    /** Never prints the secret key. */
    @Override
    public String toString() {
      return "S3ObjectStore.Options[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", prefix=" + prefix
          + ", accessKey=" + accessKey + ", secretKey=" + (secretKey.isEmpty() ? "" : "***") + ", pathStyle=" + pathStyle
          + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + ", callTimeout=" + callTimeout
          + ", attemptsMax=" + attemptsMax + "]";
    }

    /** "" or "a/b/" (no leading slash, one trailing slash); validated like a key. */
    private static String normalizePrefix(String p) {
      String t = p == null ? "" : p.trim();
      while (t.startsWith("/")) {
        t = t.substring(1);
      }
      while (t.endsWith("/")) {
        t = t.substring(0, t.length() - 1);
      }
      if (t.isEmpty()) {
        return "";
      }
      ObjectKeys.validate(t);
      return t + "/";
    }
  }

  private final Options options;
  private final S3Client s3;
  private final AwsCredentialsProvider credentials;
  private final String description;

  public S3ObjectStore(Options options) {
    this.options = options;
    this.credentials = options.accessKey().isEmpty()
        ? DefaultCredentialsProvider.builder().build()
        : StaticCredentialsProvider.create(AwsBasicCredentials.create(options.accessKey(), options.secretKey()));
    S3ClientBuilder b = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(options.connectTimeout())
            .socketTimeout(options.readTimeout()))
        .overrideConfiguration(o -> o
            .apiCallTimeout(options.callTimeout())
            .retryStrategy(r -> r.maxAttempts(options.attemptsMax())))
        .credentialsProvider(credentials)
        .region(resolveRegion(options.region()))
        .forcePathStyle(options.pathStyle())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (!options.endpoint().isEmpty()) {
      b.endpointOverride(URI.create(options.endpoint()));
    }
    this.s3 = b.build();
    this.description = "s3://" + options.bucket() + "/" + options.prefix()
        + (options.endpoint().isEmpty() ? "" : " at " + options.endpoint()) + (options.pathStyle() ? " (path-style)" : "");
  }

  private static Region resolveRegion(String region) {
    if (!region.isEmpty()) {
      return Region.of(region);
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkClientException e) {
      return Region.US_EAST_1; // nothing configured: what S3-compatible servers accept
    }
  }

  public Options options() {
    return options;
  }

  @Override
  public void put(String key, byte[] bytes) {
    putBody(key, RequestBody.fromContentProvider(ContentStreamProvider.fromByteArrayUnsafe(bytes), bytes.length, CONTENT_TYPE));
  }

  @Override
  public void put(String key, ByteBuffer bytes) {
    putBody(key, RequestBody.fromRemainingByteBuffer(bytes.duplicate()));
  }

  @Override
  public void putFile(String key, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("putFile " + key + ": " + file + " is not a regular file");
    }
    putBody(key, RequestBody.fromFile(file));
  }

  private void putBody(String key, RequestBody body) {
    String full = fullKey(key);
    try {
      s3.putObject(r -> r.bucket(options.bucket()).key(full).contentType(CONTENT_TYPE), body);
    } catch (SdkException e) {
      throw failure("put", key, e);
    }
  }

  @Override
  public byte[] get(String key) {
    String full = fullKey(key);
    try {
      return s3.getObjectAsBytes(r -> r.bucket(options.bucket()).key(full)).asByteArrayUnsafe();
    } catch (SdkException e) {
      throw failure("get", key, e);
    }
  }

  @Override
  public byte[] getRange(String key, long offset, int lengthBytes) {
    if (offset < 0 || lengthBytes < 0) {
      throw new IllegalArgumentException("bad range offset " + offset + " length " + lengthBytes + " of " + key);
    }
    String full = fullKey(key);
    if (lengthBytes == 0) {
      head(key); // keep the contract: a missing object is not found even for an empty range
      return new byte[0];
    }
    String range = "bytes=" + offset + "-" + (offset + lengthBytes - 1);
    ResponseBytes<GetObjectResponse> rb;
    try {
      rb = s3.getObjectAsBytes(r -> r.bucket(options.bucket()).key(full).range(range));
    } catch (AwsServiceException e) {
      if (e.statusCode() == 416) {
        // the range starts at or past the end; distinguish from a missing object (also 4xx) first
        return new byte[0];
      }
      throw failure("get range " + range, key, e);
    } catch (SdkException e) {
      throw failure("get range " + range, key, e);
    }
    byte[] b = rb.asByteArrayUnsafe();
    if (b.length <= lengthBytes) {
      return b;
    }
    if (rb.response().contentRange() == null && offset < b.length) {
      // the server ignored Range and sent the whole object (allowed by HTTP): cut the range out
      int n = (int) Math.min(lengthBytes, b.length - offset);
      byte[] out = new byte[n];
      System.arraycopy(b, (int) offset, out, 0, n);
      return out;
    }
    throw new ObjectStoreRejectedException(description + ": get range " + range + " of " + key + " returned " + b.length
        + " bytes (content-range " + rb.response().contentRange() + ")", null);
  }

  @Override
  public ObjectInfo head(String key) {
    String full = fullKey(key);
    try {
      HeadObjectResponse h = s3.headObject(r -> r.bucket(options.bucket()).key(full));
      return new ObjectInfo(key, h.contentLength(), millis(h.lastModified()));
    } catch (SdkException e) {
      throw failure("head", key, e);
    }
  }

  @Override
  public List<ObjectInfo> list(String prefix, String startAfter, int keysMax) {
    ObjectKeys.validatePrefix(prefix);
    if (keysMax < 1 || keysMax > LIST_KEYS_MAX) {
      throw new IllegalArgumentException("keysMax " + keysMax + " outside 1.." + LIST_KEYS_MAX);
    }
    String base = options.prefix();
    List<ObjectInfo> out = new ArrayList<>();
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder req = ListObjectsV2Request.builder().bucket(options.bucket()).prefix(base + prefix)
            .maxKeys(Math.min(LIST_PAGE_KEYS_MAX, keysMax - out.size()));
        if (token != null) {
          req.continuationToken(token);
        } else if (startAfter != null && !startAfter.isEmpty()) {
          req.startAfter(base + startAfter);
        }
        ListObjectsV2Response resp = s3.listObjectsV2(req.build());
        for (S3Object o : resp.contents()) {
          if (out.size() < keysMax && o.key().startsWith(base)) {
            out.add(new ObjectInfo(o.key().substring(base.length()), o.size(), millis(o.lastModified())));
          }
        }
        token = Boolean.TRUE.equals(resp.isTruncated()) ? resp.nextContinuationToken() : null;
      } while (token != null && out.size() < keysMax);
    } catch (SdkException e) {
      throw failure("list", prefix, e);
    }
    return out;
  }

  @Override
  public void check() {
    try {
      s3.listObjectsV2(r -> r.bucket(options.bucket()).prefix(options.prefix()).maxKeys(1));
    } catch (SdkException e) {
      throw failure("check (list one key)", options.prefix(), e);
    }
  }

  @Override
  public void delete(String key) {
    String full = fullKey(key);
    try {
      s3.deleteObject(r -> r.bucket(options.bucket()).key(full));
    } catch (AwsServiceException e) {
      if (e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e))) {
        return; // some S3-compatible servers answer 404 for a missing key: deleted all the same
      }
      throw failure("delete", key, e);
    } catch (SdkException e) {
      throw failure("delete", key, e);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public String toString() {
    return description;
  }

  @Override
  public void close() {
    s3.close();
    if (credentials instanceof SdkAutoCloseable c) {
      c.close(); // the default chain may hold refresh threads
    }
  }

  private String fullKey(String key) {
    return options.prefix() + ObjectKeys.validate(key);
  }

  /**
   * S3's Last-Modified (whole seconds). A server that leaves it out gets {@link Long#MAX_VALUE}: such
   * objects look forever young, so the orphan sweep never deletes them (rather than deleting an
   * upload in flight).
   */
  private static long millis(java.time.Instant t) {
    return t == null ? Long.MAX_VALUE : t.toEpochMilli();
  }

  private static String errorCode(AwsServiceException e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  private ObjectStoreException failure(String what, String key, SdkException e) {
    String msg = description + ": " + what + " " + key + " failed: " + e.getMessage();
    if (e instanceof AwsServiceException s) {
      int status = s.statusCode();
      String code = errorCode(s);
      if (s instanceof NoSuchKeyException || (status == 404 && (code == null || code.equals("NoSuchKey") || code.equals("NotFound")))) {
        return new ObjectNotFoundException(description + ": no object " + key);
      }
      if (status >= 500 || status == 429 || s.isThrottlingException()) {
        return new ObjectStoreUnavailableException(msg, e);
      }
      return new ObjectStoreRejectedException(msg + " (HTTP " + status + (code == null ? "" : " " + code) + ")", e);
    }
    if (e instanceof AbortedException || Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
      Thread.currentThread().interrupt(); // the caller was interrupted: keep the flag for it
    }
    return new ObjectStoreUnavailableException(msg, e);
  }
}
