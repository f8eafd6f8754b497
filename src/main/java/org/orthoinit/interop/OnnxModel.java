package org.orthoinit.interop;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.OperatorSetIdProto;
import org.orthoinit.interop.onnx.StringStringEntryProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.interop.onnx.TensorShapeProto;
import org.orthoinit.interop.onnx.ValueInfoProto;
import org.orthoinit.util.AtomicFiles;

/**
 * An ONNX model read from a file, with access to its weights and to the names and shapes of
 * its graph inputs and outputs. This is how parameters trained or initialised by PyTorch
 * (exported with {@code torch.onnx.export}) enter the project.
 *
 * <p>Weights are decoded only from float32 tensors stored inside the file; other element types
 * and external data are reported as errors naming the tensor, since the project's models are
 * float32 throughout and silently converting would hide an export mistake.
 *
 * <p>Instances are immutable. The decoding methods build new arrays on every call, so callers
 * that need the weights more than once should keep the result.
 */
public final class OnnxModel {

  /**
   * A float32 tensor of the model, in ONNX layout: row-major, convolution kernels as
   * {@code [out, in, kh, kw]} (OIHW) and linear weights as {@code [out, in]}, as in PyTorch.
   *
   * <p>The arrays are the caller's to keep: a Weight returned by {@link OnnxModel} shares
   * them with nothing else. Equality compares name, dims and values.
   *
   * @param name   the tensor name, e.g. {@code features.0.weight}
   * @param dims   the dimensions
   * @param values the elements in row-major order, as many as the product of {@code dims}
   */
  public record Weight(String name, long[] dims, float[] values) {

    /**
     * Checks that the values fill the dims.
     *
     * @throws IllegalArgumentException if a dimension is negative or the counts differ
     */
    public Weight {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(dims, "dims");
      Objects.requireNonNull(values, "values");
      long n = NpyArray.count(dims);
      if (n != values.length) {
        throw new IllegalArgumentException("weight " + name + ": dims " + Arrays.toString(dims)
            + " need " + n + " values, got " + values.length);
      }
    }

    /**
     * The number of dimensions.
     *
     * @return the rank
     */
    public int rank() {
      return dims.length;
    }

    /**
     * A copy of this weight under another name; the arrays are copied too.
     *
     * @param newName the name of the copy
     * @return the copy
     */
    public Weight renamed(String newName) {
      return new Weight(newName, dims.clone(), values.clone());
    }

