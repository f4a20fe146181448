package io.tributary.cli;

import io.tributary.client.Ack;
import io.tributary.client.BucketListing;
import io.tributary.client.Chunk;
import io.tributary.client.CreateOptions;
import io.tributary.client.Producer;
import io.tributary.client.ProducerOptions;
import io.tributary.client.StreamHandle;
import io.tributary.client.StreamInfo;
import io.tributary.client.Tail;
import io.tributary.client.TailOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tributary stream create|append|read|tail|head|close|delete NAME}: a stream from the
 * shell, through the Java SDK (docs/client.md). Nodes come from {@code --url} (comma-separated,
 * default {@code $TRIBUTARY_URL} or {@code http://127.0.0.1:4437}), the bearer token from
 * {@code --token} or {@code $TRIBUTARY_TOKEN}, the TLS trust anchor from {@code --ca-file}.
 * Appends read stdin (or {@code --file}) and go through an exactly-once producer, so a retry
 * inside one invocation never duplicates. {@code --json} prints one JSON object per result.
 * {@code tributary stream ls [--bucket B]} lists a bucket's streams.
 * Exit status: 0 done, 1 a refusal or failure (its type and reason on stderr), 2 usage.
 * Runs on the main thread.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
    description = "Create, append to, read, tail, inspect, close or delete a stream.",
    subcommands = {StreamCommand.Create.class, StreamCommand.Append.class, StreamCommand.Read.class,
        StreamCommand.TailCmd.class, StreamCommand.Head.class, StreamCommand.Close.class, StreamCommand.Delete.class,
        StreamCommand.Ls.class})
final class StreamCommand implements Runnable {
  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  /** Where and as whom to connect, and how to print: every stream and bucket subcommand's options. */
  static class Connection {
    @Option(names = "--url", description = "node base URLs, comma-separated (default $TRIBUTARY_URL or http://127.0.0.1:4437)")
    String url;

    @Option(names = "--token", description = "bearer token (default $TRIBUTARY_TOKEN)")
    String token;

    @Option(names = "--ca-file", description = "PEM CA certificate(s) to trust for https nodes")
    Path caFile;

    @Option(names = "--json", description = "print results as JSON")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    TributaryClient client() throws Exception {
      String urls = url != null ? url : System.getenv().getOrDefault("TRIBUTARY_URL", "http://127.0.0.1:4437");
      String t = token != null ? token : System.getenv("TRIBUTARY_TOKEN");
      TributaryClient.Builder b = TributaryClient.builder().nodes(urls.split(",")).token(() -> t)
          .retryDeadline(Duration.ofSeconds(30));
      if (caFile != null) {
        b.sslContext(trusting(caFile));
      }
      return b.build();
    }
  }

  /** A stream subcommand's options: the connection, the stream's name and bucket. */
  static final class Target extends Connection {
    @Option(names = "--bucket", description = "the stream's bucket (default: the flat /v1/stream namespace)")
    String bucket;

    @Parameters(index = "0", paramLabel = "NAME", description = "stream name (may contain /)")
    String name;

    StreamHandle stream(TributaryClient c) {
      return bucket == null ? c.stream(name) : c.stream(bucket, name);
    }
  }

  /** A client call whose typed failure becomes exit status 1 with its type and reason on stderr. */
  interface ClientBody {
    void run(TributaryClient c, PrintStream out) throws Exception;
  }

  static int withClient(Connection conn, ClientBody body) throws Exception {
    try (TributaryClient c = conn.client()) {
      body.run(c, System.out);
      System.out.flush();
      return 0;
    } catch (TributaryException e) {
      System.err.println("tributary: " + e.getClass().getSimpleName() + " (" + e.reason() + "): " + e.getMessage());
      return 1;
    }
  }

  /** Runs {@code body}, mapping a typed failure to exit status 1 with its type and reason on stderr. */
  interface Body {
    void run(StreamHandle s, PrintStream out) throws Exception;
  }

  static int run(Target target, Body body) throws Exception {
    return withClient(target, (c, out) -> body.run(target.stream(c), out));
  }

  @Command(name = "create", description = "Create the stream (idempotent with the same options).")
  static final class Create implements Callable<Integer> {
    @Mixin
    Target target;

    @Option(names = "--content-type", defaultValue = "application/octet-stream", description = "default: ${DEFAULT-VALUE}")
    String contentType;

    @Option(names = "--ttl-seconds", description = "sliding time to live")
    Long ttlSeconds;

    @Override
    public Integer call() throws Exception {
      return run(target, (s, out) -> {
        CreateOptions o = CreateOptions.of(contentType);
        boolean created = s.create(ttlSeconds == null ? o : o.withTtl(Duration.ofSeconds(ttlSeconds)));
        out.println(target.json ? "{\"created\":" + created + "}" : created ? "created" : "exists");
      });
    }
  }

  @Command(name = "append", description = "Append stdin (or --file) as one message, exactly once.")
  static final class Append implements Callable<Integer> {
    @Mixin
    Target target;

    @Option(names = "--content-type", defaultValue = "application/octet-stream", description = "the stream's; default: ${DEFAULT-VALUE}")
    String contentType;

    @Option(names = "--file", description = "read the message from this file instead of stdin")
    Path file;

    @Override
    public Integer call() throws Exception {
      byte[] body;
      if (file != null) {
        body = Files.readAllBytes(file);
      } else {
        try (InputStream in = System.in) {
          body = in.readAllBytes();
        }
      }
      if (body.length == 0) {
        System.err.println("tributary stream append: empty message");
        return 2;
      }
      return run(target, (s, out) -> {
        try (Producer p = s.producer(ProducerOptions.of(contentType))) {
          Ack a = p.send(body).join();
          out.println(target.json ? "{\"offset\":" + str(a.offset()) + ",\"nextOffset\":" + str(a.nextOffset()) + "}"
              : a.nextOffset());
        } catch (java.util.concurrent.CompletionException e) {
          throw e.getCause() instanceof TributaryException te ? te : e;
        }
      });
    }
  }

  @Command(name = "read", description = "Print the stream from --offset up to its tail.")
  static final class Read implements Callable<Integer> {
    @Mixin
    Target target;

    @Option(names = "--offset", defaultValue = "-1", description = "where to start (-1, now, or an offset); default: ${DEFAULT-VALUE}")
    String offset;

    @Override
    public Integer call() throws Exception {
      return run(target, (s, out) -> {
        Chunk c = s.read(offset);
        while (true) {
          print(c, out, target.json);
          if (c.upToDate() || c.closed()) {
            return;
          }
          c = s.read(c.nextOffset());
        }
      });
    }
  }

  @Command(name = "tail", description = "Print the stream from --offset on as it grows, until it is closed (or Ctrl-C).")
  static final class TailCmd implements Callable<Integer> {
    @Mixin
    Target target;

    @Option(names = "--offset", defaultValue = "-1", description = "where to start; default: ${DEFAULT-VALUE}")
    String offset;

    @Option(names = "--long-poll", description = "long-poll instead of SSE")
    boolean longPoll;

    @Override
    public Integer call() throws Exception {
      return run(target, (s, out) -> {
        try (Tail tail = s.tail(offset, longPoll ? TailOptions.longPoll() : TailOptions.sse())) {
          for (Chunk c; (c = tail.next()) != null; ) {
            print(c, out, target.json);
            out.flush();
          }
        }
      });
    }
  }

  @Command(name = "head", description = "Print the stream's metadata.")
  static final class Head implements Callable<Integer> {
    @Mixin
    Target target;

    @Override
    public Integer call() throws Exception {
      return run(target, (s, out) -> {
        StreamInfo i = s.head();
        if (target.json) {
          out.println("{\"contentType\":" + str(i.contentType()) + ",\"nextOffset\":" + str(i.nextOffset())
              + ",\"closed\":" + i.closed() + ",\"ttlSeconds\":" + i.ttlSeconds() + ",\"expiresAt\":" + str(i.expiresAt())
              + ",\"retainedOffset\":" + str(i.retainedOffset()) + ",\"snapshotOffset\":" + str(i.snapshotOffset()) + "}");
        } else {
          out.println("content-type: " + i.contentType());
          out.println("next-offset: " + i.nextOffset());
          out.println("closed: " + i.closed());
        }
      });
    }
  }

  @Command(name = "close", description = "Close the stream: no more appends, readers see the end.")
  static final class Close implements Callable<Integer> {
    @Mixin
    Target target;

    @Override
    public Integer call() throws Exception {
      return run(target, (s, out) -> {
        String end = s.closeStream();
        out.println(target.json ? "{\"finalOffset\":" + str(end) + "}" : end);
      });
    }
  }

  @Command(name = "delete", description = "Delete the stream.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    Target target;

    @Override
    public Integer call() throws Exception {
      return run(target, (s, out) -> {
        s.delete();
        out.println(target.json ? "{\"deleted\":true}" : "deleted");
      });
    }
  }

  @Command(name = "ls", description = "List the streams of a bucket (all pages).")
  static final class Ls implements Callable<Integer> {
    @Mixin
    Connection conn;

    @Option(names = "--bucket", defaultValue = "default", description = "default: ${DEFAULT-VALUE}")
    String bucket;

    @Override
    public Integer call() throws Exception {
      return withClient(conn, (c, out) -> {
        String after = null;
        do {
          BucketListing page = c.buckets().streams(bucket, after, 1000);
          for (BucketListing.Entry e : page.streams()) {
            out.println(conn.json ? "{\"name\":" + str(e.name()) + ",\"contentType\":" + str(e.contentType())
                + ",\"nextOffset\":" + str(e.nextOffset()) + ",\"closed\":" + e.closed() + "}"
                : e.name() + "\t" + e.contentType() + "\t" + e.nextOffset() + (e.closed() ? "\tclosed" : ""));
          }
          after = page.next();
        } while (after != null);
      });
    }
  }

  /** Raw bytes, or one JSON object per chunk with the data in base64. */
  static void print(Chunk c, PrintStream out, boolean json) {
    if (json) {
      out.println("{\"offset\":" + str(c.offset()) + ",\"nextOffset\":" + str(c.nextOffset()) + ",\"upToDate\":"
          + c.upToDate() + ",\"closed\":" + c.closed() + ",\"base64\":" + str(Base64.getEncoder().encodeToString(c.data()))
          + "}");
    } else {
      out.write(c.data(), 0, c.data().length);
    }
  }

  /** A JSON string (or null) for values the server hands out: offsets, content types, timestamps. */
  static String str(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') {
        sb.append('\\').append(ch);
      } else if (ch < 0x20) {
        sb.append(String.format("\\u%04x", (int) ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.append('"').toString();
  }

  static SSLContext trusting(Path caFile) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
