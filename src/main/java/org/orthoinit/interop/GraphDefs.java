package org.orthoinit.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Summary;
import org.orthoinit.util.AtomicFiles;

/** The model's inference GraphDef and layer table, for reading in TensorBoard or Netron. */
public final class GraphDefs {

  private GraphDefs() {}

  /** File-name stem of a model: {@code alexnet_L15_level3}, {@code alexnet_L15_level3_bn}. */
  public static String baseName(ModelConfig config) {
    return "alexnet_L" + config.numLayers() + "_level" + config.level()
        + (config.batchNorm() ? "_bn" : "");
  }

  /**
   * Writes DIR/BASE.pb, the inference graph (images -> eval pass -> logits; variables with their
   * setters, no training ops), and DIR/BASE.txt, its layer table, each atomically.
   *
   * @return the .pb file
   */
  public static Path write(ModelConfig config, Path dir) throws IOException {
    return write(AlexNet.of(config), baseName(config), dir);
  }

  /** As {@link #write(ModelConfig, Path)} for any network, as DIR/BASE.pb and DIR/BASE.txt. */
  public static Path write(Network network, String base, Path dir) throws IOException {
    Path pb = dir.resolve(base + ".pb");
    byte[] graph;
    try (ModelSession session = ModelSession.open(network, 0, 1, Compute.CPU)) {
      graph = session.graph().toGraphDef().toByteArray();
    }
    write(pb, graph);
    write(dir.resolve(base + ".txt"), Summary.table(network).getBytes(StandardCharsets.UTF_8));
    return pb;
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    AtomicFiles.write(file, bytes);
  }
}
