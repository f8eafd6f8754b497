package org.orthoinit.experiment;

/**
 * The mean of a few repeats and its two-sided Student t confidence interval:
 * mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n), sd with n - 1 in the denominator.
 */
public final class Stats {

  /** The confidence level of the figures' bands. */
  public static final double LEVEL = 0.95;

  private Stats() {}

  /** Mean and interval of a sample; the half-width is NaN for fewer than two values. */
  public record Interval(int n, double mean, double sd, double halfWidth) {
    public double lower() {
      return mean - halfWidth;
    }

    public double upper() {
      return mean + halfWidth;
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
  public static double tCdf(double t, int df) {
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
