package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.orthoinit.TestImages;

/**
 * Every numeric flag of every command with 0 (where 0 means nothing sensible), a negative number,
 * numbers too large for the flag (beyond its range, and beyond its type) and text: one usage line
 * naming the flag, exit code 2, before any work (nothing is written). Zero is a meaningful value for some flags (0 extra layers, seed 0, all cores, all
 * images, no warm-up, no dropout) and is not tried there.
 */
class NumericFlagsTest {

  @TempDir
  static Path tmp;

  private static Path data;

  @BeforeAll
  static void data() throws Exception {
    data = TestImages.writeDataset(tmp.resolve("cifar"), 30, 10);
  }

  /** The smallest valid call of each command; a case replaces one flag's value. */
  private static Map<String, String> base(String command) {
    Map<String, String> m = new LinkedHashMap<>();
    switch (command) {
      case "train" -> {
        m.put("--data", data.toString());
        m.put("--layers", "0");
        m.put("--epochs", "1");
        m.put("--out", tmp.resolve("out/run.json").toString());
      }
      case "figure7" -> {
        m.put("--preset", "smoke");
        m.put("--data", data.toString());
        m.put("--layers", "0");
        m.put("--out", tmp.resolve("out/f7").toString());
      }
      case "init-report" -> {
        m.put("--data", data.toString());
        m.put("--layers", "0");
        m.put("--out", tmp.resolve("out/report").toString());
      }
      case "summary" -> {
        m.put("--layers", "0");
        m.put("--graphs", tmp.resolve("out/graphs").toString());
      }
      case "bench" -> {
        m.put("--quick", null);
        m.put("--json", tmp.resolve("out/bench.json").toString());
      }
      case "compare" -> {
        m.put("--ours", tmp.resolve("out/f7").toString());
        m.put("--pytorch", tmp.resolve("out/none.csv").toString());
      }
      default -> throw new IllegalArgumentException(command);
    }
    return m;
  }

  /** command, flag, then the values to refuse (too-large values are type- or range-limits). */
  private static final String[][] TABLE = {
      {"train", "--layers", "-1", "1001", "99999999999", "abc"},
      {"train", "--level", "0", "-1", "4", "x"},
      {"train", "--dropout", "-0.1", "1", "1e40", "half"},
      {"train", "--epochs", "0", "-1", "1000001", "99999999999", "two"},
      {"train", "--lr", "0", "-0.001", "1e40", "fast"},
      {"train", "--batch-size", "0", "-30", "100001", "3O"},
      {"train", "--train-limit", "-1", "99999999999", "all"},
      {"train", "--seed", "99999999999999999999", "s"},
      {"train", "--init-batch", "0", "-1", "60001", "99999999999", "x"},
      {"train", "--threads", "-1", "1025", "99999999999", "two"},
      {"train", "--lsuv-tolerance", "0", "-0.1", "1", "tight"},
      {"train", "--lsuv-iterations", "0", "-1", "99999999999", "ten"},
      {"figure7", "--layers", "-1", "1001", "99999999999", "abc"},
      {"figure7", "--level", "0", "-1", "4", "x"},
      {"figure7", "--repeats", "0", "-1", "1001", "1000000000", "99999999999", "x"},
      {"figure7", "--epochs", "0", "-1", "1000001", "99999999999", "x"},
      {"figure7", "--train-limit", "-1", "99999999999", "x"},
      {"figure7", "--test-limit", "-1", "99999999999", "x"},
      {"figure7", "--lr", "0", "-1", "1e40", "x"},
      {"figure7", "--batch-size", "0", "-1", "100001", "x"},
      {"figure7", "--seed", "99999999999999999999", "x"},
      {"figure7", "--threads", "-1", "1025", "99999999999", "x"},
      {"figure7", "--lsuv-tolerance", "0", "-1", "1", "x"},
      {"figure7", "--lsuv-iterations", "0", "-1", "99999999999", "x"},
      {"init-report", "--layers", "-1", "1001", "99999999999", "x"},
      {"init-report", "--level", "0", "-1", "4", "x"},
      {"init-report", "--seed", "99999999999999999999", "x"},
      {"init-report", "--init-batch", "0", "1", "-1", "60001", "99999999999", "x"},
      {"init-report", "--threads", "-1", "1025", "99999999999", "x"},
      {"init-report", "--lsuv-tolerance", "0", "-1", "1", "x"},
      {"init-report", "--lsuv-iterations", "0", "-1", "99999999999", "x"},
      {"summary", "--layers", "-1", "1001", "99999999999", "x"},
      {"summary", "--level", "0", "-1", "4", "x"},
      {"summary", "--dropout", "-1", "1", "1e40", "x"},
      {"bench", "--layers", "-1", "1001", "99999999999", "x"},
      {"bench", "--steps", "0", "-1", "3000", "1000001", "99999999999", "x"},
      {"bench", "--repeats", "0", "-1", "1001", "99999999999", "x"},
      {"bench", "--warmup", "-1", "1000001", "99999999999", "x"},
      {"bench", "--init-batch", "-1", "60001", "99999999999", "x"},
      {"bench", "--threads", "-1", "1025", "99999999999", "x"},
      {"compare", "--layers", "-1", "1001", "99999999999", "x"},
  };

  static List<String[]> cases() {
    List<String[]> out = new ArrayList<>();
    for (String[] row : TABLE) {
      for (int i = 2; i < row.length; i++) {
        out.add(new String[] {row[0], row[1], row[i]});
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void isAUsageErrorNamingTheFlag(String command, String flag, String value) {
    Map<String, String> args = base(command);
    args.put(flag, value);
    List<String> argv = new ArrayList<>(List.of(command));
    args.forEach((k, v) -> {
      argv.add(k);
      if (v != null) {
        argv.add(v);
      }
    });
    Cli r = Cli.run(argv.toArray(String[]::new));
    assertEquals(2, r.code(), String.join(" ", argv) + "\n" + r.out() + r.err());
    assertTrue(r.lastErrLine().contains(flag), r.lastErrLine());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    // refused before any work: nothing written
    assertTrue(!java.nio.file.Files.exists(tmp.resolve("out")), "wrote " + tmp.resolve("out"));
  }
}
