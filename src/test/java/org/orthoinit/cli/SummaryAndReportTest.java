package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.experiment.InitReport;
import org.orthoinit.experiment.ResultStore;

class SummaryAndReportTest {

  @TempDir
  Path tmp;

  @Test
  void summaryPrintsTheLayerTableAndWritesTheGraphDef() throws Exception {
    Cli r = Cli.run("summary", "--layers", "0", "--graphs", tmp.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("features.9       Conv2d(256, 256, k=3, s=1, p=1)"), r.out());
    assertTrue(r.out().contains("22,497,930"), r.out());
    Path pb = tmp.resolve("alexnet_L0_level3.pb");
    assertTrue(Files.size(pb) > 1000);
    assertTrue(Files.readString(tmp.resolve("alexnet_L0_level3.txt")).contains("classifier.6"));
  }

  @Test
  void initReportWritesJsonFigureAndTable() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 40, 5);
    Path out = tmp.resolve("report");
    Cli r = Cli.run("init-report", "--data", data.toString(), "--layers", "2", "--init-batch",
        "32", "--init", "xavier,svd,lsuv", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("features.13"), r.out());
    InitReport report = ResultStore.JSON.readValue(
        out.resolve("init_L2_level3_s0.json").toFile(), InitReport.class);
    // the inits asked, then Xavier on the same model with batch norm
    assertEquals(List.of("xavier", "svd", "lsuv", "xavier+bn"),
        report.curves().stream().map(InitReport.Curve::init).toList());
    assertEquals(7, report.curves().get(0).gaps().size());
    assertTrue(report.curves().get(1).finalGap() < report.curves().get(0).finalGap());
    for (String ext : new String[] {".png", ".svg", ".pdf"}) {
      assertTrue(Files.size(out.resolve("init_L2_level3_s0" + ext)) > 1000, ext);
    }
  }
}
