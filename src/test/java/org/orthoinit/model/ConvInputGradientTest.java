package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The convolution input gradient that oneDNN 3.5 gets wrong at some input-channel counts, one op
 * at a time, against float64 sums ({@link GradientCheck}): every case as training builds it
 * (routed where {@link ConvRoutes} found the plain shape wrong) must be within 1e-4. Each test
 * prints how many shapes failed before the route, so the fault is seen on any machine where it
 * occurs; {@code -Dorthoinit.convRoute=off} turns the route off to show it fail.
 */
class ConvInputGradientTest {

  /** The shapes of the fault as first measured (AVX-512; some also under the AVX2 cap). */
  @Test
  void knownFaultyShapesComeOutExact() {
    List<GradientCheck.Case> cases = new ArrayList<>();
    for (int out : new int[] {10, 16, 64, 1000}) {
      cases.add(conv(512, out, 1, 4));
    }
    for (int in : new int[] {40, 80, 112, 320, 992}) {
      cases.add(conv(in, 64, 1, 4));
    }
    for (int in : new int[] {48, 80, 112, 144}) {
      cases.add(conv(in, in, 3, 4));
    }
    // squeezenet's classifier and mobilenet_v2's features.18.0 at their own sizes
    cases.add(new GradientCheck.Case(Layer.Conv.of("c", "x", 512, 10, 1, 1, 0, true),
        new Dims(512, 13, 13)));
    cases.add(new GradientCheck.Case(Layer.Conv.of("c", "x", 320, 1280, 1, 1, 0, false),
        new Dims(320, 7, 7)));
    assertAllExact(cases);
  }

  @Test
  void sweepOf1x1InputChannels() {
    List<GradientCheck.Case> cases = new ArrayList<>();
    for (int c = 8; c <= 1024; c += 8) {
      cases.add(conv(c, c, 1, 5));
    }
    assertAllExact(cases);
  }

  @Test
  void sweepOf3x3InputChannels() {
    List<GradientCheck.Case> cases = new ArrayList<>();
    for (int c = 8; c <= 1024; c += 8) {
      cases.add(conv(c, c, 3, 3));
    }
    assertAllExact(cases);
  }

  /** The check can fail: a 1% error in an input gradient is seen (the test-only hook). */
  @Test
  void checkSeesAOnePercentError() {
    String before = System.setProperty(GradientCheck.CORRUPT_PROPERTY, "24");
    try {
      List<GradientCheck.Outcome> o = GradientCheck.run(List.of(conv(24, 24, 3, 4),
          conv(32, 24, 3, 4)), Compute.CPU);
      assertEquals(1e-2, o.get(0).inputError(), 1e-4, "24 channels, scaled by 1.01");
      assertTrue(o.get(1).ok(), "32 channels, untouched: " + o.get(1));
    } finally {
      if (before == null) {
        System.clearProperty(GradientCheck.CORRUPT_PROPERTY);
      } else {
        System.setProperty(GradientCheck.CORRUPT_PROPERTY, before);
      }
    }
  }

  private static GradientCheck.Case conv(int in, int out, int kernel, int size) {
    return new GradientCheck.Case(Layer.Conv.of("c", "x", in, out, kernel, 1, kernel / 2,
        false), new Dims(in, size, size));
  }

  private static void assertAllExact(List<GradientCheck.Case> cases) {
    List<ConvRoutes.Resolution> r = ConvRoutes.resolve(cases, Compute.CPU);
    List<String> faulty = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    for (ConvRoutes.Resolution x : r) {
      if (!x.plain().ok()) {
        faulty.add(String.format("%s %.1e%s", x.plain().c().describe(), x.plain().inputError(),
            x.routed() == null ? "" : " -> " + x.routed().c().routedIn() + " channels "
                + String.format("%.1e", x.routed().inputError())));
      }
      if (!x.ok() || x.used().worst() > GradientCheck.TOLERANCE) {
        wrong.add(x.used().c().describe() + String.format(" %.1e", x.used().worst()));
      }
    }
    System.out.printf("convolution input gradient: %d of %d shapes wrong as built here "
        + "(TF_ENABLE_ONEDNN_OPTS=%s, route %s)%n  %s%n", faulty.size(), r.size(),
        System.getenv("TF_ENABLE_ONEDNN_OPTS"), System.getProperty(ConvRoutes.SWITCH_PROPERTY,
            "on"), String.join("\n  ", faulty));
    assertTrue(wrong.isEmpty(), "beyond " + GradientCheck.TOLERANCE + " of float64: " + wrong);
  }
}
