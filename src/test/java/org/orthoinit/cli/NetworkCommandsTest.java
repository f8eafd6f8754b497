package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.Fixtures;
import org.orthoinit.TestImages;
import org.orthoinit.TestNetworks;
import org.orthoinit.interop.Npy;
import org.orthoinit.interop.NpyArray;
import org.orthoinit.interop.OnnxExport;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.model.Network;

/**
 * {@code predict}, {@code summary} and {@code figure7 --model} on an ONNX network that is not
 * the seed's AlexNet.
 */
class NetworkCommandsTest {

  private static final int N = 5;

  @TempDir
  Path tmp;

  @Test
  void predictRunsAnyGraphTheImporterReadsAsOnnxRuntimeDoes() throws Exception {
    Network zoo = TestNetworks.zoo();
    Path model = tmp.resolve("zoo.onnx");
    OnnxExport.write(model, zoo, TestNetworks.randomWeights(zoo, 4));
    float[] nchw = TestNetworks.nchw(TestImages.uniform(N, 8), N);
    Path images = tmp.resolve("x.npy");
    Npy.writeFloats(images, nchw, N, 3, 32, 32);
    Path out = tmp.resolve("y.npy");
    Path features = tmp.resolve("f.npy");
    Cli r = Cli.run("predict", "--weights", model.toString(), "--images", images.toString(),
        "--out", out.toString(), "--features-out", features.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("wrote logits [5, 10]") && r.out().contains("features [5, 32]"),
        r.out()); // the zoo's last flatten is the global pool's, 32 channels
    NpyArray logits = Npy.read(out);
    assertArrayEquals(new long[] {N, 10}, logits.shape());

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw),
            new long[] {N, 3, 32, 32});
        OrtSession.Result res = s.run(Map.of(OnnxExport.INPUT, x))) {
      float[][] expected = (float[][]) res.get(OnnxExport.OUTPUT).orElseThrow().getValue();
      float[] flat = new float[N * 10];
      for (int i = 0; i < N; i++) {
        System.arraycopy(expected[i], 0, flat, i * 10, 10);
      }
      assertTrue(Fixtures.relativeError(logits.toFloats(), flat) < 1e-5);
    }
  }

  @Test
  void summaryPrintsTheFilesLayersAndWritesItsGraphDef() throws Exception {
    Network zoo = TestNetworks.zoo();
    Path model = tmp.resolve("zoo.onnx");
    OnnxExport.write(model, zoo, TestNetworks.randomWeights(zoo, 4));
    Path graphs = tmp.resolve("graphs");
    Cli r = Cli.run("summary", "--weights", model.toString(), "--graphs", graphs.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().matches("(?s).*\\ndw\\s+Conv2d\\(8, 16, k=3, s=1, p=1, groups=8\\)"
        + "\\s+16x16x16\\s+160\\n.*"), r.out());
    assertTrue(r.out().matches("(?s).*\\nmp\\s+MaxPool2d\\(k=3, s=2, p=1, ceil_mode=True\\)"
        + "\\s+16x9x9\\s+0\\n.*"), r.out());
    // parameters: c0 224, c1 576, bn1 16, dw 160, g 592, a 272, fc1 16660, fc2 210
    assertTrue(r.out().matches("(?s).*total\\s+18,710\\s.*"), r.out());
    assertTrue(Files.isRegularFile(graphs.resolve("zoo.pb")), "GraphDef");
    assertTrue(Files.readString(graphs.resolve("zoo.txt")).contains("flat_gap"));
  }

  @Test
  void aGraphWithAnOpTheImporterLacksIsRefusedNamingTheNode() throws Exception {
    Network zoo = TestNetworks.zoo();
    ModelProto m = OnnxExport.model(zoo, TestNetworks.randomWeights(zoo, 4));
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      if (g.getNode(i).getName().equals("r2")) {
        g.setNode(i, g.getNode(i).toBuilder().setOpType("Softplus"));
      }
    }
    Path model = tmp.resolve("softplus.onnx");
    Files.write(model, m.toBuilder().setGraph(g).build().toByteArray());
    Path images = tmp.resolve("x.npy");
    Npy.writeFloats(images, new float[3 * 32 * 32], 1, 3, 32, 32);
    Path out = tmp.resolve("y.npy");
    Cli r = Cli.run("predict", "--weights", model.toString(), "--images", images.toString(),
        "--out", out.toString());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("softplus.onnx: node 'r2' (Softplus, opset 13): this op is not"
        + " supported"), r.err());
    assertTrue(r.code() != 0 && r.code() != 70, "a user's file, not an internal fault: "
        + r.code());
    assertFalse(Files.exists(out));
  }

  @Test
  void figure7OnANetworkFileRunsEachInitAndNamesTheFiguresAfterIt() throws Exception {
    Network zoo = TestNetworks.zoo();
    Path model = tmp.resolve("zoo.onnx");
    OnnxExport.write(model, zoo, TestNetworks.randomWeights(zoo, 4));
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
    Path out = tmp.resolve("f7");
    String[] grid = {"figure7", "--preset", "smoke", "--model", model.toString(), "--repeats",
        "1", "--epochs", "1", "--data", data.toString(), "--out", out.toString()};
    Cli r = Cli.run(grid);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("figure7: scaled down from the paper: zoo instead of the seed's "
        + "AlexNet; 1 repeat instead of 4"), r.out());
    assertTrue(r.out().contains("zoo_xavier_r0: ok") && r.out().contains("zoo_svd_r0: ok"),
        r.out());
    assertTrue(Files.exists(out.resolve("convolutional_zoo.png")), "the loss figure");
    assertTrue(Files.exists(out.resolve("orthogonality_zoo.svg")), "the gap figure");
    ObjectMapper json = new ObjectMapper();
    JsonNode svd = json.readTree(out.resolve("runs/zoo_svd_r0.json").toFile());
    // c1 (8 -> 8, stride 2) and a (16 -> 16, 1 x 1); g has groups 4 and is left alone
    assertEquals(2, svd.get("report").get("outputNorms").size(), svd.get("report").toString());
    assertTrue(svd.get("spec").get("model") == null, "no AlexNet configuration");
    assertEquals("zoo", svd.get("spec").get("network").get("name").asText());
    JsonNode settings = json.readTree(out.resolve("figure7.json").toFile());
    assertEquals(svd.get("spec").get("network").get("sha256"),
        settings.get("config").get("network").get("sha256"));

    // the same bytes at another path are the same network: nothing is trained again
    Path moved = Files.createDirectories(tmp.resolve("elsewhere")).resolve("zoo.onnx");
    Files.copy(model, moved);
    grid[4] = moved.toString();
    Cli again = Cli.run(grid);
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("(finished before"), again.out());
    assertFalse(again.err().contains("initializing"), "a finished run was trained again");

    // other weights in the file are another network's results
    OnnxExport.write(model, zoo, TestNetworks.randomWeights(zoo, 5));
    grid[4] = model.toString();
    Cli other = Cli.run(grid);
    assertEquals(1, other.code());
    assertTrue(other.err().strip().contains("this folder holds results of other settings "
        + "(config.network.sha256 "), other.err());

    Cli layers = Cli.run("figure7", "--model", model.toString(), "--layers", "5", "--data",
        data.toString(), "--out", tmp.resolve("f7b").toString());
    assertEquals(2, layers.code());
    assertEquals("figure7: --layers: not with --model, whose network is the grid's one "
        + "architecture", layers.err().strip());
    assertFalse(Files.exists(tmp.resolve("f7b")));
  }
}
