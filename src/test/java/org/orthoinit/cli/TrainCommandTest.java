package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.experiment.RunResult;
import org.orthoinit.init.SvdReport;

class TrainCommandTest {

  @TempDir
  Path tmp;

  @Test
  void aShortRunWritesItsJsonWithConfigLossesAccuracyAndEnvironment() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 90, 20);
    Path out = tmp.resolve("run.json");
    // --device cpu: the device asserted below holds on any build and machine
    Cli r = Cli.run("train", "--data", data.toString(), "--layers", "0", "--epochs", "2",
        "--seed", "3", "--device", "cpu", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("L0_xavier_s3: ok, loss "), r.out());
    RunResult result = ResultStore.readRun(out);
    assertEquals("ok", result.status());
    assertEquals(2, result.epochs().size());
    assertEquals(2, result.epochs().get(1).epoch());
    assertTrue(result.epochs().get(0).loss() > 0);
    assertEquals(30, result.spec().train().batchSize());
    assertEquals(0.001f, result.spec().train().learningRate());
    assertNotNull(result.testAccuracy());
    assertNull(result.report());
    assertEquals("/job:localhost/replica:0/task:0/device:CPU:0", result.environment().device());
    assertTrue(result.environment().devices().stream().anyMatch(d -> d.type().equals("CPU")
        && d.name().equals(result.environment().device()) && d.memoryBytes() > 0),
        result.environment().devices().toString());
    // the tests run with oneDNN's kernels unless -Donednn=0
    assertEquals(!"0".equals(System.getenv("TF_ENABLE_ONEDNN_OPTS")),
        result.environment().onednn());
    assertEquals(false, result.environment().tf32());
    assertTrue(result.environment().tensorflow().startsWith("2."), result.environment().tensorflow());
  }

  @Test
  void svdInitRecordsItsGramRatiosAndTime() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 10);
    Path out = tmp.resolve("svd.json");
    Cli r = Cli.run("train", "--data", data.toString(), "--layers", "1", "--epochs", "1",
        "--init", "svd", "--no-test", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    RunResult result = ResultStore.readRun(out);
    assertEquals("svd", result.spec().init().id());
    assertEquals(60, result.report(SvdReport.class).batch()); // min(256, training images)
    SvdReport svd = result.report(SvdReport.class);
    assertTrue(svd.gramRatioAfter() < svd.gramRatioBefore());
    assertTrue(result.initSeconds() > 0);
    assertNull(result.testAccuracy());
  }

  @Test
  void saveModelWritesASavedModelOfTheTrainedWeights() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
    Path saved = tmp.resolve("models").resolve("trained");
    Cli r = Cli.run("train", "--data", data.toString(), "--layers", "0", "--epochs", "1",
        "--no-test", "--save-model", saved.toString(), "--out", tmp.resolve("r.json").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.exists(saved.resolve("saved_model.pb")));
    var meta = org.orthoinit.interop.SavedModels.metadata(saved);
    assertEquals("xavier", meta.init());
    assertTrue(meta.source().startsWith("run L0_xavier_s0"), meta.source());
    // what the SavedModel predicts is what a model with its variables predicts
    var weights = org.orthoinit.interop.ModelFiles.open(saved);
    float[] x = TestImages.uniform(3, 1);
    float[] expected;
    try (var s = org.orthoinit.model.ModelSession.open(weights.network(), 0, 0,
        org.orthoinit.model.Compute.DEFAULT)) {
      s.assign(weights.weights());
      expected = s.predict(x, 3).logits();
    }
    float[] actual = org.orthoinit.interop.SavedModels.predict(saved, x, 3).logits();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-6);
    }
  }

  @Test
  void aDivergingRunIsMarkedAndExitsNonZero() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 10);
    Path out = tmp.resolve("nan.json");
    Cli r = Cli.run("train", "--data", data.toString(), "--layers", "0", "--epochs", "2",
        "--lr", "1e6", "--out", out.toString());
    assertEquals(1, r.code(), r.err());
    RunResult result = ResultStore.readRun(out);
    assertEquals("diverged", result.status());
    assertNull(result.epochs().get(result.epochs().size() - 1).loss());
    assertTrue(Files.readString(out).contains("\"loss\" : null"));
  }

  @Test
  void badFlagsAreUsageErrorsNamingTheValue() {
    Cli r = Cli.run("train", "--layers", "-3");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("train: --layers must be in 0..1000, got -3"), r.err());
    Cli epochs = Cli.run("train", "--epochs", "0");
    assertEquals(2, epochs.code());
    assertTrue(epochs.err().startsWith("train: --epochs must be in 1..1000000, got 0"),
        epochs.err());
    Cli word = Cli.run("train", "--lr", "fast");
    assertEquals(2, word.code());
    assertEquals("train: Invalid value for option '--lr': 'fast' is not a float "
        + "(see 'orthoinit train --help')", word.err().strip());
    Cli init = Cli.run("train", "--init", "he");
    assertEquals(2, init.code());
    assertTrue(init.err().contains("unknown init 'he', expected one of xavier, svd, lsuv, "
        + "kaiming, pytorch-default, orthogonal"), init.err());
    for (String id : new String[] {"lsuv", "kaiming", "orthogonal"}) {
      Cli both = Cli.run("train", "--init", id, "--weights", "model.onnx");
      assertEquals(2, both.code());
      assertTrue(both.err().startsWith("train: --init " + id + " replaces every kernel"),
          both.err());
    }
  }
}
