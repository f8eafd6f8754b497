package org.orthoinit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PyTorch parity fixtures (shared/fixtures/pytorch). The folder comes from the system
 * property {@code orthoinit.fixtures}; tests that need it skip with a visible message when it is
 * missing, unless {@code orthoinit.fixtures.required=true} (set by CI), where they fail.
 */
public final class Fixtures {

  public static final String PROPERTY = "orthoinit.fixtures";
  public static final String REQUIRED = "orthoinit.fixtures.required";

  private Fixtures() {}

  /** The fixture folder, or the test is skipped (failed in CI) with the path in the message. */
  public static Path dir() {
    return folder(PROPERTY, "alexnet_L0.onnx", "PyTorch fixtures", "");
  }

  /**
   * The folder named by the system property {@code property}, holding {@code marker}; when it
   * is missing the test is skipped with a visible message (failed in CI, where
   * {@value #REQUIRED} is set) that says where it was looked for and {@code how} to make it.
   */
  public static Path folder(String property, String marker, String what, String how) {
    String p = System.getProperty(property);
    Path dir = p == null || p.isBlank() ? null : Path.of(p);
    if (dir == null || !Files.isRegularFile(dir.resolve(marker))) {
      String message = what + " not found at " + dir + " (" + how + "set -D" + property
          + "=DIR)";
      if (Boolean.getBoolean(REQUIRED)) {
        Assertions.fail(message);
      }
      System.err.println("SKIPPED: " + message);
      Assumptions.abort(message);
    }
    return dir;
  }

  public static Path file(String name) {
    return dir().resolve(name);
  }

  /** max |a - b| / max |b|: the relative error every parity check uses. */
  public static double relativeError(float[] actual, float[] expected) {
    double[] wide = new double[expected.length];
    for (int i = 0; i < wide.length; i++) {
      wide[i] = expected[i];
    }
    return relativeError(actual, wide);
  }

  /** max |a - b| / max |b| against a float64 reference. */
  public static double relativeError(float[] actual, double[] expected) {
    Assertions.assertEquals(expected.length, actual.length, "lengths");
    double err = 0;
    double scale = 0;
    for (int i = 0; i < expected.length; i++) {
      err = Math.max(err, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    return err / scale;
  }
}
