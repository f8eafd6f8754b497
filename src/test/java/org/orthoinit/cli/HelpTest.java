package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/** Every command's --help: it works, and it describes every flag it lists. */
class HelpTest {

  @Test
  void everyCommandDescribesEveryFlag() {
    CommandLine main = Main.commandLine();
    List<String> names = new ArrayList<>(main.getSubcommands().keySet());
    assertTrue(names.containsAll(List.of("download", "summary", "train", "predict", "export",
        "init", "init-report", "bench", "figure7", "plot", "compare", "status", "doctor")),
        names.toString());
    for (String name : names) {
      if (name.equals("help")) {
        continue;
      }
      CommandLine.Model.CommandSpec command = main.getSubcommands().get(name).getCommandSpec();
      List<String> texts = new ArrayList<>(List.of(command.usageMessage().description()));
      for (OptionSpec option : command.options()) {
        String text = String.join(" ", option.description()).strip();
        assertFalse(text.isEmpty(), name + " " + option.longestName() + " has no description");
        texts.add(text);
      }
      // picocli formats every description: a lone % would print a warning, not the text
      for (String text : texts) {
        try {
          String.format(text);
        } catch (java.util.IllegalFormatException e) {
          throw new AssertionError(name + ": a '%' in \"" + text + "\" needs doubling", e);
        }
      }
      Cli r = Cli.run(name, "--help");
      assertEquals(0, r.code(), name + ": " + r.err());
      assertTrue(r.out().startsWith("Usage: orthoinit " + name), r.out());
      assertFalse(r.out().contains("null"), name + " --help shows an unset value:\n" + r.out());
    }
  }

  @Test
  void theInitHelpListsEveryRegisteredInitAndInitsDescribesThem() {
    Cli train = Cli.run("train", "--help");
    Cli inits = Cli.run("inits");
    assertEquals(0, inits.code(), inits.err());
    for (var i : org.orthoinit.init.Initializers.all()) {
      assertTrue(train.out().contains(i.id()), i.id() + " missing in:\n" + train.out());
      assertTrue(inits.out().lines().anyMatch(l -> l.startsWith(i.id() + " ")
          && l.contains(i.description())), i.id() + " missing in:\n" + inits.out());
    }
  }

  @Test
  void aUsersMistakeIsAUsageErrorAndAnInternalFaultIsNot() {
    CommandLine cmd = Main.commandLine();
    java.io.StringWriter err = new java.io.StringWriter();
    cmd.setErr(new java.io.PrintWriter(err, true));
    Errors errors = new Errors();
    assertEquals(Errors.USAGE, errors.handleExecutionException(
        new IllegalArgumentException("--epochs must be >= 1, got 0"), cmd, null));
    // the model's own faults (ModelSession: a variable it does not have) keep their trace
    assertEquals(70, errors.handleExecutionException(
        new IllegalStateException("no variable named features.99.weight"), cmd, null));
    assertTrue(err.toString().contains("internal error"), err.toString());
  }
}
