package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The check's float64 answer on cases worked out by hand. */
class ExactGradientsTest {

  /**
   * One channel, a 2 x 2 kernel at stride 2 with one row and column of zero padding on a 3 x 3
   * input: two outputs each way, every input read once.
   */
  @Test
  void stridedPaddedConvolution() {
    Layer.Conv conv = Layer.Conv.of("c", "x", 1, 1, 2, 2, 1, false);
    // x[h][w] = 1..9, kernel [[1, 2], [3, 4]], R = [[1, 10], [100, 1000]]
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float[] w = {1, 2, 3, 4};
    float[] r = {1, 10, 100, 1000};
    double[][] g = ExactGradients.conv(conv, new long[] {1, 3, 3, 1}, x, w,
        new long[] {1, 2, 2, 1}, r);
    // output (0,0) reads only x(0,0) through tap (1,1) = 4; (0,1) reads x(0,1), x(0,2) through
    // taps (1,0), (1,1); (1,0) reads x(1,0), x(2,0) through (0,1), (1,1); (1,1) reads the rest
    assertArrayEquals(new double[] {4, 30, 40, 200, 1000, 2000, 400, 3000, 4000}, g[0], 0);
    // tap (0,0) sees x(1,1) from output (1,1); (0,1) x(1,0) and x(1,2); (1,0) x(0,1) and x(2,1);
    // (1,1) x(0,0), x(0,2), x(2,0), x(2,2)
    assertArrayEquals(new double[] {5000, 400 + 6000, 20 + 8000,
        1 + 30 + 700 + 9000}, g[1], 0);
  }

  /** Two groups: each output channel reads its own input channel only. */
  @Test
  void groupsReadTheirOwnChannels() {
    Layer.Conv conv = new Layer.Conv("c", "x", 2, 2, Window.square(1, 1, 0), 2, false);
    double[][] g = ExactGradients.conv(conv, new long[] {1, 1, 1, 2}, new float[] {3, 5},
        new float[] {7, 11}, new long[] {1, 1, 1, 2}, new float[] {2, 4});
    assertArrayEquals(new double[] {14, 44}, g[0], 0);
    assertArrayEquals(new double[] {6, 20}, g[1], 0);
  }

  @Test
  void maxPoolSendsToTheLargest() {
    float[] x = {1, 9, 3, 4};
    double[] dx = ExactGradients.maxPool(Window.square(2, 2, 0), new long[] {1, 2, 2, 1}, x,
        new long[] {1, 1, 1, 1}, new float[] {5});
    assertArrayEquals(new double[] {0, 5, 0, 0}, dx, 0);
  }

  /** 3 x 3 average at stride 1 with padding 1 on 2 x 2: every window holds all four inputs. */
  @Test
  void averagePoolDividesAsPytorch() {
    Layer.AvgPool include = new Layer.AvgPool("p", "x", Window.square(3, 1, 1), false, true);
    Layer.AvgPool exclude = new Layer.AvgPool("p", "x", Window.square(3, 1, 1), false, false);
    long[] s = {1, 2, 2, 1};
    float[] r = {9, 9, 9, 9};
    // count_include_pad: each window counts the 3 x 3 taps inside the 4 x 4 padded image (at a
    // corner window all 9): 4 windows x 9 / 9 each input
    assertArrayEquals(new double[] {4, 4, 4, 4}, ExactGradients.avgPool(include, s, s, r), 0);
    // without: each window counts its 4 image taps, 4 windows x 9 / 4
    assertArrayEquals(new double[] {9, 9, 9, 9}, ExactGradients.avgPool(exclude, s, s, r), 0);
  }

  @Test
  void linear() {
    double[][] g = ExactGradients.linear(2, 1, new float[] {3, 5}, new float[] {7, 11},
        new float[] {2});
    assertArrayEquals(new double[] {14, 22}, g[0], 0);
    assertArrayEquals(new double[] {6, 10}, g[1], 0);
  }
}
