package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fixtures;
import org.orthoinit.TorchvisionFixtures;
import org.orthoinit.interop.Npy;

/**
 * The commands on a graph that is not the seed's AlexNet (torchvision's squeezenet1_1, exported
 * by PyTorch): export writes it as ONNX and as a GraphDef, predict reads the written file back
 * to PyTorch's logits, summary lists it, and a SavedModel of it is refused in one line.
 */
class GraphCommandsTest {

  @TempDir
  Path tmp;

  @Test
  void exportPredictAndSummaryTakeAnyGraph() throws Exception {
    Path dir = TorchvisionFixtures.dir();
    Path source = dir.resolve("squeezenet1_1.onnx");
    Path onnx = tmp.resolve("squeezenet.onnx");
    Cli e = Cli.run("export", "--weights", source.toString(), "--onnx", onnx.toString(),
        "--graphs", tmp.resolve("graphs").toString());
    assertEquals(0, e.code(), e.err());
    assertTrue(Files.size(tmp.resolve("graphs").resolve("squeezenet1_1.pb")) > 1000);
    Path out = tmp.resolve("logits.npy");
    Cli p = Cli.run("predict", "--weights", onnx.toString(), "--images",
        dir.resolve("squeezenet1_1_images.npy").toString(), "--out", out.toString());
    assertEquals(0, p.code(), p.err());
    double error = Fixtures.relativeError(Npy.read(out).toFloats(),
        Npy.read(dir.resolve("squeezenet1_1_logits.npy")).toFloats());
    assertTrue(error < 1e-4, "logits of the re-exported squeezenet: relative error " + error);
    Cli s = Cli.run("summary", "--weights", source.toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains("classifier.1") && s.out().contains("727,626"), s.out());
  }

  @Test
  void aSavedModelOfAnotherGraphIsRefusedInOneLine() throws Exception {
    Path source = TorchvisionFixtures.dir().resolve("squeezenet1_1.onnx");
    Path saved = tmp.resolve("saved");
    Cli e = Cli.run("export", "--weights", source.toString(), "--saved-model", saved.toString());
    assertEquals(2, e.code(), "a flag that cannot apply: a usage error");
    assertEquals("export: --saved-model: " + source + " is not the seed's AlexNet, and "
        + "SavedModels are written for that architecture only (--onnx and --graphs take any "
        + "graph)", e.err().strip());
    assertFalse(Files.exists(saved));
  }
}
