package org.orthoinit.util;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The one digest the project fingerprints files, images and weights with. */
public final class Digests {

  private Digests() {}

  /** A fresh SHA-256 digest (every JVM has one). */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
