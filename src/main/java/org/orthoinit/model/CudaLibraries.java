package org.orthoinit.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The NVIDIA driver and the CUDA 12 / cuDNN 9 libraries that TensorFlow 2.18's GPU natives load
 * at run time, as this machine has them: where each soname resolves and its version, or that it
 * is missing. Found the way the dynamic loader finds them: LD_LIBRARY_PATH, the loader's cache
 * ({@code ldconfig -p}), then the usual folders.
 *
 * @param driverVersion the kernel module's version (/proc/driver/nvidia/version); null without
 *     one
 */
public record CudaLibraries(String driverVersion, List<Library> libraries) {

  /** The driver's library: without it there is no CUDA at all. */
  public static final String DRIVER = "libcuda.so.1";
  /** What TensorFlow 2.18 (built with CUDA 12.5, cuDNN 9.3) opens for a GPU. */
  public static final List<String> RUNTIME = List.of("libcudart.so.12", "libcublas.so.12",
      "libcublasLt.so.12", "libcufft.so.11", "libcusolver.so.11", "libcusparse.so.12",
      "libcudnn.so.9");
  /** Where CUDA installs and containers put them, after LD_LIBRARY_PATH and the loader cache. */
  static final List<Path> USUAL = List.of(Path.of("/usr/local/cuda/lib64"),
      Path.of("/usr/local/nvidia/lib64"), Path.of("/usr/lib/x86_64-linux-gnu"),
      Path.of("/usr/lib64"), Path.of("/usr/lib"));
  static final Path DRIVER_VERSION_FILE = Path.of("/proc/driver/nvidia/version");

  /**
   * One library.
   *
   * @param path where the soname resolves; null when it is not found
   * @param version the version in the real file's name (libcudart.so.12.5.82 -> 12.5.82)
   */
  public record Library(String soname, Path path, String version) {
    public boolean found() {
      return path != null;
    }
  }

  /** The sonames not found, the driver's first. */
  public List<String> missing() {
    return libraries.stream().filter(l -> !l.found()).map(Library::soname).toList();
  }

  public boolean driverFound() {
    return libraries.stream().anyMatch(l -> l.soname().equals(DRIVER) && l.found());
  }

  /** This machine's libraries. */
  public static CudaLibraries probe() {
    List<Path> dirs = new ArrayList<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String d : ld.split(":")) {
        if (!d.isBlank()) {
          dirs.add(Path.of(d));
        }
      }
    }
    return probe(dirs, loaderCache(), USUAL, DRIVER_VERSION_FILE);
  }

  /**
   * The libraries as found in {@code first} (LD_LIBRARY_PATH), the loader's {@code cache}
   * (soname -> path), then {@code usual}.
   */
  static CudaLibraries probe(List<Path> first, Map<String, Path> cache, List<Path> usual,
      Path driverVersionFile) {
    List<Library> out = new ArrayList<>();
    List<String> wanted = new ArrayList<>();
    wanted.add(DRIVER);
    wanted.addAll(RUNTIME);
    for (String soname : wanted) {
      Path found = find(soname, first);
      if (found == null && cache.containsKey(soname) && Files.exists(cache.get(soname))) {
        found = cache.get(soname);
      }
      if (found == null) {
        found = find(soname, usual);
      }
      out.add(new Library(soname, found, found == null ? null : version(found, soname)));
    }
    return new CudaLibraries(driverVersion(driverVersionFile), out);
  }

  private static Path find(String soname, List<Path> dirs) {
    for (Path d : dirs) {
      Path p = d.resolve(soname);
      if (Files.exists(p)) {
        return p;
      }
    }
    return null;
  }

  /** The version the real file's name carries beyond the soname, else the soname's. */
  static String version(Path path, String soname) {
    String base = soname.substring(0, soname.indexOf(".so.") + ".so.".length());
    String name;
    try {
      name = path.toRealPath().getFileName().toString();
    } catch (IOException e) {
      name = path.getFileName().toString();
    }
    return name.startsWith(base) ? name.substring(base.length()) : soname.substring(base.length());
  }

  /** "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  ..." -> 550.54.15. */
  static String driverVersion(Path file) {
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.startsWith("NVRM version:")) {
          String[] words = line.split("\\s+");
          for (String w : words) {
            if (w.matches("\\d+\\.\\d+(\\.\\d+)?")) {
              return w;
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // no NVIDIA kernel module
    }
    return null;
  }

  /** The dynamic loader's cache, soname -> path, from {@code ldconfig -p}; empty without it. */
  static Map<String, Path> loaderCache() {
    Map<String, Path> out = new LinkedHashMap<>();
    for (String ldconfig : new String[] {"/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"}) {
      try {
        Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
        Set<String> lines = new LinkedHashSet<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
          }
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          continue;
        }
        for (String line : lines) {
          // "\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12"
          int arrow = line.indexOf("=>");
          if (arrow > 0 && line.contains("x86-64")) {
            String soname = line.strip().split("\\s+")[0];
            out.putIfAbsent(soname, Path.of(line.substring(arrow + 2).strip()));
          }
        }
        return out;
      } catch (IOException e) {
        // try the next place
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return out;
      }
    }
    return out;
  }
}
