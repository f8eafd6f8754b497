package org.orthoinit.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.orthoinit.model.ModelConfig;

/**
 * Training curves from PyTorch: the seed notebook's {@code np.save} of
 * {@code [results_novel, results_xavier]} (float64 [2, repeats, depths, epochs], the depths named
 * by the caller), or a CSV with the header {@code init,layers,repeat,epoch,loss} (epoch from 1).
 */
public final class PytorchResults {

  public static final String CSV_HEADER = "init,layers,repeat,epoch,loss";

  /** One curve per (depth, init): {@code losses[repeat][epoch]}. */
  public record Curves(Map<Integer, Map<String, double[][]>> byDepth) {
    public double[][] get(int layers, String init) {
      return byDepth.getOrDefault(layers, Map.of()).get(init);
    }
  }

  private PytorchResults() {}

  /** Reads either format, by the file's ending. */
  public static Curves read(Path file, List<Integer> layers) throws InteropException {
    return file.getFileName().toString().toLowerCase().endsWith(".csv") ? readCsv(file)
        : readNpy(file, layers);
  }

  /** The seed's array: index 0 is its "novel" (SVD) init, index 1 Xavier. */
  public static Curves readNpy(Path file, List<Integer> layers) throws InteropException {
    if (layers == null || layers.isEmpty()) {
      throw new InteropException(file, "the seed's array needs --layers naming its depths");
    }
    NpyArray a = Npy.read(file);
    if (!a.dtype().equals("<f8") && !a.dtype().equals("<f4")) {
      throw new InteropException(file, "dtype " + a.dtype() + ", expected <f8 (float64)");
    }
    long[] s = a.shape();
    if (s.length != 4 || s[0] != 2 || s[2] != layers.size() || s[1] < 1 || s[3] < 1) {
      throw new InteropException(file, "shape " + Npy.shapeText(s) + ", expected [2, repeats, "
          + layers.size() + ", epochs] ([results_novel, results_xavier] for depths " + layers
          + ")");
    }
    int repeats = (int) s[1];
    int depths = (int) s[2];
    int epochs = (int) s[3];
    double[] v = a.toDoubles();
    Map<Integer, Map<String, double[][]>> out = new LinkedHashMap<>();
    String[] inits = {"svd", "xavier"};
    for (int i = 0; i < 2; i++) {
      for (int d = 0; d < depths; d++) {
        double[][] curves = new double[repeats][epochs];
        for (int r = 0; r < repeats; r++) {
          for (int e = 0; e < epochs; e++) {
            double x = v[((i * repeats + r) * depths + d) * epochs + e];
            if (!Double.isFinite(x)) {
              throw new InteropException(file, "loss of " + inits[i] + ", depth " + layers.get(d)
                  + ", repeat " + r + ", epoch " + (e + 1) + " is " + x);
            }
            curves[r][e] = x;
          }
        }
        out.computeIfAbsent(layers.get(d), k -> new LinkedHashMap<>()).put(inits[i], curves);
      }
    }
    return new Curves(out);
  }

  /** A CSV with the header {@value #CSV_HEADER}; every (init, layers) needs the same repeats and epochs. */
  public static Curves readCsv(Path file) throws InteropException {
    // (layers, init) -> repeat -> epoch -> loss
    Map<Integer, Map<String, TreeMap<Integer, TreeMap<Integer, Double>>>> raw = new TreeMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      if (header == null || !header.strip().replace(" ", "").equalsIgnoreCase(CSV_HEADER)) {
        throw new InteropException(file, "line 1: expected the header " + CSV_HEADER + ", got "
            + (header == null ? "an empty file" : "'" + abbreviate(header) + "'"));
      }
      String line;
      int number = 1;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split(",", -1);
        if (f.length != 5) {
          throw new InteropException(file, "line " + number + ": expected 5 fields, got "
              + f.length + " in '" + abbreviate(line) + "'");
        }
        String init = normalizeInit(f[0].strip());
        if (init == null) {
          throw new InteropException(file, "line " + number + ": unknown init '" + f[0].strip()
              + "' (xavier, svd, novel or orthogonal)");
        }
        int layers;
        int repeat;
        int epoch;
        double loss;
        try {
          layers = Integer.parseInt(f[1].strip());
          repeat = Integer.parseInt(f[2].strip());
          epoch = Integer.parseInt(f[3].strip());
          loss = Double.parseDouble(f[4].strip());
        } catch (NumberFormatException e) {
          throw new InteropException(file, "line " + number + ": not a number in '"
              + abbreviate(line) + "'");
        }
        if (layers < 0 || layers > ModelConfig.MAX_LAYERS || repeat < 0 || epoch < 1
            || !Double.isFinite(loss)) {
          throw new InteropException(file, "line " + number + ": out of range in '"
              + abbreviate(line) + "' (layers 0.." + ModelConfig.MAX_LAYERS + ", repeat >= 0, "
              + "epoch >= 1, finite loss)");
        }
        Double before = raw.computeIfAbsent(layers, k -> new TreeMap<>())
            .computeIfAbsent(init, k -> new TreeMap<>())
            .computeIfAbsent(repeat, k -> new TreeMap<>()).put(epoch, loss);
        if (before != null) {
          throw new InteropException(file, "line " + number + ": a second loss for " + init
              + ", " + layers + " layers, repeat " + repeat + ", epoch " + epoch);
        }
      }
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InteropException(file, "no such file", e);
    } catch (IOException e) {
      throw new InteropException(file, "cannot read: " + e.getMessage(), e);
    }
    if (raw.isEmpty()) {
      throw new InteropException(file, "holds no rows after the header");
    }
    Map<Integer, Map<String, double[][]>> out = new LinkedHashMap<>();
    for (var depth : raw.entrySet()) {
      for (var init : depth.getValue().entrySet()) {
        List<double[]> curves = new ArrayList<>();
        for (var repeat : init.getValue().entrySet()) {
          TreeMap<Integer, Double> epochs = repeat.getValue();
          if (epochs.firstKey() != 1 || epochs.lastKey() != epochs.size()) {
            throw new InteropException(file, init.getKey() + ", " + depth.getKey()
                + " layers, repeat " + repeat.getKey() + ": epochs are not 1.." + epochs.size());
          }
          if (!curves.isEmpty() && curves.get(0).length != epochs.size()) {
            throw new InteropException(file, init.getKey() + ", " + depth.getKey()
                + " layers: repeat " + repeat.getKey() + " has " + epochs.size()
                + " epochs, repeat " + init.getValue().firstKey() + " has "
                + curves.get(0).length + "; every repeat needs the same epochs");
          }
          curves.add(epochs.values().stream().mapToDouble(Double::doubleValue).toArray());
        }
        out.computeIfAbsent(depth.getKey(), k -> new LinkedHashMap<>())
            .put(init.getKey(), curves.toArray(double[][]::new));
      }
    }
    return new Curves(out);
  }

  private static String normalizeInit(String s) {
    return switch (s.toLowerCase()) {
      case "xavier" -> "xavier";
      case "svd", "novel", "orthogonal" -> "svd";
      default -> null;
    };
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }
}
