package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
    assertSame(Initializers.SVD, svd.spec().init());
    SvdReport s = svd.report(SvdReport.class);
    assertEquals(77, s.outputNorms().size()); // 75 extra + features.6 + features.9
    assertNull(svd.report(Lsuv.Report.class));
    RunResult lsuv = ResultStore.readRun(BASELINES.resolve("L75_lsuv_r0.json"));
    assertSame(Initializers.LSUV, lsuv.spec().init());
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
  void everyInitRoundTripsThroughARunSpec() throws Exception {
    for (Initializer init : Initializers.all()) {
      RunSpec spec = new RunSpec(org.orthoinit.model.ModelConfig.of(0),
          new org.orthoinit.train.TrainConfig(1, 0.001f, 30, 0), init, 0, 256,
          SvdInitializer.DECOMPOSITION_DEFAULT, 0,
          init == Initializers.LSUV ? Lsuv.PAPER : null);
      String json = ResultStore.JSON.writeValueAsString(spec);
      assertTrue(json.contains("\"init\" : \"" + Initializers.jsonName(init) + "\""), json);
      assertEquals(spec, ResultStore.JSON.readValue(json, RunSpec.class));
    }
  }
}
