package io.tributary.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code tributary bucket create|ls|delete}: buckets through the Java SDK, with the connection
 * options of {@link StreamCommand} ({@code --url}, {@code --token}, {@code --ca-file}, {@code --json}).
 * Runs on the main thread.
 */
@Command(name = "bucket", mixinStandardHelpOptions = true, description = "Create, list or delete buckets.",
    subcommands = {BucketCommand.Create.class, BucketCommand.Ls.class, BucketCommand.Delete.class})
final class BucketCommand implements Runnable {
  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  @Command(name = "create", description = "Create a bucket (idempotent).")
  static final class Create implements Callable<Integer> {
    @Mixin
    StreamCommand.Connection conn;

    @Parameters(index = "0", paramLabel = "BUCKET")
    String bucket;

    @Override
    public Integer call() throws Exception {
      return StreamCommand.withClient(conn, (c, out) -> {
        boolean created = c.buckets().create(bucket);
        out.println(conn.json ? "{\"created\":" + created + "}" : created ? "created" : "exists");
      });
    }
  }

  @Command(name = "ls", description = "List the buckets your grants show.")
  static final class Ls implements Callable<Integer> {
    @Mixin
    StreamCommand.Connection conn;

    @Override
    public Integer call() throws Exception {
      return StreamCommand.withClient(conn, (c, out) -> {
        for (String b : c.buckets().list()) {
          out.println(conn.json ? "{\"bucket\":" + StreamCommand.str(b) + "}" : b);
        }
      });
    }
  }

  @Command(name = "delete", description = "Delete an empty bucket.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    StreamCommand.Connection conn;

    @Parameters(index = "0", paramLabel = "BUCKET")
    String bucket;

    @Override
    public Integer call() throws Exception {
      return StreamCommand.withClient(conn, (c, out) -> {
        c.buckets().delete(bucket);
        out.println(conn.json ? "{\"deleted\":true}" : "deleted");
      });
    }
  }
}
