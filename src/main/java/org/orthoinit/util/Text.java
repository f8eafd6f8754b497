package org.orthoinit.util;

/** Short texts from long ones: what a one-line error message may quote. */
public final class Text {

  private Text() {}

  /** The first non-blank line of {@code s}, stripped; empty for null. */
  public static String firstLine(String s) {
    return s == null ? "" : s.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
  }

  /** The first line of an exception's message, or its class's name when it has none. */
  public static String firstLine(Throwable e) {
    String line = firstLine(e.getMessage());
    return line.isEmpty() ? e.getClass().getSimpleName() : line;
  }
}
