package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Prediction;

class InitializersTest {

  @Test
  void idsAreFoundCaseInsensitivelyAndByTheirJsonNames() {
    assertSame(Initializers.SVD, Initializers.byId("SVD"));
    assertSame(Initializers.byId("pytorch-default"), Initializers.byId("PYTORCH_DEFAULT"));
    assertEquals("PYTORCH_DEFAULT", Initializers.jsonName(Initializers.byId("pytorch-default")));
    var e = assertThrows(IllegalArgumentException.class, () -> Initializers.byId("he"));
    assertEquals("unknown init 'he', expected one of " + Initializers.ids(), e.getMessage());
    assertTrue(Initializers.ids().startsWith("xavier, svd, lsuv, kaiming, pytorch-default, "
        + "orthogonal"), Initializers.ids());
  }

  @Test
  void everyInitHasItsOwnIdLabelAndLook() {
    Set<String> ids = new HashSet<>();
    Set<Integer> colours = new HashSet<>();
    Set<Initializer.Marker> markers = new HashSet<>();
    for (Initializer i : Initializers.all()) {
      assertTrue(i.id().matches("[a-z][a-z0-9-]*"), i.id());
      assertTrue(ids.add(i.id()), "id " + i.id() + " twice");
      assertTrue(colours.add(i.look().rgb()), "colour of " + i.id() + " taken");
      assertTrue(markers.add(i.look().marker()), "marker of " + i.id() + " taken");
      assertTrue(!i.description().isBlank(), i.id());
    }
    // the batch-norm baseline's triangles are not an init's
    assertTrue(!markers.contains(Initializer.Marker.TRIANGLE_UP));
  }

  private static final java.util.Set<String> ALEXNET_L1 = java.util.Set.of("features.0.weight",
      "features.0.bias", "features.3.weight", "features.3.bias", "features.6.weight",
      "features.6.bias", "features.8.weight", "features.8.bias", "features.9.weight",
      "features.9.bias", "features.11.weight", "features.11.bias", "classifier.1.weight",
      "classifier.1.bias", "classifier.4.weight", "classifier.4.bias", "classifier.6.weight",
      "classifier.6.bias");

  @Test
  void everyRegisteredInitGivesAModelFiniteLogits() throws Exception {
    float[] images = TestImages.uniform(64, 4);
    for (Initializer init : Initializers.all()) {
      try (ModelSession s = ModelSession.open(ModelConfig.of(1), 0, 2)) {
        Initializer.Report r = init.initialize(s, new Initializer.Context(0, images, 64, false));
        if (init.reportType() == null) {
          assertNull(r, init.id());
        } else {
          assertNotNull(r, init.id());
          assertTrue(init.reportType().isInstance(r), init.id());
        }
        Prediction p = s.predict(images, 64);
        for (float f : p.logits()) {
          assertTrue(Float.isFinite(f), init.id() + " gives logit " + f);
        }
        // every parameter of the model holds a value: PyTorch's state_dict of
        // AlexNet(10, num_layers=1), as torch 1.13 lists it
        assertEquals(ALEXNET_L1, s.readAll().keySet(), init.id());
      }
    }
  }
}
