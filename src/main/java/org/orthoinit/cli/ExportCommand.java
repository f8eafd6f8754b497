package org.orthoinit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.interop.GraphDefs;
import org.orthoinit.interop.ModelFiles;
import org.orthoinit.interop.OnnxExport;
import org.orthoinit.interop.SavedModels;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Converts models between PyTorch's ONNX export and TensorFlow's SavedModel. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Write a model (a PyTorch ONNX export of the seed's AlexNet or of any graph of "
        + "the supported layers, or a SavedModel folder written by orthoinit) as a TensorFlow "
        + "SavedModel (the seed's AlexNet) and/or as ONNX in PyTorch's layout.")
final class ExportCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--weights", required = true, paramLabel = "FILE.onnx|DIR",
      description = "The model to export.")
  Path weights;

  @Option(names = "--saved-model", paramLabel = "DIR",
      description = "SavedModel folder to write; it must not exist (the default output: "
          + "models/<name of --weights>).")
  Path savedModel;

  @Option(names = "--onnx", paramLabel = "FILE.onnx",
      description = "ONNX file to write (opset 13, input images [N,3,32,32], output logits, "
          + "PyTorch state_dict names).")
  Path onnx;

  @Option(names = "--graphs", paramLabel = "DIR",
      description = "Also write the model's inference GraphDef and layer table here "
          + "(e.g. graphs).")
  Path graphs;

  @Override
  public Integer call() throws Exception {
    if (savedModel == null && onnx == null && graphs == null) {
      String base = weights.getFileName().toString().replaceFirst("\\.onnx$", "");
      savedModel = Path.of("models", base);
    }
    if (savedModel != null && Files.exists(savedModel)) {
      throw new IllegalArgumentException("--saved-model: " + savedModel + " exists already"
          + (savedModel.toAbsolutePath().normalize().equals(weights.toAbsolutePath().normalize())
              ? " (it is --weights; name another folder with --saved-model)" : ""));
    }
    Checks.writableParents(savedModel, onnx);
    if (graphs != null) {
      Checks.writableFolder(graphs, "--graphs");
    }
    ModelFiles.Opened model = ModelFiles.open(weights);
    ModelConfig seed = model.source() instanceof ModelSource.Seed s ? s.config() : null;
    var out = spec.commandLine().getOut();
    if (savedModel != null) {
      SavedModels.export(model.network(), model.weights(), SavedModels.Metadata.of(
          model.network(), SavedModels.Metadata.nameOf(weights), model.init(),
          weights.toString()), savedModel);
      out.println("wrote SavedModel " + savedModel);
    }
    if (onnx != null) {
      if (seed != null) {
        OnnxExport.write(onnx, seed, model.weights());
      } else {
        OnnxExport.write(onnx, model.network(), model.weights());
      }
      out.println("wrote ONNX " + onnx);
    }
    if (graphs != null) {
      out.println("wrote GraphDef " + (seed != null ? GraphDefs.write(seed, graphs)
          : GraphDefs.write(model.network(), weights.getFileName().toString()
              .replaceFirst("\\.onnx$", ""), graphs)));
    }
    return 0;
  }
}
