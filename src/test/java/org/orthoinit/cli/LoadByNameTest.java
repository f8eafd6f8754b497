package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fixtures;
import org.orthoinit.TorchvisionFixtures;

/**
 * The way back to PyTorch: {@code init --export-onnx} on torchvision's resnet18 (its training
 * export, state_dict names kept) writes a file that {@code src/test/python/load_by_name.py} loads
 * by name into a fresh torchvision resnet18, whose eval-mode logits must be within 1e-4 of the
 * ones orthoinit predicted after the init. Needs Debian's python3-torch, python3-torchvision and
 * python3-onnx (.ci/run installs them); skips with a message without them (fails in CI).
 */
class LoadByNameTest {

  private static final String PYTHON = "/usr/bin/python3";

  @TempDir
  Path tmp;

  @Test
  void anInitializedResnetLoadsByNameIntoTorchvision() throws Exception {
    Path dir = TorchvisionFixtures.dir();
    requirePython();
    Path onnx = tmp.resolve("resnet18_svd.onnx");
    Path logits = tmp.resolve("logits.npy");
    Path images = dir.resolve("resnet18_grad_images.npy");
    Cli init = Cli.run("init", "--weights", dir.resolve("resnet18_grad.onnx").toString(),
        "--batch", dir.resolve("resnet18_init.npy").toString(), "--export-onnx",
        onnx.toString(), "--predict", images.toString(), "--out", logits.toString());
    assertEquals(0, init.code(), init.err());
    assertTrue(init.out().contains("13 layers rewritten"), init.out());
    Process p = new ProcessBuilder(PYTHON, script().toString(), "--onnx", onnx.toString(),
        "--model", "resnet18", "--images", images.toString(), "--logits", logits.toString())
        .redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "load_by_name.py did not finish");
    System.out.println(said);
    assertEquals(0, p.exitValue(), said);
    assertTrue(said.contains("within 0.0001"), said);
  }

  private static Path script() {
    return Path.of("src", "test", "python", "load_by_name.py").toAbsolutePath();
  }

  /** Python with torch, torchvision and onnx, or the test skips (fails in CI). */
  private static void requirePython() throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(List.of(PYTHON, "-c", "import torch, torchvision, onnx"))
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      p = null;
    }
    boolean ok = p != null && p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0;
    if (!ok) {
      String message = PYTHON + " cannot import torch, torchvision and onnx (install Debian's "
          + "python3-torch, python3-torchvision and python3-onnx)";
      if (Boolean.getBoolean(Fixtures.REQUIRED)) {
        Assertions.fail(message);
      }
      System.err.println("SKIPPED: " + message);
      Assumptions.abort(message);
    }
  }
}
