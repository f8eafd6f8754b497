package org.orthoinit.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The variables of a network in one session's graph, by PyTorch state_dict name: the trainable
 * parameters first, then the batch norms' running statistics; each with a placeholder and an
 * assign op that sets it. The session owns this registry; the graph builder and the initializers
 * read it.
 */
public final class Variables {

  private final Network network;
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Placeholder<TFloat32>> assignValues = new LinkedHashMap<>();
  private final Map<String, Assign<TFloat32>> assigns = new LinkedHashMap<>();

  private Variables(Ops tf, Network network) {
    this.network = network;
    for (Parameter p : network.parameters()) {
      add(tf, p.name(), Shape.of(p.shape()));
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      add(tf, bn.runningMean(), Shape.of(bn.channels()));
      add(tf, bn.runningVar(), Shape.of(bn.channels()));
    }
  }

  /** Declares every variable of {@code network} (no values yet) in {@code tf}'s graph. */
  public static Variables declare(Ops tf, Network network) {
    return new Variables(tf, network);
  }

  /** Every variable by name: parameters first, then running statistics. */
  public Map<String, Variable<TFloat32>> all() {
    return Collections.unmodifiableMap(variables);
  }

  /** The variable {@code name}; an internal fault when there is none. */
  public Variable<TFloat32> get(String name) {
    return require(variables, name);
  }

  /** The trainable parameters, in PyTorch's order. */
  public List<Variable<TFloat32>> trainable() {
    return network.parameters().stream().map(p -> variables.get(p.name())).toList();
  }

  /** Placeholder that {@link #assignOp} copies into the variable {@code name}. */
  public Placeholder<TFloat32> assignValue(String name) {
    return require(assignValues, name);
  }

  public Assign<TFloat32> assignOp(String name) {
    return require(assigns, name);
  }

  private void add(Ops tf, String name, Shape shape) {
    Variable<TFloat32> v = tf.withName(name).variable(shape, TFloat32.class);
    Ops scope = tf.withSubScope(name);
    Placeholder<TFloat32> value = scope.withName("value")
        .placeholder(TFloat32.class, Placeholder.shape(shape));
    variables.put(name, v);
    assignValues.put(name, value);
    assigns.put(name, scope.withName("assign").assign(v, value));
  }

  private static <V> V require(Map<String, V> map, String name) {
    V v = map.get(name);
    if (v == null) {
      throw new IllegalStateException("no variable named " + name);
    }
    return v;
  }
}
