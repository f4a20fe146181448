package io.tributary.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary keys new --name NAME --grant G [--grant G ...] [--file KEYS]}: a new random API
 * key. Prints the key once (it is not stored anywhere) and the line for the node's
 * {@code --auth-api-keys-file}, which holds only the key's SHA-256; with {@code --file} the line is
 * appended there (nodes pick it up without a restart). Grants are checked for form here; see
 * docs/security.md. Runs on the main thread.
 */
@Command(name = "keys", description = "Manage API keys.", subcommands = KeysCommand.New.class)
final class KeysCommand implements Runnable {
  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  @Command(name = "new", description = "Make a random API key and its line for --auth-api-keys-file.")
  static final class New implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "who the key is for (shown in 403 reasons and logs)")
    String name;

    @Option(names = "--grant", required = true, description = "a grant, permissions:scope, e.g. read,append:tenant-a/chat/ (repeatable)")
    List<String> grants;

    @Option(names = "--file", description = "append the line to this key file")
    Path file;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public Integer call() throws Exception {
      if (!name.matches("[A-Za-z0-9._@-]{1,64}")) {
        System.err.println("tributary keys: --name: use 1-64 of [A-Za-z0-9._@-]");
        return 2;
      }
      for (String g : grants) {
        if (!g.matches("(\\*|[a-z]+(,[a-z]+)*):(\\*|[a-z0-9][a-z0-9._-]{0,62}(/\\S*)?)")) {
          System.err.println("tributary keys: --grant " + g + ": expected permissions:scope (docs/security.md)");
          return 2;
        }
      }
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      String key = "trk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
      String line = name + " " + hash + " " + String.join(" ", grants);
      if (file != null) {
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
      System.out.println("key (shown once; send it as Authorization: Bearer <key>): " + key);
      System.out.println((file == null ? "line for --auth-api-keys-file: " : "appended to " + file + ": ") + line);
      return 0;
    }
  }
}
