package org.orthoinit.experiment;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The mean of a few repeats and its confidence interval, two ways: Student's t,
 * mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n) (sd with n - 1 in the denominator); or, as
 * seaborn's {@code ci=95} draws the seed's figures, a percentile bootstrap of the mean. And
 * Welch's t-test of two samples' means.
 */
public final class Stats {

  /** The confidence level of the figures' bands. */
  public static final double LEVEL = 0.95;
  /** seaborn's {@code n_boot}: resamples of the bootstrap. */
  public static final int RESAMPLES = 1000;
  /** Seeds every bootstrap, so a figure drawn twice is the same figure. */
  public static final long BOOTSTRAP_SEED = 0;

  /** How a band around a mean is computed. */
  public enum Band {
    /**
     * seaborn's {@code ci=95}: the 2.5th and 97.5th percentiles (NumPy's linear interpolation)
     * of the means of {@value #RESAMPLES} resamples drawn with replacement, seeded.
     */
    BOOTSTRAP("95% bootstrap interval of the mean over repeats"),
    /** Student's t interval of the mean. */
    T("95% t-interval of the mean over repeats");

    private final String label;

    Band(String label) {
      this.label = label;
    }

    /** What the band is, for an axis label. */
    public String label() {
      return label;
    }

    public String id() {
      return name().toLowerCase();
    }

    /** The band of {@code values} at {@link #LEVEL}; {@code stream} picks the bootstrap's. */
    public Interval of(double[] values, long stream) {
      return this == T ? interval(values, LEVEL)
          : bootstrap(values, LEVEL, RESAMPLES, BOOTSTRAP_SEED + stream);
    }
  }

  private Stats() {}

  /**
   * Mean and interval of a sample; the ends are NaN for fewer than two values.
   *
   * @param halfWidth the t-interval's half-width; NaN for a bootstrap interval (not symmetric)
   */
  public record Interval(int n, double mean, double sd, double halfWidth, double lower,
      double upper) {
    /** A symmetric interval. */
    Interval(int n, double mean, double sd, double halfWidth) {
      this(n, mean, sd, halfWidth, mean - halfWidth, mean + halfWidth);
    }
  }

  public static Interval interval(double[] values, double level) {
    int n = values.length;
    if (n == 0) {
      return new Interval(0, Double.NaN, Double.NaN, Double.NaN);
    }
    double mean = 0;
    for (double v : values) {
      mean += v;
    }
    mean /= n;
    if (n == 1) {
      return new Interval(1, mean, Double.NaN, Double.NaN);
    }
    double ss = 0;
    for (double v : values) {
      ss += (v - mean) * (v - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    return new Interval(n, mean, sd, tQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n));
  }

  /**
   * The mean of {@code values} with a percentile bootstrap interval: {@code resamples} times, draw
   * n values with replacement (uniform indices from {@code SplittableRandom(seed)}) and take
   * their mean; the interval runs from the (1 - level)/2 to the (1 + level)/2 quantile of those
   * means, interpolated linearly between order statistics as NumPy's percentile. The interval
   * need not be symmetric, so its half-width is NaN; the sd is the sample's, as in {@link
   * #interval}. Fewer than two values give no interval.
   */
  public static Interval bootstrap(double[] values, double level, int resamples, long seed) {
    Interval plain = interval(values, level);
    int n = values.length;
    if (n < 2) {
      return plain;
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] means = new double[resamples];
    for (int b = 0; b < resamples; b++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += values[random.nextInt(n)];
      }
      means[b] = sum / n;
    }
    Arrays.sort(means);
    double lower = percentile(means, (1 - level) / 2);
    double upper = percentile(means, (1 + level) / 2);
    return new Interval(n, plain.mean(), plain.sd(), Double.NaN, lower, upper);
  }

  /** NumPy's default percentile of sorted values: position q (n - 1), linear between neighbours. */
  static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  /**
   * Welch's two-sided t-test of equal means, for samples of unequal variance: t = (mean_a -
   * mean_b) / sqrt(s_a^2/n_a + s_b^2/n_b), degrees of freedom by Welch-Satterthwaite.
   *
   * @return the p-value; NaN when either sample has fewer than two values, 1 when both have no
   *     spread and equal means, 0 when they have no spread and differ
   */
  public static double welchP(double[] a, double[] b) {
    if (a.length < 2 || b.length < 2) {
      return Double.NaN;
    }
    Interval x = interval(a, LEVEL);
    Interval y = interval(b, LEVEL);
    double va = x.sd() * x.sd() / a.length;
    double vb = y.sd() * y.sd() / b.length;
    if (va + vb == 0) {
      return x.mean() == y.mean() ? 1 : 0;
    }
    double t = (x.mean() - y.mean()) / Math.sqrt(va + vb);
    double df = (va + vb) * (va + vb)
        / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
    return 2 * (1 - tCdf(Math.abs(t), df));
  }

  /** The p-quantile of Student's t with {@code df} degrees of freedom, by bisection on the CDF. */
  public static double tQuantile(double p, int df) {
    if (!(p > 0 && p < 1) || df < 1) {
      throw new IllegalArgumentException("need 0 < p < 1 and df >= 1, got " + p + ", " + df);
    }
    if (p < 0.5) {
      return -tQuantile(1 - p, df);
    }
    double lo = 0;
    double hi = 1;
    while (tCdf(hi, df) < p) {
      hi *= 2;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
      double mid = (lo + hi) / 2;
      if (tCdf(mid, df) < p) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (lo + hi) / 2;
  }

  /** P(T <= t) for Student's t: 1 - I_x(df/2, 1/2) / 2 with x = df / (df + t^2), t >= 0. */
  public static double tCdf(double t, double df) {
    double x = df / (df + t * t);
    double tail = 0.5 * regularizedBeta(x, df / 2.0, 0.5);
    return t >= 0 ? 1 - tail : tail;
  }

  /** The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz). */
  static double regularizedBeta(double x, double a, double b) {
    if (x <= 0) {
      return 0;
    }
    if (x >= 1) {
      return 1;
    }
    if (x > (a + 1) / (a + b + 2)) {
      return 1 - regularizedBeta(1 - x, b, a); // the fraction converges fast on this side
    }
    double logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x)
        + b * Math.log(1 - x);
    double tiny = 1e-300;
    double c = 1;
    double d = 1 - (a + b) * x / (a + 1);
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    double f = d;
    for (int m = 1; m <= 500; m++) {
      // even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
      double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      c = Math.abs(c) < tiny ? tiny : c;
      f *= c * d;
      // odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
      num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      c = Math.abs(c) < tiny ? tiny : c;
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-15) {
        break;
      }
    }
    return Math.exp(logFront) * f / a;
  }

  /** log Gamma(x) for x > 0 (Lanczos, g = 7, n = 9). */
  static double lgamma(double x) {
    double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
        771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
        9.9843695780195716e-6, 1.5056327351493116e-7};
    if (x < 0.5) {
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
    }
    x -= 1;
    double a = g[0];
    double t = x + 7.5;
    for (int i = 1; i < 9; i++) {
      a += g[i] / (x + i);
    }
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
  }
}
