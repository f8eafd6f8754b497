package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fixtures;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.init.SvdReport;
import org.orthoinit.interop.Npy;

/** predict and init on the PyTorch fixtures, through the command line. */
class PytorchCommandsTest {

  @TempDir
  Path tmp;

  private static float[] npy(Path file) throws Exception {
    return Npy.read(file).toFloats();
  }

  @Test
  void predictReproducesPyTorchsLogitsAndFeatures() throws Exception {
    Path out = tmp.resolve("logits.npy");
    Path features = tmp.resolve("features.npy");
    Cli r = Cli.run("predict", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--images", Fixtures.file("alexnet_L0_images8.npy").toString(), "--out", out.toString(),
        "--features-out", features.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Fixtures.relativeError(npy(out), npy(Fixtures.file("alexnet_L0_logits8.npy")))
        < 1e-4);
    assertTrue(Fixtures.relativeError(npy(features),
        npy(Fixtures.file("alexnet_L0_features8.npy"))) < 1e-4);
  }

  @Test
  void initAppliesTheSvdInitializerToAPyTorchModel() throws Exception {
    Path out = tmp.resolve("logits.npy");
    Path features = tmp.resolve("features.npy");
    Path report = tmp.resolve("report.json");
    Cli r = Cli.run("init", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--method", "svd", "--batch", Fixtures.file("alexnet_L0_init256.npy").toString(),
        "--predict", Fixtures.file("alexnet_L0_images8.npy").toString(),
        "--out", out.toString(), "--features-out", features.toString(),
        "--report", report.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("gram ratio 0.963"), r.out());
    assertTrue(Fixtures.relativeError(npy(out),
        npy(Fixtures.file("alexnet_L0_svdinit_logits8.npy"))) < 1e-3);
    assertTrue(Fixtures.relativeError(npy(features),
        npy(Fixtures.file("alexnet_L0_svdinit_features8.npy"))) < 1e-3);
    SvdReport rep = ResultStore.JSON.readValue(report.toFile(),
        SvdReport.class);
    assertEquals(0.55095, rep.gramRatioAfter(), 1e-3);
    assertEquals(2, rep.outputNorms().size());
  }

  @Test
  void exportThenPredictOnTheSavedModelReproducesPyTorch() throws Exception {
    Path dir = tmp.resolve("saved");
    Cli e = Cli.run("export", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--saved-model", dir.toString());
    assertEquals(0, e.code(), e.err());
    Path out = tmp.resolve("logits.npy");
    Cli r = Cli.run("predict", "--weights", dir.toString(), "--images",
        Fixtures.file("alexnet_L0_images8.npy").toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Fixtures.relativeError(npy(out), npy(Fixtures.file("alexnet_L0_logits8.npy")))
        < 1e-4);
  }

  @Test
  void initExportsOnnxThatPredictReadsBack() throws Exception {
    Path onnx = tmp.resolve("svd.onnx");
    Cli i = Cli.run("init", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--batch", Fixtures.file("alexnet_L0_init256.npy").toString(), "--export-onnx",
        onnx.toString());
    assertEquals(0, i.code(), i.err());
    Path out = tmp.resolve("logits.npy");
    Cli r = Cli.run("predict", "--weights", onnx.toString(), "--images",
        Fixtures.file("alexnet_L0_images8.npy").toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Fixtures.relativeError(npy(out),
        npy(Fixtures.file("alexnet_L0_svdinit_logits8.npy"))) < 1e-3);
    // and back to a SavedModel and ONNX again, through export
    Path saved = tmp.resolve("saved");
    Path again = tmp.resolve("again.onnx");
    Cli e = Cli.run("export", "--weights", onnx.toString(), "--saved-model", saved.toString());
    assertEquals(0, e.code(), e.err());
    Cli e2 = Cli.run("export", "--weights", saved.toString(), "--onnx", again.toString(),
        "--graphs", tmp.resolve("graphs").toString());
    assertEquals(0, e2.code(), e2.err());
    assertTrue(Files.size(tmp.resolve("graphs").resolve("alexnet_L0_level3.pb")) > 1000);
    assertTrue(Files.readString(tmp.resolve("graphs").resolve("alexnet_L0_level3.txt"))
        .contains("22,497,930"));
    assertEquals(org.orthoinit.interop.ModelFiles.open(onnx).weights().get("features.9.weight")[5],
        org.orthoinit.interop.ModelFiles.open(again).weights().get("features.9.weight")[5]);
  }

  @Test
  void initSavesTheInitializedModelForTensorFlow() throws Exception {
    Path dir = tmp.resolve("svd-saved");
    Cli i = Cli.run("init", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--batch", Fixtures.file("alexnet_L0_init256.npy").toString(), "--saved-model",
        dir.toString());
    assertEquals(0, i.code(), i.err());
    assertEquals("svd (subspace on 256 images)",
        org.orthoinit.interop.SavedModels.metadata(dir).init());
    Path out = tmp.resolve("logits.npy");
    Cli r = Cli.run("predict", "--weights", dir.toString(), "--images",
        Fixtures.file("alexnet_L0_images8.npy").toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Fixtures.relativeError(npy(out),
        npy(Fixtures.file("alexnet_L0_svdinit_logits8.npy"))) < 1e-3);
  }

  @Test
  void initWritesASavedModelOfAnyGraphThatPredictsAsTheInitDid() throws Exception {
    Path zoo = tmp.resolve("zoo.onnx"); // with a batch norm, whose running statistics it keeps
    org.orthoinit.interop.OnnxModel.write(zoo, org.orthoinit.interop.OnnxExport.model(
        org.orthoinit.TestNetworks.zoo(), org.orthoinit.TestNetworks.randomWeights(
            org.orthoinit.TestNetworks.zoo(), 1)));
    Path dir = tmp.resolve("saved");
    Path images = Fixtures.file("alexnet_L0_init256.npy");
    Path y = tmp.resolve("y.npy");
    Cli i = Cli.run("init", "--weights", zoo.toString(), "--batch", images.toString(),
        "--predict", images.toString(), "--out", y.toString(), "--saved-model", dir.toString());
    assertEquals(0, i.code(), i.err());
    Path served = tmp.resolve("served.npy");
    Cli p = Cli.run("predict", "--weights", dir.toString(), "--images", images.toString(),
        "--out", served.toString());
    assertEquals(0, p.code(), p.err());
    assertTrue(Fixtures.relativeError(npy(served), npy(y)) < 1e-5,
        "the SavedModel's logits are the initialized model's");
  }

  @Test
  void aFileThatIsNotTheSeedsModelIsRefused() throws Exception {
    Path bogus = Files.write(tmp.resolve("bogus.onnx"), new byte[] {1, 2, 3, 4, 5});
    Path out = tmp.resolve("y.npy");
    Cli r = Cli.run("predict", "--weights", bogus.toString(), "--images",
        Fixtures.file("alexnet_L0_images8.npy").toString(), "--out", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().strip().startsWith("predict: " + bogus), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void imagesOfTheWrongShapeAreRefused() throws Exception {
    Path out = tmp.resolve("y.npy");
    Cli r = Cli.run("predict", "--weights", Fixtures.file("alexnet_L0.onnx").toString(),
        "--images", Fixtures.file("alexnet_L0_images8.npy").toString(), "--layout", "nhwc",
        "--out", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("alexnet_L0_images8.npy: shape [8, 3, 32, 32], expected"),
        r.err());
    assertFalse(Files.exists(out));
  }
}
