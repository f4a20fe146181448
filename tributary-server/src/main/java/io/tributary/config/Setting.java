package io.tributary.config;

import java.util.function.LongPredicate;

/**
 * One configuration key: its flag name (kebab case), unit, default, documentation and validation.
 * The env form is {@code TRIBUTARY_} + the name upper-cased with '-' as '_'. A {@code secret}
 * value (a credential) is never logged or printed: {@link TributaryConfig#describe} shows it as
 * {@code ***}.
 */
public record Setting(String name, Kind kind, String defaultValue, String unit, String doc, LongPredicate valid, String validText,
    boolean secret) {

  /** Value kinds; numbers are validated with {@link #valid}. */
  public enum Kind { STRING, LONG, BOOLEAN }

  public String envName() {
    return "TRIBUTARY_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  public String flag() {
    return "--" + name;
  }
}
