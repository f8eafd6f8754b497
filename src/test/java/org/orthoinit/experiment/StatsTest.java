package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void studentTQuantilesMatchTheTables() {
    // two-sided 95%: t(0.975, df)
    assertEquals(12.7062, Stats.tQuantile(0.975, 1), 1e-4);
    assertEquals(4.3027, Stats.tQuantile(0.975, 2), 1e-4);
    assertEquals(3.1824, Stats.tQuantile(0.975, 3), 1e-4);
    assertEquals(2.7764, Stats.tQuantile(0.975, 4), 1e-4);
    assertEquals(2.2281, Stats.tQuantile(0.975, 10), 1e-4);
    assertEquals(2.0423, Stats.tQuantile(0.975, 30), 1e-4);
    assertEquals(6.9646, Stats.tQuantile(0.99, 2), 1e-4);
    assertEquals(9.9248, Stats.tQuantile(0.995, 2), 1e-4);
    assertEquals(-3.1824, Stats.tQuantile(0.025, 3), 1e-4);
  }

  @Test
  void theCdfIsSymmetricAndHalfAtZero() {
    assertEquals(0.5, Stats.tCdf(0, 5), 1e-15);
    assertEquals(1.0, Stats.tCdf(1.3, 7) + Stats.tCdf(-1.3, 7), 1e-14);
    // Cauchy (df 1): P(T <= 1) = 3/4
    assertEquals(0.75, Stats.tCdf(1, 1), 1e-12);
  }

  @Test
  void intervalOfFourRepeats() {
    Stats.Interval i = Stats.interval(new double[] {1, 2, 3, 4}, 0.95);
    assertEquals(2.5, i.mean(), 1e-15);
    assertEquals(Math.sqrt(5.0 / 3), i.sd(), 1e-15);
    assertEquals(3.18245 * Math.sqrt(5.0 / 3) / 2, i.halfWidth(), 1e-4);
    assertEquals(i.mean() - i.halfWidth(), i.lower(), 1e-15);
  }

  @Test
  void oneValueHasNoInterval() {
    Stats.Interval i = Stats.interval(new double[] {2.3}, 0.95);
    assertEquals(2.3, i.mean());
    assertTrue(Double.isNaN(i.halfWidth()));
  }

  @Test
  void percentilesInterpolateAsNumPy() {
    double[] sorted = {1, 2, 3, 4};
    // numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) = [1.075, 3.925]
    assertEquals(1.075, Stats.percentile(sorted, 0.025), 1e-12);
    assertEquals(3.925, Stats.percentile(sorted, 0.975), 1e-12);
    assertEquals(1.0, Stats.percentile(sorted, 0), 0);
    assertEquals(4.0, Stats.percentile(sorted, 1), 0);
  }

  @Test
  void bootstrapOfTwoValuesSpansThem() {
    // a resample of {1, 3} has mean 1, 2 or 3 with probabilities 1/4, 1/2, 1/4: about 250 of
    // 1,000 means are 1 and 250 are 3, so the 2.5th and 97.5th percentiles are exactly 1 and 3
    Stats.Interval i = Stats.bootstrap(new double[] {1, 3}, 0.95, 1000, 7);
    assertEquals(2.0, i.mean(), 0);
    assertEquals(1.0, i.lower(), 0);
    assertEquals(3.0, i.upper(), 0);
  }

  @Test
  void bootstrapMatchesTheExactResamplingDistribution() {
    // every one of the 4^4 equally likely resamples of {1, 2, 3, 4}, enumerated
    double[] v = {1, 2, 3, 4};
    double[] exact = new double[256];
    for (int t = 0; t < 256; t++) {
      exact[t] = (v[t & 3] + v[(t >> 2) & 3] + v[(t >> 4) & 3] + v[(t >> 6) & 3]) / 4;
    }
    java.util.Arrays.sort(exact);
    Stats.Interval i = Stats.bootstrap(v, 0.95, 1000, 0);
    // 1,000 draws put each percentile within one step (0.25) of the exact distribution's
    assertEquals(Stats.percentile(exact, 0.025), i.lower(), 0.25);
    assertEquals(Stats.percentile(exact, 0.975), i.upper(), 0.25);
    assertTrue(i.lower() < 2.5 && i.upper() > 2.5);
    assertTrue(Double.isNaN(i.halfWidth()), "a bootstrap interval is not symmetric");
  }

  @Test
  void bootstrapIsSeeded() {
    double[] v = {2.3021, 2.2950, 2.2801, 2.2990};
    Stats.Interval a = Stats.Band.BOOTSTRAP.of(v, 3);
    Stats.Interval b = Stats.Band.BOOTSTRAP.of(v, 3);
    assertEquals(a, b, "the same stream gives the same band");
    Stats.Interval other = Stats.bootstrap(v, 0.95, 1000, 12345);
    assertTrue(other.lower() != a.lower() || other.upper() != a.upper(),
        "another seed draws other resamples");
    Stats.Interval same = Stats.bootstrap(new double[] {2.5, 2.5, 2.5}, 0.95, 1000, 0);
    assertEquals(2.5, same.lower(), 0);
    assertEquals(2.5, same.upper(), 0);
  }

  @Test
  void tBandIsTheTInterval() {
    double[] v = {1, 2, 3, 4};
    assertEquals(Stats.interval(v, 0.95), Stats.Band.T.of(v, 0));
  }

  @Test
  void welchMatchesScipy() {
    // scipy.stats.ttest_ind(a, b, equal_var=False).pvalue
    assertEquals(0.0830200275811044, Stats.welchP(new double[] {2.3021, 2.3019, 2.3024},
        new double[] {2.2891, 2.2950, 2.2801}), 1e-9);
    assertEquals(0.300802707255176, Stats.welchP(new double[] {1, 2, 3, 4},
        new double[] {2.5, 3.5, 4.5}), 1e-9);
    assertTrue(Double.isNaN(Stats.welchP(new double[] {1}, new double[] {1, 2})));
    assertEquals(1.0, Stats.welchP(new double[] {2, 2}, new double[] {2, 2}));
    assertEquals(0.0, Stats.welchP(new double[] {2, 2}, new double[] {3, 3}));
  }
}
