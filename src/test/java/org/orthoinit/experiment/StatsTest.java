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
}
