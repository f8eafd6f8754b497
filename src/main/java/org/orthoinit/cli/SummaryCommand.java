package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.interop.GraphDefs;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Summary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints the layer table and writes the GraphDef. */
@Command(name = "summary", mixinStandardHelpOptions = true,
    description = "Print the model's layers (PyTorch names, output shapes, parameters) and write "
        + "its TensorFlow GraphDef.")
final class SummaryCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  ModelOptions model;

  @Option(names = "--graphs", paramLabel = "DIR", defaultValue = "graphs",
      description = "Where the GraphDef goes (default: ${DEFAULT-VALUE}).")
  Path graphs;

  @Override
  public Integer call() throws Exception {
    ModelConfig config = model.config();
    PrintWriter out = spec.commandLine().getOut();
    out.print(Summary.table(AlexNet.of(config)));
    Checks.writableFolder(graphs, "--graphs");
    out.println("GraphDef: " + GraphDefs.write(config, graphs));
    return 0;
  }
}
