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
