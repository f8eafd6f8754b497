package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fixtures;
import org.orthoinit.TestImages;
import org.orthoinit.model.GradientCheck;

/**
 * train, figure7, init and doctor refuse a network whose layer gradient is wrong here with no
 * route around it: the test-only hook scales TensorFlow's input gradient of every convolution
 * from 64 input channels by 1.01 inside the check (the seed's features.3 is 64 -> 192), padded
 * or not, as a faulty kernel at every count would.
 */
class GradientRefusalTest {

  private static final String REFUSAL = "layer features.3 (conv k=3, s=1, p=1, 64->192): "
      + "TensorFlow's input gradient is 1.0e-02 off float64 here (limit 1e-04) and no input "
      + "padded by up to 128 channels fixes it, so training would follow a wrong gradient; run "
      + "with TF_ENABLE_ONEDNN_OPTS=0 (TensorFlow's own kernels, slower) or see 'orthoinit "
      + "doctor'";

  @TempDir
  Path tmp;

  @BeforeEach
  void corrupt() {
    System.setProperty(GradientCheck.CORRUPT_PROPERTY, "64");
  }

  @AfterEach
  void restore() {
    System.clearProperty(GradientCheck.CORRUPT_PROPERTY);
  }

  @Test
  void trainRefusesBeforeItInitializes() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
    Path out = tmp.resolve("run.json");
    Cli r = Cli.run("train", "--data", data.toString(), "--layers", "0", "--epochs", "1",
        "--init", "svd", "--device", "cpu", "--out", out.toString());
    assertEquals(1, r.code(), r.err());
    assertEquals("train: " + REFUSAL, r.lastErrLine());
    assertFalse(r.err().contains("initializing"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void figure7RefusesBeforeItMakesItsFolder() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
    Path out = tmp.resolve("f7");
    Cli r = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "1",
        "--epochs", "1", "--data", data.toString(), "--out", out.toString());
    assertEquals(1, r.code(), r.err());
    assertEquals("figure7: " + REFUSAL, r.lastErrLine());
    assertFalse(Files.exists(out.resolve("runs")), "a runs folder was made");
  }

  @Test
  void initRefusesAndWritesNothing() throws Exception {
    Path onnx = tmp.resolve("init.onnx");
    Path report = tmp.resolve("report.json");
    Cli r = Cli.run("init", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--method", "svd", "--batch", Fixtures.file("alexnet_L0_init256.npy").toString(),
        "--export-onnx", onnx.toString(), "--report", report.toString());
    assertEquals(1, r.code(), r.err());
    assertEquals("init: " + REFUSAL, r.lastErrLine());
    assertFalse(Files.exists(onnx));
    assertFalse(Files.exists(report));
  }

  @Test
  void doctorNamesTheKindAndShape() {
    Cli r = Cli.run("doctor");
    assertEquals(1, r.code(), r.err());
    assertEquals("doctor: the conv 1x1 gradient at 64 channels is 1.0e-02 off float64 (limit "
        + "1e-04) with no route around it: training such layers here would follow a wrong "
        + "gradient; run with TF_ENABLE_ONEDNN_OPTS=0 (TensorFlow's own kernels)",
        r.err().strip());
    assertTrue(r.out().contains("1.0e-02 !"), r.out());
  }
}
