package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.orthoinit.Fixtures;
import org.orthoinit.init.InitException;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.SvdReport;
import org.orthoinit.init.SvdRoute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Prediction;
import org.orthoinit.train.TrainConfig;
import org.orthoinit.train.Trainer;

/**
 * Our graph against the seed's PyTorch code, on the fixtures made from it: forward pass, one SGD
 * step, and the SVD initializer.
 */
class ParityTest {

  private static ModelFiles.Opened model;
  private static ModelConfig config;
  private static float[] images;
  private static int[] labels;
  private static JsonNode expected;

  @BeforeAll
  static void load() throws InteropException, IOException {
    model = ModelFiles.open(Fixtures.file("alexnet_L0.onnx"));
    config = ((org.orthoinit.model.ModelSource.Seed) model.source()).config();
    images = ImageArrays.read(Fixtures.file("alexnet_L0_images8.npy"),
        ImageArrays.Layout.NCHW).nhwc();
    long[] l = Npy.read(Fixtures.file("alexnet_L0_labels8.npy"), "<i8", 8).toLongs();
    labels = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      labels[i] = Math.toIntExact(l[i]);
    }
    expected = new ObjectMapper().readTree(Fixtures.file("alexnet_L0.json").toFile());
  }

  private static float[] fixture(String name) throws InteropException {
    return Npy.read(Fixtures.file(name), "<f4", 8, -1).toFloats();
  }

  @Test
  void theImportedArchitectureIsTheSeedsWithoutExtraLayers() {
    assertEquals(new ModelConfig(0, 3, false, 0.5f, 10), config);
  }

  @Test
  void forwardPassMatchesPyTorch() throws InteropException {
    try (ModelSession s = ModelSession.open(config, 0, 0)) {
      s.assign(model.weights());
      Prediction p = s.predict(images, 8);
      double logits = Fixtures.relativeError(p.logits(), fixture("alexnet_L0_logits8.npy"));
      double features = Fixtures.relativeError(p.features(), fixture("alexnet_L0_features8.npy"));
      assertTrue(logits < 1e-4, "logits relative error " + logits);
      assertTrue(features < 1e-4, "features relative error " + features);
    }
  }

  @Test
  void oneSgdStepMatchesPyTorch() throws InteropException {
    JsonNode sgd = expected.get("sgd1");
    float lr = (float) sgd.get("lr").asDouble();
    try (ModelSession s = ModelSession.open(config.withDropout(0f), 0, 0)) {
      s.assign(model.weights());
      Trainer t = new Trainer(s, new TrainConfig(1, lr, 8, 0));
      double before = t.step(images, labels, 8);
      double after = t.loss(images, labels, 8);
      assertEquals(sgd.get("loss_before").asDouble(), before, 1e-5);
      assertEquals(sgd.get("loss_after").asDouble(), after, 1e-5);
      double logits = Fixtures.relativeError(s.predict(images, 8).logits(),
          fixture("alexnet_L0_sgd1_logits8.npy"));
      assertTrue(logits < 1e-4, "post-step logits relative error " + logits);
    }
  }

  @Test
  void svdInitializerMatchesTheSeed() throws InteropException, InitException {
    ImageArrays.Batch batch = ImageArrays.read(Fixtures.file("alexnet_L0_init256.npy"),
        ImageArrays.Layout.NCHW);
    JsonNode gram = expected.get("svdinit");
    for (SvdInitializer.Decomposition d : SvdInitializer.Decomposition.values()) {
      try (ModelSession s = ModelSession.open(config, 0, 0)) {
        s.assign(model.weights());
        SvdReport r = new SvdInitializer(s, d).initialize(batch.nhwc(), batch.n());
        assertEquals(gram.get("gram_ratio_before").asDouble(), r.gramRatioBefore(), 1e-3, d.name());
        assertEquals(gram.get("gram_ratio_after").asDouble(), r.gramRatioAfter(), 1e-3, d.name());
        Prediction p = s.predict(images, 8);
        double logits = Fixtures.relativeError(p.logits(),
            fixture("alexnet_L0_svdinit_logits8.npy"));
        double features = Fixtures.relativeError(p.features(),
            fixture("alexnet_L0_svdinit_features8.npy"));
        System.out.printf("parity %s: svd-init logits %.2e, features %.2e, %.1f s%n", d, logits,
            features, r.seconds());
        assertTrue(logits < 1e-3, d + ": logits relative error " + logits);
        assertTrue(features < 1e-3, d + ": features relative error " + features);
      }
    }
  }

  @Test
  void onTheSeedsModelTheSubspaceKernelsAreTheFloat64DecompositionsToFloat32Accuracy()
      throws InteropException, InitException {
    ImageArrays.Batch batch = ImageArrays.read(Fixtures.file("alexnet_L0_init256.npy"),
        ImageArrays.Layout.NCHW);
    try (ModelSession s = ModelSession.open(config, 0, 0)) {
      s.assign(model.weights());
      SvdReport r = new SvdInitializer(s, SvdInitializer.Decomposition.SUBSPACE, true)
          .initialize(batch.nhwc(), batch.n());
      for (SvdReport.LayerResult l : r.outputNorms()) {
        System.out.printf("parity subspace %s: %s, residual %.2e, off float64 eigh %.2e "
            + "(float32 eigh %.2e)%n", l.layer(), l.route(), l.residual(), l.offExact(),
            l.float32EighOffExact());
        if (SvdRoute.FALLBACK.equals(l.route())) {
          // the full float64 decomposition, the check's own: only W's rounding to float32 differs
          assertTrue(l.offExact() < 1e-6, l.layer() + " off the exact kernel by " + l.offExact());
        } else {
          assertTrue(l.offExact() < 1e-5, l.layer() + " off the exact kernel by " + l.offExact());
        }
      }
    }
  }
}
