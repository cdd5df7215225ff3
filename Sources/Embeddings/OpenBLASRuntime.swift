import COpenBLAS
import Foundation

/// What OpenBLAS is doing on this machine, and which kernel set it should use.
///
/// Debian's OpenBLAS 0.3.21 does not recognise some AVX-512 CPUs and falls
/// back to its Prescott (SSE3) kernels, about 5 times slower for sgemm. The
/// cure is `OPENBLAS_CORETYPE=SkylakeX` in the environment — but OpenBLAS reads
/// it in its library constructor, which the dynamic linker runs before any
/// Swift code, so a process cannot fix this for itself: the launcher must
/// export it (see `recommendedCoreType`). `setenv` after start-up has no effect.
public enum OpenBLASRuntime {
    /// The kernel set OpenBLAS chose at load time, e.g. `SkylakeX`, `Haswell`, `Prescott`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS uses for one large product.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// `OPENBLAS_CORETYPE` as set in this process's environment, if any.
    public static var configuredCoreType: String? {
        ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
    }

    /// True when `/proc/cpuinfo` lists the `avx512f` flag.
    public static var cpuHasAVX512F: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        for line in info.split(separator: "\n") where line.hasPrefix("flags") {
            return line.split(separator: " ").contains("avx512f")
        }
        return false
    }

    /// The `OPENBLAS_CORETYPE` a launcher should export before starting the
    /// process: `SkylakeX` when the CPU has AVX-512F, nil when there is no
    /// reason to override OpenBLAS's own detection.
    public static var recommendedCoreType: String? {
        cpuHasAVX512F ? "SkylakeX" : nil
    }

    /// A warning when OpenBLAS runs slower kernels than the CPU allows
    /// (AVX-512F present, no `OPENBLAS_CORETYPE` set and a pre-AVX-512 core
    /// chosen), or nil when all is well.
    public static var performanceWarning: String? {
        guard configuredCoreType == nil, let wanted = recommendedCoreType else { return nil }
        let core = coreName
        if core.lowercased().contains("skylakex") || core.lowercased().contains("cooperlake")
            || core.lowercased().contains("sapphire") {
            return nil
        }
        return "OpenBLAS uses its \(core) kernels on a CPU with AVX-512F; export OPENBLAS_CORETYPE=\(wanted) "
            + "before starting the process for about 5x faster matrix products"
    }
}
