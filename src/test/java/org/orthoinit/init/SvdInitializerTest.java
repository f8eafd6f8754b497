package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.orthoinit.TestImages;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.NetworkGraph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class SvdInitializerTest {

  private static final int N = 64; // 64 images x 16 positions = 1024 rows >= 256 channels

  /** Frobenius norm of every rewritten conv's output (bias included) on the batch. */
  private static List<Double> squareOutputNorms(ModelSession s, float[] x, int n) {
    Ops tf = s.model().tf().withSubScope("test_norms");
    List<Operand<TFloat32>> norms = new ArrayList<>();
    var images = tf.placeholder(TFloat32.class);
    s.model().walk(tf, images, NetworkGraph.Mode.TRAIN, (scope, layer, in, k, b) -> {
      Operand<TFloat32> y = NetworkGraph.convolve(scope, layer, in, k, b);
      if (layer.square()) {
        norms.add(scope.math.sqrt(scope.reduceSum(scope.math.square(y),
            scope.constant(new int[] {0, 1, 2, 3}))));
      }
      return y;
    });
    Session.Runner r = s.session().runner();
    norms.forEach(r::fetch);
    List<Double> out = new ArrayList<>();
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(n, 32, 32, 3), DataBuffers.of(x, true, false));
        Result res = r.feed(images, t).run()) {
      for (int i = 0; i < norms.size(); i++) {
        out.add((double) ((TFloat32) res.get(i)).getFloat());
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 8})
  void everyRewrittenLayerHasUnitOutputAndTheFeaturesGetMoreOrthogonal(int layers)
      throws InitException {
    float[] x = TestImages.uniform(N, layers);
    try (ModelSession s = ModelSession.open(ModelConfig.of(layers), 1, 0)) {
      Xavier.initialize(s, 11);
      SvdReport r = new SvdInitializer(s, SvdInitializer.Decomposition.GRAM_EIGH)
          .initialize(x, N);
      List<Double> norms = squareOutputNorms(s, x, N);
      assertEquals(2 + layers, norms.size());
      for (int i = 0; i < norms.size(); i++) {
        assertEquals(1.0, norms.get(i), 1e-4, "rewritten layer " + i);
      }
      assertEquals(2 + layers, r.outputNorms().size());
      assertTrue(r.gramRatioAfter() < r.gramRatioBefore() - 0.2,
          r.gramRatioBefore() + " -> " + r.gramRatioAfter());
      SvdReport.BlockGap last = r.gaps().get(r.gaps().size() - 1);
      assertTrue(last.after() < last.before(), last.toString());
      // the report's before/after agree with an independent probe after the init
      Probe.Measurement m = new Probe(s, "probe").measure(x, N);
      assertEquals(r.gramRatioAfter(), m.gramRatio(), 1e-4);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"2,false", "2,true", "3,true"})
  void worksAtLevelTwoAndWithBatchNorm(String levelAndBn) throws InitException {
    String[] p = levelAndBn.split(",");
    ModelConfig config = new ModelConfig(2, Integer.parseInt(p[0]), Boolean.parseBoolean(p[1]),
        0.5f, 10);
    float[] x = TestImages.uniform(N, 3);
    try (ModelSession s = ModelSession.open(config, 1, 0)) {
      Xavier.initialize(s, 5);
      SvdReport r = new SvdInitializer(s, SvdInitializer.Decomposition.GRAM_EIGH)
          .initialize(x, N);
      // features.6, the two extra layers and the 256 -> 256 convolution
      assertEquals(4, r.outputNorms().size());
      for (double norm : squareOutputNorms(s, x, N)) {
        assertEquals(1.0, norm, 1e-4);
      }
      assertTrue(r.gramRatioAfter() < r.gramRatioBefore(), r.toString());
    }
  }

  /** The model's features of the batch after the init with {@code decomposition}. */
  private static float[] featuresAfter(SvdInitializer.Decomposition decomposition, float[] x)
      throws InitException {
    try (ModelSession s = ModelSession.open(ModelConfig.of(1), 1, 0)) {
      Xavier.initialize(s, 3);
      new SvdInitializer(s, decomposition).initialize(x, N);
      return s.predict(x, N).features();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"GRAM_EIGH", "SUBSPACE"})
  void everyDecompositionGivesTheSvdsModel(String decomposition) throws InitException {
    float[] x = TestImages.uniform(N, 5);
    float[] a = featuresAfter(SvdInitializer.Decomposition.SVD, x);
    float[] b = featuresAfter(SvdInitializer.Decomposition.valueOf(decomposition), x);
    double maxAbs = 0;
    double maxErr = 0;
    for (int i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i]));
      maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    }
    assertTrue(maxErr / maxAbs < 1e-3, "relative difference " + maxErr / maxAbs);
  }

  @Test
  void onARandomDeepModelEverySubspaceKernelIsTheFloat64DecompositionsToFloat32Accuracy()
      throws InitException {
    int n = SvdInitializer.BATCH_DEFAULT; // the seed's 256 images: 4096 patch rows per layer
    float[] x = TestImages.uniform(n, 6);
    try (ModelSession s = ModelSession.open(ModelConfig.of(3), 2, 0)) {
      Xavier.initialize(s, 2);
      SvdReport r = new SvdInitializer(s, SvdInitializer.Decomposition.SUBSPACE, true)
          .initialize(x, n);
      int iterated = 0;
      for (SvdReport.LayerResult l : r.outputNorms()) {
        System.out.printf("%s: %s, residual %.2e, off float64 eigh %.2e (float32 eigh %.2e)%n",
            l.layer(), l.route(), l.residual(), l.offExact(), l.float32EighOffExact());
        if (SvdRoute.FALLBACK.equals(l.route())) {
          // the full float64 decomposition, the check's own: only W's rounding to float32 differs
          assertTrue(l.offExact() < 1e-6, l.layer() + " off the exact kernel by " + l.offExact());
        } else {
          iterated++;
          assertTrue(l.residual() <= 1e-6, l.layer() + " residual " + l.residual());
          assertTrue(l.offExact() < 1e-5, l.layer() + " off the exact kernel by " + l.offExact());
        }
      }
      assertEquals(5, r.outputNorms().size());
      assertTrue(iterated >= 4, "the 256-channel layers converge: " + r.outputNorms());
    }
  }

  @Test
  void aBatchOfFewPatchRowsTakesTheDualRouteAndGivesTheFloat64Kernel() throws InitException {
    // 24 images on 4 x 4 maps: 384 patch rows, at most the block's width (448 for features.6's
    // 1728 columns, 512 for the four 256-channel layers' 2304), so G's rank is below it; the
    // check forms G from P and decomposes it in float64
    int n = 24;
    float[] x = TestImages.uniform(n, 7);
    try (ModelSession s = ModelSession.open(ModelConfig.of(3), 2, 0)) {
      Xavier.initialize(s, 2);
      SvdReport r = new SvdInitializer(s, SvdInitializer.Decomposition.SUBSPACE, true)
          .initialize(x, n);
      assertEquals(5, r.outputNorms().size(), r.outputNorms().toString());
      for (SvdReport.LayerResult l : r.outputNorms()) {
        System.out.printf("%d images, %s: %s, off float64 eigh of G %.2e%n", n, l.layer(),
            l.route(), l.offExact());
        assertEquals(SvdRoute.DUAL, l.route(), l.layer());
        assertNull(l.residual(), "no iteration, no residual");
        assertTrue(l.offExact() < 1e-5, l.layer() + " off the exact kernel by " + l.offExact());
      }
    }
  }

  @Test
  void kernelTapsThatOnlySeePaddingAreLeftOutOfTheDecomposition() {
    // a 3 x 3 convolution over 1 x 1 maps (resnet18's last stage at 32 x 32): only the centre
    // tap, (1, 1), sees the input; its columns are 4 * C .. 5 * C - 1 of (kh, kw, c)
    Layer.Conv c = Layer.Conv.of("c", "x", 2, 2, 3, 1, 1, false);
    assertArrayEquals(new int[] {8, 9},
        SvdInitializer.liveColumns(c, new Dims(2, 1, 1, false)));
    assertEquals(18, SvdInitializer.liveColumns(c, new Dims(2, 2, 2, false)).length);
    // 5 x 5, padding 2, over 2 x 2 maps (2 x 2 outputs): taps 0 and 4 see rows -2, -1 and 2, 3
    Layer.Conv five = Layer.Conv.of("f", "x", 1, 1, 5, 1, 2, false);
    assertArrayEquals(new int[] {6, 7, 8, 11, 12, 13, 16, 17, 18},
        SvdInitializer.liveColumns(five, new Dims(1, 2, 2, false)));
    // stride 2 over 3 x 3 maps, padding 1 (2 x 2 outputs): every tap sees the input
    Layer.Conv strided = Layer.Conv.of("s", "x", 1, 1, 3, 2, 1, false);
    assertEquals(9, SvdInitializer.liveColumns(strided, new Dims(1, 3, 3, false)).length);
  }

  @Test
  void aBatchTooSmallForTheChannelsIsRefusedUpFront() {
    try (ModelSession s = ModelSession.open(ModelConfig.of(1), 1, 0)) {
      Xavier.initialize(s, 3);
      var init = new SvdInitializer(s, SvdInitializer.Decomposition.GRAM_EIGH);
      InitException e = assertThrows(InitException.class,
          () -> init.initialize(TestImages.uniform(10, 1), 10));
      // features.6 is the first square conv: 192 channels at 4x4
      assertEquals("features.6: 10 images give 160 x 1728 patch rows (16 per image at 4x4), "
          + "fewer than its 192 output channels; use at least 12 images", e.getMessage());
    }
  }

  @Test
  void aZeroRepresentationStopsTheInitAndAssignsNothing() {
    try (ModelSession s = ModelSession.open(ModelConfig.of(1), 1, 0)) {
      Xavier.initialize(s, 3);
      float[] before = s.read(List.of("features.6.weight")).get("features.6.weight");
      var init = new SvdInitializer(s, SvdInitializer.Decomposition.GRAM_EIGH);
      // black images and zero biases: every representation is exactly zero
      InitException e = assertThrows(InitException.class,
          () -> init.initialize(new float[N * TestImages.PIXELS], N));
      assertTrue(e.getMessage().startsWith("features.6: "), e.getMessage());
      assertTrue(e.getMessage().endsWith("nothing was assigned"), e.getMessage());
      assertArrayEquals(before, s.read(List.of("features.6.weight")).get("features.6.weight"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"GRAM_EIGH", "SVD", "SUBSPACE"})
  void anInfiniteRepresentationIsRefusedBeforeAnyDecomposition(String decomposition) {
    try (ModelSession s = ModelSession.open(ModelConfig.of(1), 1, 0)) {
      Xavier.initialize(s, 3);
      // an infinite bias before the first square conv: max pool and ReLU keep infinities (they
      // would drop a NaN), so features.6 sees them: whatever the decomposition, the init stops
      // at that layer's input, before an eigensolver iterates on them
      float[] inf = new float[AlexNet.C2];
      java.util.Arrays.fill(inf, Float.POSITIVE_INFINITY);
      s.assign(java.util.Map.of("features.3.bias", inf));
      float[] before = s.read(List.of("features.6.weight")).get("features.6.weight");
      float[] x = TestImages.uniform(N, 4);
      var init = new SvdInitializer(s, SvdInitializer.Decomposition.valueOf(decomposition));
      InitException e = assertThrows(InitException.class, () -> init.initialize(x, N));
      // before any decomposition: the layer, from the failing check's name
      assertTrue(e.getMessage().startsWith("features.6: its input on the initialization batch is "
          + "not finite (infinite values)"), e.getMessage());
      assertTrue(e.getMessage().endsWith("nothing was assigned"), e.getMessage());
      assertArrayEquals(before, s.read(List.of("features.6.weight")).get("features.6.weight"));
    }
  }
}
