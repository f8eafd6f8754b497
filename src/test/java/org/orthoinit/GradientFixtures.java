package org.orthoinit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The gradient parity fixtures, made by {@code src/test/python/gradient_fixtures.py} (too large
 * to commit: .ci/run makes them). The folder comes from the system property
 * {@value #PROPERTY}; tests that need it skip with a visible message when it is missing, unless
 * {@code orthoinit.fixtures.required=true} (set by CI), where they fail.
 */
public final class GradientFixtures {

  public static final String PROPERTY = "orthoinit.gradients";

  private GradientFixtures() {}

  /** The fixture folder, or the test is skipped (failed in CI) with the path in the message. */
  public static Path dir() {
    String p = System.getProperty(PROPERTY);
    Path dir = p == null || p.isBlank() ? null : Path.of(p);
    if (dir == null || !Files.isRegularFile(dir.resolve("cases.json"))) {
      String message = "gradient fixtures not found at " + dir + " (make them with python3 "
          + "src/test/python/gradient_fixtures.py --out DIR and set -D" + PROPERTY + "=DIR)";
      if (Boolean.getBoolean(Fixtures.REQUIRED)) {
        Assertions.fail(message);
      }
      System.err.println("SKIPPED: " + message);
      Assumptions.abort(message);
    }
    return dir;
  }
}
