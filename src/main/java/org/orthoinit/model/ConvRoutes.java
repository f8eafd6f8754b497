package org.orthoinit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gradient check of a network's layer shapes, and the way around the one fault known to
 * fail it: oneDNN 3.5 (TensorFlow 2.18) computes a convolution's input gradient wrongly at some
 * input-channel counts (by 0.4 to 0.8 of the gradient's largest value, in the channels of the
 * last, partly filled block of its blocked weight layout: 40, 80, 112, 320, 512 and many more
 * with 1 x 1 kernels; which counts depends on the kernel, the CPU and oneDNN's choice of block).
 *
 * <p>{@link #forNetwork} checks every distinct layer configuration of a network once per process
 * ({@link GradientCheck}, at a small spatial size). A convolution whose input gradient fails
 * (not a depthwise one) is routed: its input and kernel are zero-padded to the smallest count
 * (per group, a multiple of 16 above the group's own, at most {@link #MAX_EXTRA} more) whose
 * input gradient the check finds exact; the output is the same, and the gradients of the real
 * channels are those of the padded convolution. A layer that still fails (no count found, a
 * depthwise convolution, any other layer kind) stops the run with a {@link
 * GradientCheckException} naming it and the way out.
 */
public final class ConvRoutes {

  /** At most this many zero channels are added to route a convolution. */
  public static final int MAX_EXTRA = 128;
  /** Channel counts are tried in steps of this (the AVX-512 vector width in floats). */
  static final int STEP = 16;
  /**
   * A system property that turns the route off ({@code off}): the check still runs and refuses
   * faulty shapes. For showing the fault, not for use.
   */
  public static final String SWITCH_PROPERTY = "orthoinit.convRoute";

  /**
   * Outcomes by case, for the whole process (TensorFlow's kernels do not change within it), kept
   * apart by device and by the test-only {@link GradientCheck#CORRUPT_PROPERTY}.
   */
  private static final Map<String, Map<GradientCheck.Case, GradientCheck.Outcome>> CHECKED =
      new ConcurrentHashMap<>();

  /** No convolution routed. */
  public static final ConvRoutes NONE = new ConvRoutes(Map.of(), List.of());

  private final Map<String, Integer> channels;
  private final List<GradientCheck.Outcome> outcomes;

  private ConvRoutes(Map<String, Integer> channels, List<GradientCheck.Outcome> outcomes) {
    this.channels = channels;
    this.outcomes = outcomes;
  }

  /** The input channels {@code conv} is computed with in training: its own unless routed. */
  public int inputChannels(Layer.Conv conv) {
    return channels.getOrDefault(conv.name(), conv.in());
  }

  /** Routed convolutions by layer name: the input channels each is computed with. */
  public Map<String, Integer> routed() {
    return channels;
  }

  /** The check's outcome for each distinct configuration, routes included. */
  public List<GradientCheck.Outcome> outcomes() {
    return outcomes;
  }

  /**
   * A case's check: its outcome as built, and where that fails and a route exists, the outcome
   * of the routed convolution (null otherwise).
   */
  public record Resolution(GradientCheck.Outcome plain, GradientCheck.Outcome routed) {

    /** Whether training gets an exact gradient for this case: as built, or routed. */
    public boolean ok() {
      return plain.ok() || routed != null;
    }

    /** The outcome training meets: the routed one where there is one. */
    public GradientCheck.Outcome used() {
      return routed != null ? routed : plain;
    }
  }

  /**
   * Checks {@code cases} (each once per process) on {@code compute}'s device and looks for a
   * route for each convolution whose input gradient fails, unless the route is switched off
   * ({@link #SWITCH_PROPERTY}).
   */
  public static List<Resolution> resolve(List<GradientCheck.Case> cases, Compute compute) {
    check(cases, compute);
    Map<GradientCheck.Case, GradientCheck.Outcome> checked = checked(compute);
    Map<GradientCheck.Case, GradientCheck.Outcome> routed = new LinkedHashMap<>();
    List<GradientCheck.Case> open = routing() ? cases.stream().distinct()
        .filter(c -> !checked.get(c).ok() && routable(checked.get(c))).toList() : List.of();
    // one candidate count per round for every case still open: most take the first
    for (int round = 0; !open.isEmpty(); round++) {
      int at = round;
      List<GradientCheck.Case> tries = open.stream()
          .filter(c -> candidates(c).size() > at).toList();
      check(tries.stream().map(c -> candidates(c).get(at)).toList(), compute);
      List<GradientCheck.Case> still = new ArrayList<>();
      for (GradientCheck.Case c : tries) {
        GradientCheck.Outcome o = checked.get(candidates(c).get(at));
        if (o.ok()) {
          routed.put(c, o);
        } else {
          still.add(c);
        }
      }
      open = still;
    }
    return cases.stream().map(c -> new Resolution(checked.get(c), routed.get(c))).toList();
  }

  /**
   * Checks the gradient of every distinct convolution, linear and pooling configuration of
   * {@code network} on {@code compute}'s device and routes the convolutions that need it.
   *
   * @throws GradientCheckException naming the first layer whose gradient is wrong with no route
   */
  public static ConvRoutes forNetwork(Network network, Compute compute) {
    Map<GradientCheck.Case, String> firstLayer = new LinkedHashMap<>();
    Map<String, GradientCheck.Case> caseOf = new LinkedHashMap<>();
    for (Layer layer : network.layers()) {
      GradientCheck.Case c = caseOf(layer, network);
      if (c != null) {
        firstLayer.putIfAbsent(c, layer.name());
        caseOf.put(layer.name(), c);
      }
    }
    List<GradientCheck.Case> cases = new ArrayList<>(firstLayer.keySet());
    List<Resolution> resolved = resolve(cases, compute);
    Map<GradientCheck.Case, Integer> routes = new LinkedHashMap<>();
    List<GradientCheck.Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      Resolution r = resolved.get(i);
      outcomes.add(r.plain());
      if (!r.ok()) {
        throw new GradientCheckException(refusal(firstLayer.get(cases.get(i)), r.plain(),
            routing() && routable(r.plain())));
      }
      if (r.routed() != null) {
        outcomes.add(r.routed());
        routes.put(cases.get(i), r.routed().c().routedIn());
      }
    }
    Map<String, Integer> channels = new LinkedHashMap<>();
    caseOf.forEach((name, c) -> {
      Integer to = routes.get(c);
      if (to != null) {
        channels.put(name, to);
      }
    });
    return new ConvRoutes(Collections.unmodifiableMap(channels),
        Collections.unmodifiableList(outcomes));
  }

  private static boolean routing() {
    return !"off".equals(System.getProperty(SWITCH_PROPERTY));
  }

  /** Runs the cases not yet checked in this process (in as few sessions as their sizes allow). */
  static void check(List<GradientCheck.Case> cases, Compute compute) {
    Map<GradientCheck.Case, GradientCheck.Outcome> checked = checked(compute);
    List<GradientCheck.Case> todo = cases.stream().filter(c -> !checked.containsKey(c))
        .distinct().toList();
    for (GradientCheck.Outcome o : GradientCheck.run(todo, compute)) {
      checked.put(o.c(), o);
    }
  }

  private static Map<GradientCheck.Case, GradientCheck.Outcome> checked(Compute compute) {
    return CHECKED.computeIfAbsent(compute.device() + " " + System.getProperty(
        GradientCheck.CORRUPT_PROPERTY, ""), k -> new ConcurrentHashMap<>());
  }

  private static boolean routable(GradientCheck.Outcome o) {
    return o.c().layer() instanceof Layer.Conv conv && !conv.depthwise()
        && o.paramError() <= GradientCheck.TOLERANCE;
  }

  /**
   * {@code c} computed at each channel count the route may try, smallest first: per group, the
   * multiples of {@link #STEP} above the group's own count, up to {@link #MAX_EXTRA} more.
   */
  static List<GradientCheck.Case> candidates(GradientCheck.Case c) {
    Layer.Conv conv = (Layer.Conv) c.layer();
    int g = conv.groups();
    int own = conv.in() / g;
    List<GradientCheck.Case> out = new ArrayList<>();
    for (int n = (own / STEP + 1) * STEP; n <= own + MAX_EXTRA; n += STEP) {
      out.add(new GradientCheck.Case(conv, c.input(), n * g));
    }
    return out;
  }

  private static String refusal(String layer, GradientCheck.Outcome o, boolean tried) {
    String which = o.inputError() > GradientCheck.TOLERANCE ? "input gradient" : "weight gradient";
    double err = Math.max(o.inputError(), o.paramError());
    return String.format("layer %s (%s): TensorFlow's %s is %.1e off float64 here (limit %.0e)"
        + "%s, so training would follow a wrong gradient; run with TF_ENABLE_ONEDNN_OPTS=0 "
        + "(TensorFlow's own kernels, slower) or see 'orthoinit doctor'", layer,
        o.c().describe(), which, err, GradientCheck.TOLERANCE,
        tried ? " and no input padded by up to " + MAX_EXTRA + " channels fixes it" : "");
  }

  /** The check's case for {@code layer}, named neutrally so equal shapes share one; null if none. */
  static GradientCheck.Case caseOf(Layer layer, Network network) {
    if (layer instanceof Layer.Conv c) {
      Layer.Conv n = new Layer.Conv("conv", "x", c.in(), c.out(), c.window(), c.groups(), false);
      return new GradientCheck.Case(n, GradientCheck.smallInput(n, network.dims(c.input())));
    }
    if (layer instanceof Layer.Linear l) {
      return new GradientCheck.Case(new Layer.Linear("linear", "x", l.in(), l.out(), false),
          Dims.vector(l.in()));
    }
    if (layer instanceof Layer.MaxPool p) {
      Layer.MaxPool n = new Layer.MaxPool("pool", "x", p.window(), p.ceilMode());
      return new GradientCheck.Case(n, GradientCheck.smallInput(n, network.dims(p.input())));
    }
    if (layer instanceof Layer.AvgPool p) {
      Layer.AvgPool n = new Layer.AvgPool("pool", "x", p.window(), p.ceilMode(),
          p.countIncludePad());
      return new GradientCheck.Case(n, GradientCheck.smallInput(n, network.dims(p.input())));
    }
    return null;
  }
}
