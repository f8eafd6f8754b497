package org.orthoinit.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Lists the registered initializers: what --init, --inits and init-report take. */
@Command(name = "inits", mixinStandardHelpOptions = true,
    description = "List the initializers train --init, figure7 --inits and init-report take.")
final class InitsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    int width = Initializers.all().stream().mapToInt(i -> i.id().length()).max().orElse(0);
    for (Initializer i : Initializers.all()) {
      o.printf("%-" + width + "s  %s%s%n", i.id(), i.description(),
          i.usesData() ? " [uses the init batch]" : "");
    }
    return 0;
  }
}
