package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestNetworks;

/** The network graph: inferred shapes, refused graphs, blocks, and AlexNet recognised as data. */
class NetworkTest {

  @Test
  void aStridedVggHalvesWithTensorFlowsSamePaddingAndCountsLikePyTorch() {
    Network vgg = new Vgg(List.of(4, 8), 2, false, Vgg.Downsample.STRIDE, 10).network();
    // features.0: 3 -> 4 at stride 2 padded 0 before and 1 after: (32 + 1 - 3) / 2 + 1 = 16
    assertEquals(new Dims(4, 16, 16), vgg.dims("features.0"));
    assertEquals(new Dims(8, 8, 8), vgg.dims("features.4"));
    assertEquals(Dims.vector(512), vgg.dims("flatten"));
    assertEquals(List.of("features.0.weight", "features.0.bias", "features.2.weight",
        "features.2.bias", "features.4.weight", "features.4.bias", "features.6.weight",
        "features.6.bias", "classifier.0.weight", "classifier.0.bias"),
        vgg.parameters().stream().map(Parameter::name).toList());
    // 4*3*9+4 + 4*4*9+4 + 8*4*9+8 + 8*8*9+8 + 512*10+10
    assertEquals(112 + 148 + 296 + 584 + 5130, Summary.totalParameters(vgg));
    // 2 per multiply-add: 16*16*4 outputs of 27, 16*16*4 of 36, 8*8*8 of 36, 8*8*8 of 72, 5120
    assertEquals(2L * (1024 * 27 + 1024 * 36 + 512 * 36 + 512 * 72 + 5120),
        Summary.forwardFlops(vgg));
    assertEquals("Conv2d(3, 4, k=3, s=2, p=[0,0,1,1])", Summary.rows(vgg).get(0).type());
    assertEquals(List.of(), vgg.batchNorms());
    Network bn = new Vgg(List.of(4), 1, true, Vgg.Downsample.MAX_POOL, 10).network();
    assertEquals("features.1:BatchNorm, features.2:Relu, features.3:MaxPool",
        String.join(", ", bn.layers().subList(1, 4).stream()
            .map(l -> l.name() + ":" + l.getClass().getSimpleName()).toList()));
    assertTrue(bn.parameters().stream().noneMatch(p -> p.name().equals("features.0.bias")));
  }

  @Test
  void aLayerThatDoesNotFitIsRefusedByName() {
    var e = assertThrows(IllegalArgumentException.class, () -> new Network("bad", List.of(
        Layer.Conv.of("c", Network.INPUT_NAME, 4, 8, 3, 1, 1, true),
        new Layer.Flatten("f", "c"), new Layer.Linear("l", "f", 8192, 10, true))));
    assertEquals("layer c: expects 4 channels, gets 3x32x32", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Network("bad", List.of(
        new Layer.Relu("r", "nowhere"))));
    assertEquals("layer r: input nowhere is not the network's input or an earlier layer",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Network("bad", List.of(
        new Layer.Flatten("f", Network.INPUT_NAME), new Layer.Linear("l", "f", 100, 10, true))));
    assertEquals("layer l: expects a vector of 100 values, gets 3072", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Network("bad", List.of(
        new Layer.Relu("r", Network.INPUT_NAME))));
    assertEquals("layer r: the logits must be a vector, got 3x32x32", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Network("bad", List.of(
        Layer.MaxPool.of("p", Network.INPUT_NAME, 64))));
    assertTrue(e.getMessage().startsWith("layer p: window k=64, s=64, p=0 does not fit"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Layer.Conv("g", "x", 6, 4,
        Window.square(3, 1, 1), 4, true));
    assertEquals("g: 6 -> 4 channels cannot be split into 4 groups", e.getMessage());
  }

  @Test
  void blocksEndWhereTheChainAfterAConvolutionBranchesOrJoins() {
    Map<String, String> ends = new LinkedHashMap<>();
    TestNetworks.zoo().blocks().forEach((c, end) -> ends.put(c.name(), end));
    // g's block runs through its clip and both pools to ap, which three layers read
    assertEquals(Map.of("c0", "c0", "c1", "r1", "dw", "dw", "g", "ap", "a", "a"), ends);
    Map<String, String> alex = new LinkedHashMap<>();
    AlexNet.of(ModelConfig.of(0)).blocks().forEach((c, end) -> alex.put(c.name(), end));
    assertEquals(List.of("features.2", "features.5", "features.7", "features.8", "features.12"),
        List.copyOf(alex.values()));
  }

  @Test
  void anAlexNetIsRecognisedFromItsGraphWhateverItsLayersAreCalled() {
    for (ModelConfig c : List.of(ModelConfig.of(0), ModelConfig.of(15),
        new ModelConfig(3, 2, true, 0.25f, 7), new ModelConfig(1, 3, true, 0.5f, 10))) {
      Network n = AlexNet.of(c);
      assertEquals(Optional.of(c), AlexNet.recognise(n));
      // an evaluation-mode export: no dropouts, other names for the parameterless layers
      Network renamed = n.withoutDropout().renamed(name -> n.layer(name) instanceof Layer.Conv
          || n.layer(name) instanceof Layer.Linear || n.layer(name) instanceof Layer.BatchNorm
          ? name : "/" + name + "/op");
      assertEquals(Optional.of(c.withDropout(ModelConfig.DROPOUT_DEFAULT)),
          AlexNet.recognise(renamed));
    }
    assertEquals(Optional.empty(), AlexNet.recognise(TestNetworks.zoo()));
    assertEquals(Optional.empty(), AlexNet.recognise(
        new Vgg(List.of(64, 192, 256), 2, false, Vgg.Downsample.MAX_POOL, 10).network()));
  }
}