    /**
     * This weight as an ONNX float tensor with little-endian {@code raw_data}, the encoding
     * PyTorch's exporter uses and the most compact one.
     *
     * @return the tensor
     */
    public TensorProto toTensorProto() {
      ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4))
          .order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      TensorProto.Builder t = TensorProto.newBuilder()
          .setName(name)
          .setDataType(TensorProto.DataType.FLOAT_VALUE)
          .setRawData(ByteString.copyFrom(b.array()));
      for (long d : dims) {
        t.addDims(d);
      }
      return t.build();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Weight w && name.equals(w.name) && Arrays.equals(dims, w.dims)
          && Arrays.equals(values, w.values);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, Arrays.hashCode(dims), Arrays.hashCode(values));
    }

    /** Name and dims only; the values may be millions. */
    @Override
    public String toString() {
      return "Weight[" + name + " " + Arrays.toString(dims) + "]";
    }
  }

  /** Protobuf cannot address more than this in one message. */
  private static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

  private final Path file;
  private final ModelProto proto;

  private OnnxModel(Path file, ModelProto proto) {
    this.file = file;
    this.proto = proto;
  }

  /**
   * Reads and parses an {@code .onnx} file.
   *
   * @param file the file
   * @return the model
   * @throws InteropException if the file cannot be read, is empty, larger than 2 GiB,
   *                          truncated, not protobuf, or lacks what every ONNX model has
   *                          (ir_version, graph, opset_import)
   */
  public static OnnxModel read(Path file) throws InteropException {
    Objects.requireNonNull(file, "file");
    long size;
    try {
      if (Files.isDirectory(file)) {
        throw new InteropException(file, "is a folder, not an ONNX model");
      }
      size = Files.size(file);
    } catch (IOException e) {
      throw new InteropException(file, "cannot read (" + InteropException.describe(e) + ")", e);
    }
    if (size == 0) {
      throw new InteropException(file, "empty file, not an ONNX model");
    }
    if (size > MAX_FILE_BYTES) {
      throw new InteropException(file, "file too big for an ONNX protobuf (" + size
          + " bytes, limit 2 GiB); models that large keep their weights as external data,"
          + " which is not supported");
    }
    ModelProto model;
    CodedInputStream in = null;
    try (InputStream stream = Files.newInputStream(file)) {
      in = CodedInputStream.newInstance(stream, 1 << 16);
      // The default limit would refuse large models; the file size is the true bound.
      in.setSizeLimit((int) size);
      model = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      int at = in == null ? 0 : in.getTotalBytesRead();
      String why = e.getMessage() == null ? "" : e.getMessage();
      // With the size limit at the file size, both of protobuf's "too large" and "ended
      // unexpectedly" mean that a field claims bytes beyond the end of the file; its own
      // wording (which suggests raising the limit) would mislead here.
      if (why.contains("too large") || why.contains("ended unexpectedly")) {
        throw new InteropException(file, "not an ONNX model, or truncated (protobuf parse failed"
            + " at byte " + at + " of " + size + ": a field runs past the end of the file)", e);
      }
      throw new InteropException(file, "not an ONNX model (protobuf parse failed at byte " + at
          + " of " + size + ": " + why + ")", e);
    } catch (IOException e) {
      throw new InteropException(file, "cannot read (" + InteropException.describe(e) + ")", e);
    }
    // Protobuf accepts many byte strings as a message made only of unknown fields, and a
    // file cut exactly between two top-level fields still parses; the fields every ONNX
    // model must have tell those cases apart from a model.
    if (!model.hasIrVersion() || !model.hasGraph()) {
      throw new InteropException(file,
          "not an ONNX model (no ir_version or graph in the protobuf)");
    }
    if (model.getOpsetImportCount() == 0) {
      throw new InteropException(file, "not a complete ONNX model (no opset_import; truncated?)");
    }
    return new OnnxModel(file, model);
  }

  /**
   * Wraps a model built in memory (for tests and exporters); errors name {@code file}.
   *
   * @param file  the file the model belongs to, used in messages; may be null
   * @param proto the model
   * @return the wrapper
   */
  public static OnnxModel of(Path file, ModelProto proto) {
    return new OnnxModel(file, Objects.requireNonNull(proto, "proto"));
  }

  /**
   * Writes a model to a file, replacing any existing file atomically, so that a reader sees
   * either the old model or the complete new one.
   *
   * @param file  the file; missing parent folders are created
   * @param model the model
   * @throws InteropException if the model is larger than protobuf's 2 GiB or the file cannot
   *                          be written
   */
  public static void write(Path file, ModelProto model) throws InteropException {
    write(file, model, written -> { });
  }

  /** As {@link #write(Path, ModelProto)}; {@code check} may refuse the written file first. */
  static void write(Path file, ModelProto model, AtomicFiles.Check check)
      throws InteropException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(model, "model");
    int size = model.getSerializedSize();
    if (size < 0) {
      throw new InteropException(file, "model too big to serialise as one protobuf (over 2 GiB)");
    }
    try {
      AtomicFiles.write(file, ch -> {
        CodedOutputStream out = CodedOutputStream.newInstance(AtomicFiles.stream(ch), 1 << 16);
        model.writeTo(out);
        out.flush();
      }, check);
    } catch (AtomicFiles.Refused e) {
      throw (InteropException) e.fault();
    } catch (IOException e) {
      throw new InteropException(file, "cannot write (" + InteropException.describe(e) + ")", e);
    }
  }

  /**
   * The file this model was read from.
   *
   * @return the path given to {@link #read}, or to {@link #of}
   */
  public Path file() {
    return file;
  }

  /**
   * The parsed protobuf, for what this class does not decode.
   *
   * @return the immutable message
   */
  public ModelProto proto() {
    return proto;
  }

  /**
   * The ONNX IR version the file declares.
   *
   * @return e.g. 7 for PyTorch 1.13
   */
  public long irVersion() {
    return proto.getIrVersion();
  }

  /**
   * The tool that wrote the file.
   *
   * @return e.g. {@code "pytorch"}; empty if not recorded
   */
  public String producerName() {
    return proto.getProducerName();
  }

  /**
   * The version of the tool that wrote the file.
   *
   * @return e.g. {@code "1.13.0"}; empty if not recorded
   */
  public String producerVersion() {
    return proto.getProducerVersion();
  }

  /**
   * The version of the standard ONNX operator set ({@code ""} or {@code "ai.onnx"} domain)
   * the model imports.
   *
   * @return the opset version, or -1 if the model imports no standard operators
   */
  public long opsetVersion() {
    long version = -1;
    for (OperatorSetIdProto op : proto.getOpsetImportList()) {
      if (op.getDomain().isEmpty() || op.getDomain().equals("ai.onnx")) {
        version = Math.max(version, op.getVersion());
      }
    }
    return version;
  }

  /**
   * The names of the graph's real inputs. Older exporters also list every initializer as an
   * input (required before ONNX IR 4); those are left out, since they are weights, not data.
   *
   * @return input names in graph order
   */
  public List<String> inputNames() {
    Set<String> init = initializerNames();
    List<String> names = new ArrayList<>();
    for (ValueInfoProto v : graph().getInputList()) {
      if (!init.contains(v.getName())) {
        names.add(v.getName());
      }
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * The names of the graph's outputs.
   *
   * @return output names in graph order
   */
  public List<String> outputNames() {
    List<String> names = new ArrayList<>();
    for (ValueInfoProto v : graph().getOutputList()) {
      names.add(v.getName());
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * The declared shape of a graph input.
   *
   * @param name the input name
   * @return the dims, with -1 for a symbolic ({@code dim_param}, e.g. the batch) or unknown size
   * @throws InteropException if the graph has no such input or declares no tensor shape for it
   */
  public long[] inputShape(String name) throws InteropException {
    return shapeOf(graph().getInputList(), name, "input");
  }

  /**
   * The declared shape of a graph output.
   *
   * @param name the output name
   * @return the dims, with -1 for a symbolic or unknown size
   * @throws InteropException if the graph has no such output or declares no tensor shape for it
   */
  public long[] outputShape(String name) throws InteropException {
    return shapeOf(graph().getOutputList(), name, "output");
  }

  private long[] shapeOf(List<ValueInfoProto> values, String name,
      String kind) throws InteropException {
    List<String> names = new ArrayList<>();
    for (ValueInfoProto v : values) {
      if (!v.getName().equals(name)) {
        names.add(v.getName());
        continue;
      }
      if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
        throw new InteropException(file, "graph " + kind + " '" + name
            + "' declares no tensor shape");
      }
      List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
      long[] out = new long[dims.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
      }
      return out;
    }
    throw new InteropException(file, "the graph has no " + kind + " '" + name + "' (" + kind + "s: "
        + names + ")");
  }

  /**
   * The float32 initializers of the graph, decoded.
   *
   * @return name to weight, in file order
   * @throws InteropException naming the tensor if an initializer is not float32, keeps its data
   *                          in an external file, has no name or a duplicate one, or has a data
   *                          length that does not match its dims
   */
  public Map<String, Weight> initializers() throws InteropException {
    Map<String, Weight> out = new LinkedHashMap<>();
    List<TensorProto> list = graph().getInitializerList();
    for (int i = 0; i < list.size(); i++) {
      TensorProto t = list.get(i);
      if (t.getName().isEmpty()) {
        throw new InteropException(file, "initializer #" + i + " has no name");
      }
      if (out.put(t.getName(), decodeFloat(t)) != null) {
        throw new InteropException(file, "initializer '" + t.getName() + "' appears twice");
      }
    }
    return out;
  }

  private Set<String> initializerNames() {
    Set<String> names = new HashSet<>();
    for (TensorProto t : graph().getInitializerList()) {
      names.add(t.getName());
    }
    return names;
  }

  private GraphProto graph() {
    return proto.getGraph();
  }

  /** Decodes a float32 tensor stored in raw_data (little-endian) or float_data. */
  Weight decodeFloat(TensorProto t) throws InteropException {
    String what = "tensor '" + t.getName() + "'";
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
      String location = "?";
      for (StringStringEntryProto e : t.getExternalDataList()) {
        if (e.getKey().equals("location")) {
          location = e.getValue();
        }
      }
      throw new InteropException(file, what + " keeps its data in the external file '" + location
          + "', which is not supported; export without external data");
    }
    if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      TensorProto.DataType type = TensorProto.DataType.forNumber(t.getDataType());
      String typeName = type == null ? "unknown" : type.name();
      throw new InteropException(file, what + " has data type " + typeName + " ("
          + t.getDataType() + "), expected FLOAT (1)");
    }
    if (t.hasSegment()) {
      throw new InteropException(file, what + " is stored in segments, which is not supported");
    }
    long[] dims = new long[t.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = t.getDims(i);
    }
    long count = NpyArray.count(dims);
    if (count < 0 || count > Integer.MAX_VALUE / 4) {
      throw new InteropException(file, what + " has invalid dims " + Arrays.toString(dims));
    }
    float[] values = new float[(int) count];
    boolean hasRaw = t.hasRawData();
    if (hasRaw && t.getFloatDataCount() > 0) {
      throw new InteropException(file, what + " has both raw_data and float_data");
    }
    if (hasRaw) {
      ByteString raw = t.getRawData();
      if (raw.size() != count * 4) {
        throw new InteropException(file, what + ": raw_data has " + raw.size() + " bytes, dims "
            + Arrays.toString(dims) + " need " + count * 4);
      }
      raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    } else {
      if (t.getFloatDataCount() != count) {
        throw new InteropException(file, what + ": float_data has " + t.getFloatDataCount()
            + " values, dims " + Arrays.toString(dims) + " need " + count);
      }
      for (int i = 0; i < values.length; i++) {
        values[i] = t.getFloatData(i);
      }
    }
    return new Weight(t.getName(), dims, values);
  }

  @Override
  public String toString() {
    return "OnnxModel[" + file + ", ir " + irVersion() + ", opset " + opsetVersion() + ", producer "
        + producerName() + " " + producerVersion() + "]";
  }
}
