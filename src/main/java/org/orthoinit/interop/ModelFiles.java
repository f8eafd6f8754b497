package org.orthoinit.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Network;

/** Opening a model from either of the files it may come in: FILE.onnx or a SavedModel folder. */
public final class ModelFiles {

  /**
   * Any network read from a file: its graph, the seed's AlexNet configuration when it is one
   * (else null), its variables in TensorFlow's layout and how it was initialized.
   */
  public record OpenedNetwork(Network network, ModelConfig config, Map<String, float[]> weights,
      String init) {}

  /** The init label of a model read from ONNX. */
  public static final String IMPORTED = "imported";

  private ModelFiles() {}

  /**
   * Reads a SavedModel folder written by orthoinit (of any network), or any ONNX graph {@link
   * OnnxImport} reads.
   *
   * @throws InteropException naming the file (and the node) and what is wrong with it
   */
  public static OpenedNetwork openNetwork(Path file) throws InteropException {
    if (Files.isDirectory(file)) {
      SavedModels.Saved saved = SavedModels.readNetwork(file);
      return new OpenedNetwork(saved.network(), saved.config(), saved.weights(),
          SavedModels.metadata(file).init());
    }
    OnnxImport.Imported onnx = OnnxImport.read(file);
    return new OpenedNetwork(onnx.network(), AlexNet.recognise(onnx.network()).orElse(null),
        onnx.weights(), IMPORTED);
  }
}
