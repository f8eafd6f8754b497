package org.orthoinit.init;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DatabindContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonTypeIdResolver;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.jsontype.impl.TypeIdResolverBase;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Every initializer, by id. The order is fixed (new ones go at the end): help text and tables
 * list them in it.
 */
public final class Initializers {

  /** The seed's start: xavier_uniform_ with the ReLU gain. */
  public static final Initializer XAVIER = new Xavier();
  /** The paper's SVD initializer, after Xavier. */
  public static final Initializer SVD = new SvdMethod(SvdInitializer.DECOMPOSITION_DEFAULT);
  /** LSUV (Mishkin and Matas 2016). */
  public static final Initializer LSUV = new Lsuv.Method(Lsuv.PAPER);

  private static final List<Initializer> ALL = List.of(
      XAVIER,
      SVD,
      LSUV,
      new Kaiming(),
      new PytorchDefault(),
      new Orthogonal(),
      new DeltaOrthogonal());

  private Initializers() {}

  /**
   * {@code init} with these settings where it has them: the SVD init with {@code decomposition},
   * LSUV with {@code lsuv} (each its default when null); any other init as it is.
   */
  public static Initializer configured(Initializer init,
      SvdInitializer.Decomposition decomposition, Lsuv.Settings lsuv) {
    if (init instanceof SvdMethod) {
      return new SvdMethod(decomposition != null ? decomposition
          : SvdInitializer.DECOMPOSITION_DEFAULT);
    }
    if (init instanceof Lsuv.Method) {
      return new Lsuv.Method(lsuv != null ? lsuv : Lsuv.PAPER);
    }
    return init;
  }

  /** The SVD init's decomposition, or null for another init. */
  public static SvdInitializer.Decomposition decomposition(Initializer init) {
    return init instanceof SvdMethod m ? m.decomposition() : null;
  }

  /** LSUV's settings, or null for another init. */
  public static Lsuv.Settings lsuv(Initializer init) {
    return init instanceof Lsuv.Method m ? m.settings() : null;
  }

  /** Whether the two are the same method, whatever their settings. */
  public static boolean same(Initializer a, Initializer b) {
    return a.id().equals(b.id());
  }

  /** Every registered initializer, in registry order. */
  public static List<Initializer> all() {
    return ALL;
  }

  /** The ids, comma-separated, for help text and messages. */
  public static String ids() {
    return ALL.stream().map(Initializer::id).collect(Collectors.joining(", "));
  }

  /**
   * The initializer with this id, case-insensitively; its {@link #jsonName} is accepted too.
   *
   * @throws IllegalArgumentException naming the value and the ids there are
   */
  public static Initializer byId(String id) {
    String s = id.strip();
    for (Initializer i : ALL) {
      if (i.id().equalsIgnoreCase(s) || jsonName(i).equalsIgnoreCase(s)) {
        return i;
      }
    }
    throw new IllegalArgumentException("unknown init '" + id + "', expected one of " + ids());
  }

  /**
   * The name JSON files hold: the id in upper case, '-' as '_' ({@code SVD},
   * {@code PYTORCH_DEFAULT}), as run files have named inits from the start.
   */
  public static String jsonName(Initializer init) {
    return init.id().toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** Writes an initializer as its JSON name. */
  static final class Write extends StdSerializer<Initializer> {
    private static final long serialVersionUID = 1L;

    Write() {
      super(Initializer.class);
    }

    @Override
    public void serialize(Initializer value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(jsonName(value));
    }
  }

  /** Reads an initializer from its JSON name or id. */
  static final class Read extends StdDeserializer<Initializer> {
    private static final long serialVersionUID = 1L;

    Read() {
      super(Initializer.class);
    }

    @Override
    public Initializer deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      if (text == null) {
        return (Initializer) ctxt.handleUnexpectedToken(Initializer.class, p);
      }
      try {
        return byId(text);
      } catch (IllegalArgumentException e) {
        return (Initializer) ctxt.handleWeirdStringValue(Initializer.class, text, e.getMessage());
      }
    }
  }

  /**
   * On a field of type {@link Initializer.Report}: written with its init's id as {@code
   * "method"}, read back as that init's {@link Initializer#reportType()}.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER})
  @JacksonAnnotationsInside
  @JsonTypeInfo(use = JsonTypeInfo.Id.CUSTOM, include = JsonTypeInfo.As.PROPERTY,
      property = "method")
  @JsonTypeIdResolver(ReportTypes.class)
  public @interface ReportJson {}

  /** The type ids of reports: their initializers' ids. */
  static final class ReportTypes extends TypeIdResolverBase {
    @Override
    public String idFromValue(Object value) {
      return idFromValueAndType(value, value.getClass());
    }

    @Override
    public String idFromValueAndType(Object value, Class<?> type) {
      for (Initializer i : ALL) {
        if (type.equals(i.reportType())) {
          return i.id();
        }
      }
      throw new IllegalStateException("no initializer reports a " + type.getSimpleName());
    }

    @Override
    public JavaType typeFromId(DatabindContext context, String id) throws IOException {
      Initializer init;
      try {
        init = byId(id);
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
      if (init.reportType() == null) {
        throw new IOException("init '" + id + "' writes no report");
      }
      return context.constructType(init.reportType());
    }

    @Override
    public JsonTypeInfo.Id getMechanism() {
      return JsonTypeInfo.Id.CUSTOM;
    }
  }
}
