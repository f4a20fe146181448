package io.tributary.cli;

import io.tributary.bench.BenchCommand;
import io.tributary.config.ConfigException;
import io.tributary.config.ConfigLoader;
import io.tributary.config.Setting;
import io.tributary.config.Settings;
import io.tributary.config.TributaryConfig;
import io.tributary.node.TributaryServerMain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** The {@code tributary} command. Runs on the main thread. */
@Command(name = "tributary", mixinStandardHelpOptions = true, version = "tributary 0.1.0",
    description = "Distributed, durable Durable Streams server.",
    subcommands = {TributaryCli.Server.class, ClusterCommand.class, AdminCommand.class, CertsCommand.class, KeysCommand.class,
        BenchCommand.class, StreamCommand.class, BucketCommand.class,
        CommandLine.HelpCommand.class})
public final class TributaryCli implements Runnable {

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new TributaryCli());
    // node settings are open-ended (--name value); they are validated by the typed config instead
    cl.setUnmatchedOptionsArePositionalParams(true);
    // ... but the load generator's options are a closed set: a typo there must be an error
    cl.getSubcommands().get("bench").setUnmatchedOptionsArePositionalParams(false);
    cl.getSubcommands().get("certs").setUnmatchedOptionsArePositionalParams(false);
    cl.getSubcommands().get("stream").setUnmatchedOptionsArePositionalParams(false);
    cl.getSubcommands().get("bucket").setUnmatchedOptionsArePositionalParams(false);
    String settings = settingsHelp();
    for (String sub : List.of("server", "cluster")) {
      cl.getSubcommands().get(sub).getCommandSpec().usageMessage().footer(settings);
    }
    int code = cl.execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  static String settingsHelp() {
    StringBuilder sb = new StringBuilder("%nSettings (flag, env, default):%n");
    for (Setting s : Settings.ALL) {
      sb.append(String.format("  %-30s %-38s %s", s.flag(), s.envName(),
          s.defaultValue() + (s.unit().isEmpty() ? "" : " " + s.unit())).replace("%", "%%")).append("%n");
      sb.append("      ").append(s.doc().replace("%", "%%")).append("%n");
    }
    return sb.toString();
  }

  /**
   * {@code tributary server [--setting value ...]}: one node, settings as in docs/operations.md.
   * {@code tributary dev} is the same command: with no settings it is the embedded default, one
   * node on 127.0.0.1:4437 with data in ./data.
   */
  @Command(name = "server", aliases = "dev", description = "Run a Tributary node (settings: --name value, TRIBUTARY_* env, or --config FILE).")
  static final class Server implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "--setting value", description = "any setting listed below")
    List<String> settings = new ArrayList<>();

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and the settings")
    boolean help;

    @Override
    public Integer call() throws Exception {
      return runNode(settings, List.of());
    }
  }

  static int runNode(List<String> args, List<String> defaults) throws Exception {
    List<String> all = new ArrayList<>(defaults);
    all.addAll(args);
    TributaryConfig config;
    try {
      config = ConfigLoader.load(all, System.getenv());
    } catch (ConfigException e) {
      System.err.println("tributary: " + e.getMessage());
      System.err.println("tributary: see 'tributary server --help' for the settings");
      return 2;
    }
    TributaryServerMain.run(config);
    return 0;
  }
}
