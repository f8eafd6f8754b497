package org.orthoinit;

import java.nio.file.Path;

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
    return Fixtures.folder(PROPERTY, "cases.json", "gradient fixtures",
        "make them with python3 src/test/python/gradient_fixtures.py --out DIR and ");
  }
}
