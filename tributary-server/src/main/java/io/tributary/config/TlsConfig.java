package io.tributary.config;

import java.nio.file.Path;

/**
 * TLS of the client and admin listeners (docs/security.md). A listener with a certificate file
 * serves HTTPS only; without one, plain HTTP. The admin listener takes the client listener's pair
 * unless given its own. Only the paths are checked here (both or neither, readable); the files'
 * contents are parsed and checked when the node starts, before it binds anything.
 *
 * @param certFile             client listener's PEM certificate chain, or null for plain HTTP
 * @param keyFile              its PEM private key, or null
 * @param adminCertFile        admin listener's PEM certificate chain, or null for plain HTTP
 * @param adminKeyFile         its PEM private key, or null
 * @param peerCertFile         this node's certificate on the peer plane, or null for plain HTTP there
 * @param peerKeyFile          its key, or null
 * @param peerCaFile           the cluster CA that issues node certificates, or null
 * @param reloadIntervalMillis how often the files are re-read; 0 = never
 */
public record TlsConfig(Path certFile, Path keyFile, Path adminCertFile, Path adminKeyFile, Path peerCertFile,
    Path peerKeyFile, Path peerCaFile, long reloadIntervalMillis) {
  public TlsConfig {
    if ((certFile == null) != (keyFile == null) || (adminCertFile == null) != (adminKeyFile == null)
        || (peerCertFile == null) != (peerKeyFile == null) || (peerCertFile == null) != (peerCaFile == null)) {
      throw new IllegalArgumentException("a certificate file needs its key file (and on the peer plane the CA)");
    }
  }

  /** True when the peer data listener and its clients use mutual TLS. */
  public boolean peerEnabled() {
    return peerCertFile != null;
  }

  public boolean clientEnabled() {
    return certFile != null;
  }

  public boolean adminEnabled() {
    return adminCertFile != null;
  }
}
