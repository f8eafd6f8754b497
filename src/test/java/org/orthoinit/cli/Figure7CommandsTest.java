package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.experiment.GridSummary;
import org.orthoinit.experiment.ResultStore;

class Figure7CommandsTest {

  @TempDir
  Path tmp;

  /** Copies the committed results folder of a small real grid (2 depths x 2 inits x 3 repeats). */
  private Path fixture() throws IOException, URISyntaxException {
    return Cli.figure7Fixture(tmp.resolve("f7"));
  }

  @Test
  void plotRedrawsTheFiguresAndSummaryFromTheJsonAlone() throws Exception {
    Path dir = fixture();
    Cli r = Cli.run("plot", dir.toString(), "--band", "t");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("summary of 12 run(s) -> "), r.out());
    assertTrue(r.out().contains(
        " 0 layers svd      : 3 run(s), epoch 4 loss 2.3018 [2.3010, 2.3025]"),
        r.out());
    for (String depth : new String[] {"0", "1"}) {
      for (String ext : new String[] {".png", ".svg", ".pdf"}) {
        assertTrue(Files.size(dir.resolve("convolutional_" + depth + ext)) > 1000, depth + ext);
      }
    }
    GridSummary s = ResultStore.JSON.readValue(dir.resolve("summary.json").toFile(),
        GridSummary.class);
    GridSummary.Point p = s.curves().get(0).epochs().get(3);
    assertEquals(2.378608677122328, p.mean(), 1e-12);
    assertEquals(2.275163806852557, p.lower(), 1e-12);
    assertEquals("t", s.band());
  }

  @Test
  void plotDrawsTheSeedsBootstrapBandByDefault() throws Exception {
    Path dir = fixture();
    Cli r = Cli.run("plot", dir.toString());
    assertEquals(0, r.code(), r.err());
    GridSummary s = ResultStore.JSON.readValue(dir.resolve("summary.json").toFile(),
        GridSummary.class);
    assertEquals("bootstrap", s.band());
    // the 0-layer Xavier runs' epoch-4 losses, from the run files
    double[] losses = new double[3];
    for (int k = 0; k < 3; k++) {
      losses[k] = ResultStore.readRun(dir.resolve("runs/L0_xavier_r" + k + ".json")).epochs()
          .get(3).loss();
    }
    java.util.Arrays.sort(losses);
    GridSummary.Point p = s.curves().get(0).epochs().get(3);
    // a resample's mean lies between the smallest and largest value, and the band is narrower
    // than the t-interval's [2.2752, 2.4820] for these three values
    assertTrue(p.lower() >= losses[0] && p.upper() <= losses[2], p + " vs " + losses[0] + ".."
        + losses[2]);
    assertTrue(p.lower() > 2.2752 && p.upper() < 2.4820, p.toString());
    var chart = org.orthoinit.plot.Figure7Chart.chart(s, 0);
    assertTrue(chart.getXAxisTitle().contains("95% bootstrap interval"), chart.getXAxisTitle());
  }

  @Test
  void plotCountsDivergedRunsApart() throws Exception {
    Path dir = fixture();
    for (String run : new String[] {"L0_xavier_r2", "L1_xavier_r0", "L1_xavier_r1",
        "L1_xavier_r2"}) {
      Path file = dir.resolve("runs").resolve(run + ".json");
      var json = (com.fasterxml.jackson.databind.node.ObjectNode) ResultStore.JSON.readTree(
          file.toFile());
      json.put("status", "diverged");
      ResultStore.JSON.writeValue(file.toFile(), json);
    }
    Cli r = Cli.run("plot", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(" 0 layers xavier   : 2 run(s), epoch 4 loss ")
        && r.out().contains(", 1 diverged (left out of the curve)"), r.out());
    assertTrue(r.out().contains(" 1 layers xavier   : every run diverged (3)"), r.out());
  }

  @Test
  void statusPrintsEveryRunsStateFromTheFolderAlone() throws Exception {
    Path dir = fixture();
    Files.delete(dir.resolve("runs/L1_svd_r2.json"));
    Path file = dir.resolve("runs/L1_xavier_r0.json");
    var json = (com.fasterxml.jackson.databind.node.ObjectNode) ResultStore.JSON.readTree(
        file.toFile());
    json.put("status", "diverged");
    ResultStore.JSON.writeValue(file.toFile(), json);

    Cli r = Cli.run("status", dir.toString());
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(dir + ": 12 runs: 10 done, 1 diverged, 1 missing", lines[0]);
    assertEquals(13, lines.length, r.out());
    assertTrue(r.out().matches("(?s).*\\n  L1_svd_r2 +missing *\\n.*"), r.out());
    assertTrue(r.out().matches(
        "(?s).*\\n  L1_xavier_r0 +diverged +went non-finite in epoch 4\\n.*"), r.out());
    assertTrue(r.out().matches("(?s).*\\n  L0_svd_r0 +done +4/4 epochs, loss 2\\.\\d{4}\\n.*"),
        r.out());

    Cli j = Cli.run("status", dir.toString(), "--json");
    assertEquals(0, j.code(), j.err());
    var tree = ResultStore.JSON.readTree(j.out());
    assertEquals(10, tree.get("counts").get("DONE").asInt());
    assertEquals(1, tree.get("counts").get("MISSING").asInt());
    assertEquals(12, tree.get("runs").size());

    Cli none = Cli.run("status", tmp.resolve("none").toString());
    assertEquals(1, none.code());
    assertEquals("status: " + tmp.resolve("none").resolve("figure7.json") + ": not found; is "
        + tmp.resolve("none") + " a figure7 results folder?", none.err().strip());
  }

  @Test
  void plotOnAFolderWithoutResultsSaysSo() {
    Cli r = Cli.run("plot", tmp.toString());
    assertEquals(1, r.code());
    assertEquals("plot: " + tmp.resolve("figure7.json") + ": not found; is " + tmp
        + " a figure7 results folder?", r.err().strip());
  }

  @Test
  void figure7SaysItIsScaledDownRunsTheGridAndRefusesOtherSettingsLater() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
    Path out = tmp.resolve("f7");
    Cli r = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "1",
        "--epochs", "1", "--data", data.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("figure7: scaled down from the paper: depths [0] instead of "
        + "[15, 75]; 1 repeat instead of 4; 1 epochs instead of 20"), r.out());
    assertTrue(r.out().contains("L0_xavier_r0: ok"), r.out());
    assertTrue(r.out().contains("L0_svd_r0: ok"), r.out());
    assertTrue(Files.exists(out.resolve("convolutional_0.png")));
    assertTrue(Files.exists(out.resolve("orthogonality_0.svg")));

    Cli again = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "1",
        "--epochs", "1", "--data", data.toString(), "--out", out.toString());
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("L0_svd_r0: ok") && again.out().contains("(finished before"),
        again.out());
    assertFalse(again.err().contains("initializing"), "a finished run was trained again");

    Cli other = Cli.run("figure7", "--preset", "smoke", "--layers", "0", "--repeats", "1",
        "--epochs", "2", "--data", data.toString(), "--out", out.toString());
    assertEquals(1, other.code());
    assertTrue(other.err().strip().endsWith("this folder holds results of other settings "
        + "(config.epochs 2 here, 1 in the folder); use another --out, or the same settings and "
        + "data"),
        other.err());
  }

  @Test
  void aDataFolderSmallerThanTheTrainingSetIsScaledDownEvenWithThePaperPreset() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
    Path out = tmp.resolve("f7");
    Cli r = Cli.run("figure7", "--preset", "paper", "--layers", "0", "--inits", "xavier",
        "--repeats", "1", "--epochs", "1", "--data", data.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("figure7: scaled down from the paper: depths [0] instead of "
        + "[15, 75]; 1 repeat instead of 4; 1 epochs instead of 20; 30 training images instead "
        + "of 50,000 (all the data folder holds)"), r.out());
    GridSummary s = ResultStore.JSON.readValue(out.resolve("summary.json").toFile(),
        GridSummary.class);
    assertEquals(30, s.trainImages());
    assertTrue(org.orthoinit.plot.Figure7Chart.chart(s, 0).getTitle().endsWith(", scaled down"));
  }

  @Test
  void badGridFlagsAreUsageErrors() {
    Cli r = Cli.run("figure7", "--repeats", "0");
    assertEquals(2, r.code());
    assertEquals("figure7: --repeats must be in 1..1000, got 0", r.err().strip());
    Cli s = Cli.run("figure7", "--shard", "5/2");
    assertEquals(2, s.code());
    assertEquals("figure7: --shard must be K/N with 0 <= K < N, got 5/2", s.err().strip());
  }
}
