package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.InitReport;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.experiment.RunResult;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.interop.Npy;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;

/** The batch-norm and LSUV baselines, and level 2, through every command that builds a model. */
class BaselinesCommandsTest {

  @TempDir
  Path tmp;

  @Test
  void figure7DrawsTheBaselinesAtLevelTwo() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 20);
    Path out = tmp.resolve("f7");
    Cli r = Cli.run("figure7", "--preset", "smoke", "--data", data.toString(), "--out",
        out.toString(), "--layers", "1", "--level", "2", "--repeats", "1", "--epochs", "1",
        "--inits", "xavier,lsuv", "--batch-norm-baseline", "--lsuv-tolerance", "0.05");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("layers [1] at level 2, curves [xavier, lsuv, xavier+bn]"),
        r.out());
    assertTrue(r.out().contains("scaled down from the paper: level 2 instead of 3"), r.out());
    for (String run : List.of("L1_xavier_r0", "L1_lsuv_r0", "L1_xavier_bn_r0")) {
      RunResult result = ResultStore.readRun(out.resolve("runs").resolve(run + ".json"));
      ModelConfig model = ((ModelSource.Seed) result.spec().source()).config();
      assertEquals(2, model.level(), run);
      assertEquals(run.contains("_bn"), model.batchNorm(), run);
    }
    RunResult lsuv = ResultStore.readRun(out.resolve("runs/L1_lsuv_r0.json"));
    assertEquals(0.05, lsuv.spec().lsuv().tolerance());
    assertTrue(Files.size(out.resolve("convolutional_1.png")) > 1000);
    assertTrue(Files.size(out.resolve("orthogonality_1.png")) > 1000);
    assertEquals(2, Figure7.settings(out).level());
  }

  @Test
  void initReportComparesEveryInitAndBatchNormInOneFigure() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 40, 10);
    Path out = tmp.resolve("report");
    Cli r = Cli.run("init-report", "--data", data.toString(), "--layers", "2", "--level", "2",
        "--init-batch", "32", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    InitReport report = ResultStore.JSON.readValue(
        out.resolve("init_L2_level2_s0.json").toFile(), InitReport.class);
    // by default every registered init, then the batch-norm baseline
    List<String> expected = new java.util.ArrayList<>(
        Initializers.all().stream().map(Initializer::id).toList());
    expected.add("xavier+bn");
    assertEquals(expected, report.curves().stream().map(InitReport.Curve::init).toList());
    assertEquals(2, report.model().level());
    int blocks = report.curves().get(0).gaps().size();
    for (InitReport.Curve c : report.curves()) {
      assertEquals(blocks, c.gaps().size(), c.init()); // same convolutions, block by block
    }
    assertTrue(r.out().lines().findFirst().orElse("").contains("xavier+bn"), r.out());
    assertTrue(Files.size(out.resolve("init_L2_level2_s0.png")) > 1000);

    Cli without = Cli.run("init-report", "--data", data.toString(), "--layers", "1",
        "--init", "xavier", "--no-batch-norm-baseline", "--init-batch", "32", "--out",
        out.toString());
    assertEquals(0, without.code(), without.err());
    InitReport one = ResultStore.JSON.readValue(
        out.resolve("init_L1_level3_s0.json").toFile(), InitReport.class);
    assertEquals(1, one.curves().size());
  }

  @Test
  void aLevelTwoLsuvModelTrainsExportsToOnnxAndPredictsTheSame() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 40, 10);
    Path saved = tmp.resolve("model");
    Cli t = Cli.run("train", "--data", data.toString(), "--layers", "2", "--level", "2",
        "--init", "lsuv", "--epochs", "1", "--no-test", "--save-model", saved.toString(),
        "--out", tmp.resolve("run.json").toString());
    assertEquals(0, t.code(), t.err());
    assertTrue(t.out().contains("LSUV: every layer at unit variance"), t.out());
    RunResult run = ResultStore.readRun(tmp.resolve("run.json"));
    assertEquals(2, ((ModelSource.Seed) run.spec().source()).config().level());
    assertEquals("L2_lsuv_level2_s0", run.name(), "the default file name tells the models apart");
    assertEquals(5 + 2 + 3, run.report(Lsuv.Report.class).layers().size());

    Path onnx = tmp.resolve("model.onnx");
    // the output named is the SavedModel being read (as export's default, models/<name>, is for
    // a SavedModel read from models/): refused before anything is read
    Cli same = Cli.run("export", "--weights", saved.toString(), "--saved-model",
        saved.toString());
    assertEquals(2, same.code(), same.err());
    assertTrue(same.lastErrLine().contains("it is --weights"), same.lastErrLine());
    Cli e = Cli.run("export", "--weights", saved.toString(), "--onnx", onnx.toString());
    assertEquals(0, e.code(), e.err());
    Path images = tmp.resolve("x.npy");
    Npy.writeFloats(images, TestImages.uniform(4, 2), 4, 32, 32, 3);
    Path fromSaved = tmp.resolve("saved.npy");
    Path fromOnnx = tmp.resolve("onnx.npy");
    assertEquals(0, Cli.run("predict", "--weights", saved.toString(), "--images",
        images.toString(), "--layout", "nhwc", "--out", fromSaved.toString()).code());
    Cli p = Cli.run("predict", "--weights", onnx.toString(), "--images", images.toString(),
        "--layout", "nhwc", "--out", fromOnnx.toString());
    assertEquals(0, p.code(), p.err());
    float[] a = Npy.read(fromSaved).toFloats();
    float[] b = Npy.read(fromOnnx).toFloats();
    assertEquals(40, a.length);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-5);
    }

    Cli s = Cli.run("summary", "--layers", "2", "--level", "2", "--graphs",
        tmp.resolve("graphs").toString());
    assertEquals(0, s.code(), s.err());
    assertTrue(s.out().contains("features.9"), s.out());
  }
}
