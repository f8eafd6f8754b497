package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

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
}
