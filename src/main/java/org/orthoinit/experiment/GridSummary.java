package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per depth and init, the mean training loss per epoch over the finished repeats with its 95%
 * band: what the figures draw. Rebuilt from the run files alone.
 *
 * @param runs finished run files found
 * @param missing runs of the grid without a file yet (another shard, or not run)
 * @param band how the bands were computed ({@link Stats.Band#id()})
 * @param trainImages the training images the runs trained on (the largest count among them);
 *     null without runs
 */
public record GridSummary(Figure7Config config, int runs, List<String> missing,
    List<Curve> curves, String band, Integer trainImages) {

  /**
   * One curve.
   *
   * @param init the curve's id: an init, or {@link Figure7Config#BATCH_NORM_CURVE}
   * @param repeats runs that finished without diverging (the curve's sample)
   * @param diverged runs that diverged: left out of the mean, counted here
   * @param gaps the orthogonality gap of the final features on the probe batch, from epoch 0 (at
   *     init); empty for runs that did not record it. A gap is undefined (NaN in the run file)
   *     when the features of the whole probe batch are zero, every ReLU dead; such epochs are
   *     left out of the mean
   */
  public record Curve(int layers, String init, int repeats, int diverged, List<Point> epochs,
      Double meanTestAccuracy, List<Point> gaps) {}

  /** One epoch: mean loss and its interval (lower/upper null with a single repeat). */
  public record Point(int epoch, int n, double mean, Double lower, Double upper) {}

  /** The mean of {@code values} with its band, or null for no values. */
  static Point point(int epoch, double[] values, Stats.Band band) {
    if (values.length == 0) {
      return null;
    }
    Stats.Interval i = band.of(values, epoch);
    boolean has = values.length > 1;
    return new Point(epoch, i.n(), i.mean(), has ? i.lower() : null, has ? i.upper() : null);
  }

  /**
   * Every curve's losses by depth and curve id: losses[run][epoch] of the runs that finished
   * without diverging, the same shape as PyTorch's curves in {@code compare}.
   */
  public static Map<Integer, Map<String, double[][]>> losses(Figure7Config config,
      List<RunResult> results) {
    Map<Integer, Map<String, double[][]>> out = new LinkedHashMap<>();
    for (int layers : config.layers()) {
      for (String curve : config.curves()) {
        double[][] runs = results.stream()
            .filter(r -> Figure7Config.layersOf(r.spec()) == layers && curve(r).equals(curve)
                && !r.diverged())
            .map(r -> r.epochs().stream().mapToDouble(RunResult.Epoch::loss).toArray())
            .toArray(double[][]::new);
        if (runs.length > 0) {
          out.computeIfAbsent(layers, k -> new LinkedHashMap<>()).put(curve, runs);
        }
      }
    }
    return out;
  }

  /** Mean gap per epoch (from 0) over the runs that recorded it. */
  private static List<Point> gaps(List<RunResult> runs, Stats.Band band) {
    List<RunResult> with = runs.stream().filter(r -> r.orthogonality() != null).toList();
    List<Point> points = new ArrayList<>();
    for (int e = 0; ; e++) {
      int epoch = e;
      List<RunResult.Orthogonality> at = with.stream().flatMap(r -> r.orthogonality().stream())
          .filter(o -> o.epoch() == epoch).toList();
      if (at.isEmpty()) {
        return points;
      }
      double[] g = at.stream().mapToDouble(RunResult.Orthogonality::gap)
          .filter(Double::isFinite).toArray();
      if (g.length > 0) {
        points.add(point(e, g, band));
      }
    }
  }

  /** The curve a run belongs to. */
  static String curve(RunResult r) {
    return r.spec().source().batchNorm() ? Figure7Config.BATCH_NORM_CURVE : r.spec().init().id();
  }

  /** Summarizes the given run results against the grid of {@code config}. */
  public static GridSummary of(Figure7Config config, List<RunResult> results, Stats.Band band) {
    List<Curve> curves = new ArrayList<>();
    List<String> found = results.stream().map(RunResult::name).toList();
    List<String> missing = config.runs().stream().map(Figure7Config.Run::name)
        .filter(n -> !found.contains(n)).toList();
    for (int layers : config.layers()) {
      for (String curve : config.curves()) {
        List<RunResult> mine = results.stream()
            .filter(r -> Figure7Config.layersOf(r.spec()) == layers && curve(r).equals(curve))
            .toList();
        List<RunResult> ok = mine.stream().filter(r -> !r.diverged()).toList();
        List<Point> points = new ArrayList<>();
        for (int e = 0; e < config.epochs(); e++) {
          int epoch = e;
          double[] losses = ok.stream().filter(r -> r.epochs().size() > epoch)
              .mapToDouble(r -> r.epochs().get(epoch).loss()).toArray();
          if (losses.length > 0) {
            points.add(point(e + 1, losses, band));
          }
        }
        double[] acc = ok.stream().filter(r -> r.testAccuracy() != null)
            .mapToDouble(RunResult::testAccuracy).toArray();
        curves.add(new Curve(layers, curve, ok.size(), mine.size() - ok.size(), points,
            acc.length == 0 ? null : Stats.interval(acc, Stats.LEVEL).mean(), gaps(ok, band)));
      }
    }
    Integer images = results.stream().map(RunResult::trainImages).max(Integer::compare)
        .orElse(null);
    return new GridSummary(config, results.size(), missing, curves, band.id(), images);
  }
}
