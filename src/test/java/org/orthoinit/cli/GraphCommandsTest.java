package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fixtures;
import org.orthoinit.TestImages;
import org.orthoinit.TorchvisionFixtures;
import org.orthoinit.init.SvdRoute;
import org.orthoinit.interop.Npy;
import org.orthoinit.interop.OnnxModel;
import org.orthoinit.interop.onnx.ModelProto;

/**
 * The commands on a graph that is not the seed's AlexNet (torchvision's squeezenet1_1, exported
 * by PyTorch; the CIFAR VGG's training export): export writes it as ONNX, as a GraphDef and as
 * a SavedModel, predict reads each written file back to PyTorch's logits, summary lists it,
 * train trains it after the SVD init and records its file; a graph of other images is refused
 * in one line.
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
  void trainTakesAnImportedGraphAndRecordsItsFile() throws Exception {
    Path source = TorchvisionFixtures.dir().resolve("vgg11_bn_cifar_grad.onnx");
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 128, 20);
    Path out = tmp.resolve("run.json");
    Path saved = tmp.resolve("trained");
    Cli r = Cli.run("train", "--weights", source.toString(), "--init", "svd", "--init-batch",
        "128", "--epochs", "1", "--data", data.toString(), "--device", "cpu", "--out",
        out.toString(), "--save-model", saved.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode metadata = new ObjectMapper().readTree(saved.resolve("assets.extra/orthoinit.json")
        .toFile());
    assertEquals("vgg11_bn_cifar_grad", metadata.get("network").asText(), metadata.toString());
    assertEquals("svd", metadata.get("init").asText());
    assertTrue(r.out().startsWith("vgg11_bn_cifar_grad_svd_s0: ok, loss "), r.out());
    JsonNode run = new ObjectMapper().readTree(out.toFile());
    JsonNode network = run.get("spec").get("network");
    assertEquals("vgg11_bn_cifar_grad", network.get("name").asText());
    assertEquals(64, network.get("sha256").asText().length());
    assertTrue(run.get("spec").get("model") == null, "no AlexNet configuration");
    // the four 3 x 3 convolutions with as many outputs as inputs, rewritten in order
    assertEquals(4, run.get("report").get("outputNorms").size(), run.get("report").toString());
    // 128 images: features.25 has 512 patch rows (2 x 2 maps) for 4608 columns, the dual route
    assertEquals(SvdRoute.DUAL.label(), run.get("report").get("outputNorms").get(3)
        .get("route").asText());
    assertTrue(Double.isFinite(run.get("epochs").get(0).get("loss").asDouble()));
  }

  @Test
  void trainRefusesAGraphOfOtherImagesWithTheirShape() throws Exception {
    Path source = TorchvisionFixtures.dir().resolve("squeezenet1_1.onnx");
    ModelProto.Builder m = OnnxModel.read(source).proto().toBuilder();
    var shape = m.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
        .getShapeBuilder();
    shape.getDimBuilder(2).setDimValue(64);
    shape.getDimBuilder(3).setDimValue(64);
    Path bigger = tmp.resolve("squeezenet64.onnx");
    OnnxModel.write(bigger, m.build());
    Path out = tmp.resolve("run.json");
    Cli r = Cli.run("train", "--weights", bigger.toString(), "--init", "svd", "--epochs", "1",
        "--data", TestImages.writeDataset(tmp.resolve("cifar"), 30, 10).toString(), "--out",
        out.toString());
    assertEquals(1, r.code());
    assertEquals("train: " + bigger + ": input 'images' has shape [-1, 3, 64, 64], expected "
        + "[N, 3, 32, 32] (CIFAR-10 images, NCHW)", r.err().strip());
    assertFalse(Files.exists(out));
  }

  @Test
  void figure7RefusesAnInitBatchTooSmallForTheNetworkBeforeAnyWork() throws Exception {
    Path source = TorchvisionFixtures.dir().resolve("resnet18_grad.onnx");
    Path out = tmp.resolve("f7");
    // resnet18 at 32 x 32: 1 x 1 maps in its last stage, one patch row per image
    Cli r = Cli.run("figure7", "--preset", "smoke", "--model", source.toString(), "--data",
        TestImages.writeDataset(tmp.resolve("cifar"), 30, 10).toString(), "--out",
        out.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals("figure7: --init-batch: layer4.0.conv2: 256 images give 256 x 4608 patch rows "
        + "(1 per image at 1x1), fewer than its 512 output channels; use at least 512 images",
        r.err().strip());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void aSavedModelOfAnyGraphServesPytorchsLogitsAndReadsBack() throws Exception {
    Path dir = TorchvisionFixtures.dir();
    Path source = dir.resolve("squeezenet1_1.onnx");
    Path saved = tmp.resolve("saved");
    Cli e = Cli.run("export", "--weights", source.toString(), "--saved-model", saved.toString());
    assertEquals(0, e.code(), e.err());
    assertTrue(Files.exists(saved.resolve("assets.extra/network.onnx")), "its architecture");
    // the architecture and values read back from the folder (export checked its signature)
    Path out = tmp.resolve("logits.npy");
    Cli p = Cli.run("predict", "--weights", saved.toString(), "--images",
        dir.resolve("squeezenet1_1_images.npy").toString(), "--out", out.toString());
    assertEquals(0, p.code(), p.err());
    double error = Fixtures.relativeError(Npy.read(out).toFloats(),
        Npy.read(dir.resolve("squeezenet1_1_logits.npy")).toFloats());
    assertTrue(error < 1e-4, "logits of squeezenet's SavedModel: relative error " + error);
    // and back to ONNX from the SavedModel: the same logits again
    Path back = tmp.resolve("back.onnx");
    assertEquals(0, Cli.run("export", "--weights", saved.toString(), "--onnx", back.toString())
        .code());
    Path again = tmp.resolve("again.npy");
    assertEquals(0, Cli.run("predict", "--weights", back.toString(), "--images",
        dir.resolve("squeezenet1_1_images.npy").toString(), "--out", again.toString()).code());
    assertTrue(Fixtures.relativeError(Npy.read(again).toFloats(),
        Npy.read(dir.resolve("squeezenet1_1_logits.npy")).toFloats()) < 1e-4);
  }
}
