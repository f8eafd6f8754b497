package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AlexNetTest {

  private static List<String> names(List<Layer> layers) {
    return layers.stream().map(l -> l.name() + ":" + l.getClass().getSimpleName()).toList();
  }

  @Test
  void levelThreeWithoutExtraLayersIndexesLikePyTorch() {
    Network a = AlexNet.of(ModelConfig.of(0));
    assertEquals(List.of("features.0:Conv", "features.1:MaxPool", "features.2:Relu",
        "features.3:Conv", "features.4:MaxPool", "features.5:Relu", "features.6:Conv",
        "features.7:Relu", "features.8:Conv", "features.9:Conv", "features.10:Relu",
        "features.11:MaxPool", "features.12:Relu"), names(AlexNet.part(a, AlexNet.FEATURES_PREFIX)));
    assertEquals(List.of("classifier.0:Dropout", "classifier.1:Linear", "classifier.2:Relu",
        "classifier.3:Dropout", "classifier.4:Linear", "classifier.5:Relu",
        "classifier.6:Linear"), names(AlexNet.part(a, AlexNet.CLASSIFIER)));
  }

  @Test
  void extraLayersFollowTheTwoFiftySixConvolution() {
    Network a = AlexNet.of(ModelConfig.of(15));
    List<Layer.Conv> convs = a.convs();
    assertEquals(5 + 15, convs.size());
    // features.11, 13, ..., 39 are the extra 256 -> 256 layers, each followed by a ReLU
    assertEquals("features.11", convs.get(5).name());
    assertEquals("features.39", convs.get(19).name());
    assertEquals(17, convs.stream().filter(Layer.Conv::square).count());
    assertEquals("features.42", AlexNet.part(a, AlexNet.FEATURES_PREFIX).get(AlexNet.part(a, AlexNet.FEATURES_PREFIX).size() - 1).name());
  }

  @Test
  void levelTwoLayersHaveNoBiasAndBatchNormFollowsTheRelu() {
    Network a = AlexNet.of(new ModelConfig(2, 2, true, 0.5f, 10));
    assertEquals("features.8:Conv", names(AlexNet.part(a, AlexNet.FEATURES_PREFIX)).get(8));
    Layer.Conv extra = (Layer.Conv) AlexNet.part(a, AlexNet.FEATURES_PREFIX).get(8);
    assertEquals(192, extra.in());
    assertTrue(!extra.bias());
    assertEquals("features.10:BatchNorm", names(AlexNet.part(a, AlexNet.FEATURES_PREFIX)).get(10));
    assertEquals(List.of("features.10", "features.13"),
        a.batchNorms().stream().map(Layer.BatchNorm::name).toList());
    assertTrue(a.parameters().stream().noneMatch(p -> p.name().equals("features.8.bias")));
  }

  @Test
  void parametersAreInTensorFlowLayoutAndCountLikePyTorch() {
    Network a = AlexNet.of(ModelConfig.of(0));
    Parameter first = a.parameters().get(0);
    assertEquals("features.0.weight", first.name());
    assertArrayEquals(new long[] {3, 3, 3, 64}, first.shape());
    Parameter fc = a.parameters().stream().filter(p -> p.name().equals("classifier.1.weight"))
        .findFirst().orElseThrow();
    assertArrayEquals(new long[] {1024, 4096}, fc.shape());
    // sum(p.numel() for p in AlexNet(10, num_layers=0).parameters())
    assertEquals(22_497_930L, Summary.totalParameters(a));
    assertEquals(22_497_930L + 15 * (256 * 256 * 9 + 256),
        Summary.totalParameters(AlexNet.of(ModelConfig.of(15))));
  }

  @Test
  void summaryShapesEndAtTheFlattenedFeatures() {
    List<Summary.Row> rows = Summary.rows(AlexNet.of(ModelConfig.of(1)));
    assertEquals("64x16x16", rows.get(0).outputShape());
    assertEquals("256x2x2", rows.get(14).outputShape()); // features.14, the last ReLU
    assertEquals("10", rows.get(rows.size() - 1).outputShape());
  }

  @Test
  void shapesAreInferredOnceAsDesignsTableGivesThem() {
    // the seed's shapes as PyTorch prints them: 16x16x64 after [0], 8x8x64 after [1] [2], 8x8x192
    // after [3], 4x4x192 after [4] [5], 4x4x256 through the 256 convolutions, 1024 flattened
    Network a = AlexNet.of(new ModelConfig(2, 2, true, 0.5f, 10));
    var out = a.outputs();
    assertEquals(new Dims(64, 16, 16), out.get("features.0"));
    assertEquals(new Dims(64, 8, 8), out.get("features.2"));
    assertEquals(new Dims(192, 8, 8), out.get("features.3"));
    assertEquals(new Dims(192, 4, 4), out.get("features.5"));
    assertEquals(new Dims(192, 4, 4), out.get("features.10")); // a level-2 BN
    assertEquals(Dims.vector(10), out.get("classifier.6"));
    var in = a.inputs();
    assertEquals(Network.INPUT, in.get("features.0"));
    assertEquals(new Dims(192, 4, 4), in.get("features.6"));
    assertEquals(Dims.vector(1024), in.get("classifier.0"));
    assertEquals(Dims.vector(4096), in.get("classifier.3"));
    assertEquals(out.keySet(), in.keySet());
  }

  @Test
  void badConfigsAreRefusedWithTheValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ModelConfig(-3, 3, false,
        0.5f, 10));
    assertEquals("layers must be in 0..1000, got -3", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ModelConfig(1, 4, false, 0.5f, 10));
    assertThrows(IllegalArgumentException.class, () -> new ModelConfig(1, 3, false, 1f, 10));
  }
}
