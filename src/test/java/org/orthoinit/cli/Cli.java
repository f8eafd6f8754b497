package org.orthoinit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Runs the CLI in-process, capturing stdout, stderr and the exit code. */
record Cli(int code, String out, String err) {

  static Cli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cmd = Main.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Cli(code, out.toString(), err.toString());
  }

  /** Copies the committed figure7 results of a small real grid (test resources) into {@code dir}. */
  static Path figure7Fixture(Path dir) throws IOException, URISyntaxException {
    Path src = Path.of(Cli.class.getResource("/figure7-fixture").toURI());
    try (Stream<Path> all = Files.walk(src)) {
      for (Path p : all.toList()) {
        Path t = dir.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return dir;
  }

  /** The last non-empty stderr line (progress bars may come before it). */
  String lastErrLine() {
    String[] lines = err.strip().split("\n");
    return lines[lines.length - 1];
  }
}
