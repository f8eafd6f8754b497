package org.orthoinit.model;

import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;

/**
 * Where and how a session computes: the device, TF32 on GPUs, GPU memory. Sessions are opened
 * with one of these after {@link Devices#resolve} has decided the device.
 *
 * @param device CPU hides every GPU from the session; GPU lets TensorFlow place on the GPU; AUTO
 *     is TensorFlow's own choice (a GPU when it sees one), used before a device is resolved
 * @param tf32 TensorFloat-32 wanted for matmuls and convolutions on Ampere and newer GPUs (10-bit
 *     mantissas, about 1e-3 relative error); it is off unless asked for, see {@link
 *     Devices#TF32_OVERRIDE}
 * @param memoryGrowth take GPU memory as it is needed rather than all of it at start, so that
 *     several processes can share a GPU
 * @param gpuMemoryFraction at most this fraction of each GPU's memory, in (0, 1]; 0 = no cap
 */
public record Compute(Device device, boolean tf32, boolean memoryGrowth,
    double gpuMemoryFraction) {

  /** Which device a session may use. */
  public enum Device {
    AUTO, CPU, GPU;

    public String id() {
      return name().toLowerCase();
    }
  }

  /** TensorFlow's choice, float32 exact, memory growth, no cap. */
  public static final Compute DEFAULT = new Compute(Device.AUTO, false, true, 0);
  /** The CPU only. */
  public static final Compute CPU = new Compute(Device.CPU, false, true, 0);

  public Compute {
    if (device == null) {
      throw new IllegalArgumentException("device must be auto, cpu or gpu");
    }
    if (!(gpuMemoryFraction >= 0 && gpuMemoryFraction <= 1)) {
      throw new IllegalArgumentException("GPU memory fraction must be in (0, 1], got "
          + gpuMemoryFraction);
    }
  }

  /** These settings on {@code chosen}. */
  public Compute on(Device chosen) {
    return new Compute(chosen, tf32, memoryGrowth, gpuMemoryFraction);
  }

  /**
   * The session configuration: TensorFlow's thread pools and, by device, no GPU at all or the
   * GPU's memory settings.
   *
   * @param threads intra-op threads; 0 lets TensorFlow choose (all cores)
   */
  public ConfigProto proto(int threads) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    }
    ConfigProto.Builder b = ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(threads)
        .setInterOpParallelismThreads(threads == 0 ? 0 : Math.min(threads, 2));
    if (device == Device.CPU) {
      b.putDeviceCount("GPU", 0);
    } else {
      GPUOptions.Builder gpu = GPUOptions.newBuilder().setAllowGrowth(memoryGrowth);
      if (gpuMemoryFraction > 0) {
        gpu.setPerProcessGpuMemoryFraction(gpuMemoryFraction);
      }
      b.setGpuOptions(gpu);
    }
    return b.build();
  }
}
