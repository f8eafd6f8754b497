package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.SvdReport;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;

/** Run files of every version read, and one report field written with its init's id. */
class RunResultJsonTest {

  private static final Path BASELINES = Path.of("results", "reference", "figure7-cpu-baselines",
      "runs");

  @Test
  void committedRunFilesOfTheTwoFieldVersionRead() throws Exception {
    RunResult svd = ResultStore.readRun(BASELINES.resolve("L75_svd_r0.json"));
    // the SVD init with the decomposition the file names (these runs took gram_eigh)
    assertEquals(Initializers.configured(Initializers.SVD,
        SvdInitializer.Decomposition.GRAM_EIGH, null), svd.spec().init());
    SvdReport s = svd.report(SvdReport.class);
    assertEquals(77, s.outputNorms().size()); // 75 extra + features.6 + features.9
    assertNull(svd.report(Lsuv.Report.class));
    RunResult lsuv = ResultStore.readRun(BASELINES.resolve("L75_lsuv_r0.json"));
    assertEquals(Initializers.LSUV, lsuv.spec().init());
    assertEquals(80 + 3, lsuv.report(Lsuv.Report.class).layers().size());
    RunResult xavier = ResultStore.readRun(BASELINES.resolve("L75_xavier_r0.json"));
    assertNull(xavier.report());
  }

  @Test
  void aReportIsWrittenUnderItsInitsIdAndReadBackAsItsType() throws Exception {
    RunResult lsuv = ResultStore.readRun(BASELINES.resolve("L75_lsuv_r0.json"));
    String json = ResultStore.JSON.writeValueAsString(lsuv);
    var tree = ResultStore.JSON.readTree(json);
    assertEquals("lsuv", tree.path("report").path("method").asText(), json.substring(0, 600));
    assertTrue(!tree.has("lsuv") && !tree.has("init"), "the old fields are gone");
    assertEquals("LSUV", tree.path("spec").path("init").asText(), "the spec names it as before");
    RunResult back = ResultStore.JSON.readValue(json, RunResult.class);
    assertEquals(lsuv.report(), back.report());
    assertEquals(lsuv, back);
  }

  @Test
  void everyInitRoundTripsThroughARunSpecWithItsSettings() throws Exception {
    List<Initializer> inits = new java.util.ArrayList<>(Initializers.all());
    inits.add(Initializers.configured(Initializers.SVD, SvdInitializer.Decomposition.GRAM_EIGH,
        null));
    inits.add(Initializers.configured(Initializers.LSUV, null, new Lsuv.Settings(0.05, 3)));
    for (Initializer init : inits) {
      RunSpec spec = new RunSpec(org.orthoinit.model.ModelConfig.of(0),
          new org.orthoinit.train.TrainConfig(1, 0.001f, 30, 0), init, 0, 256, 0);
      String json = ResultStore.JSON.writeValueAsString(spec);
      assertTrue(json.contains("\"init\" : \"" + Initializers.jsonName(init) + "\""), json);
      assertEquals(spec, ResultStore.JSON.readValue(json, RunSpec.class));
      assertEquals(init, ResultStore.JSON.readValue(json, RunSpec.class).init());
    }
  }

  /** A network file's run (figure7 --model) keeps its file's record, and no AlexNet config. */
  @Test
  void aRunOfANetworkFileReadsAsItsFileAndWritesNoModel() throws Exception {
    RunResult r = ResultStore.readRun(Path.of("results", "reference", "figure7-resnet18-smoke",
        "runs", "resnet18_grad_xavier_r0.json"));
    ModelSource.File file = (ModelSource.File) r.spec().source();
    assertEquals("resnet18_grad", file.file().name());
    assertEquals(69, file.file().layers());
    assertEquals(11_181_642L, file.file().parameters());
    assertEquals(0, r.spec().source().extraLayers());
    var tree = ResultStore.JSON.readTree(ResultStore.JSON.writeValueAsString(r.spec()));
    assertTrue(!tree.has("model") && !tree.has("source"), tree.toString());
    // written in the order the file holds its fields (less the decomposition, which files of
    // that version held for every init)
    var onDisk = ResultStore.JSON.readTree(Path.of("results", "reference",
        "figure7-resnet18-smoke", "runs", "resnet18_grad_xavier_r0.json").toFile()).path("spec");
    List<String> expected = fieldNames(onDisk);
    expected.remove("decomposition");
    assertEquals(expected, fieldNames(tree));
    assertEquals("8f3606f6c5a6d2a096dac677d92eed3c495bf1c4c32b85658480150911430f2b",
        tree.path("network").path("sha256").asText());
    assertEquals(r.spec(), ResultStore.JSON.treeToValue(tree, RunSpec.class));
    // the same bytes under another path are the same network: a checkpoint made elsewhere fits
    var moved = (com.fasterxml.jackson.databind.node.ObjectNode) tree.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) moved.path("network")).put("file",
        "elsewhere/resnet18_grad.onnx");
    assertEquals(r.spec(), ResultStore.JSON.treeToValue(moved, RunSpec.class));
    // a spec of both an AlexNet and a file, or of neither, is not a run's
    var both = moved.deepCopy();
    both.set("model", ResultStore.JSON.valueToTree(ModelConfig.of(0)));
    var neither = moved.deepCopy();
    neither.remove("network");
    for (var bad : List.of(both, neither)) {
      var e = org.junit.jupiter.api.Assertions.assertThrows(
          com.fasterxml.jackson.databind.JsonMappingException.class,
          () -> ResultStore.JSON.treeToValue(bad, RunSpec.class));
      assertTrue(e.getMessage().contains("one of the two"), e.getMessage());
    }
  }

  private static List<String> fieldNames(com.fasterxml.jackson.databind.JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** A spec as every run file held it before the inits kept their settings. */
  @Test
  void aSpecOfAnEarlierVersionReadsWithItsInitsSettings() throws Exception {
    String before = "{ \"model\" : { \"numLayers\" : 0, \"level\" : 3, \"batchNorm\" : false,"
        + " \"dropout\" : 0.5, \"classes\" : 10 }, \"train\" : { \"epochs\" : 1, "
        + "\"learningRate\" : 0.001, \"batchSize\" : 30, \"seed\" : 0 }, \"init\" : \"%s\", "
        + "\"trainLimit\" : 0, \"initBatch\" : 256, \"decomposition\" : \"GRAM_EIGH\", "
        + "\"threads\" : 1%s }";
    RunSpec xavier = ResultStore.JSON.readValue(String.format(before, "XAVIER", ""),
        RunSpec.class);
    assertEquals(Initializers.XAVIER, xavier.init());
    assertEquals(null, xavier.decomposition()); // a Xavier run has no decomposition
    RunSpec svd = ResultStore.JSON.readValue(String.format(before, "SVD", ""), RunSpec.class);
    assertEquals(SvdInitializer.Decomposition.GRAM_EIGH, svd.decomposition());
    RunSpec lsuv = ResultStore.JSON.readValue(String.format(before, "LSUV",
        ", \"lsuv\" : { \"tolerance\" : 0.2, \"maxIterations\" : 4 }"), RunSpec.class);
    assertEquals(new Lsuv.Settings(0.2, 4), lsuv.lsuv());
    assertEquals(Initializers.configured(Initializers.LSUV, null, new Lsuv.Settings(0.2, 4)),
        lsuv.init());
  }

}
