package org.orthoinit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a main class of the tests' class path in a child JVM as user nobody: root ignores file
 * permissions, so a test of an unreadable folder that runs as root (as CI does) hands its check
 * to this. The class path is linked (or copied) into a folder nobody can read, since the
 * originals may lie under root's home.
 */
public final class AsNobody {

  /** What the child printed and its exit code. */
  public record Result(int code, String out, String err) {}

  private static final int NOBODY = 65534;

  private AsNobody() {}

  /** True when this process runs as root, where permissions are not enforced. */
  public static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * {@code mainClass args} as nobody, with {@code work} (and every folder above it) made
   * traversable for it. Skipped with a message without {@code setpriv}, failed where fixtures
   * are required.
   */
  public static Result run(Path work, String mainClass, String... args)
      throws IOException, InterruptedException {
    Path setpriv = Path.of("/usr/bin/setpriv");
    if (!Files.isExecutable(setpriv)) {
      String message = "running as root and no " + setpriv + " to drop to nobody";
      if (Boolean.getBoolean(Fixtures.REQUIRED)) {
        Assertions.fail(message);
      }
      System.err.println("SKIPPED: " + message);
      Assumptions.abort(message);
    }
    // every folder from the temporary folder down to work lets others in (it only adds the
    // search bit, so /tmp's own permissions stay as they are)
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    for (Path p = work.toAbsolutePath(); p != null && p.startsWith(tmp) && !p.equals(tmp);
        p = p.getParent()) {
      if (Files.isDirectory(p)) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        perms.add(PosixFilePermission.OTHERS_EXECUTE);
        Files.setPosixFilePermissions(p, perms);
      }
    }
    Path cp = Files.createTempDirectory("orthoinit-nobody-cp");
    try {
      List<String> entries = new ArrayList<>();
      String path = System.getProperty("surefire.test.class.path",
          System.getProperty("java.class.path"));
      int i = 0;
      for (String entry : path.split(java.io.File.pathSeparator)) {
        Path from = Path.of(entry);
        if (!Files.exists(from)) {
          continue;
        }
        Path to = cp.resolve(i++ + "-" + from.getFileName());
        if (Files.isDirectory(from)) {
          copyTree(from, to);
        } else {
          try {
            Files.createLink(to, from);
          } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
          }
        }
        entries.add(to.toString());
      }
      openUp(cp);
      String jvm = ProcessHandle.current().info().command().orElse("java");
      List<String> command = new ArrayList<>(List.of(setpriv.toString(), "--reuid=" + NOBODY,
          "--regid=" + NOBODY, "--clear-groups", jvm, "-cp",
          String.join(java.io.File.pathSeparator, entries), mainClass));
      command.addAll(List.of(args));
      Path out = cp.resolve("stdout");
      Path err = cp.resolve("stderr");
      Process p = new ProcessBuilder(command).directory(cp.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        Assertions.fail("the child as nobody did not finish in 5 minutes: " + command);
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      org.orthoinit.util.FileTrees.deleteQuietly(cp);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  private static void openUp(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
            Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
  }
}
