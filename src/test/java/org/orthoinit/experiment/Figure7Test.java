package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelSource;

/** The grid's results folder: resume, refusal of other settings, shards, summary. */
class Figure7Test {

  @TempDir
  Path tmp;

  private static Cifar10Data train;
  private static Cifar10Data test;

  /** 0 extra layers, 30 images, 2 epochs: a run takes about a second. */
  private static final Figure7Config TINY = new Figure7Config("test", List.of(0),
      List.of(Initializers.XAVIER, Initializers.SVD), 2, 2, 30, 10, 0.001f, 30, 30, 5);

  @BeforeAll
  static void data() {
    Cifar10Data all = org.orthoinit.TestImages.randomData(40, 9);
    train = all.first(30);
    test = all.select(new int[] {30, 31, 32, 33, 34, 35, 36, 37, 38, 39});
  }

  /** Records which runs were trained. */
  private static final class Trained implements Figure7.Listener {
    final List<String> names = new ArrayList<>();

    @Override
    public void runStarted(Figure7Config.Run run, int position, int todo) {
      names.add(run.name());
    }
  }

  private static List<String> run(Figure7Config c, Shard shard, Path out) throws Exception {
    Trained t = new Trained();
    Figure7.run(c, shard, out, "fake", train, test, 0, Compute.CPU, 1, t);
    return t.names;
  }

  private static Map<String, byte[]> files(Path out) throws Exception {
    Map<String, byte[]> m = new HashMap<>();
    try (var s = Files.list(out.resolve(Figure7.RUNS))) {
      for (Path p : s.toList()) {
        m.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    }
    return m;
  }

  @Test
  void aRerunTrainsOnlyWhatIsMissingAndKeepsFinishedRunsByteForByte() throws Exception {
    Path out = tmp.resolve("f7");
    assertEquals(List.of("L0_xavier_r0", "L0_svd_r0", "L0_xavier_r1", "L0_svd_r1"),
        run(TINY, Shard.ALL, out));
    Map<String, byte[]> before = files(out);
    assertEquals(4, before.size());

    // a run killed half-way leaves no run file, at most a temp file from an interrupted write
    Files.delete(Figure7.runFile(out, new Figure7Config.Run(0, Initializers.SVD, 0)));
    Path stale = Files.write(out.resolve(Figure7.RUNS).resolve(".L0_svd_r0.json123.tmp"),
        "{\"name\": \"L0_sv".getBytes());
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minusSeconds(3600)));
    // and a truncated file from another tool does not count as finished
    Path broken = Figure7.runFile(out, new Figure7Config.Run(0, Initializers.XAVIER, 1));
    Files.writeString(broken, "{\"name\" : \"L0_xavier_r1\", \"spec\" : {");

