package org.orthoinit.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.orthoinit.GradientFixtures;
import org.orthoinit.interop.ImageArrays;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.Npy;
import org.orthoinit.interop.NpyArray;
import org.orthoinit.interop.Layouts;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Parameter;

/**
 * The training step's gradients against the seed's PyTorch model in float64, parameter by
 * parameter, on the fixtures of {@code src/test/python/gradient_fixtures.py}: depths 0, 2 and 15,
 * levels 3 and 2, with and without batch norm, Xavier and SVD-initialized, three seeds each. The
 * gradients are fetched from the training graph that {@code train} runs (oneDNN as configured),
 * in the same session call as the step; batch norm's running statistics are read after it.
 */
class GradientParityTest {

  /** The layout of gradient_fixtures.py this test reads. */
  static final int FORMAT = 1;
  /** max |ours - PyTorch| / max |PyTorch| per parameter (docs/parity.md). */
  static final double TOLERANCE = 1e-3;
  /** The loss is one number: float32 rounding of a mean of 30 terms. */
  static final double LOSS_TOLERANCE = 1e-5;
  /** Running statistics are a mean and variance of the batch, then a weighted sum. */
  static final double RUNNING_TOLERANCE = 1e-4;
  /**
   * A ReLU input whose sign differs from PyTorch's float64 one must be within float32 rounding of
   * zero: at most this fraction of its layer's largest input. Anything larger is a forward fault.
   */
  static final double AMBIGUOUS = 1e-4;
  /** Rounds of pinning: each pinned decision may tip a later one by its tiny change. */
  static final int MAX_ROUNDS = 5;

  private static final List<String> TABLE = new ArrayList<>();

  @TestFactory
  Stream<DynamicTest> everyParameterMatchesPyTorch() throws IOException {
    Path dir = GradientFixtures.dir();
    JsonNode index = new ObjectMapper().readTree(dir.resolve("cases.json").toFile());
    assertTrue(index.path("format").asInt() == FORMAT, dir + ": fixtures of format "
        + index.path("format").asInt() + ", this test reads format " + FORMAT + "; make them "
        + "again with src/test/python/gradient_fixtures.py");
    List<String> names = new ArrayList<>();
    index.get("cases").forEach(n -> names.add(n.asText()));
    return names.stream().map(name -> DynamicTest.dynamicTest(name, () -> check(dir, name)));
  }

  /**
   * The session of the architecture being checked: cases come grouped by architecture, and a
   * graph with its gradients takes longer to build than a case takes to check.
   */
  private static ModelSession open;
  private static Trainer trainer;

  private static Trainer trainerFor(ModelConfig config, int batch) {
    if (open == null || !open.network().equals(AlexNet.of(config))) {
      closeSession();
      open = ModelSession.open(config, 0, 0);
      trainer = new Trainer(open, new TrainConfig(1, TrainConfig.LEARNING_RATE_DEFAULT, batch, 0));
    }
    return trainer;
  }

  @AfterAll
  static void closeSession() {
    if (open != null) {
      open.close();
      open = null;
    }
  }

  @AfterAll
  static void printTable() {
    if (!TABLE.isEmpty()) {
      System.out.println("gradient parity, max |ours - torch float64| / max |torch float64| of "
          + "the worst parameter:\n| case | plain step | PyTorch float32 | decisions pinned "
          + "| pinned step | loss | running stats |\n|---|---|---|---|---|---|---|");
      TABLE.forEach(System.out::println);
    }
  }

