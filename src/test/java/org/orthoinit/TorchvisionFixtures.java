package org.orthoinit;

import java.nio.file.Path;

/**
 * The torchvision models exported to ONNX by {@code src/test/python/torchvision_fixtures.py}
 * (too large to commit: .ci/run makes them), from the folder the system property
 * {@value #PROPERTY} names; tests skip with a visible message without it (fail in CI).
 */
public final class TorchvisionFixtures {

  public static final String PROPERTY = "orthoinit.torchvision";

  private TorchvisionFixtures() {}

  /** The fixture folder, or the test is skipped (failed in CI) with the path in the message. */
  public static Path dir() {
    return Fixtures.folder(PROPERTY, "models.json", "torchvision fixtures",
        "make them with python3 src/test/python/torchvision_fixtures.py --out DIR and ");
  }
}
