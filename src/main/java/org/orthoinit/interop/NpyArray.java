package org.orthoinit.interop;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An n-dimensional array as stored in a NumPy {@code .npy} file: a dtype, a shape and the raw
 * element bytes, little-endian and in C (row-major) order.
 *
 * <p>The dtype is NumPy's type string in canonical form: {@code "<f4"} (float32),
 * {@code "<f8"} (float64), {@code "<i8"} (int64), {@code "<i4"} (int32), {@code "<i2"},
 * {@code "<u2"}, {@code "<u4"}, {@code "|u1"} (uint8), {@code "|i1"} and {@code "|b1"} (bool).
 * An empty shape is a 0-dimensional array holding one element.
 *
 * <p>The array views the bytes it is given without copying them (arrays of images can be large),
 * so the creator must not change them afterwards; {@link #data()} hands out read-only views.
 * Equality compares dtype, shape and content.
 *
 * @param dtype NumPy type string, one of {@link #SUPPORTED_DTYPES}
 * @param shape the size of each dimension, none negative
 * @param data  the elements, exactly {@code count() * itemSize()} bytes from the buffer's position
 */
public record NpyArray(String dtype, long[] shape, ByteBuffer data) {

  /** The dtypes this project reads and writes; others are rejected when a file is read. */
  public static final List<String> SUPPORTED_DTYPES =
      List.of("<f4", "<f8", "<i8", "<i4", "<i2", "<u2", "<u4", "|u1", "|i1", "|b1");

  /**
   * Validates the parts and keeps a read-only little-endian view of the data.
   *
   * @throws IllegalArgumentException if the dtype is not supported, a dimension is negative, or
   *                                  the data length does not match the shape
   */
  public NpyArray {
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    if (!SUPPORTED_DTYPES.contains(dtype)) {
      throw new IllegalArgumentException("unsupported dtype " + dtype + " (supported: "
          + SUPPORTED_DTYPES + ")");
    }
    shape = shape.clone();
    long count = count(shape);
    if (count < 0 || count > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("bad shape " + Arrays.toString(shape)
          + ": negative or too large");
    }
    long bytes = count * itemSize(dtype);
    if (data.remaining() != bytes) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype
          + " needs " + bytes + " bytes, data has " + data.remaining());
    }
    // slice() starts the view at the caller's position; order must be set after every
    // slice/duplicate because those reset it to big-endian.
    data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * A float32 array.
   *
   * @param values the elements in C order
   * @param shape  the dimensions; their product must equal {@code values.length}
   * @return the array, holding a copy of the values
   */
  public static NpyArray ofFloats(float[] values, long... shape) {
    checkCount(values.length, shape);
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new NpyArray("<f4", shape, b);
  }

  /**
   * An int64 array.
   *
   * @param values the elements in C order
   * @param shape  the dimensions; their product must equal {@code values.length}
   * @return the array, holding a copy of the values
   */
  public static NpyArray ofLongs(long[] values, long... shape) {
    checkCount(values.length, shape);
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 8))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new NpyArray("<i8", shape, b);
  }

  /**
   * A float64 array.
   *
   * @param values the elements in C order
   * @param shape  the dimensions; their product must equal {@code values.length}
   * @return the array, holding a copy of the values
   */
  public static NpyArray ofDoubles(double[] values, long... shape) {
    checkCount(values.length, shape);
    ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 8))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return new NpyArray("<f8", shape, b);
  }

  /**
   * The dimensions.
   *
   * @return a copy of the shape, so that callers cannot change this array
   */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * The raw elements.
   *
   * @return a read-only little-endian view of the bytes, positioned at the first element
   */
  @Override
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The number of elements: the product of the shape, 1 for a 0-dimensional array.
   *
   * @return the element count
   */
  public long count() {
    return count(shape);
  }

  /**
   * The number of dimensions.
   *
   * @return the length of the shape, 0 for a scalar
   */
  public int rank() {
    return shape.length;
  }

  /**
   * The size of one element.
   *
   * @return bytes per element of this dtype
   */
  public int itemSize() {
    return itemSize(dtype);
  }

  /**
   * The elements as float32. Exact for {@code <f4}; {@code <f8} values are rounded to the
   * nearest float. Integer arrays are refused rather than converted, because reading labels
   * or indices as floats is almost always a mistake.
   *
   * @return a new array of {@link #count()} floats in C order
   * @throws IllegalStateException if the dtype is not a floating-point type
   */
  public float[] toFloats() {
    float[] out = new float[(int) count()];
    switch (dtype) {
      case "<f4" -> data().asFloatBuffer().get(out);
      case "<f8" -> {
        ByteBuffer b = data();
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) b.getDouble(i * 8);
        }
      }
      default -> throw wrongKind("float");
    }
    return out;
  }

  /**
   * The elements as float64: exact for float and for integers up to 2^53 in magnitude.
   *
   * @return a new array of {@link #count()} doubles in C order
   */
  public double[] toDoubles() {
    double[] out = new double[(int) count()];
    if (dtype.equals("<f8")) {
      data().asDoubleBuffer().get(out);
    } else if (dtype.equals("<f4")) {
      ByteBuffer b = data();
      for (int i = 0; i < out.length; i++) {
        out[i] = b.getFloat(i * 4);
      }
    } else {
      long[] longs = toLongs();
      for (int i = 0; i < out.length; i++) {
        out[i] = longs[i];
      }
    }
    return out;
  }

  /**
   * The elements as int64, from any integer or bool dtype (bool gives 0 or 1; unsigned types
   * are read as unsigned).
   *
   * @return a new array of {@link #count()} longs in C order
   * @throws IllegalStateException if the dtype is a floating-point type
   */
  public long[] toLongs() {
    long[] out = new long[(int) count()];
    ByteBuffer b = data();
    switch (dtype) {
      case "<i8" -> b.asLongBuffer().get(out);
      case "<i4" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getInt(i * 4);
        }
      }
      case "<u4" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Integer.toUnsignedLong(b.getInt(i * 4));
        }
      }
      case "<i2" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getShort(i * 2);
        }
      }
      case "<u2" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Short.toUnsignedLong(b.getShort(i * 2));
        }
      }
      case "|i1" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.get(i);
        }
      }
      case "|u1" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Byte.toUnsignedLong(b.get(i));
        }
      }
      case "|b1" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.get(i) != 0 ? 1 : 0;
        }
      }
      default -> throw wrongKind("integer");
    }
    return out;
  }

  /** Content equality; the default record equality would compare the shape arrays by identity. */
  @Override
  public boolean equals(Object o) {
    return o instanceof NpyArray other
        && dtype.equals(other.dtype)
        && Arrays.equals(shape, other.shape)
        && data.equals(other.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, Arrays.hashCode(shape), data);
  }

  /** A summary: dtype and shape, not the elements, which may be millions. */
  @Override
  public String toString() {
    return "NpyArray[dtype=" + dtype + ", shape=" + Npy.shapeText(shape) + "]";
  }

  /**
   * The byte size of one element of a supported dtype, which is the number after the kind.
   */
  static int itemSize(String dtype) {
    return Integer.parseInt(dtype.substring(2));
  }

  /** The product of the dimensions, or -1 if one is negative or the product overflows. */
  static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        return -1;
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        return -1;
      }
    }
    return n;
  }

  private static void checkCount(int length, long[] shape) {
    long n = count(shape);
    if (n != length) {
      throw new IllegalArgumentException("shape " + Npy.shapeText(shape) + " holds " + n
          + " elements, data has " + length);
    }
  }

  private IllegalStateException wrongKind(String wanted) {
    return new IllegalStateException("an array of dtype " + dtype + " cannot be read as " + wanted
        + "; check the dtype first with Npy.expect");
  }
}
