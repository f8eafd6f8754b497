package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.interop.GraphDefs;
import org.orthoinit.interop.ModelFiles;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;
import org.orthoinit.model.Summary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints the layer table and writes the GraphDef. */
@Command(name = "summary", mixinStandardHelpOptions = true,
    description = "Print the model's layers (PyTorch names, output shapes, parameters) and write "
        + "its TensorFlow GraphDef: the seed's AlexNet of --layers/--level/--batch-norm, or the "
        + "network of an ONNX file (--weights).")
final class SummaryCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ModelOptions model;

  @Option(names = "--weights", paramLabel = "FILE.onnx|DIR",
      description = "Summarize the network of this file (an ONNX graph or an orthoinit "
          + "SavedModel) instead; its architecture replaces --layers/--level/--batch-norm.")
  Path weights;

  @Option(names = "--graphs", paramLabel = "DIR", defaultValue = "graphs",
      description = "Where the GraphDef goes (default: ${DEFAULT-VALUE}).")
  Path graphs;

  /** FILE.onnx -> FILE; a folder keeps its name. */
  private static String baseName(Path file) {
    String name = file.toAbsolutePath().normalize().getFileName().toString();
    return name.endsWith(".onnx") ? name.substring(0, name.length() - ".onnx".length()) : name;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (weights != null) {
      ModelFiles.Opened opened = ModelFiles.open(weights);
      out.print(Summary.table(opened.network()));
      Checks.writableFolder(graphs, "--graphs");
      out.println("GraphDef: " + GraphDefs.write(opened.network(),
          opened.source() instanceof ModelSource.Seed seed ? GraphDefs.baseName(seed.config())
          : baseName(weights), graphs));
      return 0;
    }
    ModelConfig config = model.config();
    out.print(Summary.table(AlexNet.of(config)));
    Checks.writableFolder(graphs, "--graphs");
    out.println("GraphDef: " + GraphDefs.write(config, graphs));
    return 0;
  }
}
