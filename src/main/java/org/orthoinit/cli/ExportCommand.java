package org.orthoinit.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.interop.SavedModels;
import org.orthoinit.interop.TorchImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Turns a PyTorch-exported model into a SavedModel. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Write a model exported from PyTorch (ONNX) as a TensorFlow SavedModel with a "
        + "serving_default signature: images [N,32,32,3] -> logits, probabilities, features.")
final class ExportCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--weights", required = true, paramLabel = "FILE.onnx",
      description = "The seed's AlexNet exported by torch.onnx.export.")
  Path weights;

  @Option(names = "--saved-model", paramLabel = "DIR",
      description = "The SavedModel folder, which must not exist (default: models/<file name>).")
  Path savedModel;

  @Override
  public Integer call() throws Exception {
    TorchImport.Imported model = TorchImport.read(weights);
    String base = weights.getFileName().toString().replaceFirst("\\.onnx$", "");
    Path dir = savedModel != null ? savedModel : Path.of("models", base);
    SavedModels.export(model.weights(), SavedModels.Metadata.of(model.config(), "imported",
        weights.toString()), dir);
    spec.commandLine().getOut().println("wrote SavedModel " + dir + " (" + model.config()
        .numLayers() + " extra layers, level " + model.config().level() + ")");
    return 0;
  }
}
