package org.orthoinit.model;

/**
 * Gradients of {@code loss = sum(y * R)} for single layers, as direct float64 sums over NHWC
 * arrays in PyTorch's terms (zero padding for convolutions and average pools, a window's largest
 * value for max pools): the independent answer of {@link GradientCheck}. Slow and plain on
 * purpose; meant for inputs of a few positions.
 */
final class ExactGradients {

  private ExactGradients() {}

  /** An NHWC shape as ints: images, rows, columns, channels. */
  private record Nhwc(int n, int h, int w, int c) {
    static Nhwc of(long[] shape) {
      return new Nhwc((int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3]);
    }
  }

  /**
   * A convolution without bias: x NHWC {@code xShape}, w HWIO [kh, kw, in / groups, out], R NHWC
   * {@code yShape}.
   *
   * @return {dx, dw}
   */
  static double[][] conv(Layer.Conv conv, long[] xShape, float[] x, float[] w, long[] yShape,
      float[] r) {
    Window win = conv.window();
    Nhwc in = Nhwc.of(xShape);
    Nhwc out = Nhwc.of(yShape);
    int n = in.n();
    int h = in.h();
    int wd = in.w();
    int cin = in.c();
    int oh = out.h();
    int ow = out.w();
    int cout = out.c();
    int kh = win.kernelH();
    int kw = win.kernelW();
    int perGroupIn = cin / conv.groups();
    int perGroupOut = cout / conv.groups();
    double[] dx = new double[x.length];
    double[] dw = new double[w.length];
    // output channels innermost: the kernel's and R's rows are read in order
    for (int b = 0; b < n; b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          int rBase = ((b * oh + oy) * ow + ox) * cout;
          for (int i = 0; i < kh; i++) {
            int iy = oy * win.strideH() + i * win.dilationH() - win.padTop();
            if (iy < 0 || iy >= h) {
              continue;
            }
            for (int j = 0; j < kw; j++) {
              int ix = ox * win.strideW() + j * win.dilationW() - win.padLeft();
              if (ix < 0 || ix >= wd) {
                continue;
              }
              int xBase = ((b * h + iy) * wd + ix) * cin;
              for (int ci = 0; ci < cin; ci++) {
                int group = ci / perGroupIn;
                int wRow = ((i * kw + j) * perGroupIn + ci % perGroupIn) * cout;
                double xv = x[xBase + ci];
                double sum = 0;
                for (int co = group * perGroupOut; co < (group + 1) * perGroupOut; co++) {
                  double rv = r[rBase + co];
                  sum += rv * w[wRow + co];
                  dw[wRow + co] += rv * xv;
                }
                dx[xBase + ci] += sum;
              }
            }
          }
        }
      }
    }
    return new double[][] {dx, dw};
  }

  /** y = x w for x [N, in], w [in, out]: {dx = R w^T, dw = x^T R}. */
  static double[][] linear(int in, int out, float[] x, float[] w, float[] r) {
    int n = x.length / in;
    double[] dx = new double[x.length];
    double[] dw = new double[w.length];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          double rv = r[b * out + o];
          dx[b * in + i] += rv * w[i * out + o];
          dw[i * out + o] += rv * x[b * in + i];
        }
      }
    }
    return new double[][] {dx, dw};
  }

  /** Each window's R goes to its largest input (padding never wins). */
  static double[] maxPool(Window win, long[] xShape, float[] x, long[] yShape, float[] r) {
    Nhwc in = Nhwc.of(xShape);
    Nhwc out = Nhwc.of(yShape);
    double[] dx = new double[x.length];
    for (int b = 0; b < in.n(); b++) {
      for (int oy = 0; oy < out.h(); oy++) {
        for (int ox = 0; ox < out.w(); ox++) {
          for (int c = 0; c < in.c(); c++) {
            int best = -1;
            for (int i = 0; i < win.kernelH(); i++) {
              int iy = oy * win.strideH() + i * win.dilationH() - win.padTop();
              for (int j = 0; j < win.kernelW(); j++) {
                int ix = ox * win.strideW() + j * win.dilationW() - win.padLeft();
                if (iy < 0 || iy >= in.h() || ix < 0 || ix >= in.w()) {
                  continue;
                }
                int at = ((b * in.h() + iy) * in.w() + ix) * in.c() + c;
                if (best < 0 || x[at] > x[best]) {
                  best = at;
                }
              }
            }
            dx[best] += r[((b * out.h() + oy) * out.w() + ox) * in.c() + c];
          }
        }
      }
    }
    return dx;
  }

  /**
   * Each window's R divided by PyTorch's divisor: the taps inside the zero padding with
   * count_include_pad (never beyond it, where ceil_mode's last window may reach), else the taps
   * inside the image.
   */
  static double[] avgPool(Layer.AvgPool p, long[] xShape, long[] yShape, float[] r) {
    Window win = p.window();
    Nhwc in = Nhwc.of(xShape);
    Nhwc out = Nhwc.of(yShape);
    double[] dx = new double[in.n() * in.h() * in.w() * in.c()];
    for (int b = 0; b < in.n(); b++) {
      for (int oy = 0; oy < out.h(); oy++) {
        for (int ox = 0; ox < out.w(); ox++) {
          int y0 = oy * win.strideH() - win.padTop();
          int x0 = ox * win.strideW() - win.padLeft();
          int counted = 0;
          for (int i = 0; i < win.kernelH(); i++) {
            for (int j = 0; j < win.kernelW(); j++) {
              int iy = y0 + i;
              int ix = x0 + j;
              boolean inImage = iy >= 0 && iy < in.h() && ix >= 0 && ix < in.w();
              boolean inPadding = iy >= -win.padTop() && iy < in.h() + win.padBottom()
                  && ix >= -win.padLeft() && ix < in.w() + win.padRight();
              if (p.countIncludePad() ? inPadding : inImage) {
                counted++;
              }
            }
          }
          for (int c = 0; c < in.c(); c++) {
            double share = r[((b * out.h() + oy) * out.w() + ox) * in.c() + c] / counted;
            for (int i = 0; i < win.kernelH(); i++) {
              for (int j = 0; j < win.kernelW(); j++) {
                int iy = y0 + i;
                int ix = x0 + j;
                if (iy >= 0 && iy < in.h() && ix >= 0 && ix < in.w()) {
                  dx[((b * in.h() + iy) * in.w() + ix) * in.c() + c] += share;
                }
              }
            }
          }
        }
      }
    }
    return dx;
  }
}
