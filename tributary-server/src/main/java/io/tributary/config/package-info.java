/**
 * The one typed, validated, documented configuration object ({@link io.tributary.config.TributaryConfig})
 * and its loader (defaults, then a properties file, then {@code TRIBUTARY_*} env, then flags).
 * Imports only {@code io.tributary.common}.
 */
package io.tributary.config;
