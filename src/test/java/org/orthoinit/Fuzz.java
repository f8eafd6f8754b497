package org.orthoinit;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hostile variants of a valid file, each handed to a reader that must either read it or fail with
 * its own exception type: never another exception, never an Error (an OutOfMemoryError from a
 * length the file declares), never longer than a time bound.
 */
public final class Fuzz {

  /** Reads one file. */
  @FunctionalInterface
  public interface Reader {
    void read(Path file) throws Exception;
  }

  /** A named variant. */
  public record Variant(String name, byte[] bytes) {}

  /** What a campaign found: inputs tried, how many were refused with the expected type. */
  public record Outcome(int tried, int refused) {}

  /** Per input; a reader that needs longer is hanging or reading far too much. */
  public static final Duration LIMIT = Duration.ofSeconds(20);

  private Fuzz() {}

  /**
   * Truncations (every offset of a small file; of a large one, every offset up to 1 KiB, then
   * 400 spread over the rest, and the last 64), single-byte flips at seeded positions, extra
   * bytes, an empty file, and the given format-specific variants.
   */
  public static List<Variant> variants(byte[] valid, long seed, int flips, List<Variant> extra) {
    List<Variant> out = new ArrayList<>();
    out.add(new Variant("empty", new byte[0]));
    List<Integer> cuts = new ArrayList<>();
    if (valid.length <= 4096) {
      for (int i = 1; i < valid.length; i++) {
        cuts.add(i);
      }
    } else {
      for (int i = 1; i < 1024; i++) {
        cuts.add(i);
      }
      for (int k = 0; k < 400; k++) {
        cuts.add(1024 + (int) ((long) (valid.length - 1088) * k / 400));
      }
      for (int i = valid.length - 64; i < valid.length; i++) {
        cuts.add(i);
      }
    }
    for (int cut : cuts) {
      out.add(new Variant("truncated at " + cut, java.util.Arrays.copyOf(valid, cut)));
    }
    Random random = new Random(seed);
    for (int k = 0; k < flips; k++) {
      byte[] b = valid.clone();
      // half the flips in the first 256 bytes, where headers and lengths live
      int at = k % 2 == 0 ? random.nextInt(Math.min(256, b.length)) : random.nextInt(b.length);
      b[at] ^= (byte) (1 + random.nextInt(255));
      out.add(new Variant("byte " + at + " flipped", b));
    }
    for (int more : new int[] {1, 7, 3073}) {
      byte[] b = java.util.Arrays.copyOf(valid, valid.length + more);
      for (int i = valid.length; i < b.length; i++) {
        b[i] = (byte) random.nextInt(256);
      }
      out.add(new Variant(more + " bytes appended", b));
    }
    byte[] noise = new byte[valid.length];
    random.nextBytes(noise);
    out.add(new Variant("random bytes of the same size", noise));
    out.addAll(extra);
    return out;
  }

  /**
   * Writes every variant to {@code file} and reads it.
   *
   * @param expected the reader's own exception type
   */
  public static Outcome run(List<Variant> variants, Path file, Class<? extends Exception> expected,
      Reader reader) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fuzz");
      t.setDaemon(true);
      return t;
    });
    int refused = 0;
    try {
      for (Variant v : variants) {
        Files.write(file, v.bytes());
        Future<?> f = pool.submit(() -> {
          reader.read(file);
          return null;
        });
        try {
          f.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          f.cancel(true);
          fail(v.name() + ": no answer within " + LIMIT);
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (!expected.isInstance(cause)) {
            throw new AssertionError(v.name() + ": " + cause.getClass().getName() + " instead of "
                + expected.getSimpleName(), cause);
          }
          if (cause.getMessage() == null || cause.getMessage().isBlank()
              || cause.getMessage().contains("\n")
              || !cause.getMessage().contains(file.getFileName().toString())) {
            fail(v.name() + ": the message must be one line naming " + file.getFileName()
                + ", got '" + cause.getMessage() + "'");
          }
          refused++;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Outcome(variants.size(), refused);
  }

  /**
   * Requires {@code reader} to refuse the hostile {@code v}, written to {@code file}, with its
   * own exception and one line that names the file and contains {@code fault} (ignoring case).
   */
  public static void refuses(Variant v, Path file, Class<? extends Exception> expected,
      Reader reader, String fault) throws Exception {
    Files.write(file, v.bytes());
    Exception e;
    try {
      reader.read(file);
      throw new AssertionError(v.name() + ": read, not refused");
    } catch (Exception caught) {
      e = caught;
    }
    if (!expected.isInstance(e)) {
      throw new AssertionError(v.name() + ": " + e.getClass().getName() + " instead of "
          + expected.getSimpleName(), e);
    }
    String m = String.valueOf(e.getMessage());
    if (System.getProperty("orthoinit.fuzz.print") != null) {
      System.out.println("REFUSAL " + v.name() + " -> " + m);
    }
    if (m.contains("\n") || !m.contains(file.getFileName().toString())
        || !m.toLowerCase(java.util.Locale.ROOT).contains(fault.toLowerCase(java.util.Locale.ROOT))) {
      fail(v.name() + ": the refusal must be one line naming " + file.getFileName() + " and '"
          + fault + "', got '" + m + "'");
    }
  }
}
