package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Our Figure 7 curves beside PyTorch's, epoch by epoch: both means with their bands, their
 * difference, whether PyTorch's mean lies inside our band, and Welch's t-test of the two sets of
 * repeats; per curve, whether the two are distinguishable at {@value #ALPHA}.
 *
 * @param band how both sides' bands were computed ({@link Stats.Band#id()})
 * @param ours our curves summarized (mean and band per epoch)
 * @param theirs PyTorch's curves summarized the same way
 */
public record Comparison(String band, List<Row> rows, List<Verdict> verdicts,
    List<GridSummary.Curve> ours, List<GridSummary.Curve> theirs) {

  /** The level of every test. */
  public static final double ALPHA = 0.05;

  /**
   * One epoch of one (depth, init); a side without data there is null.
   *
   * @param inside whether their mean is within our band; null without a band
   * @param p Welch's two-sided p-value for equal means; null unless both sides have two or more
   *     repeats
   * @param different p below {@value #ALPHA}, this epoch alone; null without a p-value
   */
  public record Row(int layers, String init, int epoch, Double ours, Double ourLower,
      Double ourUpper, Double theirs, Double theirLower, Double theirUpper, Double difference,
      Boolean inside, Double p, Boolean different) {}

  /**
   * One curve's verdict over its epochs, with Holm's correction for testing every epoch: the
   * curves are distinguishable when the smallest p-value times the number of epochs tested is
   * below {@value #ALPHA} (Holm's first step, which decides whether any hypothesis falls).
   *
   * @param repeats ours, theirs
   * @param tested epochs with a p-value
   * @param differentEpochs epochs with p below {@value #ALPHA} on their own, uncorrected
   * @param smallestP the smallest p-value and its epoch
   * @param distinguishable null when no epoch could be tested
   */
  public record Verdict(int layers, String init, int ourRepeats, int theirRepeats, int tested,
      int differentEpochs, Double smallestP, Integer smallestPEpoch, Boolean distinguishable) {}

  /**
   * Compares curves given as depth -> curve id ("xavier", "svd") -> losses[repeat][epoch], ours
   * and PyTorch's, with bands of the given kind.
   */
  public static Comparison of(Map<Integer, Map<String, double[][]>> ours,
      Map<Integer, Map<String, double[][]>> theirs, Stats.Band band) {
    List<Row> rows = new ArrayList<>();
    List<Verdict> verdicts = new ArrayList<>();
    List<GridSummary.Curve> ourCurves = curves(ours, band);
    List<GridSummary.Curve> theirCurves = curves(theirs, band);
    for (var depth : ours.entrySet()) {
      for (var curve : depth.getValue().entrySet()) {
        int layers = depth.getKey();
        String init = curve.getKey();
        double[][] a = curve.getValue();
        double[][] b = theirs.getOrDefault(layers, Map.of()).get(init);
        int epochs = Math.max(a[0].length, b == null ? 0 : b[0].length);
        int tested = 0;
        int different = 0;
        Double smallest = null;
        Integer smallestEpoch = null;
        for (int e = 0; e < epochs; e++) {
          double[] x = column(a, e);
          double[] y = b == null ? new double[0] : column(b, e);
          GridSummary.Point o = GridSummary.point(e + 1, x, band);
          GridSummary.Point t = GridSummary.point(e + 1, y, band);
          Double p = null;
          if (x.length > 1 && y.length > 1) {
            p = Stats.welchP(x, y);
            tested++;
            if (p < ALPHA) {
              different++;
            }
            if (smallest == null || p < smallest) {
              smallest = p;
              smallestEpoch = e + 1;
            }
          }
          rows.add(new Row(layers, init, e + 1, o == null ? null : o.mean(),
              o == null ? null : o.lower(), o == null ? null : o.upper(),
              t == null ? null : t.mean(), t == null ? null : t.lower(),
              t == null ? null : t.upper(),
              o != null && t != null ? o.mean() - t.mean() : null,
              o != null && t != null && o.lower() != null
                  ? t.mean() >= o.lower() && t.mean() <= o.upper() : null,
              p, p == null ? null : p < ALPHA));
        }
        verdicts.add(new Verdict(layers, init, a.length, b == null ? 0 : b.length, tested,
            different, smallest, smallestEpoch,
            tested == 0 ? null : smallest * tested < ALPHA));
      }
    }
    return new Comparison(band.id(), rows, verdicts, ourCurves, theirCurves);
  }

  /** The values of epoch {@code e} of every repeat that has it. */
  private static double[] column(double[][] runs, int e) {
    return Arrays.stream(runs).filter(r -> r.length > e).mapToDouble(r -> r[e]).toArray();
  }

  private static List<GridSummary.Curve> curves(Map<Integer, Map<String, double[][]>> byDepth,
      Stats.Band band) {
    List<GridSummary.Curve> out = new ArrayList<>();
    for (var depth : byDepth.entrySet()) {
      for (var init : depth.getValue().entrySet()) {
        double[][] runs = init.getValue();
        int epochs = Arrays.stream(runs).mapToInt(r -> r.length).max().orElse(0);
        List<GridSummary.Point> points = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
          points.add(GridSummary.point(e + 1, column(runs, e), band));
        }
        out.add(new GridSummary.Curve(depth.getKey(), init.getKey(), runs.length, 0, points,
            null, List.of()));
      }
    }
    return out;
  }
}