  private static void check(Path dir, String name) throws IOException, InteropException {
    Path caseDir = dir.resolve(name);
    JsonNode c = new ObjectMapper().readTree(caseDir.resolve("case.json").toFile());
    ModelConfig config = new ModelConfig(c.get("layers").asInt(), c.get("level").asInt(),
        c.get("batch_norm").asBoolean(), 0f, ModelConfig.CLASSES_DEFAULT);
    Path batch = dir.resolve(c.get("batch_dir").asText());
    ImageArrays.Batch images = ImageArrays.read(batch.resolve("images.npy"),
        ImageArrays.Layout.NCHW);
    long[] l = Npy.read(batch.resolve("labels.npy"), "<i8", images.n()).toLongs();
    int[] labels = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      labels[i] = Math.toIntExact(l[i]);
    }
    Trainer trainer = trainerFor(config, images.n());
    ModelSession s = open;
    Map<String, float[]> weights = new LinkedHashMap<>();
    Path classifier = dir.resolve(c.get("classifier").asText());
    for (Parameter p : s.network().parameters()) {
      Path from = p.name().startsWith("classifier.") ? classifier : caseDir.resolve("weights");
      float[] torch = Npy.read(from.resolve(p.name() + ".npy"), "<f4",
          Layouts.torchShape(p)).toFloats();
      weights.put(p.name(), Layouts.toTensorFlow(p, torch));
    }
    List<String> running = new ArrayList<>();
    for (Layer.BatchNorm bn : s.network().batchNorms()) {
      running.add(bn.runningMean());
      running.add(bn.runningVar());
    }
    for (String r : running) {
      weights.put(r, Npy.read(caseDir.resolve("weights").resolve(r + ".npy"), "<f4", -1)
          .toFloats());
    }
    s.assign(weights);
    Trainer.StepTrace plain = trainer.traceStep(images.nhwc(), labels, images.n(), Map.of());

    // where our float32 ReLUs and max pools decided otherwise than PyTorch's float64 ones; a
    // pinned decision moves later values by its margin, which may tip a later decision, so
    // until no new one differs
    Pins pins = new Pins();
    Trainer.StepTrace step = plain;
    for (int round = 0; ; round++) {
      int before = pins.count;
      for (JsonNode r : c.get("relus")) {
        String relu = r.asText();
        pins.relu(relu, step.decisionInputs().get(relu),
            torchSigns(caseDir.resolve("relu").resolve(relu + ".npy"), images.n()));
      }
      for (JsonNode r : c.get("pools")) {
        String pool = r.asText();
        NpyArray winners = Npy.read(caseDir.resolve("pool").resolve(pool + ".npy"), "|u1",
            images.n(), -1, -1, -1);
        pins.pool(pool, step.decisionInputs().get(pool), winners);
      }
      assertTrue(pins.worstMargin <= AMBIGUOUS, name + ": " + pins.worstLayer + " decided "
          + "otherwise than PyTorch's float64 at a margin of " + pins.worstMargin
          + " of its largest input: the forward passes differ");
      if (pins.count == before) {
        break;
      }
      assertTrue(round < MAX_ROUNDS, name + ": still new decisions to pin after " + MAX_ROUNDS
          + " rounds (" + pins.count + " pinned)");
      s.assign(weights); // the step again from the same start, PyTorch's decisions fed
      step = trainer.traceStep(images.nhwc(), labels, images.n(), pins.values);
    }
    Map<String, float[]> pinned = pins.values;

