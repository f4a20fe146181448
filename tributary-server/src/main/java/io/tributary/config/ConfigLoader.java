package io.tributary.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Resolves settings: defaults &lt; properties file ({@code --config FILE}) &lt; {@code TRIBUTARY_*}
 * env &lt; flags ({@code --name value} or {@code --name=value}). Runs once on the main thread.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static TributaryConfig load(List<String> args, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, String> flags = parseFlags(args);
    String file = flags.remove("config");
    if (file == null) {
      file = env.get("TRIBUTARY_CONFIG");
    }
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(Path.of(file))) {
        p.load(r);
      } catch (IOException e) {
        throw new ConfigException("--config: cannot read " + file + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> values.put(k, p.getProperty(k).trim()));
    }
    for (Setting s : Settings.ALL) {
      String v = env.get(s.envName());
      if (v != null) {
        values.put(s.name(), v);
      }
    }
    values.putAll(flags);
    return TributaryConfig.fromValues(values);
  }

  private static Map<String, String> parseFlags(List<String> args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--") || a.length() < 3) {
        throw new ConfigException("unexpected argument '" + a + "' (settings are --name value)");
      }
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new ConfigException(a + ": missing value");
      }
      out.put(name, value);
    }
    return out;
  }
}