    assertEquals(List.of("L0_svd_r0", "L0_xavier_r1"), run(TINY, Shard.ALL, out));
    Map<String, byte[]> after = files(out);
    // the truncated file was set aside, bytes intact, not overwritten
    List<String> rejected = after.keySet().stream()
        .filter(n -> n.startsWith("L0_xavier_r1.json.rejected-")).toList();
    assertEquals(1, rejected.size(), after.keySet().toString());
    assertEquals("{\"name\" : \"L0_xavier_r1\", \"spec\" : {",
        new String(after.remove(rejected.get(0))));
    assertEquals(4, after.size(), after.keySet().toString());
    for (String kept : List.of("L0_xavier_r0.json", "L0_svd_r1.json")) {
      assertArrayEquals(before.get(kept), after.get(kept), kept + " changed");
    }
    assertFalse(Files.exists(stale), "stale temp file left");
    assertEquals(List.of(), run(TINY, Shard.ALL, out), "nothing left to train");
  }

  @Test
  void otherSettingsInTheSameFolderAreRefused() throws Exception {
    Path out = tmp.resolve("f7");
    Figure7.prepare(out, TINY);
    Figure7Config more = new Figure7Config("test", List.of(0), TINY.inits(), 2, 3, 30, 10,
        0.001f, 30, 30, 5);
    // while no run has finished, the settings may still change (a start that failed early)
    Figure7.prepare(out, more);
    assertEquals(3, Figure7.settings(out).epochs());
    Figure7.prepare(out, TINY);
    Files.writeString(out.resolve(Figure7.RUNS).resolve("L0_xavier_r0.json"), "{}");
    ExperimentException e = assertThrows(ExperimentException.class,
        () -> Figure7.prepare(out, more));
    assertTrue(e.getMessage().startsWith(out.resolve("figure7.json") + ": this folder holds "
        + "results of other settings (config.epochs 3 here, 2 in the folder)"), e.getMessage());
    // the same settings under another preset name are the same settings
    Figure7.prepare(out, new Figure7Config("renamed", List.of(0), TINY.inits(), 2, 2, 30, 10,
        0.001f, 30, 30, 5));
  }

  @Test
  void shardsFillOneFolderAndTheSummaryMergesThem() throws Exception {
    Path out = tmp.resolve("f7");
    List<String> first = run(TINY, new Shard(0, 3), out);
    assertEquals(List.of("L0_xavier_r0", "L0_svd_r1"), first); // grid positions 0 and 3
    GridSummary partial = Figure7.summarize(out, Stats.Band.T);
    assertEquals(2, partial.missing().size());
    List<String> second = run(TINY, new Shard(1, 3), out);
    List<String> third = run(TINY, new Shard(2, 3), out);
    assertEquals(List.of("L0_svd_r0"), second);
    assertEquals(List.of("L0_xavier_r1"), third);
    GridSummary s = Figure7.summarize(out, Stats.Band.T);
    assertEquals(4, s.runs());
    assertEquals(List.of(), s.missing());
    GridSummary.Curve xavier = s.curves().get(0);
    assertEquals("xavier", xavier.init());
    assertEquals(2, xavier.repeats());
    assertEquals(2, xavier.epochs().size());
    // the mean of the two repeats' epoch-1 losses, from the run files themselves
    double a = ResultStore.readRun(Figure7.runFile(out, new Figure7Config.Run(0,
        Initializers.XAVIER, 0))).epochs().get(0).loss();
    double b = ResultStore.readRun(Figure7.runFile(out, new Figure7Config.Run(0,
        Initializers.XAVIER, 1))).epochs().get(0).loss();
    assertEquals((a + b) / 2, xavier.epochs().get(0).mean(), 1e-12);
    assertEquals((a + b) / 2 + 12.7062 * Math.abs(a - b) / 2, xavier.epochs().get(0).upper(),
        1e-4 * Math.max(1, Math.abs(a - b)));
    assertTrue(Files.exists(out.resolve(Figure7.SUMMARY_FILE)));
  }

  @Test
  void everyRunRecordsTheOrthogonalityOfItsFeaturesAtInitAndAfterEachEpoch() throws Exception {
    Path out = tmp.resolve("f7");
    Figure7Config one = new Figure7Config("test", List.of(0), TINY.inits(), 1, 2, 30, 10,
        0.001f, 30, 30, 5);
    run(one, Shard.ALL, out);
    RunResult svd = ResultStore.readRun(Figure7.runFile(out, new Figure7Config.Run(0,
        Initializers.SVD, 0)));
    RunResult xavier = ResultStore.readRun(Figure7.runFile(out, new Figure7Config.Run(0,
        Initializers.XAVIER, 0)));
    assertEquals(List.of(0, 1, 2), svd.orthogonality().stream()
        .map(RunResult.Orthogonality::epoch).toList());
    // right after the init, the SVD init's features are the less aligned
    assertTrue(svd.orthogonality().get(0).gap() < xavier.orthogonality().get(0).gap(),
        svd.orthogonality().get(0) + " vs " + xavier.orthogonality().get(0));
    for (RunResult.Orthogonality o : svd.orthogonality()) {
      // ratio^2 = V^2 + 1/n with n = 30 probe images
      assertEquals(o.gramRatio() * o.gramRatio(), o.gap() * o.gap() + 1.0 / 30, 1e-9);
    }
    GridSummary s = Figure7.summarize(out, Stats.Band.T);
    assertEquals(3, s.curves().get(1).gaps().size());
    assertEquals(svd.orthogonality().get(2).gap(), s.curves().get(1).gaps().get(2).mean(),
        1e-15);
  }

  @Test
  void repeatsShareTheirSeedAcrossInitsSoTheComparisonIsPaired() {
    RunSpec x = Figure7.spec(TINY, new Figure7Config.Run(0, Initializers.XAVIER, 1), 0);
    RunSpec s = Figure7.spec(TINY, new Figure7Config.Run(0, Initializers.SVD, 1), 0);
    assertEquals(6, x.train().seed());
    assertEquals(x.train().seed(), s.train().seed());
  }

  @Test
  void baselinesAddXavierWithBatchNormAndLsuvAsCurvesOfTheirOwn() throws Exception {
    Path out = tmp.resolve("f7");
    Figure7Config c = new Figure7Config("test", List.of(0),
        List.of(Initializers.XAVIER, Initializers.LSUV), 1, 2, 30, 10, 0.001f, 30, 30, 5, 3, true,
        new org.orthoinit.init.Lsuv.Settings(0.05, 7));
    assertEquals(List.of("xavier", "lsuv", "xavier+bn"), c.curves());
    assertEquals(List.of("L0_xavier_r0", "L0_lsuv_r0", "L0_xavier_bn_r0"),
        run(c, Shard.ALL, out));
    RunResult bn = ResultStore.readRun(out.resolve("runs/L0_xavier_bn_r0.json"));
    assertTrue(bn.spec().source().batchNorm());
    assertEquals(Initializers.XAVIER, bn.spec().init());
    RunResult lsuv = ResultStore.readRun(out.resolve("runs/L0_lsuv_r0.json"));
    assertEquals(0.05, lsuv.spec().lsuv().tolerance());
    assertEquals(7, lsuv.spec().lsuv().maxIterations());
    assertEquals(5 + 3, lsuv.report(Lsuv.Report.class).layers().size()); // 5 convolutions, 3 linear layers
    for (var l : lsuv.report(Lsuv.Report.class).layers()) {
      assertEquals(1, l.variance(), 0.05, l.toString());
    }
    GridSummary s = Figure7.summarize(out, Stats.Band.T);
    assertEquals(List.of("xavier", "lsuv", "xavier+bn"),
        s.curves().stream().map(GridSummary.Curve::init).toList());
    for (GridSummary.Curve curve : s.curves()) {
      assertEquals(1, curve.repeats(), curve.init());
      assertEquals(2, curve.epochs().size(), curve.init());
      assertEquals(3, curve.gaps().size(), curve.init());
    }
    assertEquals(bn.epochs().get(1).loss(), s.curves().get(2).epochs().get(1).mean(), 1e-15);
    // the finished runs are recognized on a rerun
    assertEquals(List.of(), run(c, Shard.ALL, out));
  }

  @Test
  void levelTwoGridsBuildLevelTwoModelsAndSayItIsNotThePaper() {
    Figure7Config c = TINY.withBaselines(2, false, null);
    ModelSource model = Figure7.spec(c, c.runs().get(0), 0).source();
    assertEquals(2, ((ModelSource.Seed) model).config().level());
    assertTrue(c.scaledDown(null).startsWith("level 2 instead of 3"), c.scaledDown(null));
  }

  @Test
  void settingsWrittenBeforeLevelsAndBaselinesStillMatchTheirGrid() throws Exception {
    Path out = tmp.resolve("old");
    Files.createDirectories(out.resolve(Figure7.RUNS));
    // the settings file as folders made before the level and the baselines were recorded
    Files.writeString(out.resolve(Figure7.SETTINGS_FILE), """
        {"config": {"preset": "test", "layers": [0], "inits": ["XAVIER", "SVD"], "repeats": 2,
         "epochs": 2, "trainLimit": 30, "testLimit": 10, "learningRate": 0.001, "batchSize": 30,
         "initBatch": 30, "seed": 5}, "decomposition": "GRAM_EIGH"}""");
    Files.writeString(out.resolve("runs/L0_xavier_r0.json"), "{}");
    Figure7.prepare(out, TINY); // no refusal
    assertEquals(TINY, Figure7.settings(out));
    // the folder's runs go on with the decomposition it was started with
    assertEquals(SvdInitializer.Decomposition.GRAM_EIGH, Figure7.decomposition(out));
    assertEquals(SvdInitializer.Decomposition.GRAM_EIGH, Figure7.spec(TINY, TINY.runs().get(1), 0,
        Figure7.decomposition(out)).decomposition());
    assertEquals(SvdInitializer.DECOMPOSITION_DEFAULT, Figure7.decomposition(tmp.resolve("new")));
    ExperimentException e = assertThrows(ExperimentException.class,
        () -> Figure7.prepare(out, TINY.withBaselines(3, true, null)));
    assertTrue(e.getMessage().contains("config.batchNormBaseline true here"), e.getMessage());
  }

  @Test
  void aFolderOfRunsOnOtherImagesIsRefused() throws Exception {
    Path out = tmp.resolve("f7");
    Figure7Config one = new Figure7Config("test", List.of(0), List.of(Initializers.XAVIER), 1, 1,
        30, 10, 0.001f, 30, 30, 5);
    Figure7.run(one, Shard.ALL, out, "fake", train, test, 0, Compute.CPU, 1,
        Figure7.Listener.NONE);
    Cifar10Data other = train.select(new int[] {1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}); // two images swapped
    ExperimentException e = assertThrows(ExperimentException.class, () -> Figure7.run(one,
        Shard.ALL, out, "fake", other, test, 0, Compute.CPU, 1, Figure7.Listener.NONE));
    assertTrue(e.getMessage().contains("this folder holds results of other images (data.train "),
        e.getMessage());
    // the same images read again are the same data
    assertEquals(List.of(), run(one, Shard.ALL, out));
  }

  @Test
  void aRunThatCannotBeInitializedDoesNotStopTheGrid() throws Exception {
    Path out = tmp.resolve("f7");
    // black images: LSUV finds no variance to scale; Xavier trains on them all the same
    Cifar10Data black = Cifar10Data.of(new byte[30 * 3072], new byte[30]);
    Figure7Config c = new Figure7Config("test", List.of(0),
        List.of(Initializers.LSUV, Initializers.XAVIER), 1, 1, 30, 10, 0.001f, 30, 30, 5);
    List<String> failed = new ArrayList<>();
    Figure7.Outcome o = Figure7.run(c, Shard.ALL, out, "black", black, null, 0, Compute.CPU, 1,
        new Figure7.Listener() {
          @Override
          public void runFailed(Figure7Config.Run run, String why) {
            failed.add(run.name());
          }
        });
    assertEquals(List.of("L0_lsuv_r0"), failed);
    assertEquals(1, o.failures().size());
    assertTrue(o.failures().get(0).startsWith("L0_lsuv_r0: features.0: "), o.failures().get(0));
    assertEquals(List.of("L0_xavier_r0"), o.results().stream().map(RunResult::name).toList());
    assertTrue(Files.exists(out.resolve("runs/L0_xavier_r0.json")));
  }

  @Test
  void anUndefinedGapLeavesItsEpochOutOfTheCurveNotTheRest() throws Exception {
    Path out = tmp.resolve("f7");
    Figure7Config one = new Figure7Config("test", List.of(0), List.of(Initializers.XAVIER), 1, 2,
        30, 10, 0.001f, 30, 30, 5);
    run(one, Shard.ALL, out);
    RunResult r = ResultStore.readRun(Figure7.runFile(out, new Figure7Config.Run(0,
        Initializers.XAVIER, 0)));
    List<RunResult.Orthogonality> gaps = new ArrayList<>(r.orthogonality());
    RunResult.Orthogonality dead = gaps.get(1);
    // a probe batch whose features are all zero has no gap: NaN in the run file
    gaps.set(1, new RunResult.Orthogonality(1, Double.NaN, Double.NaN));
    RunResult withDead = new RunResult(r.name(), r.spec(), r.data(), r.trainImages(), r.status(),
        r.epochs(), r.testAccuracy(), r.initSeconds(), r.report(), gaps,
        r.environment(), r.started(), r.finished());
    GridSummary s = GridSummary.of(one, List.of(withDead), Stats.Band.T);
    assertEquals(List.of(0, 2), s.curves().get(0).gaps().stream().map(GridSummary.Point::epoch)
        .toList());
    assertEquals(gaps.get(2).gap(), s.curves().get(0).gaps().get(1).mean(), 1e-15);
    assertTrue(Double.isFinite(dead.gap()));
  }

  @Test
  void fewerTrainingImagesThanThePapersAreScaledDown() {
    Figure7Config paper = Figure7Config.PAPER;
    assertEquals("", paper.scaledDown(50_000));
    assertEquals("", paper.scaledDown(null));
    assertEquals("10,000 training images instead of 50,000 (all the data folder holds)",
        paper.scaledDown(10_000));
    Figure7Config limited = new Figure7Config("x", List.of(15, 75), paper.inits(), 4, 20, 3000,
        0, 0.001f, 30, 256, 0);
    assertEquals("3,000 training images instead of 50,000", limited.scaledDown(3000));
    assertEquals("3,000 training images instead of 50,000", limited.scaledDown(null));
    Figure7Config more = new Figure7Config("x", List.of(15, 75), paper.inits(), 4, 20, 20_000,
        0, 0.001f, 30, 256, 0);
    assertEquals("10,000 training images instead of 50,000 (all the data folder holds)",
        more.scaledDown(10_000));
  }
}