    double torchLoss = c.get("loss").asDouble();
    double lossError = Math.abs(step.loss() - torchLoss) / Math.abs(torchLoss);
    Worst plainWorst = new Worst();
    Worst worst = new Worst();
    List<String> failures = new ArrayList<>();
    for (Parameter p : s.network().parameters()) {
      double[] expected = expectedGradient(caseDir.resolve("grad"), p);
      plainWorst.add(p.name(), relativeError(Layouts.toTorch(p,
          plain.gradients().get(p.name())), expected));
      double error = relativeError(Layouts.toTorch(p, step.gradients().get(p.name())),
          expected);
      worst.add(p.name(), error);
      if (!(error <= TOLERANCE)) {
        failures.add(String.format("%s %.2e", p.name(), error));
      }
    }
    double runningError = 0;
    String runningWorst = "-";
    Map<String, float[]> after = s.read(running);
    for (String r : running) {
      float[] torch = Npy.read(caseDir.resolve("running").resolve(r + ".npy"), "<f4", -1)
          .toFloats();
      double e = relativeError(after.get(r), toDoubles(torch));
      if (e > runningError) {
        runningError = e;
        runningWorst = r;
      }
    }
    JsonNode t32 = c.get("torch_float32");
    TABLE.add(String.format("| %s | %.1e %s | %.1e %s | %d | %.1e %s | %.1e | %s |", name,
        plainWorst.error, plainWorst.name, t32.get("error").asDouble(),
        t32.get("parameter").asText(), pins.count, worst.error, worst.name, lossError,
        running.isEmpty() ? "-" : String.format("%.1e", runningError)));
    assertTrue(lossError <= LOSS_TOLERANCE, name + ": loss " + step.loss() + ", PyTorch "
        + torchLoss);
    assertTrue(failures.isEmpty(), name + ": gradients beyond " + TOLERANCE
        + (pinned.isEmpty() ? "" : " with " + pins.count + " decisions pinned to PyTorch's")
        + ": " + failures);
    assertTrue(runningError <= RUNNING_TOLERANCE, name + ": " + runningWorst
        + " after the step, relative error " + runningError);
  }

  /** The largest error seen and where. */
  private static final class Worst {
    String name = "-";
    double error = -1;

    void add(String parameter, double e) {
      if (!(e <= error)) { // NaN wins
        error = e;
        name = parameter;
      }
    }
  }

  /**
   * The inputs to feed where our decisions differ from PyTorch's float64 ones: a ReLU input of
   * the other sign becomes the smallest normal float of PyTorch's sign; a pool window whose
   * gradient PyTorch sends elsewhere than ours gets PyTorch's element raised one ulp above the
   * window's other values. Either changes a value by no more than the margin it was decided by.
   * A layer pinned before is fed, so its values come back as they were fed and are checked again
   * unchanged; new pins of a round go into the same arrays.
   */
  private static final class Pins {
    final Map<String, float[]> values = new LinkedHashMap<>();
    int count;
    double worstMargin;
    String worstLayer = "-";

    void relu(String layer, float[] ours, boolean[] positive) {
      assertTrue(ours.length == positive.length, layer + ": " + ours.length + " values, PyTorch "
          + positive.length);
      float scale = maxAbs(ours);
      float[] pin = values.get(layer);
      for (int i = 0; i < ours.length; i++) {
        if ((ours[i] > 0) != positive[i]) {
          pin = pin == null ? ours.clone() : pin;
          pin[i] = positive[i] ? Float.MIN_NORMAL : -Float.MIN_NORMAL;
          margin(layer, Math.abs(ours[i]) / scale);
        }
      }
      if (pin != null) {
        values.put(layer, pin);
      }
    }

    /** {@code ours} NHWC [n, h, w, c]; {@code winners} [n, c, h/2, w/2], 2 dh + dw. */
    void pool(String layer, float[] ours, NpyArray winners) {
      long[] shape = winners.shape();
      int n = (int) shape[0];
      int c = (int) shape[1];
      int oh = (int) shape[2];
      int ow = (int) shape[3];
      int h = 2 * oh;
      int w = 2 * ow;
      assertTrue(ours.length == n * h * w * c, layer + ": " + ours.length + " values for "
          + n + " x " + h + " x " + w + " x " + c);
      long[] win = winners.toLongs();
      float scale = maxAbs(ours);
      float[] pin = values.get(layer);
      for (int i = 0; i < n; i++) {
        for (int ch = 0; ch < c; ch++) {
          for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
              int t = (int) win[((i * c + ch) * oh + y) * ow + x];
              int theirs = at(i, 2 * y + t / 2, 2 * x + t % 2, ch, h, w, c);
              // ours goes to the first maximum in row-major order, as PyTorch's and TF's kernels
              float max = Float.NEGATIVE_INFINITY;
              boolean same = true;
              for (int k = 0; k < 4; k++) {
                int j = at(i, 2 * y + k / 2, 2 * x + k % 2, ch, h, w, c);
                if (j != theirs) {
                  same &= k < t ? ours[j] < ours[theirs] : ours[j] <= ours[theirs];
                  max = Math.max(max, ours[j]);
                }
              }
              if (!same) {
                pin = pin == null ? ours.clone() : pin;
                // a normal float: oneDNN may read denormals as zero, which would keep the tie
                float up = Math.nextUp(max);
                pin[theirs] = Math.abs(up) < Float.MIN_NORMAL ? Float.MIN_NORMAL : up;
                margin(layer, (max - ours[theirs]) / scale);
              }
            }
          }
        }
      }
      if (pin != null) {
        values.put(layer, pin);
      }
    }

    private static int at(int i, int y, int x, int ch, int h, int w, int c) {
      return ((i * h + y) * w + x) * c + ch;
    }

    private void margin(String layer, double m) {
      count++;
      if (m >= worstMargin) {
        worstMargin = m;
        worstLayer = layer;
      }
    }

    private static float maxAbs(float[] v) {
      float m = 0;
      for (float x : v) {
        m = Math.max(m, Math.abs(x));
      }
      return m;
    }
  }

  /**
   * PyTorch's float64 ReLU decisions (input > 0) in our layout: NCHW [n, c, h, w] to NHWC, or
   * [n, units] as it is.
   */
  private static boolean[] torchSigns(Path file, int n) throws InteropException {
    NpyArray a = Npy.read(file);
    assertTrue(a.dtype().equals("|b1"), file + ": dtype " + a.dtype() + ", expected |b1");
    long[] bits = a.toLongs();
    boolean[] out = new boolean[bits.length];
    long[] shape = a.shape();
    if (shape.length == 4) {
      int c = (int) shape[1];
      int hw = (int) (shape[2] * shape[3]);
      for (int i = 0; i < n; i++) {
        for (int ch = 0; ch < c; ch++) {
          for (int p = 0; p < hw; p++) {
            out[(i * hw + p) * c + ch] = bits[(i * c + ch) * hw + p] != 0;
          }
        }
      }
    } else {
      for (int i = 0; i < bits.length; i++) {
        out[i] = bits[i] != 0;
      }
    }
    return out;
  }

  /**
   * PyTorch's float64 gradient of {@code p}, in PyTorch's layout. A classifier weight's gradient
   * is stored as its factors: dW[o][i] = sum over the batch of dY[n][o] X[n][i].
   */
  private static double[] expectedGradient(Path grad, Parameter p) throws InteropException {
    if (p.kind() == Parameter.Kind.LINEAR_WEIGHT) {
      String layer = p.name().substring(0, p.name().length() - ".weight".length());
      NpyArray x = Npy.read(grad.resolve(layer + ".input.npy"), "<f8", -1, p.shape()[0]);
      NpyArray dy = Npy.read(grad.resolve(layer + ".output_grad.npy"), "<f8", x.shape()[0],
          p.shape()[1]);
      int n = (int) x.shape()[0];
      int in = (int) p.shape()[0];
      int out = (int) p.shape()[1];
      double[] xs = x.toDoubles();
      double[] dys = dy.toDoubles();
      double[] w = new double[out * in];
      for (int b = 0; b < n; b++) {
        for (int o = 0; o < out; o++) {
          double d = dys[b * out + o];
          int row = o * in;
          int xrow = b * in;
          for (int i = 0; i < in; i++) {
            w[row + i] += d * xs[xrow + i];
          }
        }
      }
      return w;
    }
    return toDoubles(Npy.read(grad.resolve(p.name() + ".npy"), "<f4",
        Layouts.torchShape(p)).toFloats());
  }

  private static double[] toDoubles(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  /** max |a - b| / max |b|; NaN or infinity in {@code a} gives NaN or infinity. */
  static double relativeError(float[] a, double[] b) {
    assertTrue(a.length == b.length, "lengths " + a.length + " and " + b.length);
    double err = 0;
    double scale = 0;
    for (int i = 0; i < b.length; i++) {
      double d = Math.abs(a[i] - b[i]);
      err = Double.isNaN(d) ? Double.NaN : Math.max(err, d);
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return scale == 0 ? err : err / scale;
  }
}
