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
        "init", "init-report", "bench", "figure7", "plot", "compare")), names.toString());
    for (String name : names) {
      if (name.equals("help")) {
        continue;
      }
      for (OptionSpec option : main.getSubcommands().get(name).getCommandSpec().options()) {
        String text = String.join(" ", option.description()).strip();
        assertFalse(text.isEmpty(), name + " " + option.longestName() + " has no description");
      }
      Cli r = Cli.run(name, "--help");
      assertEquals(0, r.code(), name + ": " + r.err());
      assertTrue(r.out().startsWith("Usage: orthoinit " + name), r.out());
      assertFalse(r.out().contains("null"), name + " --help shows an unset value:\n" + r.out());
    }
  }
}
